package dev.automesh.control;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What `automesh status` shows: this node, its counters, and every configured peer. Built on the mesh
 * thread from the mesh's own status and the daemon's counters; immutable, so it can be rendered on any
 * thread.
 */
public record StatusReport(
        String interfaceName,
        String backend,
        String publicKey,
        int listenPort,
        int gossipPort,
        String upnp,
        Counters counters,
        List<Peer> peers,
        Optional<Long> wireguardReadSeconds) {

    /** How long a WireGuard read must have taken to count as late in the report. */
    public static final long READ_LATE_SECONDS = 2;

    /** A report with no WireGuard read late. */
    public StatusReport(String interfaceName, String backend, String publicKey, int listenPort, int gossipPort, String upnp,
                        Counters counters, List<Peer> peers) {
        this(interfaceName, backend, publicKey, listenPort, gossipPort, upnp, counters, peers, Optional.empty());
    }

    /**
     * @param wireguardReadSeconds how long the WireGuard read in progress has taken, when that is late
     *                             (the device does not answer); empty otherwise
     */
    public StatusReport {
        Objects.requireNonNull(interfaceName);
        Objects.requireNonNull(backend);
        Objects.requireNonNull(publicKey);
        Objects.requireNonNull(upnp);
        Objects.requireNonNull(counters);
        peers = List.copyOf(peers);
        Objects.requireNonNull(wireguardReadSeconds);
    }

    /**
     * Since the agent started: datagram counters of the gossip socket (send errors: datagrams that could
     * not be sent; receive errors: errors the socket reported while receiving), then gossip the mesh ignored
     * (announced keys that are not WireGuard keys, unusable endpoints, timestamps far in the future,
     * unknown pubkeys beyond the table's limit, LAN broadcasts from keys not in the config).
     */
    public record Counters(long datagramsIn, long datagramsOut, long droppedUndecryptable, long droppedUndecodable,
                           long sendErrors, long ignoredBadPubkeys, long ignoredBadEndpoints, long ignoredFutureTimestamps,
                           long ignoredUnknownPeers, long ignoredForeignBroadcasts, long receiveErrors) {
        /** Without receive errors counted. */
        public Counters(long datagramsIn, long datagramsOut, long droppedUndecryptable, long droppedUndecodable,
                        long sendErrors, long ignoredBadPubkeys, long ignoredBadEndpoints, long ignoredFutureTimestamps,
                        long ignoredUnknownPeers, long ignoredForeignBroadcasts) {
            this(datagramsIn, datagramsOut, droppedUndecryptable, droppedUndecodable, sendErrors, ignoredBadPubkeys,
                    ignoredBadEndpoints, ignoredFutureTimestamps, ignoredUnknownPeers, ignoredForeignBroadcasts, 0);
        }
    }

    /** A candidate endpoint for a peer and when it was last tried (empty: never). */
    public record Candidate(String endpoint, String source, Optional<Long> triedSecondsAgo) {
        public Candidate {
            Objects.requireNonNull(endpoint);
            Objects.requireNonNull(source);
            Objects.requireNonNull(triedSecondsAgo);
        }
    }

    /**
     * One configured peer.
     *
     * @param state    connected, probing, no candidates, LAN (connected at a LAN address)
     * @param source   where the endpoint in use came from: config, gossip from X, LAN broadcast, state file, UPnP
     * @param lastLoss why the path was last judged dead (with how long ago)
     */
    public record Peer(
            String name,
            String publicKey,
            String address,
            String state,
            Optional<String> endpoint,
            Optional<String> source,
            Optional<Long> handshakeSecondsAgo,
            List<Candidate> candidates,
            long rxBytes,
            long txBytes,
            Optional<String> lastLoss,
            Optional<Long> lastLossSecondsAgo) {
        public Peer(String name, String publicKey, String address, String state, Optional<String> endpoint,
                Optional<String> source, Optional<Long> handshakeSecondsAgo, List<Candidate> candidates, long rxBytes,
                long txBytes) {
            this(name, publicKey, address, state, endpoint, source, handshakeSecondsAgo, candidates, rxBytes, txBytes,
                    Optional.empty(), Optional.empty());
        }

        public Peer {
            Objects.requireNonNull(lastLoss);
            Objects.requireNonNull(lastLossSecondsAgo);
            Objects.requireNonNull(name);
            Objects.requireNonNull(publicKey);
            Objects.requireNonNull(address);
            Objects.requireNonNull(state);
            Objects.requireNonNull(endpoint);
            Objects.requireNonNull(source);
            Objects.requireNonNull(handshakeSecondsAgo);
            candidates = List.copyOf(candidates);
        }

        public boolean connected() {
            return state.equals("connected") || state.equals("LAN");
        }
    }

    /** 0 when every peer is connected, 1 otherwise: usable by scripts and health checks. */
    public int exitStatus() {
        return peers.stream().allMatch(Peer::connected) ? 0 : 1;
    }
}
