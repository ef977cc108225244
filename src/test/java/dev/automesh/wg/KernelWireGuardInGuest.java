package dev.automesh.wg;

import static dev.automesh.testsupport.TestValues.key;
import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.crypto.WgKey;
import dev.automesh.testbed.InNetns;
import dev.automesh.testbed.Netns;
import java.io.File;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kernel-specific behaviour beyond the contract, against the real module in the QEMU guest:
 * kernel-side splitting of one peer's allowed IPs across dump messages, our own splitting of one
 * peer across SET_DEVICE messages, a non-WireGuard interface, and socket reuse.
 */
class KernelWireGuardInGuest {
    @BeforeAll
    static void onlyInGuest() {
        GuestOnly.check();
    }

    private static List<IpPrefix> manyIps(int n) throws Exception {
        List<IpPrefix> ips = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ips.add(new IpPrefix(InetAddress.getByName("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255)), 32));
        }
        return ips;
    }

    @Test
    void onePeerWithAllowedIpsBeyondOneDumpMessageIsReadWhole() throws Exception {
        try (Netns ns = Netns.create(Netns.uniqueName("amk"))) {
            ns.ok("ip", "link", "add", "wg0", "type", "wireguard");
            // 3000 allowed IPs take ~72 KiB of attributes: more than one dump message (<= 32 KiB) can
            // hold, so the kernel continues this peer in following messages.
            List<IpPrefix> ips = manyIps(3000);
            try (WireGuard wg = InNetns.call(ns.name(), () -> KernelWireGuard.open("wg0"))) {
                wg.apply(List.of(PeerUpdate.of(key(1)).allowedIps(List.of(ips.get(0))).build(),
                        PeerUpdate.of(key(2)).allowedIps(ips.subList(1, ips.size())).build(),
                        PeerUpdate.of(key(3)).allowedIps(List.of()).build()));
                WgDevice d = wg.read();
                assertEquals(List.of(key(1), key(2), key(3)), d.peers().stream().map(WgPeer::publicKey).toList());
                assertEquals(ips.subList(1, ips.size()).stream().sorted(java.util.Comparator.comparing(IpPrefix::toString)).toList(),
                        WgPeers.peer(d, key(2)).orElseThrow().allowedIps().stream().sorted(java.util.Comparator.comparing(IpPrefix::toString)).toList());
                // `wg` agrees on the count.
                String dump = ns.ok("wg", "show", "wg0", "allowed-ips").out();
                assertEquals(3000, dump.split("[\\s,]+").length - 3 /* keys */ - 1 /* "(none)" */, dump.length() + " chars");
            }
        }
    }

    @Test
    void smallBudgetSplitsOnePeerAcrossSetMessagesAndTheKernelAddsThemUp() throws Exception {
        try (Netns ns = Netns.create(Netns.uniqueName("amk"))) {
            ns.ok("ip", "link", "add", "wg0", "type", "wireguard");
            List<IpPrefix> ips = manyIps(200);
            try (WireGuard wg = InNetns.call(ns.name(), () -> KernelWireGuard.open("wg0", 512))) {
                wg.apply(List.of(PeerUpdate.of(key(1)).allowedIps(manyIps(5).subList(0, 5)).build()));
                // Replacing with 200 across ~15 messages: only the first carries REPLACE_ALLOWEDIPS.
                wg.apply(List.of(PeerUpdate.of(key(1)).allowedIps(ips.subList(100, 200)).build(),
                        PeerUpdate.of(key(2)).allowedIps(ips.subList(0, 100)).build()));
                WgDevice d = wg.read();
                assertEquals(Set100.of(ips.subList(100, 200)), Set100.of(WgPeers.peer(d, key(1)).orElseThrow().allowedIps()));
                assertEquals(Set100.of(ips.subList(0, 100)), Set100.of(WgPeers.peer(d, key(2)).orElseThrow().allowedIps()));
            }
        }
    }

    private record Set100(java.util.Set<IpPrefix> s) {
        static Set100 of(List<IpPrefix> l) {
            assertEquals(l.size(), new java.util.HashSet<>(l).size());
            return new Set100(new java.util.HashSet<>(l));
        }
    }

    @Test
    void nonWireGuardInterfaceIsReportedAsSuch() throws Exception {
        try (Netns ns = Netns.create(Netns.uniqueName("amk"));
             WireGuard wg = InNetns.call(ns.name(), () -> KernelWireGuard.open("lo"))) {
            WireGuardException e = assertThrows(WireGuardException.class, wg::read);
            assertEquals(WireGuardException.Reason.NO_SUCH_DEVICE, e.reason());
            assertTrue(e.getMessage().contains("lo") && e.getMessage().contains("not a WireGuard interface"), e.getMessage());
        }
    }

    @Test
    void socketIsReusedAndInterfaceMayComeBack() throws Exception {
        try (Netns ns = Netns.create(Netns.uniqueName("amk"));
             WireGuard wg = InNetns.call(ns.name(), () -> KernelWireGuard.open("wg0"))) {
            assertEquals(WireGuardException.Reason.NO_SUCH_DEVICE, assertThrows(WireGuardException.class, wg::read).reason());
            ns.ok("ip", "link", "add", "wg0", "type", "wireguard");
            List<PeerUpdate> ups = new ArrayList<>();
            for (int i = 0; i < 100; i++) ups.add(PeerUpdate.of(key(i)).allowedIps(manyIps(1)).build());
            wg.apply(ups.subList(0, 1));
            wg.apply(ups);
            int fds = Objects.requireNonNull(new File("/proc/self/fd").list()).length;
            for (int i = 0; i < 20; i++) assertEquals(100, wg.read().peers().size());
            assertEquals(fds, Objects.requireNonNull(new File("/proc/self/fd").list()).length, "no descriptor per read");
            ns.ok("ip", "link", "del", "wg0");
            assertEquals(WireGuardException.Reason.NO_SUCH_DEVICE, assertThrows(WireGuardException.class, wg::read).reason());
            ns.ok("ip", "link", "add", "wg0", "type", "wireguard");
            assertEquals(List.of(), wg.read().peers(), "same socket works once the interface is back");
        }
    }
}
