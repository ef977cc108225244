package dev.automesh.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A validated, immutable agent configuration. Keys shared with wgautomesh keep its names and
 * defaults; automesh-only keys are ignored by wgautomesh, so one file can serve both.
 *
 * @param source         the file it was read from (for messages)
 * @param gossipSecret   the secret verbatim (from gossip_secret or the whole gossip_secret_file); "" if neither
 * @param controlSocket  path of the status socket (automesh extension)
 * @param metricsAddress Prometheus text endpoint, off when empty (automesh extension)
 * @param wgPollMillis   how often WireGuard is read (automesh extension; wgautomesh: 30 s)
 * @param portMapping    port-mapping protocols in order of preference (automesh extension)
 */
public record Config(
        Path source,
        String interfaceName,
        int gossipPort,
        String gossipSecret,
        Optional<Path> persistFile,
        boolean ipv6,
        boolean lanDiscovery,
        Optional<Integer> upnpForwardExternalPort,
        Backend wireguardBackend,
        Optional<Path> uapiSocket,
        Path controlSocket,
        Optional<InetSocketAddress> metricsAddress,
        long wgPollMillis,
        List<PeerConfig> peers,
        PortMapping portMapping) {

    public enum Backend { AUTO, KERNEL, USERSPACE }

    public Config {
        Objects.requireNonNull(source);
        Objects.requireNonNull(interfaceName);
        Objects.requireNonNull(gossipSecret);
        Objects.requireNonNull(persistFile);
        Objects.requireNonNull(upnpForwardExternalPort);
        Objects.requireNonNull(wireguardBackend);
        Objects.requireNonNull(uapiSocket);
        Objects.requireNonNull(controlSocket);
        Objects.requireNonNull(metricsAddress);
        peers = List.copyOf(peers);
        Objects.requireNonNull(portMapping);
    }

    /** Without port_mapping: all protocols, in the default order. */
    public Config(Path source, String interfaceName, int gossipPort, String gossipSecret, Optional<Path> persistFile, boolean ipv6,
            boolean lanDiscovery, Optional<Integer> upnpForwardExternalPort, Backend wireguardBackend, Optional<Path> uapiSocket,
            Path controlSocket, Optional<InetSocketAddress> metricsAddress, long wgPollMillis, List<PeerConfig> peers) {
        this(source, interfaceName, gossipPort, gossipSecret, persistFile, ipv6, lanDiscovery, upnpForwardExternalPort,
                wireguardBackend, uapiSocket, controlSocket, metricsAddress, wgPollMillis, peers, PortMapping.DEFAULT);
    }
}
