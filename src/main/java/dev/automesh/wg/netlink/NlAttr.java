package dev.automesh.wg.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** One netlink attribute: type without the NESTED/NET_BYTEORDER flags, and its value bytes. */
public record NlAttr(int type, ByteBuffer value) {

    public static List<NlAttr> parse(ByteBuffer region) throws NetlinkProtocolException {
        ByteBuffer b = region.slice().order(ByteOrder.nativeOrder());
        List<NlAttr> out = new ArrayList<>();
        while (b.remaining() >= Netlink.NLA_HDRLEN) {
            int start = b.position();
            int len = b.getShort(start) & 0xffff;
            int type = b.getShort(start + 2) & Netlink.NLA_TYPE_MASK;
            if (len < Netlink.NLA_HDRLEN || len > b.remaining()) {
                throw new NetlinkProtocolException("attribute " + type + " length " + len + " exceeds its "
                        + b.remaining() + "-byte container");
            }
            ByteBuffer v = b.duplicate().position(start + Netlink.NLA_HDRLEN).limit(start + len).slice()
                    .order(ByteOrder.nativeOrder());
            out.add(new NlAttr(type, v));
            b.position(Math.min(b.limit(), start + Netlink.align(len)));
        }
        return out;
    }

    public List<NlAttr> nested() throws NetlinkProtocolException {
        return parse(value);
    }

    public int length() {
        return value.remaining();
    }

    public byte[] bytes() {
        byte[] out = new byte[value.remaining()];
        value.duplicate().get(out);
        return out;
    }

    public int u8() throws NetlinkProtocolException {
        need(1);
        return value.get(0) & 0xff;
    }

    public int u16() throws NetlinkProtocolException {
        need(2);
        return value.getShort(0) & 0xffff;
    }

    public int u32() throws NetlinkProtocolException {
        need(4);
        return value.getInt(0);
    }

    public long u64() throws NetlinkProtocolException {
        need(8);
        return value.getLong(0);
    }

    public String string() {
        byte[] b = bytes();
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    private void need(int n) throws NetlinkProtocolException {
        if (value.remaining() < n) {
            throw new NetlinkProtocolException("attribute " + type + " has " + value.remaining()
                    + " bytes, expected at least " + n);
        }
    }
}
