package dev.automesh.wire;

import dev.automesh.wire.DecodeException.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * bincode 1.x encoding of {@link Message}, as wgautomesh's serde derive produces it: u32 variant
 * index, then the fields in order. Decoding is total over untrusted input: it returns a message or
 * throws {@link DecodeException}, nothing else.
 */
public final class WireCodec {
    /** wgautomesh receives into a 1500-byte buffer: a sealed datagram must not be longer. */
    public static final int MAX_DATAGRAM = 1500;

    private WireCodec() {}

    public static byte[] encode(Message message) {
        BincodeWriter w = new BincodeWriter(64);
        w.u32(message.variant());
        // Java 17: no pattern switch; the sealed hierarchy has only these two variants with fields.
        if (message instanceof Message.Announce a) {
            w.string(a.pubkey());
            w.count(a.endpoints().size());
            for (TimedEndpoint e : a.endpoints()) w.timedEndpoint(e);
        } else if (message instanceof Message.LanBroadcast b) {
            w.string(b.pubkey());
            w.u16(b.listenPort());
        }
        return w.toBytes();
    }

    /** A standard message with an automesh extension trailer after it (wgautomesh ignores the trailer). */
    public static byte[] encode(Message message, List<? extends Extension> extensions) {
        byte[] m = encode(message);
        if (extensions.isEmpty()) return m;
        byte[] t = Trailer.encode(extensions);
        byte[] out = java.util.Arrays.copyOf(m, m.length + t.length);
        System.arraycopy(t, 0, out, m.length, t.length);
        return out;
    }

    /** A message and what followed it: automesh extensions, nothing, or bytes that are not ours. */
    public record Datagram(Message message, Trailer.Decoded trailer) {
        public List<Extension> extensions() {
            return trailer.extensions();
        }
    }

    /**
     * Decodes one message and its trailer. Bytes after the message that are not an automesh trailer
     * (other magic, other version) are ignored as {@link #decode} ignores them; an automesh trailer that
     * is malformed fails the whole datagram, since only automesh writes that magic.
     */
    public static Datagram decodeDatagram(byte[] bytes, int offset, int length) throws DecodeException {
        BincodeReader r = new BincodeReader(bytes, offset, length);
        Message m = decode(r);
        int end = r.offset();
        return new Datagram(m, Trailer.decode(bytes, offset + end, length - end));
    }

    /** Decodes one message; trailing bytes are ignored, as wgautomesh does. */
    public static Message decode(byte[] bytes, int offset, int length) throws DecodeException {
        return decode(new BincodeReader(bytes, offset, length));
    }

    private static Message decode(BincodeReader r) throws DecodeException {
        long variant = r.u32("message variant");
        if (variant > 4) {
            throw new DecodeException(Kind.UNKNOWN_VARIANT, "message variant " + variant
                    + " is unknown (wgautomesh 0.1 knows 0..4)");
        }
        return switch ((int) variant) {
            case 0 -> new Message.Ping();
            case 1 -> new Message.Pong();
            case 2 -> {
                String pubkey = r.string("Announce.pubkey");
                int n = r.count("Announce.endpoints", BincodeReader.MIN_TIMED_ENDPOINT_SIZE);
                List<TimedEndpoint> endpoints = new ArrayList<>(n);
                for (int i = 0; i < n; i++) endpoints.add(r.timedEndpoint("Announce.endpoints[" + i + "]"));
                yield new Message.Announce(pubkey, endpoints);
            }
            case 3 -> new Message.Request();
            case 4 -> {
                String pubkey = r.string("LanBroadcast.pubkey");
                int port = r.u16("LanBroadcast.listen_port");
                yield new Message.LanBroadcast(pubkey, port);
            }
            default -> throw new AssertionError("variant checked above: " + variant);
        };
    }

    public static Message decode(byte[] bytes) throws DecodeException {
        return decode(bytes, 0, bytes.length);
    }
}
