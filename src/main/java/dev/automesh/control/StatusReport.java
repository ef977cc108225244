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
        Optional<Long> wireguardReadSeconds,
        Relay relay) {

    /** How long a WireGuard read must have taken to count as late in the report. */
    public static final long READ_LATE_SECONDS = 2;

    /** A report with no WireGuard read late. */
    public StatusReport(String interfaceName, String backend, String publicKey, int listenPort, int gossipPort, String upnp,
                        Counters counters, List<Peer> peers) {
        this(interfaceName, backend, publicKey, listenPort, gossipPort, upnp, counters, peers, Optional.empty());
    }

    /** A report of a node without a relay socket. */
    public StatusReport(String interfaceName, String backend, String publicKey, int listenPort, int gossipPort, String upnp,
                        Counters counters, List<Peer> peers, Optional<Long> wireguardReadSeconds) {
        this(interfaceName, backend, publicKey, listenPort, gossipPort, upnp, counters, peers, wireguardReadSeconds,
                Relay.NONE);
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
        Objects.requireNonNull(relay);
    }

    /**
     * This node's relay socket: {@code state} ("on, relay socket …" or "off: why"), the pairs it relays
     * for with their bytes, and its counters since start (empty counters when it has no socket). Session
     * ids are not shown: an id is the capability to use a session.
     */
    public record Relay(String state, List<Served> serving, Optional<RelayCounters> counters) {
        public static final Relay NONE = new Relay("off", List.of(), Optional.empty());

        public Relay {
            Objects.requireNonNull(state);
            serving = List.copyOf(serving);
            Objects.requireNonNull(counters);
        }
    }

    /** A pair this node relays for: the two ends by name, bytes each way, frames, seconds since the last frame. */
    public record Served(String a, String b, long bytesAtoB, long bytesBtoA, long frames, long idleSeconds) {
        public Served {
            Objects.requireNonNull(a);
            Objects.requireNonNull(b);
        }
    }

    /**
     * The relay socket's counters: as relay (frames and bytes forwarded between two peers, sessions
     * opened and expired), as an end (to and from relays), and frames dropped by reason.
     */
    public record RelayCounters(long framesForwarded, long bytesForwarded, long sessionsOpened, long sessionsExpired,
                                long bytesToRelay, long bytesFromRelay, long droppedMalformed,
                                long droppedUnknownSession, long droppedWrongSource, long droppedRateLimited,
                                long droppedBackpressure, long droppedNotFromWireGuard, long sendErrors) {
        /** Reason label (metrics, JSON) and count, in a fixed order. */
        public java.util.Map<String, Long> dropped() {
            java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
            m.put("malformed", droppedMalformed);
            m.put("unknown_session", droppedUnknownSession);
            m.put("wrong_source", droppedWrongSource);
            m.put("rate_limited", droppedRateLimited);
            m.put("backpressure", droppedBackpressure);
            m.put("not_from_wireguard", droppedNotFromWireGuard);
            return m;
        }
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
     * @param state    connected, probing, no candidates, LAN (connected at a LAN address), "relayed via NAME"
     * @param relayedVia the relay's name while the peer is reached through one
     * @param source   where the endpoint in use came from: config, gossip from X, LAN broadcast, state file, UPnP
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
            Optional<String> relayedVia) {
        /** Not relayed. */
        public Peer(String name, String publicKey, String address, String state, Optional<String> endpoint,
                    Optional<String> source, Optional<Long> handshakeSecondsAgo, List<Candidate> candidates, long rxBytes,
                    long txBytes) {
            this(name, publicKey, address, state, endpoint, source, handshakeSecondsAgo, candidates, rxBytes, txBytes,
                    Optional.empty());
        }

        public Peer {
            Objects.requireNonNull(relayedVia);
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
            return state.equals("connected") || state.equals("LAN") || state.startsWith("relayed via ");
        }
    }

    /** 0 when every peer is connected, 1 otherwise: usable by scripts and health checks. */
    public int exitStatus() {
        return peers.stream().allMatch(Peer::connected) ? 0 : 1;
    }
}
