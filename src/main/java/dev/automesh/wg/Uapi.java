package dev.automesh.wg;

import dev.automesh.crypto.WgKey;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * Text encoding of the cross-platform WireGuard UAPI (wireguard-go, boringtun): the {@code set=1}
 * request for a batch of peer updates and the parser of the {@code get=1} reply. Pure functions, so
 * they are tested on transcripts as well as against a real daemon.
 */
final class Uapi {
    private Uapi() {}

    /** A reply that does not follow the protocol. The message never contains key material. */
    static final class ProtocolException extends Exception {
        ProtocolException(String message) {
            super(message);
        }
    }

    /** A parsed {@code errno=} value with the device (null when the reply was an error). */
    record GetReply(int errno, WgDevice device) {}

    /**
     * Splits a batch, in order, into runs of updates that set the same fields. boringtun does not
     * reset a peer section's endpoint / keepalive / replace_allowed_ips when the next
     * {@code public_key=} starts, so within one transaction a later peer would inherit them. Within a run every section sets the same fields, so
     * nothing stale survives; wireguard-go gets the same result either way. A typical mesh batch
     * (endpoint changes, or initial peers) is one run, hence one transaction.
     *
     * <p>Fresh updates form runs of their own: such a run is sent as {@link #encodeRemovals} and then
     * {@link #encodeSet}, two transactions, because boringtun also carries {@code remove=true} into
     * the following sections, so a re-add after a removal in the same transaction would remove too.
     * Removing the run's peers before re-adding any of them ends as removing and re-adding each in
     * turn: a removal only frees that peer's own allowed IPs.
     */
    static List<List<PeerUpdate>> runs(List<PeerUpdate> updates) {
        List<List<PeerUpdate>> runs = new ArrayList<>();
        List<PeerUpdate> current = new ArrayList<>();
        int sig = Integer.MIN_VALUE;
        for (PeerUpdate u : updates) {
            int s = signature(u);
            if (s != sig && !current.isEmpty()) {
                runs.add(current);
                current = new ArrayList<>();
            }
            sig = s;
            current.add(u);
        }
        if (!current.isEmpty()) runs.add(current);
        return runs;
    }

    private static int signature(PeerUpdate u) {
        return (u.endpoint().isPresent() ? 1 : 0) | (u.persistentKeepalive().isPresent() ? 2 : 0)
                | (u.replaceAllowedIps().isPresent() ? 4 : 0) | (u.fresh() ? 8 : 0);
    }

    /**
     * The first transaction of a run of fresh updates: removes their peers (the second, {@link
     * #encodeSet}, adds them again with their full state). Removing a peer that does not exist is
     * not an error for wireguard-go or boringtun.
     */
    static String encodeRemovals(List<PeerUpdate> fresh) {
        StringBuilder sb = new StringBuilder(8 + fresh.size() * 90);
        sb.append("set=1\n");
        for (PeerUpdate u : fresh) {
            if (!u.fresh()) throw new IllegalArgumentException("not a fresh update: peer " + u.publicKey());
            sb.append("public_key=").append(u.publicKey().toHex()).append("\nremove=true\n");
        }
        sb.append('\n');
        return sb.toString();
    }

    /**
     * Updates as one {@code set=1} transaction, terminated by the empty line. A fresh update is
     * written as a full section, the same as a plain one that sets every field it carries: the
     * removal went before, in {@link #encodeRemovals}.
     */
    static String encodeSet(List<PeerUpdate> updates) {
        StringBuilder sb = new StringBuilder(64 + updates.size() * 160);
        sb.append("set=1\n");
        for (PeerUpdate u : updates) {
            sb.append("public_key=").append(u.publicKey().toHex()).append('\n');
            u.endpoint().ifPresent(e -> sb.append("endpoint=").append(formatEndpoint(e)).append('\n'));
            u.persistentKeepalive().ifPresent(k -> sb.append("persistent_keepalive_interval=").append(k).append('\n'));
            u.replaceAllowedIps().ifPresent(ips -> {
                sb.append("replace_allowed_ips=true\n");
                for (IpPrefix p : ips) sb.append("allowed_ip=").append(p).append('\n');
            });
        }
        sb.append('\n');
        return sb.toString();
    }

    /** {@code a.b.c.d:port} or {@code [v6]:port}, as wireguard-go and boringtun parse it. */
    static String formatEndpoint(InetSocketAddress e) {
        InetAddress a = e.getAddress();
        String host = a.getHostAddress();
        return (a instanceof Inet6Address ? "[" + host + "]" : host) + ":" + e.getPort();
    }

    /**
     * Parses a complete {@code get=1} reply (ending with {@code errno=N} and an empty line). Unknown
     * keys are ignored (newer daemons add some); known keys must have well-formed values.
     */
    static GetReply parseGet(String iface, String reply) throws ProtocolException {
        return parseGet(iface, reply, new PublicKeyCache());
    }

