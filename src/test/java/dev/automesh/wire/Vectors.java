package dev.automesh.wire;

import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The byte-exact vectors of /work/shared/protocol/vectors.md (produced by real Rust code: wgautomesh's
 * Gossip enum, bincode 1.3.3, xsalsa20poly1305 0.9.1). A copy of that file is a test resource and
 * {@code VectorsCompletenessTest} checks that every hex string in it is used here.
 */
public final class Vectors {
    private Vectors() {}

    public static final HexFormat HEX = HexFormat.of();

    public static final String SECRET = "correct horse battery staple";
    public static final String KEY = "1deaacc843ae3d7b0210319c87cbf25762a6a485d0cfc21c37cf7e47d04c74a6";
    public static final String KEY_EMPTY_SECRET = "a753f67d08121a4a80863ed9e3391d1b6d15ad06b1df1c5ae9b4ba0120bc24db";
    public static final String NONCE = "0102030405060708090a0b0c0d0e0f101112131415161718";

    public static final String PUBKEY = "7Nm7pMmyS7Nts1MB+loyD8u84ODxHPTkDu+uqQR6yDk=";
    public static final List<TimedEndpoint> ENDPOINTS = List.of(
            new TimedEndpoint(new InetSocketAddress("77.207.15.215", 33722), 1700000000L),
            new TimedEndpoint(new InetSocketAddress("2001:db8::1", 51820), 1700000001L));

    /** A vector: the message, its bincode plaintext and its packet sealed with {@link #NONCE}. */
    public record Vector(String name, Message message, String plaintext, String packet) {
        public byte[] plaintextBytes() { return HEX.parseHex(plaintext); }
        public byte[] packetBytes() { return HEX.parseHex(packet); }
    }

    public static final List<Vector> MESSAGES = List.of(
            new Vector("Ping", new Message.Ping(), "00000000",
                    "0102030405060708090a0b0c0d0e0f101112131415161718be8e2cca842b0801f1280e32183a10b7d74d0abc"),
            new Vector("Pong", new Message.Pong(), "01000000",
                    "0102030405060708090a0b0c0d0e0f10111213141516171871d2e6c6ac26e3f26ca7c922eca0c4b4d64d0abc"),
            new Vector("Request", new Message.Request(), "03000000",
                    "0102030405060708090a0b0c0d0e0f101112131415161718d7595bc0fc1c99d664a44004946e2db0d44d0abc"),
            new Vector("Announce", new Message.Announce(PUBKEY, ENDPOINTS),
                    "020000002c00000000000000374e6d37704d6d7953374e7473314d422b6c6f7944387538344f44784850546b44752b757151523679446b3d0200000000000000000000004dcf0fd7ba8300f15365000000000100000020010db80000000000000000000000016cca01f1536500000000",
                    "0102030405060708090a0b0c0d0e0f1011121314151617184a89e6354c91ec5789eb9da2521186bcd54d0abcfb29f6a95f02973fc68c23ddf8db4ee6cd62bff2d4cc754aa82d9e9c11288ac91611f4d169640d76c080d5ca7574d99759ffe778a261d9593a8c3aa28971ee38c334299131a47cae61758eca4f95a0f78f5e0cbd90957e495cdf7d6d74b90e2625e13a9f12d939a758584b43"),
            new Vector("LanBroadcast", new Message.LanBroadcast(PUBKEY, 51820),
                    "040000002c00000000000000374e6d37704d6d7953374e7473314d422b6c6f7944387538344f44784850546b44752b757151523679446b3d6cca",
                    "0102030405060708090a0b0c0d0e0f101112131415161718f95a6d6e0904f3fc53a903720a6dd989d34d0abcfb29f6a95f02973fc68c23ddf8db4ee6cd62bff2d4cc754aa82d9e9c11288ac91611f4d169640d76c080d5ca7574d99759ffe778ccab"));

    /** A state file: the table and its bincode bytes. */
    public record StateVector(String name, Map<String, List<TimedEndpoint>> table, String bytes) {
        public byte[] raw() { return HEX.parseHex(bytes); }
    }

    public static final List<StateVector> STATE_FILES = List.of(
            new StateVector("one entry", Map.of(PUBKEY, ENDPOINTS),
                    "01000000000000002c00000000000000374e6d37704d6d7953374e7473314d422b6c6f7944387538344f44784850546b44752b757151523679446b3d0200000000000000000000004dcf0fd7ba8300f15365000000000100000020010db80000000000000000000000016cca01f1536500000000"),
            new StateVector("empty map", Map.of(), "0000000000000000"),
            // Written by the real wgautomesh daemon (b1d45ba): one peer at 127.0.0.5:51820, time 1795318455.
            new StateVector("written by wgautomesh", Map.of(PUBKEY, List.of(
                    new TimedEndpoint(new InetSocketAddress("127.0.0.5", 51820), 1795318455L))),
                    "01000000000000002c00000000000000374e6d37704d6d7953374e7473314d422b6c6f7944387538344f44784850546b44752b757151523679446b3d0100000000000000000000007f0000056ccab762026b00000000"));

    public static Vector vector(String name) {
        return MESSAGES.stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }
}
