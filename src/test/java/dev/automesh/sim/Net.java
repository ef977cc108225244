package dev.automesh.sim;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;

/**
 * Addresses and NATs. A site is one LAN; its nodes reach each other by LAN address. A public site's
 * LAN addresses are public. A cone NAT maps each node's WireGuard socket to one external port for all
 * destinations (endpoint-independent mapping) and lets in only what comes from an address:port the
 * node sent to in the last {@link #FILTER_MS} (address-and-port-dependent filtering, like Linux
 * masquerade). A symmetric NAT allocates a new external port per destination, and lets in only that
 * destination. No hairpinning.
 */
final class Net {
    enum Nat { PUBLIC, CONE, SYMMETRIC }

    static final int WG_PORT = 51820;
    /** UDP conntrack timeout for a stream that saw replies. */
    static final long FILTER_MS = 180_000;

    final int[] site;
    final Nat[] siteNat;
    final InetAddress[] lanIp;
    final InetAddress[] siteWanIp;
    final int[] conePort;
    private final Map<InetSocketAddress, Integer> byLan = new HashMap<>();
    /** External address → node and, for symmetric NATs, the only remote let in (null for cone). */
    private final Map<InetSocketAddress, Mapping> mappings = new HashMap<>();
    /** Per node: remote address → last time it was sent to (the NAT filter). */
    private final Map<InetSocketAddress, Long>[] sentTo;
    private final Map<InetSocketAddress, InetSocketAddress>[] symOut;
    private int nextPort = 20_000;

    private record Mapping(int node, InetSocketAddress onlyFrom) {}

    @SuppressWarnings("unchecked")
    Net(int[] site, Nat[] siteNat) {
        int n = site.length;
        this.site = site;
        this.siteNat = siteNat;
        lanIp = new InetAddress[n];
        siteWanIp = new InetAddress[siteNat.length];
        conePort = new int[n];
        sentTo = new Map[n];
        symOut = new Map[n];
        for (int s = 0; s < siteNat.length; s++) siteWanIp[s] = ip(198, 18 + (s >> 16), (s >> 8) & 255, s & 255);
        int[] inSite = new int[siteNat.length];
        for (int i = 0; i < n; i++) {
            int s = site[i], h = ++inSite[s];
            lanIp[i] = siteNat[s] == Nat.PUBLIC ? ip(100, 64 + (i >> 16), (i >> 8) & 255, i & 255) : ip(10, 128 + (s >> 8), s & 255, h);
            byLan.put(new InetSocketAddress(lanIp[i], WG_PORT), i);
            sentTo[i] = new HashMap<>();
            symOut[i] = new HashMap<>();
            if (siteNat[s] == Nat.CONE) remapCone(i);
        }
    }

    static InetAddress ip(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    Nat nat(int node) { return siteNat[site[node]]; }

    InetSocketAddress lan(int node) { return new InetSocketAddress(lanIp[node], WG_PORT); }

    /** The subnet of the node's LAN (a /24 per site), as the daemon reads it off its interfaces; none when public. */
    java.util.List<dev.automesh.wg.IpPrefix> lanSubnet(int node) {
        if (nat(node) == Nat.PUBLIC) return java.util.List.of();
        byte[] b = lanIp[node].getAddress();
        return java.util.List.of(new dev.automesh.wg.IpPrefix(ip(b[0] & 255, b[1] & 255, b[2] & 255, 0), 24));
    }

    /** The node on {@code from}'s own LAN that has this address, or null (a datagram outside the tunnels). */
    Integer onSameLan(int from, InetAddress ip) {
        Integer j = byLan.get(new InetSocketAddress(ip, WG_PORT));
        return j != null && site[j] == site[from] && nat(j) != Nat.PUBLIC ? j : null;
    }

    /** Where the rest of the world reaches this node's WireGuard (null behind a symmetric NAT: nowhere stable). */
    InetSocketAddress publicEndpoint(int node) {
        return switch (nat(node)) {
            case PUBLIC -> lan(node);
            case CONE -> new InetSocketAddress(siteWanIp[site[node]], conePort[node]);
            case SYMMETRIC -> null;
        };
    }

    /** The NAT forgets the node's mapping and picks another port; a public node moves to another address. */
    void roam(int node) {
        if (nat(node) == Nat.CONE) {
            mappings.remove(publicEndpoint(node));
            remapCone(node);
        } else if (nat(node) == Nat.PUBLIC) {
            byLan.remove(lan(node));
            lanIp[node] = ip(100, 127, (node >> 8) & 255, node & 255);
            byLan.put(lan(node), node);
        } else {
            symOut[node].values().forEach(mappings::remove);
            symOut[node].clear();
        }
        sentTo[node].clear();
    }

    private void remapCone(int node) {
        conePort[node] = nextPort++;
        mappings.put(publicEndpoint(node), new Mapping(node, null));
    }

    /**
     * A WireGuard packet from {@code from} to {@code to}: opens the sender's NAT and returns the source
     * address the receiver sees, or null when it cannot arrive. {@code receiver[0]} gets the node it reaches.
     */
    InetSocketAddress send(int from, InetSocketAddress to, long nowMillis, int[] receiver) {
        Integer direct = byLan.get(to);
        InetSocketAddress src;
        if (direct != null && site[direct] == site[from]) {
            receiver[0] = direct;
            return lan(from);
        }
        src = switch (nat(from)) {
            case PUBLIC -> lan(from);
            case CONE -> publicEndpoint(from);
            case SYMMETRIC -> symOut[from].computeIfAbsent(to, k -> {
                InetSocketAddress a = new InetSocketAddress(siteWanIp[site[from]], nextPort++);
                mappings.put(a, new Mapping(from, k));
                return a;
            });
        };
        sentTo[from].put(to, nowMillis);
        if (direct != null) {
            if (nat(direct) != Nat.PUBLIC) return null; // a private address of another site
            receiver[0] = direct;
            return src;
        }
        Mapping m = mappings.get(to);
        if (m == null) return null;
        if (m.onlyFrom != null && !m.onlyFrom.equals(src)) return null;
        Long sent = sentTo[m.node].get(src);
        if (sent == null || nowMillis - sent > FILTER_MS) return null;
        receiver[0] = m.node;
        return src;
    }

    /** Can these two ever get a direct session (what "full mesh" waits for)? */
    boolean canPunch(int a, int b) {
        if (site[a] == site[b]) return true;
        Nat x = nat(a), y = nat(b);
        if (x == Nat.PUBLIC || y == Nat.PUBLIC) return true;
        return x == Nat.CONE && y == Nat.CONE;
    }
}
