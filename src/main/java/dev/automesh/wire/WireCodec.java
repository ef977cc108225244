package dev.automesh.wire;

/** bincode 1.x encoding of {@link Message}, as wgautomesh's serde derive produces it. Owner: wire. */
public final class WireCodec {
    private WireCodec() {}

    public static byte[] encode(Message message) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Decodes one message; trailing bytes are ignored, as wgautomesh does. */
    public static Message decode(byte[] bytes, int offset, int length) throws DecodeException {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
