package dev.automesh.upnp;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * SSDP M-SEARCH for Internet Gateway Devices on every LAN interface at once (weupnp's GatewayDiscover
 * waits a full timeout per search type, one after the other, which makes an absent router cost three
 * timeouts). Only replies whose description URL is on the same subnet as the interface address that
 * received them count: that address is the one the router can forward to.
 */
final class Ssdp {
    static final String[] SEARCH_TARGETS = {
            "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
            "urn:schemas-upnp-org:service:WANIPConnection:1",
            "urn:schemas-upnp-org:service:WANPPPConnection:1",
    };
    private static final InetSocketAddress GROUP = new InetSocketAddress("239.255.255.250", 1900);

    /** A reply from a gateway: where its description is, the search target it answered, and our address facing it. */
    record Reply(String location, String st, InetAddress localAddress, NetworkInterface nif) {}

    /** An IPv4 LAN address of ours with its interface and prefix length. */
    record LocalAddress(NetworkInterface nif, Inet4Address address, int prefixLength) {}

    private Ssdp() {}

    static List<LocalAddress> lanAddresses() throws SocketException {
        List<LocalAddress> out = new ArrayList<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            // WireGuard interfaces are point-to-point: never search through the tunnel.
            if (!nif.isUp() || nif.isLoopback() || nif.isPointToPoint() || nif.isVirtual() || !nif.supportsMulticast()) continue;
            for (InterfaceAddress ia : nif.getInterfaceAddresses()) {
                if (ia.getAddress() instanceof Inet4Address a && !a.isLinkLocalAddress()) {
                    out.add(new LocalAddress(nif, a, ia.getNetworkPrefixLength()));
                }
            }
        }
        return out;
    }

    /**
     * Sends the M-SEARCHes on all LAN addresses and returns the in-subnet replies received within
     * {@code timeout}, in arrival order (possibly several per gateway). Returns early once a reply came.
     */
    static List<Reply> search(Duration timeout) throws IOException {
        List<LocalAddress> locals = lanAddresses();
        List<MulticastSocket> sockets = new ArrayList<>();
        List<Reply> replies = new ArrayList<>();
        int mx = (int) Math.max(1, Math.min(5, timeout.toMillis() / 1000));
        try {
            for (LocalAddress la : locals) {
                MulticastSocket s = new MulticastSocket(new InetSocketAddress(la.address(), 0));
                sockets.add(s);
                s.setNetworkInterface(la.nif());
                s.setTimeToLive(2);
                for (String st : SEARCH_TARGETS) {
                    byte[] msg = ("M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: " + st
                            + "\r\nMAN: \"ssdp:discover\"\r\nMX: " + mx + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                    try {
                        s.send(new DatagramPacket(msg, msg.length, GROUP));
                    } catch (IOException e) {
                        // An interface without a multicast route: nothing to find there.
                    }
                }
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            byte[] buf = new byte[2048];
            while (!sockets.isEmpty() && replies.isEmpty() && System.nanoTime() < deadline) {
                for (int i = 0; i < sockets.size(); i++) {
                    MulticastSocket s = sockets.get(i);
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0) break;
                    s.setSoTimeout((int) Math.max(1, Math.min(left, sockets.size() == 1 ? left : 50)));
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                        s.receive(p);
                    } catch (SocketTimeoutException e) {
                        continue;
                    }
                    LocalAddress la = locals.get(i);
                    parse(new String(p.getData(), 0, p.getLength(), StandardCharsets.ISO_8859_1), la)
                            .ifPresent(replies::add);
                }
            }
        } finally {
            for (MulticastSocket s : sockets) s.close();
        }
        return replies;
    }

    /**
     * IPv6 M-SEARCH for {@code st} on {@code nif} (link-local group ff02::c) from {@code source}; returns the
     * first IPv6 description URL that answers. Needed for the IPv6 firewall service: routers (miniupnpd)
     * only let a client open a pinhole for the address it talks to them from, so that call must go over IPv6.
     */
    static Optional<String> searchV6(NetworkInterface nif, java.net.Inet6Address source, String st, Duration timeout) throws IOException {
        int mx = (int) Math.max(1, Math.min(5, timeout.toMillis() / 1000));
        try (MulticastSocket s = new MulticastSocket(new InetSocketAddress(source, 0))) {
            s.setNetworkInterface(nif);
            s.setTimeToLive(2);
            byte[] msg = ("M-SEARCH * HTTP/1.1\r\nHOST: [FF02::C]:1900\r\nST: " + st
                    + "\r\nMAN: \"ssdp:discover\"\r\nMX: " + mx + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            InetAddress group = java.net.Inet6Address.getByAddress(null, InetAddress.getByName("ff02::c").getAddress(), nif);
            s.send(new DatagramPacket(msg, msg.length, new InetSocketAddress(group, 1900)));
            long deadline = System.nanoTime() + timeout.toNanos();
            byte[] buf = new byte[2048];
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) return Optional.empty();
                s.setSoTimeout((int) left);
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    s.receive(p);
                } catch (SocketTimeoutException e) {
                    return Optional.empty();
                }
                String location = null, replySt = null;
                for (String line : new String(p.getData(), 0, p.getLength(), StandardCharsets.ISO_8859_1).split("\r?\n")) {
                    int c = line.indexOf(':');
                    if (c <= 0) continue;
                    String key = line.substring(0, c).trim().toLowerCase(Locale.ROOT);
                    if (key.equals("location")) location = line.substring(c + 1).trim();
                    else if (key.equals("st")) replySt = line.substring(c + 1).trim();
                }
                if (location != null && st.equals(replySt) && location.contains("://[")) return Optional.of(location);
            }
        }
    }

    static Optional<Reply> parse(String text, LocalAddress la) {
        String location = null, st = null;
        for (String line : text.split("\r?\n")) {
            int c = line.indexOf(':');
            if (c <= 0) continue;
            String key = line.substring(0, c).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(c + 1).trim();
            if (key.equals("location")) location = value;
            else if (key.equals("st")) st = value;
        }
        if (location == null || st == null || !List.of(SEARCH_TARGETS).contains(st)) return Optional.empty();
        try {
            String host = URI.create(location).getHost();
            if (host == null) return Optional.empty();
            InetAddress router = InetAddress.getByName(host); // a literal in practice; no DNS for IP strings
            if (!sameSubnet(router, la.address(), la.prefixLength())) return Optional.empty();
        } catch (IllegalArgumentException | IOException e) {
            return Optional.empty();
        }
        return Optional.of(new Reply(location, st, la.address(), la.nif()));
    }

    static boolean sameSubnet(InetAddress a, InetAddress b, int prefix) {
        byte[] x = a.getAddress(), y = b.getAddress();
        if (x.length != y.length) return false;
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >> (bit % 8);
            if ((x[bit / 8] & mask) != (y[bit / 8] & mask)) return false;
        }
        return true;
    }
}
