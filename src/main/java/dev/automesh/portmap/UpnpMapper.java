package dev.automesh.portmap;

import dev.automesh.upnp.UpnpForwarder;
import dev.automesh.upnp.UpnpStatus;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.Consumer;

/** The UPnP IGD forwarder as one of the port-mapping protocols. */
final class UpnpMapper implements PortMapper {
    private final UpnpForwarder forwarder;

    UpnpMapper(PortMapSettings settings, Consumer<Optional<InetSocketAddress>> onExternalEndpoint, Consumer<PortMapStatus> onStatus) {
        this.forwarder = new UpnpForwarder(settings.upnp(), onExternalEndpoint, s -> onStatus.accept(convert(s)));
    }

    @Override
    public Protocol protocol() {
        return Protocol.UPNP;
    }

    @Override
    public void start() {
        forwarder.start();
    }

    @Override
    public PortMapStatus status() {
        return convert(forwarder.status());
    }

    @Override
    public void close() {
        forwarder.close();
    }

    static PortMapStatus convert(UpnpStatus s) {
        PortMapStatus.State state = PortMapStatus.State.valueOf(s.state().name());
        Optional<String> error = s.lastError();
        if (s.ipv6Pinhole().isPresent() && state == PortMapStatus.State.MAPPED) error = Optional.empty();
        Optional<String> gateway = s.router().map(r -> r + s.ipv6Pinhole().map(p -> " ipv6=" + p).orElse(""));
        return new PortMapStatus(Protocol.UPNP, state, gateway, s.externalEndpoint(), s.leaseExpiry(), error, s.consecutiveFailures());
    }
}
