package dev.automesh.wg.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One received netlink message; {@code payload} is what follows nlmsghdr (a read-only view).
 */
public record NlMessage(int type, int flags, int seq, int portId, ByteBuffer payload) {

    /** Splits a datagram into its messages; a malformed length is a protocol error. */
    public static List<NlMessage> parseAll(ByteBuffer datagram) throws NetlinkProtocolException {
        ByteBuffer b = datagram.slice().order(ByteOrder.nativeOrder());
        List<NlMessage> out = new ArrayList<>();
        while (b.remaining() >= Netlink.NLMSG_HDRLEN) {
            int start = b.position();
            int len = b.getInt(start);
            if (len < Netlink.NLMSG_HDRLEN || len > b.remaining()) {
                throw new NetlinkProtocolException("netlink message length " + len + " does not fit the "
                        + b.remaining() + " bytes received");
            }
            int type = b.getShort(start + 4) & 0xffff;
            int flags = b.getShort(start + 6) & 0xffff;
            int seq = b.getInt(start + 8);
            int pid = b.getInt(start + 12);
            ByteBuffer payload = b.duplicate().position(start + Netlink.NLMSG_HDRLEN).limit(start + len)
                    .slice().order(ByteOrder.nativeOrder()).asReadOnlyBuffer().order(ByteOrder.nativeOrder());
            out.add(new NlMessage(type, flags, seq, pid, payload));
            b.position(Math.min(b.limit(), start + Netlink.align(len)));
        }
        return out;
    }

    /** For NLMSG_ERROR and NLMSG_DONE: the (negative) errno, 0 for an ACK or a clean end. */
    public int errorCode() {
        return payload.remaining() >= 4 ? payload.getInt(0) : 0;
    }

    /** The attributes after the genlmsghdr of a generic-netlink message. */
    public List<NlAttr> genlAttributes() throws NetlinkProtocolException {
        if (payload.remaining() < Netlink.GENL_HDRLEN) {
            throw new NetlinkProtocolException("generic netlink message shorter than its header");
        }
        return NlAttr.parse(payload.duplicate().position(Netlink.GENL_HDRLEN).slice().order(ByteOrder.nativeOrder()));
    }

    public int genlCommand() {
        return payload.remaining() >= 1 ? payload.get(0) & 0xff : -1;
    }
}
