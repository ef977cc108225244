package dev.automesh.mesh;

import java.net.InetSocketAddress;

/** The relay state of one peer we cannot reach directly, on our end of the pair. Only RelayPaths touches it. */
final class RelayEnd {
    enum Phase {
        /** Wants a relay; none asked (none available, or waiting for the next look). */
        IDLE,
        /** RelayRequest sent to {@code via}, waiting for RelayReady. */
        ASKING,
        /** RelayUse emitted for {@code sessionId}, waiting for the daemon's loopback endpoint. */
        OPENING,
        /** WireGuard's endpoint is the loopback proxy through {@code via}. */
        RELAYED,
        /** The non-initiating end lost its relay: it waits for the initiator to set up the next one. */
        WAITING
    }

    /**
     * A probe of a direct endpoint while relayed, open {@code windowMillis} from {@code startMillis}.
     * One-sided (the initiator alone) or {@code both} ends at once; a two-sided one starts counting
     * ({@code rxAtStart} &ge; 0) once WireGuard is seen at the endpoint, and the initiator's waits a
     * drive ({@code switched} false) for its ProbeDirect to cross the relay before it switches.
     */
    record Probe(InetSocketAddress endpoint, long startMillis, long rxAtStart, boolean both, boolean switched,
            long windowMillis) {
        static Probe oneSided(InetSocketAddress endpoint, long startMillis, long rx, long windowMillis) {
            return new Probe(endpoint, startMillis, rx, false, true, windowMillis);
        }

        static Probe both(InetSocketAddress endpoint, long startMillis, boolean switched, long windowMillis) {
            return new Probe(endpoint, startMillis, -1, true, switched, windowMillis);
        }

        Probe counting(long rx) {
            return new Probe(endpoint, startMillis, rx, both, switched, windowMillis);
        }

        boolean worked(Link link) {
            return link.at(endpoint) && rxAtStart >= 0 && link.rx() > rxAtStart;
        }
    }

    /** WireGuard moved a relayed peer to a direct endpoint on its own (the other side's probe arrived). */
    record Roam(InetSocketAddress endpoint, long sinceMillis, long rxAtStart) {}

    final PeerPath peer;
    final boolean initiator;
    Phase phase = Phase.IDLE;
    long phaseSinceMillis;
    PeerPath via;
    long requestId;
    long sessionId;
    int idleTimeoutS = RelayDesk.IDLE_TIMEOUT_S;
    InetSocketAddress loopback;
    /** Traffic came back through the relay since we switched to it. */
    boolean working;
    long rxAtSwitch;
    /** The switch re-created the peer (it had no session): its counters started at 0. */
    boolean fresh;
    boolean freshRetried;
    long switchedMillis;
    long refreshedMillis;
    long pingMillis;
    long nextAskMillis;
    long nextProbeMillis;
    Probe probe;
    /** The initiator: the next probe is the two-sided one (a one-sided one just failed). */
    boolean bothNext;
    /** The other end: it asked for a two-sided probe this long (0: not asked). */
    long askedWindowMillis;
    Roam roam;
    /** The relay closed the session during our two-sided probe: it ends at the next drive. */
    boolean closed;
    /** Until then a read's endpoint may still be our own failed probe's: roaming is not judged. */
    long settledMillis;
    /** For the notice: how long without a direct handshake, and how many candidates were tried. */
    long noDirectSeconds;
    int triedCandidates;
    /** How long the peer said it had tried us when we asked (empty: we asked on our own rules). */
    java.util.OptionalLong theirTryMillis = java.util.OptionalLong.empty();

    RelayEnd(PeerPath peer, boolean initiator) {
        this.peer = peer;
        this.initiator = initiator;
    }

    /** No probe going on, none asked for, no roam seen (a new session, or the relay lost). */
    void resetProbe() {
        probe = null;
        closed = false;
        bothNext = false;
        askedWindowMillis = 0;
        roam = null;
    }

    void to(Phase p, long nowMillis) {
        phase = p;
        phaseSinceMillis = nowMillis;
    }
}
