package dev.automesh.wire;

import java.util.List;

/**
 * Byte vectors of the automesh extensions (docs/protocol.md, "Extensions"). The plaintexts were
 * written by an independent encoder (a few lines of Python struct.pack following the documented
 * layout), not by the Java code under test; the sealed packet by GossipCipher, whose sealing the
 * wgautomesh vectors check.
 */
final class ExtensionVectors {
    private ExtensionVectors() {}

    static final String PEER = Vectors.PUBKEY;
    static final long REQUEST_ID = 0x0102030405060708L;
    static final long SESSION_ID = 0x1122334455667788L;

    static final Extension CAPS = new Extension.Capabilities(1, Extension.Capabilities.FLAG_RELAY, 51821, "automesh 0.1");
    static final Extension REQUEST = new Extension.RelayRequest(REQUEST_ID, PEER);
    static final Extension READY = new Extension.RelayReady(REQUEST_ID, SESSION_ID, PEER, 51821, 60);
    static final Extension REFUSED = new Extension.RelayRefused(REQUEST_ID, PEER, Extension.Refusal.NO_TUNNEL_TO_PEER);
    static final Extension CLOSE = new Extension.RelayClose(SESSION_ID, Extension.Closing.IDLE);
    static final Extension PROBE = new Extension.ProbeDirect(SESSION_ID, 6000);
    static final Extension REPORT = new Extension.PunchReport(PEER, new java.net.InetSocketAddress("203.0.113.7", 51820), 3000);
    static final Extension NOTICE = new Extension.PunchNotice(PEER, new java.net.InetSocketAddress("2001:db8::7", 51820), 3500);

    /** A message, its extensions, and the bincode plaintext with the trailer. */
    record Vector(String name, Message message, List<Extension> extensions, String plaintext) {
        byte[] bytes() { return Vectors.HEX.parseHex(plaintext); }
    }

    static final List<Vector> ALL = List.of(
            new Vector("Ping+Capabilities", new Message.Ping(), List.of(CAPS),
                    "00000000414d5801011300010001006dca0c6175746f6d65736820302e31"),
            new Vector("Pong+Capabilities", new Message.Pong(), List.of(CAPS),
                    "01000000414d5801011300010001006dca0c6175746f6d65736820302e31"),
            new Vector("Pong+RelayRequest", new Message.Pong(), List.of(REQUEST),
                    "01000000414d58011028000807060504030201ecd9bba4c9b24bb36db35301fa5a320fcbbce0e0f11cf4e40eefaea9047ac839"),
            new Vector("Pong+RelayReady", new Message.Pong(), List.of(READY),
                    "01000000414d580111340008070605040302018877665544332211ecd9bba4c9b24bb36db35301fa5a320fcbbce0e0f11cf4e40eefaea9047ac8396dca3c00"),
            new Vector("Pong+RelayRefused", new Message.Pong(), List.of(REFUSED),
                    "01000000414d58011229000807060504030201ecd9bba4c9b24bb36db35301fa5a320fcbbce0e0f11cf4e40eefaea9047ac83903"),
            new Vector("Pong+RelayClose", new Message.Pong(), List.of(CLOSE),
                    "01000000414d5801130900887766554433221101"),
            new Vector("Pong+ProbeDirect", new Message.Pong(), List.of(PROBE),
                    "01000000414d5801140a0088776655443322117017"),
            new Vector("Pong+PunchReport", new Message.Pong(), List.of(REPORT),
                    "01000000414d5801152900ecd9bba4c9b24bb36db35301fa5a320fcbbce0e0f11cf4e40eefaea9047ac83904cb0071076ccab80b"),
            new Vector("Pong+PunchNotice", new Message.Pong(), List.of(NOTICE),
                    "01000000414d5801163500ecd9bba4c9b24bb36db35301fa5a320fcbbce0e0f11cf4e40eefaea9047ac8390620010db80000000000000000000000076ccaac0d"),
            new Vector("Pong+Capabilities+RelayReady", new Message.Pong(), List.of(CAPS, READY),
                    "01000000414d5801011300010001006dca0c6175746f6d65736820302e3111340008070605040302018877665544332211ecd9bba4c9b24bb36db35301fa5a320fcbbce0e0f11cf4e40eefaea9047ac8396dca3c00"));

    /** Ping+Capabilities sealed with Vectors.NONCE and the key of Vectors.SECRET. */
    static final String SEALED_PING_CAPS =
            "0102030405060708090a0b0c0d0e0f1011121314151617188a39f4330c0787b1f198c7f593a20a52d74d0abc9664aea85e11973ef1c34e87429a42eaea3a9ce3d4951838ad70";

    /** A relay frame: session SESSION_ID, payload 04000000deadbeef. */
    static final String FRAME = "414d5201887766554433221104000000deadbeef";
    static final String FRAME_PAYLOAD = "04000000deadbeef";
}
