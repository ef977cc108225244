package dev.automesh.wire;

import com.esotericsoftware.kryo.io.Output;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Writes bincode 1.x with a growing Kryo {@link Output}. Kryo 5's writeShort/writeInt/writeLong are
 * fixed-width little-endian (checked in the 5.6.0 sources), which is exactly bincode's default
 * integer encoding; the var-length methods are never used. Not thread-safe (one per encode).
 */
public final class BincodeWriter {
    private final Output output;

    public BincodeWriter(int initialSize) {
        this.output = new Output(initialSize, -1);
    }

    public BincodeWriter u16(int v) {
        if (v < 0 || v > 0xFFFF) throw new IllegalArgumentException("not a u16: " + v);
        output.writeShort(v);
        return this;
    }

    public BincodeWriter u32(int v) {
        output.writeInt(v);
        return this;
    }

    public BincodeWriter u64(long v) {
        output.writeLong(v);
        return this;
    }

    /**
     * u64 byte length then UTF-8. A string that is not valid Unicode (an unpaired surrogate) is
     * refused rather than silently replaced, so what we send always decodes back to what we meant.
     */
    public BincodeWriter string(String s) {
        ByteBuffer utf8;
        try {
            utf8 = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("string is not valid Unicode (unpaired surrogate): " + e.getMessage());
        }
        int n = utf8.remaining();
        u64(n);
        output.writeBytes(utf8.array(), utf8.arrayOffset() + utf8.position(), n);
        return this;
    }

    public BincodeWriter count(int n) {
        return u64(n);
    }

    /** serde SocketAddr: u32 variant (0 = V4, 1 = V6), octets, port; V6 flow info and scope are not sent. */
    public BincodeWriter socketAddr(java.net.InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        if (ip == null) throw new IllegalArgumentException("unresolved address " + a);
        if (ip instanceof Inet4Address) {
            u32(0);
        } else if (ip instanceof Inet6Address) {
            u32(1);
        } else {
            throw new IllegalArgumentException("unknown address family " + ip);
        }
        output.writeBytes(ip.getAddress());
        return u16(a.getPort());
    }

    public BincodeWriter timedEndpoint(TimedEndpoint e) {
        socketAddr(e.address());
        return u64(e.unixSeconds());
    }

    public byte[] toBytes() {
        return output.toBytes();
    }
}
