package dev.automesh.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpLiteralTest {
    @ParameterizedTest
    @CsvSource({
            "10.14.1.2, 0a0e0102",
            "0.0.0.0, 00000000",
            "255.255.255.255, ffffffff",
            "::, 00000000000000000000000000000000",
            "::1, 00000000000000000000000000000001",
            "fd42::, fd420000000000000000000000000000",
            "2001:DB8:0:0:1:0:0:1, 20010db8000000000001000000000001",
            "2001:db8::1:0:0:1, 20010db8000000000001000000000001",
            "1:2:3:4:5:6:7:8, 00010002000300040005000600070008",
            "1:2:3:4:5:6:7::, 00010002000300040005000600070000",
            "::2:3:4:5:6:7:8, 00000002000300040005000600070008",
            "64:ff9b::192.0.2.33, 0064ff9b0000000000000000c0000221",
            "::ffff:0:10.0.0.2, 0000000000000000ffff00000a000002",
    })
    void parsesToTheseBytes(String text, String hex) {
        byte[] want = HexFormat.of().parseHex(hex);
        assertArrayEquals(want, IpLiteral.parse(text).getAddress(), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0", "10.0.0.1.2", "10.0.0.256", "010.0.0.1", "10.0.0.-1", "10.0.0.1 ",
            " 10.0.0.1", "1e1.0.0.1", "0x0a.0.0.1", "localhost", "example.org", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
            "1::2::3", ":::", ":1::", "1::2:", "12345::", "g::", "fe80::1%eth0", "[::1]", "::1/128", "::1.2.3",
            "1.2.3.4::", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:1.2.3.4", "\u0661.0.0.1", "\uff11::"})
    void rejects(String text) {
        assertThrows(IllegalArgumentException.class, () -> IpLiteral.parse(text), Texts.quote(text));
    }

    @Test
    void mappedAddressMessageGivesTheIpv4Form() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpLiteral.parse("::ffff:10.0.0.1"));
        assertEquals("is an IPv4-mapped IPv6 address; write the IPv4 form 10.0.0.1", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "77.207.15.215:33722 | 77.207.15.215 | 33722",
            "bitfrost.fiber.shirokumo.net:33734 | bitfrost.fiber.shirokumo.net | 33734",
            "[2001:db8::7]:1 | 2001:db8::7 | 1",
            "host:65535 | host | 65535",
            "my_host.lan.:51820 | my_host.lan. | 51820",
    })
    void endpointsAccepted(String text, String host, int port) {
        assertEquals(new HostPort(host, port), HostPort.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "host", "host:", ":51820", "host:0", "host:65536", "host:+1", "host:1x", "host:000051820",
            "10.0.0.256:1", "10.0.0:1", "[::1]", "[::1]:", "[::1", "::1]:1", "[10.0.0.1]:1", "[::1]x:1", "::1:51820",
            "a..b:1", "-a.b:1", "a b:1", "0.0.0.0:51820", "[::]:51820", "[fe80::1%eth0]:51820", "h\u00e9te:1"})
    void endpointsRejected(String text) {
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse(text), Texts.quote(text));
    }

    @Test
    void suggestions() {
        List<String> top = ConfigLoader.TOP_KEYS;
        assertEquals("gossip_port", KeySuggestions.suggest("gosip_port", top));
        assertEquals("gossip_port", KeySuggestions.suggest("gossip-port", top));
        assertEquals("lan_discovery", KeySuggestions.suggest("lan_dicsovery", top));
        assertEquals("interface", KeySuggestions.suggest("Interface", top));
        assertEquals("peers", KeySuggestions.suggest("Peer", top));
        assertEquals("gossip_secret_file", KeySuggestions.suggest("gossip_secretfile", top));
        assertEquals("pubkey", KeySuggestions.suggest("public_key", ConfigLoader.PEER_KEYS));
        assertEquals("address", KeySuggestions.suggest("AllowedIPs", ConfigLoader.PEER_KEYS));
        assertEquals("endpoint", KeySuggestions.suggest("endpoints", ConfigLoader.PEER_KEYS));
        assertNull(KeySuggestions.suggest("colour", top));
        assertNull(KeySuggestions.suggest("x".repeat(1_000_000), top), "a huge key is just unknown (no 100 MB distance table)");
        assertEquals(1, KeySuggestions.editDistance("ab", "ba"));
        assertEquals(3, KeySuggestions.editDistance("kitten", "sitting"));
    }

    @Test
    void parseNeverResolves() throws Exception {
        // getByAddress keeps no host name, so nothing was looked up to build it.
        InetAddress a = IpLiteral.parse("10.0.0.1");
        assertEquals("/10.0.0.1", a.toString());
    }
}
