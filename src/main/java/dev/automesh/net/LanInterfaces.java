package dev.automesh.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the host's interfaces look like right now: where to send LAN broadcasts and which source
 * addresses are our own. Enumerated afresh on each use because interfaces come and go (DHCP, Wi-Fi).
 *
 * @param broadcastTargets the directed broadcast address of every up, non-loopback, broadcast-capable IPv4 interface
 * @param ownAddresses     every address of every interface (our own broadcasts come back from one of these)
 */
public record LanInterfaces(List<InetAddress> broadcastTargets, Set<InetAddress> ownAddresses) {
    public LanInterfaces {
        broadcastTargets = List.copyOf(broadcastTargets);
        ownAddresses = Set.copyOf(ownAddresses);
    }

    public static LanInterfaces enumerate() {
        Set<InetAddress> targets = new LinkedHashSet<>();
        Set<InetAddress> own = new LinkedHashSet<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                own.addAll(Collections.list(nif.getInetAddresses()));
                if (!nif.isUp() || nif.isLoopback() || nif.isPointToPoint()) continue;
                for (InterfaceAddress ia : nif.getInterfaceAddresses()) {
                    // getBroadcast() is null for IPv6 and for interfaces without IFF_BROADCAST (wg, tun).
                    if (ia.getAddress() instanceof Inet4Address && ia.getBroadcast() != null) {
                        directedBroadcast(ia.getAddress(), ia.getNetworkPrefixLength(), ia.getBroadcast())
                                .ifPresent(targets::add);
                    }
                }
            }
        } catch (SocketException e) {
            // Enumeration failed (rare; e.g. netlink trouble): the caller falls back to 255.255.255.255.
        }
        return new LanInterfaces(List.copyOf(targets), own);
    }

    /**
     * The directly connected subnets of every up interface (loopback and point-to-point excluded: a
     * WireGuard interface's own prefix is the mesh, not a LAN). Where a LAN asker can be.
     */
    public static List<dev.automesh.wg.IpPrefix> subnets() {
        List<dev.automesh.wg.IpPrefix> out = new java.util.ArrayList<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp() || nif.isLoopback() || nif.isPointToPoint()) continue;
                for (InterfaceAddress ia : nif.getInterfaceAddresses()) {
                    InetAddress a = ia.getAddress();
                    int len = ia.getNetworkPrefixLength();
                    if (a == null || len < 0 || len > a.getAddress().length * 8) continue;
                    out.add(new dev.automesh.wg.IpPrefix(a, len));
                }
            }
        } catch (SocketException e) {
            // No subnets known: only mesh addresses and loopback get answers until the next start.
        }
        return out;
    }

    /**
     * The subnet's broadcast address. The kernel's configured one is used when set; `ip addr add
     * 10.0.0.1/24` without `brd +` leaves it 0.0.0.0 (sending there reaches only ourselves), so then
     * it is computed from the prefix. /31 and /32 have none (RFC 3021).
     */
    static Optional<InetAddress> directedBroadcast(InetAddress address, int prefixLength, InetAddress configured) {
        if (prefixLength < 1 || prefixLength > 30) return Optional.empty();
        if (configured != null && !configured.isAnyLocalAddress()) return Optional.of(configured);
        byte[] a = address.getAddress();
        int ip = ((a[0] & 0xff) << 24) | ((a[1] & 0xff) << 16) | ((a[2] & 0xff) << 8) | (a[3] & 0xff);
        int bcast = ip | (-1 >>> prefixLength);
        try {
            return Optional.of(InetAddress.getByAddress(new byte[] {
                    (byte) (bcast >>> 24), (byte) (bcast >>> 16), (byte) (bcast >>> 8), (byte) bcast}));
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