    /**
     * Remembers the public key of the last private key seen: deriving it is a Curve25519 scalar
     * multiplication, too costly to repeat on every read of an unchanged device.
     */
    static final class PublicKeyCache {
        private String privateHex;
        private Optional<WgKey> publicKey;

        Optional<WgKey> of(String hex) {
            if (!hex.equals(privateHex)) {
                publicKey = publicKeyOf(hex);
                privateHex = hex;
            }
            return publicKey;
        }
    }

    /**
     * One pass over the reply without a String per line: a 1000-peer reply has ~9000 lines, read every
     * second, and three Strings each (line, key, value) were most of what a device read allocated. Only
     * the values that become objects (keys, endpoints, allowed IPs) are cut out; numbers are parsed in
     * place; lines with keys we ignore allocate nothing.
     */
    static GetReply parseGet(String iface, String reply, PublicKeyCache keys) throws ProtocolException {
        Optional<WgKey> publicKey = Optional.empty();
        int listenPort = 0;
        List<WgPeer> peers = new ArrayList<>();
        Set<WgKey> seen = new HashSet<>();
        WgPeer.Builder peer = null;
        Integer errno = null;
        int lineNo = 0;
        int pos = 0;
        int len = reply.length();
        while (pos < len) {
            int nl = reply.indexOf('\n', pos);
            if (nl < 0) throw new ProtocolException("reply is not terminated by a newline");
            int start = pos;
            pos = nl + 1;
            lineNo++;
            if (nl == start) {
                if (pos != len) throw new ProtocolException("line " + lineNo + ": empty line before the end of the reply");
                break;
            }
            if (errno != null) throw new ProtocolException("line " + lineNo + ": data after errno=");
            int eq = reply.indexOf('=', start);
            if (eq <= start || eq > nl) {
                throw new ProtocolException("line " + lineNo + ": expected key=value, got " + quote(reply.substring(start, nl)));
            }
            int v = eq + 1;
            try {
                Key key = Key.of(reply, start, eq);
                if (key.perPeer && peer == null) {
                    throw new ProtocolException("line " + lineNo + ": " + key.text + " before any public_key");
                }
                switch (key) {
                    case PUBLIC_KEY -> {
                        if (peer != null) peers.add(peer.build());
                        WgKey k = WgKey.fromHex(reply.substring(v, nl));
                        if (!seen.add(k)) throw new ProtocolException("line " + lineNo + ": peer " + k + " listed twice");
                        peer = new WgPeer.Builder(k);
                    }
                    case ALLOWED_IP -> peer.allowed.add(parsePrefix(reply.substring(v, nl)));
                    case TX_BYTES -> peer.tx = Long.parseUnsignedLong(reply, v, nl, 10);
                    case RX_BYTES -> peer.rx = Long.parseUnsignedLong(reply, v, nl, 10);
                    case LAST_HANDSHAKE_TIME_SEC -> peer.handshake = nonNegativeLong(reply, v, nl);
                    case ENDPOINT -> peer.endpoint = Optional.of(parseEndpoint(reply.substring(v, nl)));
                    case PERSISTENT_KEEPALIVE_INTERVAL -> peer.keepalive = port(reply, v, nl);
                    case ERRNO -> errno = Integer.parseInt(reply, v, nl, 10);
                    case PRIVATE_KEY -> publicKey = keys.of(reply.substring(v, nl));
                    case OWN_PUBLIC_KEY -> publicKey = Optional.of(WgKey.fromHex(reply.substring(v, nl))); // boringtun
                    case LISTEN_PORT -> listenPort = port(reply, v, nl);
                    case OTHER -> { } // fwmark, preshared_key, protocol_version, last_handshake_time_nsec, future keys
                }
            } catch (IllegalArgumentException e) { // includes NumberFormatException
                // Never echo private_key / preshared_key values.
                String key = reply.substring(start, eq);
                String shown = key.endsWith("private_key") || key.equals("preshared_key") ? key + "=<redacted>"
                        : reply.substring(start, nl);
                throw new ProtocolException("line " + lineNo + ": bad value in " + quote(shown) + ": " + e.getMessage());
            }
        }
        if (errno == null) throw new ProtocolException("reply has no errno= line");
        if (peer != null) peers.add(peer.build());
        if (errno != 0) return new GetReply(errno, null);
        return new GetReply(0, new WgDevice(iface, publicKey, listenPort, peers));
    }

    /** The keys a get reply has that we read; a line's key is looked up without cutting it out. */
    private enum Key {
        PUBLIC_KEY(false), ENDPOINT(true), LAST_HANDSHAKE_TIME_SEC(true), TX_BYTES(true), RX_BYTES(true),
        PERSISTENT_KEEPALIVE_INTERVAL(true), ALLOWED_IP(true), ERRNO(false), PRIVATE_KEY(false),
        OWN_PUBLIC_KEY(false), LISTEN_PORT(false), OTHER(false);

