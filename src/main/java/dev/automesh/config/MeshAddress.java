package dev.automesh.config;

import java.net.InetAddress;

/** A peer's mesh address as written in the config: exactly one IP literal, no prefix, no host name. */
final class MeshAddress {
    private MeshAddress() {}

    /** @throws IllegalArgumentException with the problem, phrased to follow the quoted value */
    static InetAddress parse(String s) {
        if (s.isEmpty()) throw new IllegalArgumentException("is empty (expected one IP address, e.g. \"10.0.0.2\")");
        int slash = s.indexOf('/');
        if (slash >= 0) {
            throw new IllegalArgumentException("is a prefix, not a single address (write \"" + s.substring(0, slash)
                    + "\"; allowed-ips becomes that address as /32 or /128)");
        }
        if (!s.strip().equals(s) && s.strip().indexOf(' ') < 0) {
            throw new IllegalArgumentException("has spaces around it; write \"" + s.strip() + "\"");
        }
        if (s.indexOf(',') >= 0 || s.indexOf(' ') >= 0) {
            throw new IllegalArgumentException("lists several values; address takes exactly one IP address");
        }
        if (s.startsWith("[")) {
            throw new IllegalArgumentException("has brackets; write the bare IPv6 address (brackets belong in endpoints)");
        }
        if (s.indexOf(':') < 0 && !HostPort.looksNumericV4(s)) {
            throw new IllegalArgumentException("is not an IP address (address takes an IP literal, not a host name)");
        }
        InetAddress a = IpLiteral.parse(s);
        if (a.isAnyLocalAddress() || a.isMulticastAddress()) {
            throw new IllegalArgumentException("is " + (a.isAnyLocalAddress() ? "the unspecified address" : "a multicast address")
                    + "; use the peer's own mesh address");
        }
        return a;
    }
}
