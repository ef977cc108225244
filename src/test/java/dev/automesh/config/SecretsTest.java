package dev.automesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.crypto.GossipCipher;
import dev.automesh.crypto.GossipSecret;
import dev.automesh.crypto.WgKey;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.netlink.Netlink;
import dev.automesh.wg.netlink.NlAttr;
import dev.automesh.wg.netlink.NlMessage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secrets never reach a toString or `automesh check`: every value that holds key material, with a known secret. */
class SecretsTest {
    static final String SECRET = "Tr0ub4dor&3-known-secret";
    static final String K1 = "7Nm7pMmyS7Nts1MB+loyD8u84ODxHPTkDu+uqQR6yDk=";

    @TempDir
    Path dir;

    static void assertHides(String shown, String secret) {
        assertFalse(shown.contains(secret), "shows the secret: " + shown);
    }

    @Test
    void gossipSecretShowsItsLengthOnly() {
        GossipSecret s = GossipSecret.of(SECRET);
        assertEquals("GossipSecret[24 bytes]", s.toString());
        assertEquals("GossipSecret[none]", GossipSecret.of("").toString());
        assertEquals(SECRET, s.reveal());
        assertEquals(GossipSecret.of(SECRET), s);
        assertNotEquals(GossipSecret.of(SECRET + "\n"), s);
        assertNotEquals(GossipSecret.of("Tr0ub4dor&3-known-secreT"), s, "same length, different text");
    }

    @Test
    void configToStringHidesTheSecretFromTheFileAndInline() throws Exception {
        Path secretFile = dir.resolve("secret");
        Files.writeString(secretFile, SECRET + "\n");
        Path viaFile = dir.resolve("file.toml");
        Files.writeString(viaFile, "interface = \"wg0\"\ngossip_port = 1666\ngossip_secret_file = \"" + secretFile
                + "\"\n[[peers]]\npubkey = \"" + K1 + "\"\naddress = \"10.0.0.2\"\n");
        Path inline = dir.resolve("inline.toml");
        Files.writeString(inline, "interface = \"wg0\"\ngossip_port = 1666\ngossip_secret = \"" + SECRET + "\"\n");
        for (Path f : List.of(viaFile, inline)) {
            Config c = ConfigLoader.load(f);
            assertTrue(c.gossipSecret().reveal().startsWith(SECRET), "the secret was read");
            assertHides(c.toString(), SECRET);
            assertTrue(c.toString().contains("gossipSecret=GossipSecret["), c.toString());
            c.warnings().forEach(w -> assertHides(w, SECRET));

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(ConfigCheck.Outcome.VALID, ConfigCheck.run(f, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8)));
            assertHides(out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8), SECRET);
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("secret set ("), out.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void builtConfigToStringHidesTheSecret() {
        Config c = Config.builder(Path.of("t.toml"), "wg0", 1666).gossipSecret(GossipSecret.of(SECRET)).build();
        assertHides(c.toString(), SECRET);
        assertEquals(c, Config.builder(Path.of("t.toml"), "wg0", 1666).gossipSecret(GossipSecret.of(SECRET)).build());
    }

    @Test
    void anErrorAboutTheSecretDoesNotQuoteIt() throws Exception {
        // Both keys set: the message names them, never the value.
        Path f = dir.resolve("both.toml");
        Files.writeString(f, "interface = \"wg0\"\ngossip_port = 1666\ngossip_secret = \"" + SECRET
                + "\"\ngossip_secret_file = \"/nonexistent\"\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(ConfigCheck.Outcome.INVALID, ConfigCheck.run(f, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertHides(err.toString(StandardCharsets.UTF_8), SECRET);
    }

    @Test
    void theCipherDoesNotShowItsKey() {
        GossipCipher c = GossipCipher.fromSecret(GossipSecret.of(SECRET));
        byte[] key = GossipCipher.deriveKey(SECRET);
        String shown = c.toString();
        assertHides(shown, SECRET);
        assertHides(shown, HexFormat.of().formatHex(key));
        assertHides(shown, Base64.getEncoder().encodeToString(key));
        // The overload for the config's value derives the same key as the string form.
        byte[] sealed = c.seal(new byte[] {1, 2, 3});
        assertTrue(GossipCipher.fromSecret(SECRET).open(sealed, 0, sealed.length).isPresent());
    }

    /**
     * The kernel's device read carries the private key (WGDEVICE_A_PRIVATE_KEY); the decoded device
     * keeps only the public key, and the raw netlink values print as buffer positions, not bytes.
     */
    @Test
    void deviceReadsNeverShowAPrivateKey() throws Exception {
        byte[] priv = new byte[32];
        for (int i = 0; i < 32; i++) priv[i] = (byte) (0xa0 + i);
        String hex = HexFormat.of().formatHex(priv);
        String b64 = Base64.getEncoder().encodeToString(priv);
        NlAttr attr = new NlAttr(Netlink.WGDEVICE_A_PRIVATE_KEY, ByteBuffer.wrap(priv));
        NlMessage msg = new NlMessage(1, 0, 1, 0, ByteBuffer.wrap(priv));
        for (String shown : List.of(attr.toString(), msg.toString())) {
            assertHides(shown, hex);
            assertHides(shown, b64);
            assertHides(shown, java.util.Arrays.toString(priv));
        }
        WgDevice d = new WgDevice("wg0", Optional.of(WgKey.fromBase64(K1)), 51820, List.of());
        assertHides(d.toString(), b64);
        assertHides(new PeerConfig(WgKey.fromBase64(K1), InetAddress.getByName("10.0.0.2"), Optional.empty(),
                Optional.empty()).toString(), b64);
    }
}
