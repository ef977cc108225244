package dev.automesh.net;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * Tells when this host's addresses, routes or links change: an rtnetlink socket subscribed to link,
 * IPv4/IPv6 address and route events, read on its own thread. A burst of events (a DHCP lease brings
 * an address, a route and a link change at once) is reported once, after {@link #QUIET_MS} of calm,
 * as one line naming what changed. Events about the WireGuard interface itself are left out: its
 * own routes and addresses say nothing about the paths to the peers.
 */
public final class NetworkMonitor implements AutoCloseable {
    static final int QUIET_MS = 200;
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_ROUTE = 0;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int ENOBUFS = 105;
    static final int GROUPS = 0x1 /* LINK */ | 0x10 /* IPV4_IFADDR */ | 0x40 /* IPV4_ROUTE */ | 0x100 /* IPV6_IFADDR */
            | 0x400 /* IPV6_ROUTE */;
    static final int RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_NEWADDR = 20, RTM_DELADDR = 21, RTM_NEWROUTE = 24,
            RTM_DELROUTE = 25;
    private static final int RTA_OIF = 4;

    private static final class LibC {
        static {
            Native.register(NativeLibrary.getInstance("c"));
        }

        static native int socket(int domain, int type, int protocol) throws LastErrorException;

        static native int bind(int fd, byte[] addr, int len) throws LastErrorException;

        static native int setsockopt(int fd, int level, int name, byte[] val, int len) throws LastErrorException;

        static native long recv(int fd, byte[] buf, long len, int flags) throws LastErrorException;

        static native int close(int fd) throws LastErrorException;
    }

    private final int fd;
    private final int ignoredIfIndex;
    private final Consumer<String> onChange;
    private final Thread thread;
    private volatile boolean closed;

    private NetworkMonitor(int fd, int ignoredIfIndex, Consumer<String> onChange) {
        this.fd = fd;
        this.ignoredIfIndex = ignoredIfIndex;
        this.onChange = onChange;
        this.thread = new Thread(this::run, "automesh-netmon");
        this.thread.setDaemon(true);
    }

    /**
     * Subscribes and starts the reading thread.
     *
     * @param ignoredIfIndex the WireGuard interface's index (0: none), whose own events are not reported
     * @param onChange       called on the monitor's thread with what changed; must not block
     */
    public static NetworkMonitor start(int ignoredIfIndex, Consumer<String> onChange) throws IOException {
        int fd;
        try {
            fd = LibC.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        } catch (LastErrorException e) {
            throw new IOException("socket(AF_NETLINK, NETLINK_ROUTE) failed: errno " + e.getErrorCode(), e);
        }
        try {
            ByteBuffer sa = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder());
            sa.putShort((short) AF_NETLINK).putShort((short) 0).putInt(0).putInt(GROUPS);
            LibC.bind(fd, sa.array(), 12);
            ByteBuffer tv = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            tv.putLong(0).putLong(QUIET_MS * 1000L);
            LibC.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv.array(), 16);
        } catch (LastErrorException e) {
            LibC.close(fd);
            throw new IOException("cannot subscribe to rtnetlink address and route events: errno " + e.getErrorCode(), e);
        }
        NetworkMonitor m = new NetworkMonitor(fd, ignoredIfIndex, onChange);
        m.thread.start();
        return m;
    }

    private void run() {
        byte[] buf = new byte[64 * 1024];
        String pending = null;
        while (!closed) {
            long n;
            try {
                n = LibC.recv(fd, buf, buf.length, 0);
            } catch (LastErrorException e) {
                int err = e.getErrorCode();
                if (err == EAGAIN) { // calm for QUIET_MS: report the burst
                    if (pending != null && !closed) onChange.accept(pending);
                    pending = null;
                    continue;
                }
                if (err == EINTR) continue;
                if (err == ENOBUFS) { // events were lost while we were slow: something changed
                    pending = "network events (some were dropped)";
                    continue;
                }
                if (!closed) onChange.accept("netlink monitor stopped: errno " + err);
                return;
            }
            String what = describe(ByteBuffer.wrap(buf, 0, (int) Math.min(n, buf.length)).order(ByteOrder.nativeOrder()), ignoredIfIndex);
            if (what != null) pending = pending == null ? what : pending.contains(what) ? pending : pending + ", " + what;
        }
    }

    /** What a datagram of rtnetlink messages changed, or null when it is only about the ignored interface. */
    static String describe(ByteBuffer b, int ignoredIfIndex) {
        StringBuilder sb = new StringBuilder();
        while (b.remaining() >= 16) {
            int start = b.position();
            int len = b.getInt(start);
            int type = b.getShort(start + 4) & 0xffff;
            if (len < 16 || len > b.remaining()) break;
            int ifIndex = ifIndexOf(b, start, len, type);
            String what = switch (type) {
                case RTM_NEWLINK, RTM_DELLINK -> "link";
                case RTM_NEWADDR -> "address added";
                case RTM_DELADDR -> "address removed";
                case RTM_NEWROUTE, RTM_DELROUTE -> "routes";
                default -> null;
            };
            if (what != null && (ignoredIfIndex == 0 || ifIndex != ignoredIfIndex) && sb.indexOf(what) < 0) {
                if (sb.length() > 0) sb.append(", ");
                sb.append(what);
            }
            b.position(start + ((len + 3) & ~3));
            if (b.position() > b.limit()) break;
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /** The interface a message is about (0 when it does not say). */
    private static int ifIndexOf(ByteBuffer b, int start, int len, int type) {
        int body = start + 16;
        switch (type) {
            case RTM_NEWLINK, RTM_DELLINK: // ifinfomsg: family, pad, type(2), index(4)
                return len >= 16 + 8 ? b.getInt(body + 4) : 0;
            case RTM_NEWADDR, RTM_DELADDR: // ifaddrmsg: family, prefixlen, flags, scope, index(4)
                return len >= 16 + 8 ? b.getInt(body + 4) : 0;
            case RTM_NEWROUTE, RTM_DELROUTE: { // rtmsg (12 bytes), then attributes; RTA_OIF names the interface
                int at = body + 12;
                while (at + 4 <= start + len) {
                    int alen = b.getShort(at) & 0xffff;
                    int atype = b.getShort(at + 2) & 0xffff;
                    if (alen < 4) break;
                    if (atype == RTA_OIF && alen >= 8) return b.getInt(at + 4);
                    at += (alen + 3) & ~3;
                }
                return 0;
            }
            default:
                return 0;
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            thread.join(QUIET_MS * 3L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            LibC.close(fd);
        } catch (LastErrorException ignored) {
            // gone either way
        }
    }
}
