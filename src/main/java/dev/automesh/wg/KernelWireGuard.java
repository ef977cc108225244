package dev.automesh.wg;

import static dev.automesh.wg.netlink.Netlink.*;

import dev.automesh.wg.WireGuardException.Reason;
import dev.automesh.wg.netlink.NetlinkProtocolException;
import dev.automesh.wg.netlink.NetlinkSocket;
import dev.automesh.wg.netlink.NlMessage;
import dev.automesh.wg.netlink.WgNetlinkCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Kernel WireGuard over generic netlink (JNA to libc). {@link #open} creates the socket and resolves
 * the `wireguard` family once; reads are one GET_DEVICE dump, applies are SET_DEVICE messages split
 * to fit {@link WgNetlinkCodec#DEFAULT_MESSAGE_BUDGET}, each acknowledged. The interface is addressed
 * by name, so it may disappear and come back between calls.
 */
public final class KernelWireGuard implements WireGuard {
    private static final int ENOENT = 2;
    private static final int EPERM = 1;
    private static final int EACCES = 13;
    private static final int ENODEV = 19;
    private static final int EINVAL = 22;
    private static final int EOPNOTSUPP = 95;
    private static final int RECV_TIMEOUT_MS = 10_000;

    private final String iface;
    private final NetlinkSocket socket;
    private final int budget;
    private int family = -1; // resolved once in open()
    private int seq;

    private KernelWireGuard(String iface, NetlinkSocket socket, int budget) {
        this.iface = iface;
        this.socket = socket;
        this.budget = budget;
        this.seq = (int) (System.nanoTime() & 0x3fffffff); // fresh per socket, distinct from stale replies
    }

    public static KernelWireGuard open(String iface) throws WireGuardException {
        return open(iface, WgNetlinkCodec.DEFAULT_MESSAGE_BUDGET);
    }

    /** With an explicit SET_DEVICE message budget (bytes); small budgets force splitting. */
    public static KernelWireGuard open(String iface, int messageBudget) throws WireGuardException {
        if (iface.isEmpty() || iface.length() > 15 || iface.contains("/") || iface.contains(" ")) {
            throw new WireGuardException(Reason.INVALID, "invalid interface name '" + iface
                    + "' (1-15 characters, no '/' or spaces)");
        }
        NetlinkSocket s;
        try {
            s = NetlinkSocket.open(RECV_TIMEOUT_MS);
        } catch (IOException e) {
            throw new WireGuardException(Reason.IO, "interface " + iface + ": " + e.getMessage(), e);
        } catch (LinkageError e) { // JNA or libc missing, or its initializer failed
            throw new WireGuardException(Reason.IO, "interface " + iface + ": cannot load libc through JNA: " + e, e);
        }
        KernelWireGuard wg = new KernelWireGuard(iface, s, messageBudget);
        try {
            wg.family = wg.resolveFamily();
            return wg;
        } catch (WireGuardException e) {
            s.close();
            throw e;
        }
    }

    private int resolveFamily() throws WireGuardException {
        int[] id = {-1};
        transact(WgNetlinkCodec.getFamilyRequest(++seq), false, m -> {
            int f = WgNetlinkCodec.familyId(m);
            if (f >= 0) id[0] = f;
        }, "resolving the wireguard netlink family");
        if (id[0] < 0) {
            throw new WireGuardException(Reason.IO, "interface " + iface
                    + ": CTRL_CMD_GETFAMILY reply for wireguard carried no family id");
        }
        return id[0];
    }

    @Override public String kind() { return "kernel"; }

    @Override
    public WgDevice read() throws WireGuardException {
        WgNetlinkCodec.DeviceAccumulator acc = new WgNetlinkCodec.DeviceAccumulator(iface);
        transact(WgNetlinkCodec.getDeviceRequest(family, ++seq, iface), true, acc::add, "reading the device");
        return acc.device();
    }

    @Override
    public void apply(List<PeerUpdate> updates) throws WireGuardException {
        if (updates.isEmpty()) return;
        List<byte[]> msgs = WgNetlinkCodec.setDeviceRequests(family, () -> ++seq, iface, updates, budget);
        for (byte[] m : msgs) {
            transact(m, false, r -> { }, "applying " + updates.size() + " peer change(s)");
        }
    }

    private interface Handler {
        void accept(NlMessage m) throws NetlinkProtocolException;
    }

    /**
     * Sends one request and reads until its end: the ACK (NLMSG_ERROR 0) of a plain request, or
     * NLMSG_DONE of a dump. Replies with another sequence number (late answers to an earlier,
     * failed call) are skipped.
     */
    private void transact(byte[] request, boolean dump, Handler onData, String what) throws WireGuardException {
        int mySeq = ByteBuffer.wrap(request).order(java.nio.ByteOrder.nativeOrder()).getInt(8);
        try {
            socket.send(request);
            while (true) {
                ByteBuffer dgram = socket.receive();
                for (NlMessage m : NlMessage.parseAll(dgram)) {
                    if (m.seq() != mySeq) continue;
                    switch (m.type()) {
                        case NLMSG_ERROR -> {
                            int err = m.errorCode();
                            if (err != 0) throw errnoException(-err, what);
                            if (!dump) return;
                        }
                        case NLMSG_DONE -> {
                            int err = m.errorCode();
                            if (err < 0) throw errnoException(-err, what);
                            if (dump) return;
                        }
                        case NLMSG_NOOP -> { }
                        case NLMSG_OVERRUN -> throw new NetlinkProtocolException("netlink overrun");
                        default -> onData.accept(m);
                    }
                }
            }
        } catch (IOException e) {
            throw new WireGuardException(Reason.IO, "interface " + iface + ": " + what + ": " + e.getMessage(), e);
        } catch (NetlinkProtocolException e) {
            throw new WireGuardException(Reason.IO, "interface " + iface + ": " + what
                    + ": malformed netlink reply: " + e.getMessage(), e);
        }
    }

    private WireGuardException errnoException(int errno, String what) {
        boolean familyLookup = family < 0;
        if (familyLookup && errno == ENOENT) {
            return new WireGuardException(Reason.NO_WIREGUARD, "interface " + iface + ": this kernel lacks"
                    + " WireGuard (modprobe wireguard, or use a userspace implementation such as wireguard-go"
                    + " with wireguard_backend = \"userspace\")");
        }
        return switch (errno) {
            case ENODEV -> new WireGuardException(Reason.NO_SUCH_DEVICE, "no WireGuard interface named "
                    + iface + " (create it first: ip link add " + iface + " type wireguard)");
            case EOPNOTSUPP -> new WireGuardException(Reason.NO_SUCH_DEVICE, "interface " + iface
                    + " exists but is not a WireGuard interface (EOPNOTSUPP)");
            case EPERM, EACCES -> new WireGuardException(Reason.NOT_PERMITTED, "interface " + iface + ": "
                    + what + " not permitted: needs CAP_NET_ADMIN (run as root or grant the capability)");
            case EINVAL -> new WireGuardException(Reason.INVALID, "interface " + iface + ": " + what
                    + ": the kernel rejected a value (EINVAL)");
            default -> new WireGuardException(Reason.IO, "interface " + iface + ": " + what
                    + ": kernel error " + errnoName(errno));
        };
    }

    private static String errnoName(int errno) {
        return switch (errno) {
            case 12 -> "ENOMEM";
            case 16 -> "EBUSY";
            case 95 -> "EOPNOTSUPP";
            case 97 -> "EAFNOSUPPORT";
            case 105 -> "ENOBUFS";
            case 90 -> "EMSGSIZE";
            default -> "errno " + errno;
        };
    }

    @Override
    public void close() {
        socket.close();
    }
}
