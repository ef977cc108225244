package dev.automesh.wire;

import dev.automesh.wire.DecodeException.Kind;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The automesh extension trailer, appended after a complete standard message:
 * {@code "AMX" version(u8) item*}, each item {@code type(u8) length(u16 LE) value}, integers
 * little-endian as in bincode. Bytes that do not start with the magic, or carry another version, are
 * not ours and are ignored as wgautomesh ignores them. Ours are decoded strictly: every known item has
 * its exact length, the items fill the trailer exactly; unknown item types are skipped (a newer
 * automesh may add some within a version).
 */
public final class Trailer {
    static final byte[] MAGIC = {'A', 'M', 'X'};
    public static final int HEADER = MAGIC.length + 1;
    public static final int MAX_ITEMS = 16;

    /** What a trailer turned out to be. */
    public enum Status { NONE, EXTENSIONS, IGNORED }

    /** The decoded trailer: its status, the known items in order, and how many unknown items were skipped. */
    public record Decoded(Status status, List<Extension> extensions, int skippedItems) {
        public Decoded {
            extensions = List.copyOf(extensions);
        }

        static final Decoded NONE = new Decoded(Status.NONE, List.of(), 0);
        static final Decoded IGNORED = new Decoded(Status.IGNORED, List.of(), 0);
    }

    private Trailer() {}

