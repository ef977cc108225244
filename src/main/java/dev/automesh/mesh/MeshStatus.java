package dev.automesh.mesh;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the mesh logic knows, frozen at one instant, for `automesh status` and metrics: our own node,
 * then one entry per configured peer. Immutable; times are ages relative to the instant asked for.
 */
public record MeshStatus(
        String ownPubkey,
        int listenPort,
        Optional<InetSocketAddress> externalEndpoint,
        List<Peer> peers,
        Counters counters) {

    public MeshStatus {
        Objects.requireNonNull(ownPubkey);
        Objects.requireNonNull(externalEndpoint);
        peers = List.copyOf(peers);
        Objects.requireNonNull(counters);
    }

    /** True when every configured peer has a live session: `automesh status` exits 0 then. */
    public boolean allConnected() {
        return peers.stream().allMatch(p -> p.state() == State.CONNECTED || p.state() == State.LAN);
    }

    public enum State {
        /** A handshake within the last 180 s. */
        CONNECTED,
        /** Connected, at the endpoint its LAN broadcast gave. */
        LAN,
        /** Not connected; trying candidate endpoints in turn. */
        PROBING,
        /** Not connected and nothing to try: no config endpoint, nothing gossiped, no LAN broadcast. */
        NO_CANDIDATES;

        /** As `automesh status` prints it: connected, LAN, probing, no candidates. */
        public String label() {
            return this == LAN ? "LAN" : name().toLowerCase().replace('_', ' ');
        }
    }

    /** Where an endpoint came from. */
    public enum SourceKind { CONFIG, GOSSIP, LAN, STATE_FILE, UPNP, WIREGUARD }

    /** @param detail who told us (peer name or address for GOSSIP, the broadcaster for LAN), else "" */
    public record Source(SourceKind kind, String detail) {
        public Source {
            Objects.requireNonNull(kind);
            Objects.requireNonNull(detail);
        }

        /** "learned from pub", "from its LAN broadcast", ... for log lines. */
        public String describe() {
            return switch (kind) {
                case CONFIG -> "from the config";
                case GOSSIP -> "learned from " + detail;
                case LAN -> "from its LAN broadcast";
                case STATE_FILE -> "from the state file";
                case UPNP -> "mapped by UPnP";
                case WIREGUARD -> "where WireGuard saw it";
            };
        }

        /** As `automesh status` prints it: "config", "gossip from pub", "LAN broadcast", "state file", ... */
        @Override
        public String toString() {
            return switch (kind) {
                case CONFIG -> "config";
                case GOSSIP -> detail.isEmpty() ? "gossip" : "gossip from " + detail;
                case LAN -> "LAN broadcast";
                case STATE_FILE -> "state file";
                case UPNP -> "UPnP";
                case WIREGUARD -> "WireGuard";
            };
        }
    }

    /**
     * One endpoint we may try for a disconnected peer, in the order we try them.
     *
     * @param unixSeconds       the announced handshake time (0 for config endpoints)
     * @param tries             how often we set it as the peer's endpoint
     * @param lastTriedAgoMillis empty when never tried
     * @param retryInMillis     0 when it may be tried now, else the remaining backoff
     */
    public record Candidate(
            InetSocketAddress address,
            Source source,
            long unixSeconds,
            int tries,
            OptionalLong lastTriedAgoMillis,
            long retryInMillis) {
        public Candidate {
            Objects.requireNonNull(address);
            Objects.requireNonNull(source);
            Objects.requireNonNull(lastTriedAgoMillis);
        }
    }

    /**
     * @param endpoint            the endpoint WireGuard uses now (or the one we set, before any read)
     * @param endpointSource      where that endpoint came from
     * @param handshakeAgeSeconds empty when there was never a handshake
     * @param lastLoss            why and when the path was last judged dead
     * @param inDoubt             why a Ping is out that the path has not answered yet
     */
    public record Peer(
            String name,
            String pubkey,
            InetAddress meshAddress,
            State state,
            Optional<InetSocketAddress> endpoint,
            Optional<Source> endpointSource,
            OptionalLong handshakeAgeSeconds,
            List<Candidate> candidates,
            long rxBytes,
            long txBytes,
            Optional<Loss> lastLoss,
            Optional<Doubt> inDoubt) {
        public Peer(String name, String pubkey, InetAddress meshAddress, State state, Optional<InetSocketAddress> endpoint,
                Optional<Source> endpointSource, OptionalLong handshakeAgeSeconds, List<Candidate> candidates, long rxBytes,
                long txBytes) {
            this(name, pubkey, meshAddress, state, endpoint, endpointSource, handshakeAgeSeconds, candidates, rxBytes, txBytes,
                    Optional.empty(), Optional.empty());
        }

        public Peer {
            Objects.requireNonNull(lastLoss);
            Objects.requireNonNull(inDoubt);
            Objects.requireNonNull(name);
            Objects.requireNonNull(pubkey);
            Objects.requireNonNull(meshAddress);
            Objects.requireNonNull(state);
            Objects.requireNonNull(endpoint);
            Objects.requireNonNull(endpointSource);
            Objects.requireNonNull(handshakeAgeSeconds);
            candidates = List.copyOf(candidates);
        }
    }

    /** A path judged dead: why (the notice's reason), at unix seconds. */
    public record Loss(Action.Notice.Lost.Reason reason, long atUnixSeconds) {
        public Loss {
            Objects.requireNonNull(reason);
        }
    }

    /**
     * Hostile or useless gossip that was dropped, by reason (datagram-level counters live in the daemon).
     *
     * @param badPubkeys        Announce/LanBroadcast whose pubkey is not a WireGuard key
     * @param badEndpoints      endpoints dropped: multicast, unspecified, broadcast, port 0, a mesh address
     * @param futureTimestamps  endpoints dated more than 10 minutes ahead of our clock
     * @param unknownPeersFull  Announces about unconfigured pubkeys dropped because the table for them is full
     * @param foreignBroadcasts LanBroadcasts from unconfigured pubkeys (or ignored because LAN discovery is off)
     */
    public record Counters(long badPubkeys, long badEndpoints, long futureTimestamps, long unknownPeersFull,
            long foreignBroadcasts) {}
}
