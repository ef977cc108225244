package dev.automesh.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Strict IP literal parser that never touches DNS. {@code InetAddress.getByName} would happily
 * resolve a typo as a host name (and block on the network), so config values are parsed here and
 * only the finished bytes go to {@link InetAddress#getByAddress(byte[])}, which never resolves.
 *
 * <p>Accepted: dotted-quad IPv4 without leading zeros (as Rust's {@code IpAddr} parser, which
 * wgautomesh uses), and RFC 4291 IPv6 text forms including {@code ::} and a trailing dotted quad.
 * Rejected: zone ids ({@code %eth0}), brackets, prefixes ({@code /24}), IPv4-mapped IPv6 (Java
 * would silently turn it into an IPv4 address).
 */
public final class IpLiteral {
    private IpLiteral() {}

    /** @throws IllegalArgumentException with a short reason when {@code s} is not a single IP literal */
    public static InetAddress parse(String s) {
        byte[] bytes = s.indexOf(':') >= 0 ? parseV6(s) : parseV4(s);
        if (bytes.length == 16 && isV4Mapped(bytes)) {
            throw new IllegalArgumentException("is an IPv4-mapped IPv6 address; write the IPv4 form "
                    + (bytes[12] & 0xff) + "." + (bytes[13] & 0xff) + "." + (bytes[14] & 0xff) + "." + (bytes[15] & 0xff));
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes were built", e); // unreachable
        }
    }

    /** True if {@code s} parses as an IP literal. */
    public static boolean isLiteral(String s) {
        try {
            parse(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static byte[] parseV4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("is not an IPv4 address (expected four numbers like 10.0.0.1)");
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !allDigits(p)) {
                throw new IllegalArgumentException("is not an IPv4 address (\"" + p + "\" is not a number 0-255)");
            }
            if (p.length() > 1 && p.charAt(0) == '0') {
                throw new IllegalArgumentException("is not an IPv4 address (\"" + p
                        + "\" has a leading zero, which some tools read as octal)");
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                throw new IllegalArgumentException("is not an IPv4 address (" + v + " is above 255)");
            }
            out[i] = (byte) v;
        }
        return out;
    }

    static byte[] parseV6(String s) {
        if (s.indexOf('%') >= 0) {
            throw new IllegalArgumentException("has a zone id (%...), which is not supported here");
        }
        int dc = s.indexOf("::");
        if (dc >= 0 && s.indexOf("::", dc + 1) >= 0) {
            throw new IllegalArgumentException("is not an IPv6 address (\"::\" may appear only once)");
        }
        int[] head;
        int[] tail;
        boolean[] v4 = new boolean[1];
        if (dc >= 0) {
            head = groups(s.substring(0, dc), false, v4);
            tail = groups(s.substring(dc + 2), true, v4);
            if (head.length + tail.length > 7) {
                throw new IllegalArgumentException("is not an IPv6 address (too many groups)");
            }
        } else {
            head = groups(s, true, v4);
            tail = new int[0];
            if (head.length != 8) {
                throw new IllegalArgumentException("is not an IPv6 address (expected 8 groups or \"::\")");
            }
        }
        byte[] out = new byte[16];
        for (int i = 0; i < head.length; i++) {
            out[2 * i] = (byte) (head[i] >> 8);
            out[2 * i + 1] = (byte) head[i];
        }
        int off = 8 - tail.length;
        for (int i = 0; i < tail.length; i++) {
            out[2 * (off + i)] = (byte) (tail[i] >> 8);
            out[2 * (off + i) + 1] = (byte) tail[i];
        }
        return out;
    }

    /** 16-bit groups of one side of "::"; a dotted quad is allowed as the very last element. */
    private static int[] groups(String side, boolean mayEndWithV4, boolean[] sawV4) {
        if (side.isEmpty()) return new int[0];
        String[] parts = side.split(":", -1);
        int n = parts.length;
        String last = parts[n - 1];
        boolean endsV4 = last.indexOf('.') >= 0;
        if (endsV4 && !mayEndWithV4) {
            throw new IllegalArgumentException("is not an IPv6 address (an embedded IPv4 part must come last)");
        }
        int[] out = new int[endsV4 ? n + 1 : n];
        for (int i = 0; i < (endsV4 ? n - 1 : n); i++) {
            String g = parts[i];
            if (g.isEmpty() || g.length() > 4 || !allHex(g)) {
                throw new IllegalArgumentException("is not an IPv6 address (\"" + g + "\" is not a 1-4 digit hex group)");
            }
            out[i] = Integer.parseInt(g, 16);
        }
        if (endsV4) {
            byte[] q = parseV4(last);
            out[n - 1] = ((q[0] & 0xff) << 8) | (q[1] & 0xff);
            out[n] = ((q[2] & 0xff) << 8) | (q[3] & 0xff);
            sawV4[0] = true;
        }
        return out;
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) if (b[i] != 0) return false;
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }

    static boolean allDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return false;
        }
        return !s.isEmpty();
    }

    private static boolean allHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0 || s.charAt(i) > 'f') return false;
        }
        return true;
    }
}