    public static byte[] encode(List<? extends Extension> items) {
        if (items.isEmpty()) throw new IllegalArgumentException("a trailer carries at least one extension");
        if (items.size() > MAX_ITEMS) throw new IllegalArgumentException("at most " + MAX_ITEMS + " extensions");
        ByteBuffer b = ByteBuffer.allocate(HEADER + items.size() * (3 + 128)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) Extension.VERSION);
        for (Extension e : items) {
            b.put((byte) e.type());
            int lengthAt = b.position();
            b.putShort((short) 0);
            int start = b.position();
            value(b, e);
            b.putShort(lengthAt, (short) (b.position() - start));
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    private static void value(ByteBuffer b, Extension e) {
        if (e instanceof Extension.Capabilities c) {
            byte[] sw = c.software().getBytes(StandardCharsets.UTF_8);
            b.putShort((short) c.version()).putShort((short) c.flags()).putShort((short) c.relayPort())
                    .put((byte) sw.length).put(sw);
        } else if (e instanceof Extension.RelayRequest r) {
            b.putLong(r.requestId()).put(Extension.key(r.peer()));
        } else if (e instanceof Extension.RelayReady r) {
            b.putLong(r.requestId()).putLong(r.sessionId()).put(Extension.key(r.peer()))
                    .putShort((short) r.relayPort()).putShort((short) r.idleTimeoutSeconds());
        } else if (e instanceof Extension.RelayRefused r) {
            b.putLong(r.requestId()).put(Extension.key(r.peer())).put((byte) r.reason());
        } else if (e instanceof Extension.RelayClose c) {
            b.putLong(c.sessionId()).put((byte) c.reason());
        } else if (e instanceof Extension.ProbeDirect d) {
            b.putLong(d.sessionId()).putShort((short) d.windowMillis());
        } else if (e instanceof Extension.PunchReport r) {
            punch(b, r.peer(), r.endpoint(), r.triedMillis());
        } else if (e instanceof Extension.PunchNotice n) {
            punch(b, n.peer(), n.endpoint(), n.triedMillis());
        } else {
            throw new AssertionError("sealed: " + e);
        }
    }

    /** key, family (4 or 6), address, port, triedMillis: 39 bytes for IPv4, 51 for IPv6. */
    private static void punch(ByteBuffer b, String peer, InetSocketAddress at, int triedMillis) {
        byte[] a = at.getAddress().getAddress();
        b.put(Extension.key(peer)).put((byte) (a.length == 4 ? 4 : 6)).put(a)
                .putShort((short) at.getPort()).putShort((short) triedMillis);
    }

    private static InetSocketAddress endpoint(ByteBuffer v, String what, int at) throws DecodeException {
        int family = Byte.toUnsignedInt(v.get());
        int n = family == 4 ? 4 : family == 6 ? 16 : -1;
        if (n < 0) throw bad(what + " at trailer byte " + at + ": address family " + family + ", expected 4 or 6");
        exactly(v, n + 4, what, at);
        byte[] a = new byte[n];
        v.get(a);
        try {
            // getByAddress keeps an IPv4-mapped IPv6 address as IPv4, the same endpoint WireGuard would use
            return new InetSocketAddress(InetAddress.getByAddress(a), Short.toUnsignedInt(v.getShort()));
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes", e);
        }
    }

    /** Decodes the bytes after a complete message (possibly none). */
    public static Decoded decode(byte[] bytes, int offset, int length) throws DecodeException {
        if (length == 0) return Decoded.NONE;
        if (length < HEADER || bytes[offset] != MAGIC[0] || bytes[offset + 1] != MAGIC[1]
                || bytes[offset + 2] != MAGIC[2] || bytes[offset + 3] != Extension.VERSION) {
            return Decoded.IGNORED;
        }
        if (length == HEADER) throw bad("trailer without items");
        ByteBuffer b = ByteBuffer.wrap(bytes, offset + HEADER, length - HEADER).slice().order(ByteOrder.LITTLE_ENDIAN);
        List<Extension> items = new ArrayList<>();
        int skipped = 0;
        boolean capabilities = false;
        while (b.hasRemaining()) {
            int at = b.position() + HEADER;
            if (items.size() + skipped == MAX_ITEMS) throw bad("more than " + MAX_ITEMS + " items at trailer byte " + at);
            if (b.remaining() < 3) throw truncated("item header", at, 3, b.remaining());
            int type = Byte.toUnsignedInt(b.get());
            int len = Short.toUnsignedInt(b.getShort());
            if (b.remaining() < len) throw truncated("item 0x" + Integer.toHexString(type) + " value", at + 3, len, b.remaining());
            ByteBuffer v = b.slice(b.position(), len).order(ByteOrder.LITTLE_ENDIAN);
            b.position(b.position() + len);
            Extension e = item(type, v, at);
            if (e == null) {
                skipped++;
                continue;
            }
            if (e instanceof Extension.Capabilities) {
                if (capabilities) throw bad("second Capabilities item at trailer byte " + at);
                capabilities = true;
            }
            items.add(e);
        }
        return new Decoded(Status.EXTENSIONS, items, skipped);
    }

    /** One item's value, exactly; null for a type this version does not know. */
    private static Extension item(int type, ByteBuffer v, int at) throws DecodeException {
        try {
            return switch (type) {
                case 0x01 -> {
                    atLeast(v, 7, "Capabilities", at);
                    int version = Short.toUnsignedInt(v.getShort());
                    int flags = Short.toUnsignedInt(v.getShort());
                    int port = Short.toUnsignedInt(v.getShort());
                    int n = Byte.toUnsignedInt(v.get());
                    exactly(v, n, "Capabilities.software", at);
                    if (n > Extension.Capabilities.MAX_SOFTWARE) throw bad("Capabilities.software longer than "
                            + Extension.Capabilities.MAX_SOFTWARE + " bytes at trailer byte " + at);
                    String sw;
                    try {
                        sw = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(v).toString();
                    } catch (CharacterCodingException e) {
                        throw new DecodeException(Kind.BAD_UTF8, "Capabilities.software at trailer byte " + at
                                + " is not valid UTF-8");
                    }
                    yield new Extension.Capabilities(version, flags, port, sw);
                }
                case 0x10 -> {
                    exactly(v, 40, "RelayRequest", at);
                    yield new Extension.RelayRequest(v.getLong(), key(v));
                }
                case 0x11 -> {
                    exactly(v, 52, "RelayReady", at);
                    yield new Extension.RelayReady(v.getLong(), v.getLong(), key(v),
                            Short.toUnsignedInt(v.getShort()), Short.toUnsignedInt(v.getShort()));
                }
                case 0x12 -> {
                    exactly(v, 41, "RelayRefused", at);
                    yield new Extension.RelayRefused(v.getLong(), key(v), Byte.toUnsignedInt(v.get()));
                }
                case 0x13 -> {
                    exactly(v, 9, "RelayClose", at);
                    yield new Extension.RelayClose(v.getLong(), Byte.toUnsignedInt(v.get()));
                }
                case 0x14 -> {
                    exactly(v, 10, "ProbeDirect", at);
                    yield new Extension.ProbeDirect(v.getLong(), Short.toUnsignedInt(v.getShort()));
                }
                case 0x15, 0x16 -> {
                    String what = type == 0x15 ? "PunchReport" : "PunchNotice";
                    atLeast(v, 33, what, at);
                    String peer = key(v);
                    InetSocketAddress ep = endpoint(v, what, at);
                    int tried = Short.toUnsignedInt(v.getShort());
                    yield type == 0x15 ? new Extension.PunchReport(peer, ep, tried) : new Extension.PunchNotice(peer, ep, tried);
                }
                default -> null;
            };
        } catch (IllegalArgumentException e) {
            throw bad("item 0x" + Integer.toHexString(type) + " at trailer byte " + at + ": " + e.getMessage());
        }
    }

    private static String key(ByteBuffer v) {
        byte[] raw = new byte[32];
        v.get(raw);
        return Base64.getEncoder().encodeToString(raw);
    }

    private static void exactly(ByteBuffer v, int n, String what, int at) throws DecodeException {
        if (v.remaining() != n) throw bad(what + " at trailer byte " + at + ": value is " + v.remaining()
                + " bytes, expected " + n);
    }

    private static void atLeast(ByteBuffer v, int n, String what, int at) throws DecodeException {
        if (v.remaining() < n) throw bad(what + " at trailer byte " + at + ": value is " + v.remaining()
                + " bytes, expected at least " + n);
    }

    private static DecodeException truncated(String what, int at, int need, int have) {
        return new DecodeException(Kind.TRUNCATED, "trailer " + what + " at byte " + at + ": needs " + need
                + " bytes but only " + have + " remain");
    }

    private static DecodeException bad(String message) {
        return new DecodeException(Kind.BAD_EXTENSION, message);
    }
}
