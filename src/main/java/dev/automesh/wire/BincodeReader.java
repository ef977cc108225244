package dev.automesh.wire;

import com.esotericsoftware.kryo.io.Input;
import dev.automesh.wire.DecodeException.Kind;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Reads bincode 1.x (fixed-width little-endian integers, u64 lengths) from untrusted bytes with a
 * Kryo {@link Input} over an array. Every read first checks what remains, so Kryo never runs past the
 * limit; every length is checked against the remaining bytes before anything is allocated, so a
 * hostile length can never make us allocate more than the input itself. All failures are
 * {@link DecodeException}s naming the field and byte offset. Not thread-safe (one per decode).
 */
public final class BincodeReader {
    /** Smallest bincode (SocketAddr, u64): V4 variant u32 + 4 octets + port u16 + u64. */
    public static final int MIN_TIMED_ENDPOINT_SIZE = 4 + 4 + 2 + 8;

    private final Input input;
    private final int start;

    public BincodeReader(byte[] bytes, int offset, int length) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.checkFromIndexSize(offset, length, bytes.length);
        this.input = new Input(bytes, offset, length);
        this.start = offset;
    }

    public int remaining() {
        return input.limit() - input.position();
    }

    /** Offset from the start of the decoded region, for error messages. */
    public int offset() {
        return input.position() - start;
    }

    private void need(int bytes, String field) throws DecodeException {
        if (remaining() < bytes) {
            throw new DecodeException(Kind.TRUNCATED, field + ": needs " + bytes + " bytes at byte " + offset()
                    + " but only " + remaining() + " remain");
        }
    }

    public int u16(String field) throws DecodeException {
        need(2, field);
        return input.readShortUnsigned(); // little-endian, checked in Kryo 5.6 sources
    }

    /** A u32 as a non-negative long (bincode enum variant indices are u32). */
    public long u32(String field) throws DecodeException {
        need(4, field);
        return Integer.toUnsignedLong(input.readInt()); // little-endian fixed width
    }

    /** A u64 in a long's 64 bits; values of 2^63 and above come out negative (compare unsigned). */
    public long u64(String field) throws DecodeException {
        need(8, field);
        return input.readLong(); // little-endian fixed width
    }

    /** bincode String: u64 byte length then UTF-8, decoded strictly (malformed input is an error). */
    public String string(String field) throws DecodeException {
        int at = offset();
        long len = u64(field + " length");
        if (Long.compareUnsigned(len, remaining()) > 0) {
            throw new DecodeException(Kind.BAD_LENGTH, field + ": string length " + Long.toUnsignedString(len)
                    + " at byte " + at + " exceeds the " + remaining() + " bytes that remain");
        }
        int n = (int) len;
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer chars;
        try {
            chars = utf8.decode(ByteBuffer.wrap(input.getBuffer(), input.position(), n));
        } catch (CharacterCodingException e) {
            throw new DecodeException(Kind.BAD_UTF8, field + ": the " + n + " bytes at byte " + offset()
                    + " are not valid UTF-8");
        }
        input.setPosition(input.position() + n);
        return chars.toString();
    }

    /**
     * bincode Vec/Map length (u64), checked to be possible: {@code count * minItemSize} must fit in
     * what remains, so a caller may size a collection by it without over-allocating.
     */
    public int count(String field, int minItemSize) throws DecodeException {
        if (minItemSize < 1) throw new IllegalArgumentException("minItemSize " + minItemSize);
        int at = offset();
        long n = u64(field + " count");
        if (Long.compareUnsigned(n, remaining() / minItemSize) > 0) {
            throw new DecodeException(Kind.BAD_LENGTH, field + ": count " + Long.toUnsignedString(n) + " at byte "
                    + at + " cannot fit in the " + remaining() + " bytes that remain");
        }
        return (int) n;
    }

    /** serde's non-human-readable SocketAddr: u32 variant (0 = V4, 1 = V6), octets, port u16 LE. */
    public InetSocketAddress socketAddr(String field) throws DecodeException {
        int at = offset();
        long variant = u32(field + " variant");
        byte[] octets;
        if (variant == 0) {
            octets = bytes(4, field + " IPv4 octets");
        } else if (variant == 1) {
            octets = bytes(16, field + " IPv6 octets");
        } else {
            throw new DecodeException(Kind.BAD_ADDRESS, field + ": SocketAddr variant " + variant + " at byte " + at
                    + " is neither 0 (V4) nor 1 (V6)");
        }
        int port = u16(field + " port");
        InetAddress ip;
        try {
            // Inet6Address.getByAddress keeps an IPv4-mapped V6 address as V6 (InetAddress.getByAddress
            // would turn it into V4 and change its encoding); scope -1 = none, as on the wire.
            ip = octets.length == 4 ? Inet4Address.getByAddress(octets) : Inet6Address.getByAddress(null, octets, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError("octet count is 4 or 16 here", e);
        }
        return new InetSocketAddress(ip, port);
    }

    /** (SocketAddr, u64). */
    public TimedEndpoint timedEndpoint(String field) throws DecodeException {
        InetSocketAddress addr = socketAddr(field + ".address");
        long t = u64(field + ".time");
        return new TimedEndpoint(addr, t);
    }

    private byte[] bytes(int n, String field) throws DecodeException {
        need(n, field);
        byte[] b = new byte[n];
        input.readBytes(b, 0, n);
        return b;
    }
}
