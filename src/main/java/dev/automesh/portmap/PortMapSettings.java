package dev.automesh.portmap;

import dev.automesh.upnp.UpnpSettings;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What to map and how. The UPnP client keeps its own {@link UpnpSettings}; NAT-PMP and PCP renew at
 * half the lifetime the gateway grants.
 *
 * @param protocols      protocols in order of preference, at least one, no repeats
 * @param upnp           external port, listen port, ipv6 flag, lease and retry timing
 * @param requestTimeout first NAT-PMP/PCP retransmission timeout (RFC 6886: 250 ms), doubled per try
 * @param tries          NAT-PMP/PCP transmissions before a gateway counts as not answering
 */
public record PortMapSettings(List<Protocol> protocols, UpnpSettings upnp, Duration requestTimeout, int tries) {
    public PortMapSettings {
        protocols = List.copyOf(protocols);
        Objects.requireNonNull(upnp);
        Objects.requireNonNull(requestTimeout);
        if (protocols.isEmpty() || protocols.stream().distinct().count() != protocols.size()) {
            throw new IllegalArgumentException("port-mapping protocols must be non-empty and distinct, got " + protocols);
        }
        if (requestTimeout.toMillis() < 10 || tries < 1) throw new IllegalArgumentException("request timeout >= 10 ms, tries >= 1");
    }

    public static PortMapSettings defaults(List<Protocol> protocols, UpnpSettings upnp) {
        return new PortMapSettings(protocols, upnp, Duration.ofMillis(250), 4);
    }

    public int externalPort() {
        return upnp.externalPort();
    }

    public int listenPort() {
        return upnp.listenPort();
    }

    public PortMapSettings withListenPort(int port) {
        UpnpSettings u = upnp;
        return new PortMapSettings(protocols, new UpnpSettings(u.externalPort(), port, u.ipv6(), u.lease(), u.renewEvery(),
                u.discoveryTimeout(), u.retryMin(), u.retryMax(), u.httpTimeout()), requestTimeout, tries);
    }
}
