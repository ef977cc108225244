package dev.automesh.net;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * IPv6 LAN discovery as wgautomesh does it with ipv6 = true: on a LAN with no IPv4 at all, the
 * sender's LAN broadcast goes to [ff05::1]:gossip_port, and the receiver, which joined ff05::1 on its
 * interface, gets it from the sender's IPv6 address; the sender ignores its own copy.
 */
class Ipv6LanDiscoveryTest {
    @Test
    void broadcastReachesAnIpv6OnlyLanThroughFf05() throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("ip", "java");
        String base = Netns.uniqueName("am6");
        try (Netns a = Netns.create(base + "a"); Netns b = Netns.create(base + "b")) {
            Sh.ok("ip", "link", "add", base + "x", "netns", a.name(), "type", "veth", "peer", "name", base + "y", "netns", b.name());
            int i = 1;
            for (Netns n : List.of(a, b)) {
                n.ok("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0");
                String dev = base + (n == a ? "x" : "y");
                n.ok("sysctl", "-q", "-w", "net.ipv6.conf." + dev + ".disable_ipv6=0");
                n.ok("ip", "addr", "add", "fd00:78::" + i++ + "/64", "dev", dev, "nodad");
                n.ok("ip", "link", "set", dev, "up");
            }
            // Both ends carry traffic (LOWER_UP) before the listener joins ff05::1 and the sender starts.
            for (Netns n : List.of(a, b)) {
                String dev = base + (n == a ? "x" : "y");
                long until = System.nanoTime() + 10_000_000_000L;
                while (!n.exec("ip", "link", "show", "dev", dev).out().contains("LOWER_UP") && System.nanoTime() < until) Thread.sleep(20);
            }
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String cp = System.getProperty("java.class.path");
            Path recvLog = b.dir().resolve("recv.log");
            Path sendLog = a.dir().resolve("send.log");
            Process recv = b.spawn(List.of(javaBin, "-cp", cp, BroadcastProbe.class.getName(), "listen6", "1666", "30000"), recvLog);
            waitFor(recvLog, "ready", recv);
            Process send = a.spawn(List.of(javaBin, "-cp", cp, BroadcastProbe.class.getName(), "send6", "1666", "3000"), sendLog);
            assertTrue(send.waitFor(20, java.util.concurrent.TimeUnit.SECONDS));
            String sent = Files.readString(sendLog);
            waitFor(recvLog, "got fd00:78:0:0:0:0:0:1:1666 hello", recv);
            Netns.stop(recv, 100);
            assertTrue(sent.contains("/ff05:0:0:0:0:0:0:1"), "sent to ff05::1: " + sent);
            assertFalse(sent.contains("got "), "the sender ignores its own multicast: " + sent);
        }
    }

    private static void waitFor(Path log, String line, Process p) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(line)) return;
            if (!p.isAlive()) fail("probe exited: " + Files.readString(log));
            Thread.sleep(20);
        }
        fail("no '" + line + "' in: " + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }
}
