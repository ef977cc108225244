package dev.automesh.config;

import dev.automesh.crypto.GossipSecret;
import dev.automesh.wg.Backend;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A validated, immutable agent configuration. Keys shared with wgautomesh keep its names and
 * defaults; automesh-only keys are ignored by wgautomesh, so one file can serve both. Built with
 * {@link #builder}; unset fields take the documented defaults.
 *
 * <p>Accessors: {@code source} is the file it was read from (for messages); {@code gossipSecret} the
 * secret verbatim, {@link GossipSecret#NONE} if neither gossip_secret nor gossip_secret_file is set;
 * {@code controlSocket}, {@code metricsAddress} (off when empty) and {@code wgPollMillis}
 * (wgautomesh: 30 s) are automesh extensions.
 */
public final class Config {
    static final long POLL_DEFAULT_MS = 1000;
    /** Per relayed pair, both directions: as RelaySettings.DEFAULT_BYTES_PER_SECOND (config does not import net). */
    public static final long RELAY_RATE_DEFAULT_MBIT = 100;

    private final Path source;
    private final String interfaceName;
    private final int gossipPort;
    private final GossipSecret gossipSecret;
    private final Optional<Path> persistFile;
    private final boolean ipv6;
    private final boolean lanDiscovery;
    private final Optional<Integer> upnpForwardExternalPort;
    private final Backend wireguardBackend;
    private final Optional<Path> uapiSocket;
    private final Path controlSocket;
    private final Optional<InetSocketAddress> metricsAddress;
    private final long wgPollMillis;
    private final List<PeerConfig> peers;
    private final PortMapping portMapping;
    private final boolean relay;
    private final int relayPort;
    private final long relayRateLimitMbit;

    private Config(Builder b) {
        source = b.source;
        interfaceName = b.interfaceName;
        gossipPort = b.gossipPort;
        gossipSecret = b.gossipSecret;
        persistFile = b.persistFile;
        ipv6 = b.ipv6;
        lanDiscovery = b.lanDiscovery;
        upnpForwardExternalPort = b.upnpForwardExternalPort;
        wireguardBackend = b.wireguardBackend;
        uapiSocket = b.uapiSocket;
        controlSocket = b.controlSocket != null ? b.controlSocket : Path.of("/run/automesh/" + interfaceName + ".sock");
        metricsAddress = b.metricsAddress;
        wgPollMillis = b.wgPollMillis;
        portMapping = b.portMapping;
        peers = List.copyOf(b.peers);
        relay = b.relay;
        relayPort = b.relayPort != null ? b.relayPort : defaultRelayPort(gossipPort);
        relayRateLimitMbit = b.relayRateLimitMbit;
    }

    /** gossip_port + 1; gossip_port - 1 for the one gossip port that has no successor. */
    public static int defaultRelayPort(int gossipPort) {
        return gossipPort < 65535 ? gossipPort + 1 : gossipPort - 1;
    }

    /** The three values without a default: where it came from, the interface and the gossip port. */
    public static Builder builder(Path source, String interfaceName, int gossipPort) {
        return new Builder(source, interfaceName, gossipPort);
    }

    public Path source() { return source; }
    public String interfaceName() { return interfaceName; }
    public int gossipPort() { return gossipPort; }
    public GossipSecret gossipSecret() { return gossipSecret; }
    public Optional<Path> persistFile() { return persistFile; }
    public boolean ipv6() { return ipv6; }
    public boolean lanDiscovery() { return lanDiscovery; }
    public Optional<Integer> upnpForwardExternalPort() { return upnpForwardExternalPort; }
    public Backend wireguardBackend() { return wireguardBackend; }
    public Optional<Path> uapiSocket() { return uapiSocket; }
    public Path controlSocket() { return controlSocket; }
    public Optional<InetSocketAddress> metricsAddress() { return metricsAddress; }
    public long wgPollMillis() { return wgPollMillis; }
    public List<PeerConfig> peers() { return peers; }
    /** Port-mapping protocols in order of preference (automesh extension). */
    public PortMapping portMapping() { return portMapping; }
    /** Whether this node may relay for other peers (automesh extension; default true). */
    public boolean relay() { return relay; }
    /** The relay socket's UDP port on this node's mesh address (default gossip_port + 1). */
    public int relayPort() { return relayPort; }
    /** The rate limit of each pair this node relays for, in Mbit/s (both directions together). */
    public long relayRateLimitMbit() { return relayRateLimitMbit; }

    /**
     * Legal but probably unintended settings. They do not fail `check`; `check` prints them and the
     * agent logs them once at start, so both tell the operator the same.
     */
    public List<String> warnings() {
        List<String> out = new ArrayList<>();
        if (gossipSecret.isEmpty()) {
            out.add("no gossip secret: gossip is encrypted with a key anyone can derive; set gossip_secret_file"
                    + " (to a non-empty file)");
        }
        if (!ipv6 && peers.stream().anyMatch(p -> p.address() instanceof Inet6Address)) {
            out.add("some peer addresses are IPv6 but ipv6 = false: gossip to them cannot be sent; set ipv6 = true");
        }
        if (peers.isEmpty()) {
            out.add("no [[peers]]: there is nothing to mesh with");
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Config c && source.equals(c.source) && interfaceName.equals(c.interfaceName)
                && gossipPort == c.gossipPort && gossipSecret.equals(c.gossipSecret) && persistFile.equals(c.persistFile)
                && ipv6 == c.ipv6 && lanDiscovery == c.lanDiscovery && upnpForwardExternalPort.equals(c.upnpForwardExternalPort)
                && wireguardBackend == c.wireguardBackend && uapiSocket.equals(c.uapiSocket)
                && controlSocket.equals(c.controlSocket) && metricsAddress.equals(c.metricsAddress)
                && wgPollMillis == c.wgPollMillis && peers.equals(c.peers) && portMapping.equals(c.portMapping)
                && relay == c.relay && relayPort == c.relayPort && relayRateLimitMbit == c.relayRateLimitMbit;
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, interfaceName, gossipPort, gossipSecret, persistFile, ipv6, lanDiscovery,
                upnpForwardExternalPort, wireguardBackend, uapiSocket, controlSocket, metricsAddress, wgPollMillis, peers, portMapping,
                relay, relayPort, relayRateLimitMbit);
    }

    /** Every field; the secret only as its length (see {@link GossipSecret#toString()}). */
    @Override
    public String toString() {
        return "Config[source=" + source + ", interfaceName=" + interfaceName + ", gossipPort=" + gossipPort
                + ", gossipSecret=" + gossipSecret + ", persistFile=" + persistFile + ", ipv6=" + ipv6
                + ", lanDiscovery=" + lanDiscovery + ", upnpForwardExternalPort=" + upnpForwardExternalPort
                + ", wireguardBackend=" + wireguardBackend + ", uapiSocket=" + uapiSocket
                + ", controlSocket=" + controlSocket + ", metricsAddress=" + metricsAddress
                + ", wgPollMillis=" + wgPollMillis + ", peers=" + peers + ", portMapping=" + portMapping
                + ", relay=" + relay + ", relayPort=" + relayPort + ", relayRateLimitMbit=" + relayRateLimitMbit + "]";
    }

    /** Collects the values; {@link #build()} may be called more than once. Not thread-safe. */
    public static final class Builder {
        private final Path source;
        private final String interfaceName;
        private final int gossipPort;
        private GossipSecret gossipSecret = GossipSecret.NONE;
        private Optional<Path> persistFile = Optional.empty();
        private boolean ipv6;
        private boolean lanDiscovery;
        private Optional<Integer> upnpForwardExternalPort = Optional.empty();
        private Backend wireguardBackend = Backend.AUTO;
        private Optional<Path> uapiSocket = Optional.empty();
        private Path controlSocket;
        private Optional<InetSocketAddress> metricsAddress = Optional.empty();
        private long wgPollMillis = POLL_DEFAULT_MS;
        private PortMapping portMapping = PortMapping.DEFAULT;
        private List<PeerConfig> peers = List.of();
        private boolean relay = true;
        private Integer relayPort;
        private long relayRateLimitMbit = RELAY_RATE_DEFAULT_MBIT;

        private Builder(Path source, String interfaceName, int gossipPort) {
            this.source = Objects.requireNonNull(source, "source");
            this.interfaceName = Objects.requireNonNull(interfaceName, "interfaceName");
            this.gossipPort = gossipPort;
        }

        public Builder gossipSecret(GossipSecret v) { gossipSecret = Objects.requireNonNull(v); return this; }
        public Builder persistFile(Optional<Path> v) { persistFile = Objects.requireNonNull(v); return this; }
        public Builder ipv6(boolean v) { ipv6 = v; return this; }
        public Builder lanDiscovery(boolean v) { lanDiscovery = v; return this; }
        public Builder upnpForwardExternalPort(Optional<Integer> v) { upnpForwardExternalPort = Objects.requireNonNull(v); return this; }
        public Builder wireguardBackend(Backend v) { wireguardBackend = Objects.requireNonNull(v); return this; }
        public Builder uapiSocket(Optional<Path> v) { uapiSocket = Objects.requireNonNull(v); return this; }
        /** Default /run/automesh/INTERFACE.sock. */
        public Builder controlSocket(Path v) { controlSocket = Objects.requireNonNull(v); return this; }
        public Builder metricsAddress(Optional<InetSocketAddress> v) { metricsAddress = Objects.requireNonNull(v); return this; }
        public Builder wgPollMillis(long v) { wgPollMillis = v; return this; }
        public Builder peers(List<PeerConfig> v) { peers = List.copyOf(v); return this; }
        public Builder portMapping(PortMapping v) { portMapping = Objects.requireNonNull(v); return this; }

        public Builder relay(boolean v) { relay = v; return this; }
        /** Default gossip_port + 1 (see {@link Config#defaultRelayPort}). */
        public Builder relayPort(int v) { relayPort = v; return this; }
        public Builder relayRateLimitMbit(long v) { relayRateLimitMbit = v; return this; }

        public Config build() {
            return new Config(this);
        }
    }
}
