package dev.automesh.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.Set;

/**
 * What an endpoint address is, for the one question that matters here: can it be a WireGuard peer?
 * IPv4-mapped ({@code ::ffff:a.b.c.d}) and IPv4-compatible ({@code ::a.b.c.d}) IPv6 spellings are
 * classified as the IPv4 address they carry, so no class has a second spelling that slips through.
 *
 * <p>Kept usable: private and LAN ranges (10/8, 172.16/12, 192.168/16, fc00::/7, CGNAT), which are
 * where most peers live, and the documentation prefixes, which test beds use. Not rejected either:
 * addresses ending in .255. Whether x.x.x.255 is a broadcast depends on the prefix length of a subnet
 * we cannot see (in 10.0.0.0/16, 10.0.1.255 is an ordinary host), so only 255.255.255.255, which is a
 * broadcast everywhere, is refused.
 *
 * <p>Loopback is a class of its own: a gossiped loopback endpoint is always a lie (it would make the
 * node talk to itself), but an operator may configure one on purpose, for a local UDP proxy in front
 * of WireGuard or two interfaces on one test host. So {@link #forGossip} refuses it and
 * {@link #forConfig} does not.
 */
public enum EndpointClass {
    ROUTABLE(null),
    LOOPBACK("is a loopback address (127.0.0.0/8, ::1): only this host answers there"),
    UNSPECIFIED("is in the unspecified range (0.0.0.0/8, ::), which no packet can be sent to"),
    RESERVED("is in the reserved range 240.0.0.0/4, which hosts do not route"),
    BROADCAST("is the broadcast address 255.255.255.255, which never leaves the LAN and is no single peer"),
    MULTICAST("is a multicast address (224.0.0.0/4, ff00::/8), not one peer"),
    LINK_LOCAL("is a link-local address (169.254.0.0/16, fe80::/10), only valid on one link and with a zone"),
    PORT_ZERO("has port 0, which no WireGuard peer listens on"),
    MESH_ADDRESS("is a mesh address, inside the tunnel: WireGuard cannot reach a peer through itself");

    private final String why;

    EndpointClass(String why) {
        this.why = why;
    }

    /** The reason, phrased to follow the address ("10.0.0.1:0 has port 0 ..."); null for ROUTABLE. */
    public String why() {
        return why;
    }

    /** The address class alone (no port, no mesh addresses). */
    public static EndpointClass of(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 16) {
            if (isZero(b, 0, 15) && (b[15] == 0 || b[15] == 1)) return b[15] == 0 ? UNSPECIFIED : LOOPBACK;
            int first = b[0] & 0xff;
            if (first == 0xff) return MULTICAST;
            if (first == 0xfe && (b[1] & 0xc0) == 0x80) return LINK_LOCAL;
            boolean mapped = isZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
            boolean compatible = isZero(b, 0, 12);
            if (!mapped && !compatible) return ROUTABLE;
            b = new byte[] {b[12], b[13], b[14], b[15]};
        }
        return ofV4(b);
    }

    private static EndpointClass ofV4(byte[] b) {
        int a0 = b[0] & 0xff;
        int a1 = b[1] & 0xff;
        if (a0 == 0) return UNSPECIFIED;
        if (a0 == 127) return LOOPBACK;
        if (a0 == 169 && a1 == 254) return LINK_LOCAL;
        if (a0 >= 224 && a0 <= 239) return MULTICAST;
        if (a0 == 255 && (b[1] & b[2] & b[3] & 0xff) == 0xff) return BROADCAST;
        if (a0 >= 240) return RESERVED;
        return ROUTABLE;
    }

    /**
     * For an endpoint learned from gossip or a datagram: ROUTABLE only if it can be a remote peer's
     * address. {@code meshAddresses} are the configured peers' tunnel addresses (ours included).
     */
    public static EndpointClass forGossip(InetSocketAddress endpoint, Set<InetAddress> meshAddresses) {
        EndpointClass c = forConfig(endpoint, meshAddresses);
        return c == ROUTABLE && of(endpoint.getAddress()) == LOOPBACK ? LOOPBACK : c;
    }

    /** For an endpoint an operator wrote: as {@link #forGossip}, but loopback is allowed (see above). */
    public static EndpointClass forConfig(InetSocketAddress endpoint, Set<InetAddress> meshAddresses) {
        if (endpoint.getPort() == 0) return PORT_ZERO;
        InetAddress a = endpoint.getAddress();
        if (a == null) return ROUTABLE; // unresolved name: classified once resolved
        EndpointClass c = of(a);
        if (c != ROUTABLE && c != LOOPBACK) return c;
        return isMeshAddress(a, meshAddresses) ? MESH_ADDRESS : c == LOOPBACK ? ROUTABLE : c;
    }

    /** Whether {@code a}, in any spelling, is one of {@code meshAddresses} (in any spelling). */
    public static boolean isMeshAddress(InetAddress a, Set<InetAddress> meshAddresses) {
        InetAddress n = canonical(a);
        for (InetAddress m : meshAddresses) {
            if (canonical(m).equals(n)) return true;
        }
        return false;
    }

    /** The IPv4 address an IPv4-mapped or -compatible IPv6 address carries; others unchanged. */
    public static InetAddress canonical(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != 16 || !isZero(b, 0, 10)) return a;
        boolean mapped = (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        // :: and ::1 are IPv6's own addresses, not IPv4-compatible forms of 0.0.0.0 and 0.0.0.1.
        boolean compatible = b[10] == 0 && b[11] == 0 && !(isZero(b, 12, 15) && (b[15] & 0xff) <= 1);
        if (!mapped && !compatible) return a;
        try {
            return Inet4Address.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("4 bytes", e); // unreachable
        }
    }

    private static boolean isZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) if (b[i] != 0) return false;
        return true;
    }
}
