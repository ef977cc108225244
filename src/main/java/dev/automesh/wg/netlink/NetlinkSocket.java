package dev.automesh.wg.netlink;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A NETLINK_GENERIC socket through libc (JNA direct mapping). Opened once and reused; not
 * thread-safe. recv has a timeout so a kernel that never answers cannot hang the caller forever.
 */
public final class NetlinkSocket implements AutoCloseable {
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_GENERIC = 16;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int MSG_TRUNC = 0x20;
    static final int EINTR = 4;
    static final int EAGAIN = 11;

    /** libc, bound once per JVM (JNA registers natives on the class, not in a mutable static). */
    private static final class LibC {
        static {
            Native.register(NativeLibrary.getInstance("c"));
        }

        static native int socket(int domain, int type, int protocol) throws LastErrorException;

        static native int bind(int fd, byte[] addr, int len) throws LastErrorException;

        static native int setsockopt(int fd, int level, int name, byte[] val, int len) throws LastErrorException;

        static native long send(int fd, byte[] buf, long len, int flags) throws LastErrorException;

        static native long recv(int fd, byte[] buf, long len, int flags) throws LastErrorException;

        static native int close(int fd) throws LastErrorException;
    }

    private final byte[] rx;
    private int fd;

    private NetlinkSocket(int fd, int rxSize) {
        this.fd = fd;
        this.rx = new byte[rxSize];
    }

    /** Opens and binds the socket (the kernel assigns the port id); {@code timeoutMillis} bounds recv. */
    public static NetlinkSocket open(int timeoutMillis) throws IOException {
        int fd;
        try {
            fd = LibC.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
        } catch (LastErrorException e) {
            throw new IOException("socket(AF_NETLINK, NETLINK_GENERIC) failed: errno " + e.getErrorCode(), e);
        }
        try {
            ByteBuffer sa = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder());
            sa.putShort((short) AF_NETLINK); // nl_family; nl_pad, nl_pid = 0 (kernel assigns), nl_groups = 0
            LibC.bind(fd, sa.array(), 12);
            ByteBuffer tv = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            tv.putLong(timeoutMillis / 1000).putLong((timeoutMillis % 1000) * 1000L);
            LibC.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv.array(), 16);
        } catch (LastErrorException e) {
            LibC.close(fd);
            throw new IOException("cannot set up the netlink socket: errno " + e.getErrorCode(), e);
        }
        // Dump replies are at most ~32 KiB per datagram on current kernels; 64 KiB leaves headroom.
        return new NetlinkSocket(fd, 64 * 1024);
    }

    public void send(byte[] message) throws IOException {
        ensureOpen();
        while (true) {
            try {
                long n = LibC.send(fd, message, message.length, 0);
                if (n != message.length) throw new IOException("short netlink send: " + n + " of " + message.length);
                return;
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EINTR) continue;
                throw new IOException("netlink send failed: errno " + e.getErrorCode(), e);
            }
        }
    }

    /** Receives one datagram (possibly several messages); a view valid until the next receive. */
    public ByteBuffer receive() throws IOException {
        ensureOpen();
        while (true) {
            try {
                long n = LibC.recv(fd, rx, rx.length, MSG_TRUNC);
                if (n > rx.length) throw new IOException("netlink datagram of " + n + " bytes truncated to " + rx.length);
                return ByteBuffer.wrap(rx, 0, (int) n).slice().order(ByteOrder.nativeOrder());
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EINTR) continue;
                if (e.getErrorCode() == EAGAIN) throw new IOException("no netlink reply from the kernel within the timeout");
                throw new IOException("netlink recv failed: errno " + e.getErrorCode(), e);
            }
        }
    }

    private void ensureOpen() throws IOException {
        if (fd < 0) throw new IOException("netlink socket is closed");
    }

    @Override
    public void close() {
        if (fd >= 0) {
            try {
                LibC.close(fd);
            } catch (LastErrorException ignored) {
                // nothing to do: the descriptor is gone either way
            }
            fd = -1;
        }
    }
}
