package dev.automesh.mesh;

import dev.automesh.crypto.WgKey;
import dev.automesh.wire.Extension.Capabilities;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What we know about configured peers as automesh nodes: the Capabilities their last Ping or Pong
 * carried (none: wgautomesh, never asked to relay nor sent a relay extension), and the round trip
 * of our Pings to them (an EWMA over Ping → Pong, from event times).
 */
final class Neighbours {
    /** The weight of a new sample, as in TCP's SRTT (RFC 6298). */
    static final double RTT_ALPHA = 0.125;
    /** A Ping not answered within this is not a sample (a Pong that late answers a later Ping). */
    static final long RTT_MAX_MS = 10_000;

    private final Map<WgKey, Capabilities> caps = new HashMap<>();
    private final Map<WgKey, Long> pingSentMillis = new HashMap<>();
    private final Map<WgKey, Double> rttMillis = new HashMap<>();
    /** Since when our Pings to it have gone unanswered: the first one after we last heard from it. */
    private final Map<WgKey, Long> unansweredSince = new HashMap<>();

    void capabilities(WgKey peer, Capabilities c) {
        caps.put(peer, c);
    }

    Optional<Capabilities> capabilities(WgKey peer) {
        return Optional.ofNullable(caps.get(peer));
    }

    boolean automesh(WgKey peer) {
        return caps.containsKey(peer);
    }

    /** Willing to relay, by its own Capabilities. */
    boolean relays(WgKey peer) {
        Capabilities c = caps.get(peer);
        return c != null && c.relays();
    }

    /** A Ping left for it; only the oldest unanswered one is timed. */
    void pinged(WgKey peer, long nowMillis) {
        Long at = pingSentMillis.get(peer);
        if (at == null || nowMillis - at > RTT_MAX_MS) pingSentMillis.put(peer, nowMillis);
        unansweredSince.putIfAbsent(peer, nowMillis);
    }

    /** Its agent sent us something: it is running, whatever it answers to. */
    void heard(WgKey peer) {
        unansweredSince.remove(peer);
    }

    /**
     * Its agent is running as far as we can tell: no Ping of ours has gone unanswered for {@code
     * withinMillis}. A relay whose agent died keeps a live tunnel (its WireGuard still answers), so the
     * tunnel alone does not say it can relay.
     */
    boolean answering(WgKey peer, long nowMillis, long withinMillis) {
        Long since = unansweredSince.get(peer);
        return since == null || nowMillis - since < withinMillis;
    }

    void ponged(WgKey peer, long nowMillis) {
        heard(peer);
        Long at = pingSentMillis.remove(peer);
        if (at == null || nowMillis - at > RTT_MAX_MS || nowMillis < at) return;
        double sample = nowMillis - at;
        rttMillis.merge(peer, sample, (old, s) -> old + RTT_ALPHA * (s - old));
    }

    /** The smoothed round trip; empty before the first Pong. */
    OptionalLong rttMillis(WgKey peer) {
        Double r = rttMillis.get(peer);
        return r == null ? OptionalLong.empty() : OptionalLong.of(Math.round(r));
    }
}
