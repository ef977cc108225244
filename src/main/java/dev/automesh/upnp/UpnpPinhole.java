package dev.automesh.upnp;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPv6 pinhole beside a UPnP port mapping: finds the router's WANIPv6FirewallControl over IPv6,
 * opens a pinhole for our global IPv6 address and WireGuard port, renews it, deletes it. Runs on the
 * forwarder's thread; logs once per change of state.
 */
final class UpnpPinhole {
    private static final Logger log = LoggerFactory.getLogger(UpnpForwarder.class);
    private final UpnpSettings settings;
    private Optional<String> state = Optional.empty();
    private Optional<Soap.Service> firewall;
    private String pinholeId;
    private String lastLogged = "";

    UpnpPinhole(UpnpSettings settings) {
        this.settings = settings;
    }

    /** The pinhole's state for the status line, once tried. */
    Optional<String> state() {
        return state;
    }

    /** Another gateway was found: look its firewall service up again. */
    void forget() {
        firewall = null;
        pinholeId = null;
    }

    /** Opens the pinhole for our global IPv6 address on {@code localInterface}, or renews it. Never throws. */
    void keepOpen(NetworkInterface localInterface) {
        try {
            Optional<Inet6Address> v6 = globalIpv6(localInterface);
            if (v6.isEmpty()) {
                log("no global IPv6 address on " + localInterface.getName(), "UPnP: no global IPv6 address on "
                        + localInterface.getName() + ", no IPv6 pinhole opened");
                return;
            }
            if (firewall == null) {
                // Over IPv6 on purpose: the router opens pinholes only for the address the request comes from.
                Optional<String> location;
                try {
                    location = Ssdp.searchV6(localInterface, v6.get(), Soap.IPV6_FIREWALL_PREFIX + "1", settings.discoveryTimeout());
                } catch (IOException e) {
                    throw UpnpException.io("IPv6 SSDP discovery", "[ff02::c]:1900 on " + localInterface.getName(), e);
                }
                firewall = location.isEmpty() ? Optional.empty()
                        : Soap.findService(location.get(), Soap.IPV6_FIREWALL_PREFIX, settings.httpTimeout());
            }
            if (firewall.isEmpty()) {
                log("unsupported by router", "UPnP: the router offers no IPv6 firewall control (no WANIPv6FirewallControl "
                        + "answered over IPv6 on " + localInterface.getName() + "), so no IPv6 pinhole for UDP port "
                        + settings.listenPort() + "; IPv6 peers must reach us another way");
                return;
            }
            long lease = Math.min(86400, settings.lease().toSeconds());
            if (pinholeId != null) {
                try {
                    Soap.call(firewall.get(), "UpdatePinhole", args("UniqueID", pinholeId, "NewLeaseTime", Long.toString(lease)), settings.httpTimeout());
                } catch (UpnpException e) {
                    if (e.code().orElse(0) != 704) throw e;
                    pinholeId = null; // the router forgot it (reboot): open it again
                }
            }
            if (pinholeId == null) {
                Map<String, String> r = Soap.call(firewall.get(), "AddPinhole", args("RemoteHost", "", "RemotePort", "0",
                        "InternalClient", compact(v6.get()), "InternalPort", Integer.toString(settings.listenPort()),
                        "Protocol", "17", "LeaseTime", Long.toString(lease)), settings.httpTimeout());
                pinholeId = r.get("UniqueID");
                if (pinholeId == null) throw new UpnpException("AddPinhole answer carries no UniqueID", Optional.empty(), null);
            }
            log("open [" + compact(v6.get()) + "]:" + settings.listenPort() + " id=" + pinholeId,
                    "UPnP: IPv6 pinhole open for UDP [" + compact(v6.get()) + "]:" + settings.listenPort() + " (id " + pinholeId + ")");
        } catch (UpnpException e) {
            String via = firewall == null || firewall.isEmpty() ? "" : " (via " + firewall.get().controlUrl() + ")";
            log("failed: " + e.getMessage(), "UPnP: IPv6 pinhole" + via + ": " + e.getMessage());
        }
    }

    private void log(String state, String message) {
        this.state = Optional.of(state);
        if (!state.equals(lastLogged)) {
            lastLogged = state;
            if (state.startsWith("open")) log.info(message);
            else log.warn(message);
        }
    }

    /** Deletes the pinhole if one is open; a failure is logged, the pinhole then runs out with its lease. */
    void delete() {
        if (firewall != null && firewall.isPresent() && pinholeId != null) {
            try {
                Soap.call(firewall.get(), "DeletePinhole", args("UniqueID", pinholeId), settings.httpTimeout());
            } catch (UpnpException e) {
                log.warn("UPnP: could not delete IPv6 pinhole {}: {}", pinholeId, e.getMessage());
            }
            pinholeId = null;
        }
    }

    private static Map<String, String> args(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    /**
     * RFC 5952 text form (2001:db8::10): Java's is uncompressed, and miniupnpd compares InternalClient
     * with the requester's address as text.
     */
    static String compact(Inet6Address a) {
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        int bestStart = -1, bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) { i++; continue; }
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') sb.append(':');
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    private static Optional<Inet6Address> globalIpv6(NetworkInterface nif) {
        for (InetAddress a : Collections.list(nif.getInetAddresses())) {
            if (a instanceof Inet6Address v6 && !v6.isLinkLocalAddress() && !v6.isLoopbackAddress()
                    && !v6.isSiteLocalAddress() && !v6.isMulticastAddress()) {
                try {
                    // Without the "%eth0" scope suffix, which routers reject in InternalClient.
                    return Optional.of((Inet6Address) InetAddress.getByAddress(v6.getAddress()));
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalStateException(e); // 16 bytes are always a valid address
                }
            }
        }
        return Optional.empty();
    }
}
