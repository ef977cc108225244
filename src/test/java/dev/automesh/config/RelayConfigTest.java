package dev.automesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay keys: defaults, explicit values, and the one default that cannot be gossip_port + 1. */
class RelayConfigTest {
    @TempDir
    Path dir;

    private Config load(String extra) throws Exception {
        Path f = dir.resolve("c.toml");
        Files.writeString(f, "interface = \"wg0\"\ngossip_port = 1666\n" + extra);
        return ConfigLoader.load(f);
    }

    @Test
    void defaultsRelayOnThePortAfterTheGossipPortAt100Mbit() throws Exception {
        Config c = load("");
        assertTrue(c.relay());
        assertEquals(1667, c.relayPort());
        assertEquals(100, c.relayRateLimitMbit());
    }

    @Test
    void explicitValuesAreKept() throws Exception {
        Config c = load("relay = false\nrelay_port = 4000\nrelay_rate_limit_mbit = 20\n");
        assertFalse(c.relay());
        assertEquals(4000, c.relayPort());
        assertEquals(20, c.relayRateLimitMbit());
    }

    @Test
    void theLastGossipPortRelaysOnTheOneBelow() throws Exception {
        Path f = dir.resolve("c.toml");
        Files.writeString(f, "interface = \"wg0\"\ngossip_port = 65535\n");
        assertEquals(65534, ConfigLoader.load(f).relayPort());
    }
}
