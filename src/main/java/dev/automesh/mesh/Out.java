package dev.automesh.mesh;

import dev.automesh.wg.PeerUpdate;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Collects the actions of one event: peer changes first, in one batch, so a Ping follows its endpoint.
 * Every Send passes through {@code stamp} (the router adds Capabilities to Pings and Pongs for
 * configured peers there).
 *
 * <p>It also paces what one event may send (issue 16): at a few hundred peers a device read would try
 * every peer at once and a wave of doubt ping every one. A path's Ping asks {@link #mayPing} first; a
 * refused path keeps its need and asks again at a later drive (a device read and a tick each come every
 * second). Checks of a path in doubt have no cap of their own, only the call's (but those of an idle
 * link's broken keepalive rhythm do), and tries and greetings have caps below it, so checks are never
 * held back by a burst of tries. The Outbox's Announces get what is left ({@link #room}). A mesh of up
 * to ~100 peers never reaches any of these.
 */
final class Out {
    /** Datagrams one call sends at most, Announces included (relay control and answers to one asker aside). */
    static final int CALL_DATAGRAMS = 300;
    /** Of them, tries (a new endpoint or a re-initiation, with its Ping): a cold start's device read would try every peer. */
    static final int CALL_TRIES = 128;
    /** Of them, greetings of peers that just connected: the least urgent Ping. */
    static final int CALL_GREETINGS = 64;
    /**
     * Of them, checks of idle links whose keepalive rhythm broke. That is mostly a re-key's swap of
     * which end sends the keepalives, and the sessions of a cold start swap in the same second (a
     * third of a node's peers at once, simulated): spread over a few seconds, they cost a break that
     * is already ~30 s old a second or two more.
     */
    static final int CALL_IDLE_CHECKS = 16;

    /** Why a path pings through its tunnel. */
    enum Ping { CHECK, IDLE_CHECK, TRY, GREET }

    private final List<PeerUpdate> updates = new ArrayList<>();
    private final List<Action> rest = new ArrayList<>();
    private final UnaryOperator<Action.Send> stamp;
    private final Set<InetSocketAddress> pinged = new HashSet<>();
    private boolean persist;
    private int sent, tries, greetings, idleChecks, refused;

    Out() { this(UnaryOperator.identity()); }

    Out(UnaryOperator<Action.Send> stamp) { this.stamp = stamp; }

    void update(PeerUpdate u) { updates.add(u); }

    void send(InetSocketAddress to, Message m) { send(to, m, List.of()); }

    void send(InetSocketAddress to, Message m, List<Extension> extensions) {
        sent++;
        rest.add(stamp.apply(new Action.Send(to, m, extensions)));
    }

    void add(Action a) {
        if (a instanceof Action.Broadcast) sent++;
        rest.add(a);
    }

    /** Whether a path may still ping for {@code why} in this call; a refusal is counted ({@link #refused}). */
    boolean mayPing(Ping why) {
        boolean ok = sent < CALL_DATAGRAMS && switch (why) {
            case CHECK -> true;
            case IDLE_CHECK -> idleChecks < CALL_IDLE_CHECKS;
            case TRY -> tries < CALL_TRIES;
            case GREET -> greetings < CALL_GREETINGS;
        };
        if (!ok) refused++;
        return ok;
    }

    /** A path's Ping through the tunnel to {@code to}, after {@link #mayPing} allowed it. */
    void ping(InetSocketAddress to, Ping why) {
        if (why == Ping.TRY) tries++;
        else if (why == Ping.GREET) greetings++;
        else if (why == Ping.IDLE_CHECK) idleChecks++;
        pinged.add(to);
        send(to, new Message.Ping());
    }

    /** Whether a path's Ping already went to {@code to} in this call: its Pong serves a greeting too. */
    boolean pinged(InetSocketAddress to) { return pinged.contains(to); }

    /** Pings refused so far in this call. */
    int refused() { return refused; }

    /** How many more datagrams this call may send. */
    int room() { return Math.max(0, CALL_DATAGRAMS - sent); }

    void persist() { persist = true; }

    List<Action> actions() {
        List<Action> all = new ArrayList<>();
        if (!updates.isEmpty()) all.add(new Action.Configure(updates));
        all.addAll(rest);
        if (persist) all.add(new Action.Persist());
        return all;
    }
}
