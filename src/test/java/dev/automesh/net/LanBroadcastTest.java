package dev.automesh.net;

import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * LAN broadcast in real namespaces: two hosts on one veth "LAN" (10.78.0.0/24). The sender's broadcast
 * reaches the other host from the sender's LAN address and gossip port, goes to the LAN's directed
 * broadcast address (not loopback, not 255.255.255.255), and comes back to the sender, which ignores it.
 */
class LanBroadcastTest {
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"send", "send6"})
    void broadcastReachesTheLanAndTheSenderIgnoresItsOwn(String mode) throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("ip", "java");
        String base = Netns.uniqueName("amd");
        try (Netns a = Netns.create(base + "a"); Netns b = Netns.create(base + "b")) {
            Sh.ok("ip", "link", "add", base + "x", "netns", a.name(), "type", "veth", "peer", "name", base + "y",
                    "netns", b.name());
            a.ok("ip", "addr", "add", "10.78.0.1/24", "dev", base + "x");
            a.ok("ip", "link", "set", base + "x", "up");
            b.ok("ip", "addr", "add", "10.78.0.2/24", "dev", base + "y");
            b.ok("ip", "link", "set", base + "y", "up");

            if (mode.equals("send6")) {
                // Netns.create disables IPv6; a dual-stack socket needs it on.
                a.ok("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0");
            }
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String cp = System.getProperty("java.class.path");
            int port = 1666;
            Path recvLog = b.dir().resolve("recv.log");
            Path sendLog = a.dir().resolve("send.log");
            Process recv = b.spawn(List.of(javaBin, "-cp", cp, BroadcastProbe.class.getName(), "listen", "" + port, "4000"), recvLog);
            waitForLine(recvLog, "ready", recv);
            Process send = a.spawn(List.of(javaBin, "-cp", cp, BroadcastProbe.class.getName(), mode, "" + port, "1000"), sendLog);
            assertTrue(send.waitFor(20, java.util.concurrent.TimeUnit.SECONDS));
            String sent = Files.readString(sendLog);
            Netns.stop(recv, 100);
            String got = Files.readString(recvLog);

            assertTrue(got.contains("got 10.78.0.1:" + port + " hello"), mode + ": receiver saw: " + got + "\nsender: " + sent);
            assertTrue(sent.contains("sent to [/10.78.0.255") && (mode.equals("send6") == sent.contains("ff05")), "sender used: " + sent);
            assertFalse(sent.contains("got "), "the sender must ignore its own broadcasts: " + sent);
            assertTrue(sent.matches("(?s).*ownBroadcastsIgnored=[1-9].*"), "own broadcasts were not seen and counted: " + sent);
        }
    }

    private static void waitForLine(Path log, String line, Process p) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(line)) return;
            if (!p.isAlive()) fail("probe exited: " + Files.readString(log));
            Thread.sleep(20);
        }
        fail("probe not ready: " + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }
}
