package dev.automesh.wg.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds one netlink message (nlmsghdr + genlmsghdr + attributes) in native byte order with 4-byte
 * NLA alignment. Nested attributes are opened with {@link #beginNested} and closed with
 * {@link #endNested}, which patches their length. {@link #mark}/{@link #rewind} let a caller undo
 * what did not fit in a message budget.
 */
public final class NlMessageBuilder {
    private ByteBuffer buf;

    public NlMessageBuilder(int type, int flags, int seq) {
        buf = ByteBuffer.allocate(1024).order(ByteOrder.nativeOrder());
        buf.putInt(0); // length, patched in build()
        buf.putShort((short) type);
        buf.putShort((short) flags);
        buf.putInt(seq);
        buf.putInt(0); // port id: 0 = to the kernel
    }

    /** The generic-netlink header that follows nlmsghdr. */
    public NlMessageBuilder genl(int cmd, int version) {
        ensure(4);
        buf.put((byte) cmd).put((byte) version).putShort((short) 0);
        return this;
    }

    public NlMessageBuilder attr(int type, byte[] value) {
        int len = Netlink.NLA_HDRLEN + value.length;
        ensure(Netlink.align(len));
        buf.putShort((short) len).putShort((short) type).put(value);
        pad();
        return this;
    }

    public NlMessageBuilder u8(int type, int v) {
        return attr(type, new byte[] {(byte) v});
    }

    public NlMessageBuilder u16(int type, int v) {
        return attr(type, ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short) v).array());
    }

    public NlMessageBuilder u32(int type, int v) {
        return attr(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array());
    }

    /** A NUL-terminated string attribute (NLA_NUL_STRING / NLA_STRING both accept it). */
    public NlMessageBuilder string(int type, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return attr(type, Arrays.copyOf(b, b.length + 1));
    }

    /** Opens a nested attribute; returns the handle to pass to {@link #endNested}. */
    public int beginNested(int type) {
        ensure(Netlink.NLA_HDRLEN);
        int start = buf.position();
        buf.putShort((short) 0).putShort((short) (type | Netlink.NLA_F_NESTED));
        return start;
    }

    public void endNested(int handle) {
        buf.putShort(handle, (short) (buf.position() - handle));
    }

    /** Current size in bytes, as the message would be if built now. */
    public int size() {
        return buf.position();
    }

    public int mark() {
        return buf.position();
    }

    /** Drops everything written after {@code mark}. */
    public void rewind(int mark) {
        buf.position(mark);
    }

    public byte[] build() {
        byte[] out = Arrays.copyOf(buf.array(), buf.position());
        ByteBuffer.wrap(out).order(ByteOrder.nativeOrder()).putInt(0, out.length);
        return out;
    }

    private void pad() {
        while ((buf.position() & 3) != 0) buf.put((byte) 0);
    }

    private void ensure(int n) {
        if (buf.remaining() >= n) return;
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n))
                .order(ByteOrder.nativeOrder());
        buf.flip();
        bigger.put(buf);
        buf = bigger;
    }
}
