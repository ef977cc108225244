package dev.automesh.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
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
                    // getBroadcast() is null for IPv6 and for interfaces without IFF_BROADCAST (wg, tun, /32).
                    if (ia.getAddress() instanceof Inet4Address && ia.getBroadcast() != null) {
                        targets.add(ia.getBroadcast());
                    }
                }
            }
        } catch (SocketException e) {
            // Enumeration failed (rare; e.g. netlink trouble): the caller falls back to 255.255.255.255.
        }
        return new LanInterfaces(List.copyOf(targets), own);
    }
}