        private static final Key[] READ = Arrays.copyOf(values(), values().length - 1);
        /** Its text in the protocol. */
        final String text = name().toLowerCase(Locale.ROOT);
        /** It describes the peer of the last public_key line. */
        final boolean perPeer;

        Key(boolean perPeer) {
            this.perPeer = perPeer;
        }

        /** The key of the line {@code reply[start, eq)}. */
        static Key of(String reply, int start, int eq) {
            for (Key k : READ) {
                if (eq - start == k.text.length() && reply.startsWith(k.text, start)) return k;
            }
            return OTHER;
        }
    }

    /** Reads the errno of a {@code set=1} reply, which is only {@code errno=N} and the empty line. */
    static int parseSet(String reply) throws ProtocolException {
        if (!reply.startsWith("errno=") || !reply.endsWith("\n\n") || reply.indexOf('\n') != reply.length() - 2) {
            throw new ProtocolException("expected errno=N, got " + quote(reply.strip()));
        }
        try {
            return Integer.parseInt(reply.substring(6, reply.length() - 2));
        } catch (NumberFormatException e) {
            throw new ProtocolException("expected errno=N, got " + quote(reply.strip()));
        }
    }


    private static Optional<WgKey> publicKeyOf(String hex) {
        WgKey priv = WgKey.fromHex(hex);
        byte[] p = priv.bytes();
        boolean zero = true;
        for (byte b : p) zero &= b == 0;
        if (zero) return Optional.empty(); // "no key" as some implementations write it
        byte[] pub = new byte[X25519.POINT_SIZE];
        X25519.generatePublicKey(p, 0, pub, 0);
        java.util.Arrays.fill(p, (byte) 0);
        return Optional.of(WgKey.of(pub));
    }

    private static int port(String s) {
        return port(s, 0, s.length());
    }

    private static int port(String s, int from, int to) {
        int v = Integer.parseInt(s, from, to, 10);
        if (v < 0 || v > 65535) throw new IllegalArgumentException(v + " is not in 0-65535");
        return v;
    }

    private static long nonNegativeLong(String s, int from, int to) {
        long v = Long.parseLong(s, from, to, 10);
        if (v < 0) throw new IllegalArgumentException("negative: " + v);
        return v;
    }

    static InetSocketAddress parseEndpoint(String s) {
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf("]:");
            if (close < 0) throw new IllegalArgumentException("IPv6 endpoint must be [address]:port");
            host = s.substring(1, close);
            port = s.substring(close + 2);
            if (host.indexOf(':') < 0) throw new IllegalArgumentException("not an IPv6 address: " + host);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) throw new IllegalArgumentException("endpoint has no port");
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
            if (host.indexOf(':') >= 0) throw new IllegalArgumentException("IPv6 endpoint without brackets");
        }
        if (port.length() > 5 || !digits(port)) {
            throw new IllegalArgumentException("bad port " + quote(port));
        }
        return new InetSocketAddress(parseAddress(host), port(port));
    }

    static IpPrefix parsePrefix(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) throw new IllegalArgumentException("allowed IP needs /prefix-length");
        String len = s.substring(slash + 1);
        if (len.length() > 3 || !digits(len)) {
            throw new IllegalArgumentException("bad prefix length " + quote(len));
        }
        return new IpPrefix(parseAddress(s.substring(0, slash)), Integer.parseInt(len));
    }

    /** An IP literal only: never a name (InetAddress.getByName would resolve one). */
    static InetAddress parseAddress(String s) {
        if (s.indexOf(':') >= 0) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
                        || c == ':' || c == '.';
                if (!ok) throw new IllegalArgumentException("not an IP address: " + quote(s));
            }
            try {
                return InetAddress.getByName(s); // contains ':' so Java parses it as an IPv6 literal
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an IPv6 address: " + quote(s));
            }
        }
        byte[] b = new byte[4];
        int start = 0;
        for (int i = 0; i < 4; i++) {
            int end = i < 3 ? s.indexOf('.', start) : s.length();
            if (end < 0) throw new IllegalArgumentException("not an IPv4 address: " + quote(s));
            int n = end - start;
            if (n < 1 || n > 3 || !digits(s, start, end)) throw new IllegalArgumentException("not an IPv4 address: " + quote(s));
            int v = Integer.parseInt(s, start, end, 10);
            if (v > 255) throw new IllegalArgumentException("not an IPv4 address: " + quote(s));
            b[i] = (byte) v;
            start = end + 1;
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen for 4 bytes
        }
    }

    private static boolean digits(String s) {
        return !s.isEmpty() && digits(s, 0, s.length());
    }

    private static boolean digits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return false;
        }
        return true;
    }

    static String quote(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return "'" + t.replace("\n", "\\n") + "'";
    }
}
