package dev.automesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.crypto.WgKey;
import dev.automesh.wg.Backend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    static final String K1 = "7Nm7pMmyS7Nts1MB+loyD8u84ODxHPTkDu+uqQR6yDk=";
    static final String K2 = "lABn/axzD1jkFulX8c+K3B3CbKXORlIMDDoe8sQVxhs=";
    static final String K3 = "XLOYoMXF+PO4jcgfSVAk+thh4VmWx0wzWnb0xs08G1s=";

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    static Path resource(String path) throws URISyntaxException {
        return Path.of(ConfigLoaderTest.class.getResource(path).toURI());
    }

    /** wgautomesh's README sample, byte for byte; its secret file is provided below a scratch root. */
    @Test
    void wgautomeshReadmeSampleLoadsUnchanged() throws Exception {
        Path secret = dir.resolve("var/lib/wgautomesh/gossip_secret");
        Files.createDirectories(secret.getParent());
        Files.writeString(secret, "q8B0a2J4uWcV8n3YtG7kZr1pXo6sLm9dHe5fTi0AbCw=\n"); // as `openssl rand -base64 32 > file` writes it

        Config c = ConfigLoader.load(resource("/config/ok/wgautomesh-readme.toml"), dir);
        assertEquals("wg0", c.interfaceName());
        assertEquals(1666, c.gossipPort());
        assertTrue(c.lanDiscovery());
        assertFalse(c.ipv6());
        assertEquals(Optional.of(33723), c.upnpForwardExternalPort());
        assertEquals("q8B0a2J4uWcV8n3YtG7kZr1pXo6sLm9dHe5fTi0AbCw=\n", c.gossipSecret().reveal());
        assertEquals(Optional.of(Path.of("/var/lib/wgautomesh/state")), c.persistFile());
        assertEquals(5, c.peers().size());
        PeerConfig p0 = c.peers().get(0);
        assertEquals(WgKey.fromBase64(K1), p0.pubkey());
        assertEquals(InetAddress.getByAddress(new byte[] {10, 14, 1, 2}), p0.address());
        assertEquals(Optional.of(new HostPort("77.207.15.215", 33722)), p0.endpoint());
        assertEquals(Optional.of(new HostPort("bitfrost.fiber.shirokumo.net", 33734)), c.peers().get(2).endpoint());
        assertEquals(Optional.empty(), c.peers().get(4).endpoint());
        assertEquals("10.14.3.1", c.peers().get(4).address().getHostAddress());
        // automesh-only keys are absent: their defaults apply.
        assertEquals(Backend.AUTO, c.wireguardBackend());
        assertEquals(Path.of("/run/automesh/wg0.sock"), c.controlSocket());
        assertEquals(1000, c.wgPollMillis());
    }

    @Test
    void wgautomeshReadmeSampleWithoutItsSecretFileNamesThatFile() throws Exception {
        Path sample = resource("/config/ok/wgautomesh-readme.toml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(sample, dir));
        assertEquals("gossip_secret_file", e.keyPath());
        assertEquals(19, e.line());
        assertEquals(22, e.column());
        assertTrue(e.problem().startsWith("cannot read \"/var/lib/wgautomesh/gossip_secret\": no such file"), e.getMessage());
    }

    @Test
    void defaultsOfAMinimalConfig() throws Exception {
        Config c = ConfigLoader.load(write("min.toml", "interface = \"wg7\"\ngossip_port = 1666\n"));
        assertEquals("wg7", c.interfaceName());
        assertEquals("", c.gossipSecret().reveal());
        assertEquals(Optional.empty(), c.persistFile());
        assertFalse(c.ipv6());
        assertFalse(c.lanDiscovery());
        assertEquals(Optional.empty(), c.upnpForwardExternalPort());
        assertEquals(Backend.AUTO, c.wireguardBackend());
        assertEquals(Optional.empty(), c.uapiSocket());
        assertEquals(Path.of("/run/automesh/wg7.sock"), c.controlSocket());
        assertEquals(Optional.empty(), c.metricsAddress());
        assertEquals(1000, c.wgPollMillis());
        assertEquals(List.of(), c.peers());
        assertEquals(dir.resolve("min.toml"), c.source());
    }

    @Test
    void everyKeySet() throws Exception {
        Path secret = write("secret", "correct horse battery staple");
        Config c = ConfigLoader.load(write("all.toml", """
                interface = "wg-mesh"
                gossip_port = 1666
                gossip_secret_file = "%s"
                persist_file = "/var/lib/automesh/state"
                ipv6 = false
                lan_discovery = true
                upnp_forward_external_port = 51821
                wireguard_backend = "userspace"
                uapi_socket = "/run/wireguard/wg-mesh.sock"
                control_socket = "/run/amc/ctl.sock"
                metrics_address = "127.0.0.1:9586"
                poll_interval_ms = 250

                [[peers]]
                name = "alpha"
                pubkey = "%s"
                address = "10.0.0.1"
                endpoint = "203.0.113.7:51820"

                [[peers]]
                pubkey = "%s"
                address = "10.0.0.2"
                """.formatted(secret, K1, K2)));
        assertEquals("wg-mesh", c.interfaceName());
        assertEquals("correct horse battery staple", c.gossipSecret().reveal());
        assertEquals(Optional.of(Path.of("/var/lib/automesh/state")), c.persistFile());
        assertTrue(c.lanDiscovery());
        assertEquals(Optional.of(51821), c.upnpForwardExternalPort());
        assertEquals(Backend.USERSPACE, c.wireguardBackend());
        assertEquals(Optional.of(Path.of("/run/wireguard/wg-mesh.sock")), c.uapiSocket());
        assertEquals(Path.of("/run/amc/ctl.sock"), c.controlSocket());
        assertEquals(Optional.of(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 9586)),
                c.metricsAddress());
        assertEquals(250, c.wgPollMillis());
        assertEquals(Optional.of("alpha"), c.peers().get(0).name());
        assertEquals("alpha", c.peers().get(0).displayName());
        assertEquals(Optional.empty(), c.peers().get(1).name());
        assertEquals(WgKey.fromBase64(K2).shortName(), c.peers().get(1).displayName());
        assertThrows(UnsupportedOperationException.class, () -> c.peers().add(c.peers().get(0)), "immutable");
    }

    @Test
    void ipv6AddressesEndpointsAndMetrics() throws Exception {
        Config c = ConfigLoader.load(write("v6.toml", """
                interface = "wg0"
                gossip_port = 1666
                ipv6 = true
                metrics_address = "[::1]:9586"
                [[peers]]
                pubkey = "%s"
                address = "fd42:0:0::1"
                endpoint = "[2001:db8::7]:51820"
                [[peers]]
                pubkey = "%s"
                address = "::ffff:0:10.0.0.2"
                endpoint = "[::ffff:0:203.0.113.9]:51820"
                """.formatted(K1, K2)));
        assertTrue(c.ipv6());
        PeerConfig p = c.peers().get(0);
        assertInstanceOf(Inet6Address.class, p.address());
        assertEquals(InetAddress.getByAddress(new byte[] {(byte) 0xfd, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
                p.address());
        assertEquals(new HostPort("2001:db8::7", 51820), p.endpoint().orElseThrow());
        assertEquals("[2001:db8::7]:51820", p.endpoint().orElseThrow().toString());
        // ::ffff:0:a.b.c.d is IPv4-translated (RFC 2765), not IPv4-mapped: it stays IPv6.
        assertInstanceOf(Inet6Address.class, c.peers().get(1).address());
        assertEquals(9586, c.metricsAddress().orElseThrow().getPort());
        assertTrue(c.metricsAddress().orElseThrow().getAddress().isLoopbackAddress());
    }

    /** `.invalid` never resolves (RFC 6761): if loading looked the name up, it would fail or hang. */
    @Test
    void dnsEndpointIsKeptAsWrittenAndNotResolved() throws Exception {
        Config c = ConfigLoader.load(write("dns.toml", """
                interface = "wg0"
                gossip_port = 1666
                [[peers]]
                pubkey = "%s"
                address = "10.0.0.2"
                endpoint = "node-2.mesh.invalid:51820"
                """.formatted(K1)));
        HostPort hp = c.peers().get(0).endpoint().orElseThrow();
        assertEquals("node-2.mesh.invalid", hp.host());
        assertEquals(51820, hp.port());
        assertEquals("node-2.mesh.invalid:51820", hp.toString());
    }

    @Test
    void secretFileIsReadVerbatimTrailingNewlineIncluded() throws Exception {
        for (String secret : List.of("s3cret\n", "s3cret", "s3cret\r\n", "  spaced  \n\n", "", "gr\u00fcn\n")) {
            Path f = dir.resolve("secret");
            Files.write(f, secret.getBytes(StandardCharsets.UTF_8));
            Config c = ConfigLoader.load(write("s.toml",
                    "interface = \"wg0\"\ngossip_port = 1666\ngossip_secret_file = \"" + f + "\"\n"));
            assertEquals(secret, c.gossipSecret().reveal(), "secret " + Texts.quote(secret));
        }
    }

    @Test
    void inlineSecretAndInlinePeerTables() throws Exception {
        Config c = ConfigLoader.load(write("inline.toml", """
                interface = "wg0"
                gossip_port = 1666
                gossip_secret = "hunter2"
                peers = [ { pubkey = "%s", address = "10.0.0.2" },
                          { pubkey = "%s", address = "10.0.0.3", endpoint = "gw.example.org:51820" } ]
                """.formatted(K1, K2)));
        assertEquals("hunter2", c.gossipSecret().reveal());
        assertEquals(2, c.peers().size());
        assertEquals("gw.example.org", c.peers().get(1).endpoint().orElseThrow().host());
    }

    @Test
    void errorInInlinePeerPointsAtTheValue() throws Exception {
        Path f = write("inline-bad.toml", """
                interface = "wg0"
                gossip_port = 1666
                peers = [ { pubkey = "%s", address = "10.0.0.2", endpoint = "10.0.0.9" } ]
                """.formatted(K1));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(3, e.line());
        assertEquals(103, e.column());
        assertEquals("peers[0].endpoint", e.keyPath());
    }

    @Test
    void nonCanonicalKeyIsRejectedWithTheCanonicalForm() throws Exception {
        // Last base64 character carries 2 unused bits; 'l' sets them, wg would print 'k'.
        Path f = write("nc.toml", "interface = \"wg0\"\ngossip_port = 1666\n[[peers]]\npubkey = \""
                + K1.substring(0, 42) + "l=\"\naddress = \"10.0.0.2\"\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertEquals("peers[0].pubkey", e.keyPath());
        assertTrue(e.problem().contains("not canonical base64 (wg prints \"" + K1 + "\")"), e.getMessage());
    }

    @Test
    void checkPrintsTheSummaryAndExitsZero() throws Exception {
        Path secret = write("secret", "abc\n");
        Path f = write("ok.toml", """
                interface = "wg0"
                gossip_port = 1666
                gossip_secret_file = "%s"
                lan_discovery = true
                [[peers]]
                name = "alpha"
                pubkey = "%s"
                address = "10.0.0.2"
                endpoint = "[2001:db8::7]:51820"
                [[peers]]
                pubkey = "%s"
                address = "10.0.0.3"
                """.formatted(secret, K1, K2));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ConfigCheck.Outcome rc = ConfigCheck.run(f, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String s = out.toString(StandardCharsets.UTF_8);
        assertEquals(ConfigCheck.Outcome.VALID, rc, err.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        assertTrue(s.startsWith(f + ": OK, 2 peers\n"), s);
        assertTrue(s.contains("UDP port 1666"), s);
        assertTrue(s.contains("4 bytes, ends with a newline, which is part of it"), s);
        assertTrue(s.contains("alpha"), s);
        assertTrue(s.contains("[2001:db8::7]:51820"), s);
        assertTrue(s.contains("10.0.0.3"), s);
        assertFalse(s.contains("abc"), "the summary must not print the secret: " + s);
        assertFalse(s.contains("warning"), s);
    }

    @Test
    void summaryFitsOneScreenWithManyPeers() throws Exception {
        StringBuilder sb = new StringBuilder("interface = \"wg0\"\ngossip_port = 1666\n");
        for (int i = 0; i < 200; i++) {
            byte[] k = new byte[32];
            k[0] = (byte) i;
            k[1] = 1;
            sb.append("[[peers]]\npubkey = \"").append(WgKey.of(k).toBase64()).append("\"\naddress = \"10.1.")
                    .append(i / 250).append('.').append(i % 250 + 1).append("\"\n");
        }
        Config c = ConfigLoader.load(write("many.toml", sb.toString()));
        assertEquals(200, c.peers().size());
        String s = ConfigSummary.render(c);
        assertTrue(s.lines().count() <= 24, s);
        assertTrue(s.contains("... and 190 more"), s);
        assertTrue(s.contains("warning: no gossip secret"), s);
    }

    @Test
    void ipv6PeerWithoutIpv6IsAWarningNotAnError() throws Exception {
        Config c = ConfigLoader.load(write("w.toml", "interface = \"wg0\"\ngossip_port = 1666\ngossip_secret = \"x\"\n"
                + "[[peers]]\npubkey = \"" + K1 + "\"\naddress = \"fd00::2\"\n"));
        assertEquals(List.of("some peer addresses are IPv6 but ipv6 = false: gossip to them cannot be sent; set ipv6 = true"),
                ConfigSummary.warnings(c));
    }

    @Test
    void loopbackAddressesAreAccepted() throws Exception {
        // The namespace test beds use 127.0.0.x mesh addresses.
        Config c = ConfigLoader.load(write("lo.toml", "interface = \"wg0\"\ngossip_port = 1666\n"
                + "[[peers]]\npubkey = \"" + K3 + "\"\naddress = \"127.0.0.3\"\nendpoint = \"127.0.0.1:51999\"\n"));
        assertInstanceOf(Inet4Address.class, c.peers().get(0).address());
    }

    @Test
    void absurdNestingIsAConfigErrorNotACrash() throws Exception {
        Path f = write("deep.toml", "interface = \"wg0\"\ngossip_port = 1666\nx = " + "[".repeat(200_000)
                + "]".repeat(200_000) + "\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(f + ": nests arrays or tables too deeply to parse", e.getMessage());
    }

    @Test
    void oversizedConfigIsRefused() throws Exception {
        Path f = write("big.toml", "interface = \"wg0\"\ngossip_port = 1666\n" + "#".repeat(ConfigLoader.MAX_CONFIG_BYTES));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertTrue(e.problem().startsWith("is larger than 1048576 bytes"), e.getMessage());
    }
}
