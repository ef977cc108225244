package dev.automesh.portmap;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Finds the default gateway, where NAT-PMP and PCP servers listen, by reading the kernel's routing
 * tables in /proc (never by running a program). Parsing is pure and unit-tested.
 */
public final class Gateways {
    private static final int RTF_UP = 0x1;
    private static final int RTF_GATEWAY = 0x2;

    private Gateways() {}

    /** A default route: its interface and next hop. */
    public record Route(String iface, InetAddress gateway, long metric) {}

    /** The IPv4 default route with the lowest metric, from /proc/net/route. */
    public static Optional<Route> ipv4() throws IOException {
        return defaultIpv4(Files.readAllLines(Path.of("/proc/net/route")));
    }

    /** The IPv6 default route with the lowest metric, from /proc/net/ipv6_route (empty without IPv6). */
    public static Optional<Route> ipv6() throws IOException {
        Path p = Path.of("/proc/net/ipv6_route");
        return Files.exists(p) ? defaultIpv6(Files.readAllLines(p)) : Optional.empty();
    }

    /**
     * The IPv6 default gateway as an address to send to: a link-local next hop (the usual case, from
     * router advertisements) carries its interface as scope.
     */
    public static Optional<InetAddress> ipv6Gateway() throws IOException {
        Optional<Route> r = ipv6();
        if (r.isEmpty()) return Optional.empty();
        NetworkInterface ni = NetworkInterface.getByName(r.get().iface());
        if (ni == null) return Optional.empty();
        InetAddress g = r.get().gateway();
        return Optional.of(g.isLinkLocalAddress() ? Inet6Address.getByAddress(null, g.getAddress(), ni) : g);
    }

    /** Our global IPv6 address on the interface of the IPv6 default route (which reaches {@code gateway}). */
    public static Optional<InetAddress> globalIpv6On(InetAddress gateway) throws IOException {
        NetworkInterface ni = gateway instanceof Inet6Address v6 && v6.getScopedInterface() != null ? v6.getScopedInterface()
                : ipv6().map(r -> {
                    try {
                        return NetworkInterface.getByName(r.iface());
                    } catch (IOException e) {
                        return null;
                    }
                }).orElse(null);
        return ni == null ? Optional.empty() : globalIpv6(ni.inetAddresses().toList());
    }

    /**
     * The address a pinhole should open: a global unicast IPv6 address, else a unique-local one
     * (fc00::/7); never link-local, loopback, multicast or IPv4.
     */
    static Optional<InetAddress> globalIpv6(List<InetAddress> addresses) {
        InetAddress ula = null;
        for (InetAddress a : addresses) {
            if (!(a instanceof Inet6Address) || a.isLinkLocalAddress() || a.isLoopbackAddress() || a.isMulticastAddress()
                    || a.isAnyLocalAddress() || a.isSiteLocalAddress()) continue;
            if ((a.getAddress()[0] & 0xfe) == 0xfc) {
                if (ula == null) ula = a;
                continue;
            }
            return Optional.of(withoutScope(a));
        }
        return Optional.ofNullable(ula).map(Gateways::withoutScope);
    }

    private static InetAddress withoutScope(InetAddress a) {
        try {
            return InetAddress.getByAddress(a.getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 16 bytes are always an address
        }
    }

    /**
     * /proc/net/route: a header line, then "Iface Destination Gateway Flags RefCnt Use Metric Mask ..."
     * with addresses as host-order (little-endian) hex. Unreadable lines are skipped.
     */
    static Optional<Route> defaultIpv4(List<String> lines) {
        Route best = null;
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 8 || f[0].equals("Iface")) continue;
            try {
                int flags = Integer.parseInt(f[3], 16);
                if (!f[1].equals("00000000") || !f[7].equals("00000000") || (flags & (RTF_UP | RTF_GATEWAY)) != (RTF_UP | RTF_GATEWAY)) continue;
                long gw = Long.parseLong(f[2], 16);
                byte[] a = {(byte) gw, (byte) (gw >> 8), (byte) (gw >> 16), (byte) (gw >> 24)};
                long metric = Long.parseLong(f[6]);
                if (best == null || metric < best.metric()) best = new Route(f[0], InetAddress.getByAddress(a), metric);
            } catch (NumberFormatException | UnknownHostException e) {
                // a line we do not understand is not a default route
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * /proc/net/ipv6_route: "dest destlen src srclen nexthop metric refcnt use flags iface", addresses as
     * 32 hex digits in network order.
     */
    static Optional<Route> defaultIpv6(List<String> lines) {
        Route best = null;
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10) continue;
            try {
                int flags = (int) Long.parseLong(f[8], 16);
                if (!f[1].equals("00") || !f[0].matches("0{32}") || f[4].matches("0{32}")
                        || (flags & (RTF_UP | RTF_GATEWAY)) != (RTF_UP | RTF_GATEWAY)) continue;
                long metric = Long.parseLong(f[5], 16);
                InetAddress gw = InetAddress.getByAddress(HexFormat.of().parseHex(f[4]));
                if (best == null || metric < best.metric()) best = new Route(f[9], gw, metric);
            } catch (IllegalArgumentException | UnknownHostException e) {
                // not a default route we understand
            }
        }
        return Optional.ofNullable(best);
    }
}
