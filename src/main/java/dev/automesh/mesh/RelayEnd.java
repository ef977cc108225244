package dev.automesh.mesh;

import dev.automesh.crypto.WgKey;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

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

    /** The initiator's probe of a direct endpoint while relayed. */
    record Probe(InetSocketAddress endpoint, long startMillis, long rxAtStart) {}

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
    long refreshedMillis;
    long pingMillis;
    long nextAskMillis;
    long nextProbeMillis;
    Probe probe;
    Roam roam;
    /** For the notice: how long without a direct handshake, and how many candidates were tried. */
    long noDirectSeconds;
    int triedCandidates;
    /** Relays that failed or refused for this peer, until when they are skipped. */
    final Map<WgKey, Long> badUntil = new HashMap<>();

    RelayEnd(PeerPath peer, boolean initiator) {
        this.peer = peer;
        this.initiator = initiator;
    }

    void to(Phase p, long nowMillis) {
        phase = p;
        phaseSinceMillis = nowMillis;
    }

    boolean skipped(PeerPath relay, long nowMillis) {
        Long until = badUntil.get(relay.key());
        return until != null && until > nowMillis;
    }
}
