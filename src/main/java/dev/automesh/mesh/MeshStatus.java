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
        Counters counters,
        List<RelayServed> relaying,
        RelayDeskCounters relayDesk) {

    public MeshStatus {
        Objects.requireNonNull(ownPubkey);
        Objects.requireNonNull(externalEndpoint);
        peers = List.copyOf(peers);
        Objects.requireNonNull(counters);
        relaying = List.copyOf(relaying);
        Objects.requireNonNull(relayDesk);
    }

    public MeshStatus(String ownPubkey, int listenPort, Optional<InetSocketAddress> externalEndpoint, List<Peer> peers,
            Counters counters, List<RelayServed> relaying) {
        this(ownPubkey, listenPort, externalEndpoint, peers, counters, relaying, new RelayDeskCounters(0, 0, 0, 0, 0, 0));
    }

    public MeshStatus(String ownPubkey, int listenPort, Optional<InetSocketAddress> externalEndpoint, List<Peer> peers,
            Counters counters) {
        this(ownPubkey, listenPort, externalEndpoint, peers, counters, List.of());
    }

    /** True when every configured peer has a live session (direct or relayed): `automesh status` exits 0 then. */
    public boolean allConnected() {
        return peers.stream().allMatch(p -> p.state().up());
    }

    /** A session this node relays: the names of its two ends. Bytes come from the daemon's relay counters. */
    public record RelayServed(String a, String b, long sessionId) {
        public RelayServed {
            Objects.requireNonNull(a);
            Objects.requireNonNull(b);
        }
    }

    /**
     * What this node's relay desk did with RelayRequests.
     *
     * @param served      requests that opened or refreshed a session
     * @param refused     answered with RelayRefused
     * @param rateLimited dropped unanswered: the requester asked too often
     * @param closed      sessions closed (an end's tunnel died, an end closed it, or it was not refreshed)
     */
    /** The relay role's counts; notices are PunchReports passed on, or dropped (not ours to pass, or too often). */
    public record RelayDeskCounters(long served, long refused, long rateLimited, long closed, long noticesPassed,
            long noticesDropped) {}

    public enum State {
        /** A handshake within the last 180 s. */
        CONNECTED,
        /** Connected, at the endpoint its LAN broadcast gave. */
        LAN,
        /** Not connected; trying candidate endpoints in turn. */
        PROBING,
        /** Not connected and nothing to try: no config endpoint, nothing gossiped, no LAN broadcast. */
        NO_CANDIDATES,
        /** Connected through a relay (Peer.relayedVia names it); counts as connected. */
        RELAYED;

        /** As `automesh status` prints it: connected, LAN, probing, no candidates, relayed. */
        public String label() {
            return this == LAN ? "LAN" : name().toLowerCase().replace('_', ' ');
        }

        /** A live session, direct or relayed. */
        public boolean up() {
            return this == CONNECTED || this == LAN || this == RELAYED;
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
     * @param relayedVia          the relay's name while RELAYED (the endpoint is then a loopback address)
     * @param relayNote           what the relay logic is doing for a peer without a direct path, e.g.
     *                            "no relay available", "asking pub to relay"
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
            Optional<String> relayedVia,
            Optional<String> relayNote,
            Optional<Loss> lastLoss,
            Optional<Doubt> inDoubt) {
        public Peer(String name, String pubkey, InetAddress meshAddress, State state, Optional<InetSocketAddress> endpoint,
                Optional<Source> endpointSource, OptionalLong handshakeAgeSeconds, List<Candidate> candidates,
                long rxBytes, long txBytes, Optional<String> relayedVia, Optional<String> relayNote) {
            this(name, pubkey, meshAddress, state, endpoint, endpointSource, handshakeAgeSeconds, candidates, rxBytes,
                    txBytes, relayedVia, relayNote, Optional.empty(), Optional.empty());
        }

        public Peer(String name, String pubkey, InetAddress meshAddress, State state, Optional<InetSocketAddress> endpoint,
                Optional<Source> endpointSource, OptionalLong handshakeAgeSeconds, List<Candidate> candidates,
                long rxBytes, long txBytes, Optional<String> relayedVia) {
            this(name, pubkey, meshAddress, state, endpoint, endpointSource, handshakeAgeSeconds, candidates, rxBytes,
                    txBytes, relayedVia, Optional.empty());
        }

        public Peer(String name, String pubkey, InetAddress meshAddress, State state, Optional<InetSocketAddress> endpoint,
                Optional<Source> endpointSource, OptionalLong handshakeAgeSeconds, List<Candidate> candidates,
                long rxBytes, long txBytes) {
            this(name, pubkey, meshAddress, state, endpoint, endpointSource, handshakeAgeSeconds, candidates, rxBytes,
                    txBytes, Optional.empty());
        }

        /** The same peer as the relay logic sees it. */
        Peer withRelay(State s, Optional<InetSocketAddress> ep, Optional<String> via, Optional<String> note) {
            return new Peer(name, pubkey, meshAddress, s, ep, via.isPresent() ? Optional.empty() : endpointSource,
                    handshakeAgeSeconds, candidates, rxBytes, txBytes, via, note, lastLoss, inDoubt);
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
            Objects.requireNonNull(relayedVia);
            Objects.requireNonNull(relayNote);
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
     * @param futureTimestamps  endpoints dated more than 10 s ahead of our clock (counted as now) or negative (dropped)
     * @param unknownPeersFull  Announces about unconfigured pubkeys dropped because the table for them is full
     * @param foreignBroadcasts LanBroadcasts from unconfigured pubkeys (or ignored because LAN discovery is off)
     * @param sourceCapped      endpoints dropped because their source already filled its share of a peer's slots
     * @param refusedAskers     Pings and Requests from a source that cannot be an asker (forged?): not answered
     * @param refusedAnswers    answers not sent because their destination used up its byte budget
     * @param refusedAnswerBytes the bytes those answers would have been
     * @param workDeferred      fan-outs and reconfigurations that gossip triggered beyond the work budget, deferred to a tick
     * @param lanProofsSent     Pings sent to prove a LAN broadcast's source address
     * @param lanProofsPassed   of those, answered by a Pong from that address
     * @param stateFileDropped  state file entries not loaded (bad key, or beyond the unknown-pubkey bound)
     */
    public record Counters(long badPubkeys, long badEndpoints, long futureTimestamps, long unknownPeersFull,
            long foreignBroadcasts, long sourceCapped, long refusedAskers, long refusedAnswers, long refusedAnswerBytes,
            long workDeferred, long lanProofsSent, long lanProofsPassed, long stateFileDropped) {
        /** The table's counters alone. */
        public Counters(long badPubkeys, long badEndpoints, long futureTimestamps, long unknownPeersFull,
                long foreignBroadcasts, long sourceCapped) {
            this(badPubkeys, badEndpoints, futureTimestamps, unknownPeersFull, foreignBroadcasts, sourceCapped,
                    0, 0, 0, 0, 0, 0, 0);
        }

        /** With the router's counters. */
        public Counters with(long refusedAskers, long refusedAnswers, long refusedAnswerBytes, long workDeferred,
                long lanProofsSent, long lanProofsPassed, long stateFileDropped) {
            return new Counters(badPubkeys, badEndpoints, futureTimestamps, unknownPeersFull, foreignBroadcasts,
                    sourceCapped, refusedAskers, refusedAnswers, refusedAnswerBytes, workDeferred, lanProofsSent,
                    lanProofsPassed, stateFileDropped);
        }

        /** The hostile-input counters beyond the first five, by their status/metrics name, in order. */
        public java.util.Map<String, Long> extra() {
            java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
            m.put("ignored_source_capped", sourceCapped);
            m.put("refused_askers", refusedAskers);
            m.put("refused_answers", refusedAnswers);
            m.put("refused_answer_bytes", refusedAnswerBytes);
            m.put("deferred_gossip_work", workDeferred);
            m.put("lan_proofs_sent", lanProofsSent);
            m.put("lan_proofs_passed", lanProofsPassed);
            m.put("state_file_dropped", stateFileDropped);
            return m;
        }
    }
}
