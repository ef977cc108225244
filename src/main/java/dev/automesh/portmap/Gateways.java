package dev.automesh.portmap;

import java.io.IOException;
import java.net.InetAddress;
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
