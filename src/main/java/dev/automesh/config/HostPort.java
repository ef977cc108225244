package dev.automesh.config;

import java.util.Objects;

/**
 * An endpoint as written in the config: a host (IP literal or DNS name) and a port. DNS names are kept
 * as written and resolved at use time, never at load time, so a config loads without a network.
 */
public record HostPort(String host, int port) {
    private static final String EXPECTED = "(expected host:port or [v6]:port)";

    public HostPort {
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " out of range 1-65535");
        }
    }

    /**
     * Parses {@code host:port}, {@code a.b.c.d:port} or {@code [v6]:port}. Host names are checked for
     * shape only. Says nothing about whether the address can be a peer: see {@link EndpointClass}.
     *
     * @throws IllegalArgumentException with the problem, phrased to follow the quoted value
     */
    public static HostPort parse(String s) {
        if (s.isEmpty()) throw new IllegalArgumentException("is empty " + EXPECTED);
        String host;
        String portText;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) throw new IllegalArgumentException("has no closing ']' " + EXPECTED);
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (rest.isEmpty()) throw new IllegalArgumentException("has no port " + EXPECTED);
            if (rest.charAt(0) != ':') {
                throw new IllegalArgumentException("has " + Texts.quote(rest) + " after ']' where \":port\" belongs " + EXPECTED);
            }
            portText = rest.substring(1);
            if (host.indexOf(':') < 0) {
                throw new IllegalArgumentException("has brackets around " + Texts.quote(host)
                        + ", which is not an IPv6 address; brackets are only for IPv6 " + EXPECTED);
            }
            try {
                IpLiteral.parse(host);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("has " + Texts.quote(host) + " in brackets, which " + e.getMessage());
            }
        } else {
            if (s.indexOf(']') >= 0) throw new IllegalArgumentException("has ']' without '[' " + EXPECTED);
            int first = s.indexOf(':');
            int last = s.lastIndexOf(':');
            if (first < 0) throw new IllegalArgumentException("has no port " + EXPECTED);
            if (first != last) {
                if (IpLiteral.isLiteral(s)) throw new IllegalArgumentException("has no port " + EXPECTED);
                String maybeHost = s.substring(0, last);
                if (IpLiteral.isLiteral(maybeHost)) {
                    throw new IllegalArgumentException("is an IPv6 address and port without brackets; write \"["
                            + maybeHost + "]:" + s.substring(last + 1) + "\"");
                }
                throw new IllegalArgumentException("is not host:port " + EXPECTED);
            }
            host = s.substring(0, first);
            portText = s.substring(first + 1);
            if (host.isEmpty()) throw new IllegalArgumentException("has no host " + EXPECTED);
            if (looksNumericV4(host)) {
                try {
                    IpLiteral.parse(host);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("has host " + Texts.quote(host) + ", which " + e.getMessage());
                }
            } else {
                String why = hostNameProblem(host);
                if (why != null) throw new IllegalArgumentException("has host " + Texts.quote(host) + ", which " + why);
            }
        }
        if (portText.isEmpty()) throw new IllegalArgumentException("has no port after ':' " + EXPECTED);
        if (!IpLiteral.allDigits(portText) || portText.length() > 5) {
            throw new IllegalArgumentException("has port " + Texts.quote(portText) + ", which is not a number 1-65535");
        }
        int port = Integer.parseInt(portText);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("has port " + port + ", which is out of range (expected 1-65535)");
        }
        if (IpLiteral.isLiteral(host) && IpLiteral.parse(host).isAnyLocalAddress()) {
            throw new IllegalArgumentException("has the unspecified address " + host + ", which cannot be reached");
        }
        return new HostPort(host, port);
    }

    /** A last label made of digits means the user meant an IPv4 literal (no TLD is all-numeric). */
    static boolean looksNumericV4(String host) {
        String lastLabel = host.substring(host.lastIndexOf('.') + 1);
        return IpLiteral.allDigits(lastLabel) || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    /** RFC 1123 shape (letters, digits, '-', '_'; labels 1-63; total 253), or null if fine. */
    static String hostNameProblem(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (h.isEmpty() || h.length() > 253) return "is not a valid host name (1-253 characters)";
        for (String label : h.split("\\.", -1)) {
            if (label.isEmpty()) return "is not a valid host name (empty label between dots)";
            if (label.length() > 63) return "is not a valid host name (a label is longer than 63 characters)";
            if (label.startsWith("-") || label.endsWith("-")) {
                return "is not a valid host name (a label starts or ends with '-')";
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                if (!ok) return "is not a valid host name (character " + Texts.quote(String.valueOf(c)) + ")";
            }
        }
        return null;
    }

    /** The IP literal host, if it is one (never resolves). */
    public java.util.Optional<java.net.InetAddress> literal() {
        return IpLiteral.isLiteral(host) ? java.util.Optional.of(IpLiteral.parse(host)) : java.util.Optional.empty();
    }

    @Override
    public String toString() {
        return format(host, port);
    }

    /** host:port, or [v6]:port: how automesh writes every endpoint (config, logs, status). */
    public static String format(String host, int port) {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** A socket address the same way, by its IP (never the resolver's "name/" prefix). */
    public static String format(java.net.InetSocketAddress a) {
        return format(a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString(), a.getPort());
    }
}
