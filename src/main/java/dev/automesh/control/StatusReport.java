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
        Optional<Waiting> waiting,
        Relay relay) {

    /** How long a WireGuard read must have taken to count as late in the report. */
    public static final long READ_LATE_SECONDS = 2;

    /** A report with no WireGuard read late. */
    public StatusReport(String interfaceName, String backend, String publicKey, int listenPort, int gossipPort, String upnp,
                        Counters counters, List<Peer> peers) {
        this(interfaceName, backend, publicKey, listenPort, gossipPort, upnp, counters, peers, Optional.empty());
    }

    /** A report of an agent whose interface is there, without a relay socket. */
    public StatusReport(String interfaceName, String backend, String publicKey, int listenPort, int gossipPort, String upnp,
                        Counters counters, List<Peer> peers, Optional<Long> wireguardReadSeconds) {
        this(interfaceName, backend, publicKey, listenPort, gossipPort, upnp, counters, peers, wireguardReadSeconds,
                Optional.empty(), Relay.NONE);
    }

    /** A report without a relay socket (a waiting agent has none yet). */
    public StatusReport(String interfaceName, String backend, String publicKey, int listenPort, int gossipPort, String upnp,
                        Counters counters, List<Peer> peers, Optional<Long> wireguardReadSeconds, Optional<Waiting> waiting) {
        this(interfaceName, backend, publicKey, listenPort, gossipPort, upnp, counters, peers, wireguardReadSeconds,
                waiting, Relay.NONE);
    }

    /** A report of a running agent with its relay socket's state. */
    public StatusReport(String interfaceName, String backend, String publicKey, int listenPort, int gossipPort, String upnp,
                        Counters counters, List<Peer> peers, Optional<Long> wireguardReadSeconds, Relay relay) {
        this(interfaceName, backend, publicKey, listenPort, gossipPort, upnp, counters, peers, wireguardReadSeconds,
                Optional.empty(), relay);
    }

    /**
     * @param wireguardReadSeconds how long the WireGuard read in progress has taken, when that is late
     *                             (the device does not answer); empty otherwise
     * @param waiting              present while the agent waits for its interface; publicKey is "" until the
     *                             interface was first read
     */
    public StatusReport {
        Objects.requireNonNull(interfaceName);
        Objects.requireNonNull(backend);
        Objects.requireNonNull(publicKey);
        Objects.requireNonNull(upnp);
        Objects.requireNonNull(counters);
        peers = List.copyOf(peers);
        Objects.requireNonNull(wireguardReadSeconds);
        Objects.requireNonNull(waiting);
        Objects.requireNonNull(relay);
    }

    /**
     * This node's relay socket: {@code state} ("on, relay socket …" or "off: why"), the pairs it relays
     * for with their bytes, and its counters since start (empty counters when it has no socket). Session
     * ids are not shown: an id is the capability to use a session.
     */
    public record Relay(String state, List<Served> serving, Optional<RelayCounters> counters, Desk desk) {
        public static final Relay NONE = new Relay("off", List.of(), Optional.empty(), Desk.NONE);

        public Relay {
            Objects.requireNonNull(state);
            serving = List.copyOf(serving);
            Objects.requireNonNull(counters);
            Objects.requireNonNull(desk);
        }
    }

    /**
     * The relay role's setup counts since start: RelayRequests answered with a session, refused, or
     * dropped over a requester's rate; PunchReports passed on as notices, or dropped (not between peers
     * we would relay for, or too often).
     */
    public record Desk(long served, long refused, long rateLimited, long noticesPassed, long noticesDropped) {
        public static final Desk NONE = new Desk(0, 0, 0, 0, 0);
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
                                long droppedBackpressure, long droppedNotFromWireGuard, long sendErrors,
                                long droppedWhileProbing) {
        /** Reason label (metrics, JSON) and count, in a fixed order. */
        public java.util.Map<String, Long> dropped() {
            java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
            m.put("malformed", droppedMalformed);
            m.put("unknown_session", droppedUnknownSession);
            m.put("wrong_source", droppedWrongSource);
            m.put("rate_limited", droppedRateLimited);
            m.put("backpressure", droppedBackpressure);
            m.put("not_from_wireguard", droppedNotFromWireGuard);
            m.put("while_probing", droppedWhileProbing);
            return m;
        }
    }

    /**
     * The agent waits for its WireGuard interface: at start, before it ever appeared ({@code gone} false),
     * or after it vanished ({@code gone} true: the mesh state is kept, and polled for its return).
     *
     * @param reason why the last attempt to use it failed, as WireGuard said
     */
    public record Waiting(String reason, boolean gone) {
        public Waiting {
            Objects.requireNonNull(reason);
        }
    }

    /** "running", "waiting" (the interface has not appeared yet) or "interface gone". */
    public String state() {
        return waiting.map(w -> w.gone() ? "interface gone" : "waiting").orElse("running");
    }

    /** Whether the interface has been read at least once (its key and port are known). */
    public boolean deviceKnown() {
        return !publicKey.isEmpty();
    }

    /**
     * Since the agent started: datagram counters of the gossip socket (send errors: datagrams that could
     * not be sent; receive errors: errors the socket reported while receiving), then gossip the mesh ignored
     * (announced keys that are not WireGuard keys, unusable endpoints, timestamps far in the future,
     * unknown pubkeys beyond the table's limit, LAN broadcasts from keys not in the config).
     */
    public record Counters(long datagramsIn, long datagramsOut, long droppedUndecryptable, long droppedUndecodable,
                           long sendErrors, long ignoredBadPubkeys, long ignoredBadEndpoints, long ignoredFutureTimestamps,
                           long ignoredUnknownPeers, long ignoredForeignBroadcasts, long receiveErrors,
                           java.util.Map<String, Long> hostile) {
        public Counters {
            hostile = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(hostile));
        }

        /** Without the hostile-input counters. */
        public Counters(long datagramsIn, long datagramsOut, long droppedUndecryptable, long droppedUndecodable,
                        long sendErrors, long ignoredBadPubkeys, long ignoredBadEndpoints, long ignoredFutureTimestamps,
                        long ignoredUnknownPeers, long ignoredForeignBroadcasts, long receiveErrors) {
            this(datagramsIn, datagramsOut, droppedUndecryptable, droppedUndecodable, sendErrors, ignoredBadPubkeys,
                    ignoredBadEndpoints, ignoredFutureTimestamps, ignoredUnknownPeers, ignoredForeignBroadcasts,
                    receiveErrors, java.util.Map.of());
        }

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
            Optional<String> relayedVia,
            Optional<String> lastLoss,
            Optional<Long> lastLossSecondsAgo) {
        /** Relayed or not, no loss on record. */
        public Peer(String name, String publicKey, String address, String state, Optional<String> endpoint,
                    Optional<String> source, Optional<Long> handshakeSecondsAgo, List<Candidate> candidates, long rxBytes,
                    long txBytes, Optional<String> relayedVia) {
            this(name, publicKey, address, state, endpoint, source, handshakeSecondsAgo, candidates, rxBytes, txBytes,
                    relayedVia, Optional.empty(), Optional.empty());
        }

        /** Not relayed. */
        public Peer(String name, String publicKey, String address, String state, Optional<String> endpoint,
                    Optional<String> source, Optional<Long> handshakeSecondsAgo, List<Candidate> candidates, long rxBytes,
                    long txBytes) {
            this(name, publicKey, address, state, endpoint, source, handshakeSecondsAgo, candidates, rxBytes, txBytes,
                    Optional.empty());
        }

        public Peer {
            Objects.requireNonNull(relayedVia);
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
            return state.equals("connected") || state.equals("LAN") || state.startsWith("relayed via ");
        }
    }

    /**
     * 0 when every peer is connected, 1 otherwise (also while waiting for the interface: no tunnel works
     * then): usable by scripts and health checks.
     */
    public int exitStatus() {
        return waiting.isEmpty() && peers.stream().allMatch(Peer::connected) ? 0 : 1;
    }
}
