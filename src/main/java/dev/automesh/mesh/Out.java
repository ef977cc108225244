package dev.automesh.mesh;

import dev.automesh.wg.PeerUpdate;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Collects the actions of one event: peer changes first, in one batch, so a Ping follows its endpoint.
 * Every Send passes through {@code stamp} (the router adds Capabilities to Pings and Pongs for
 * configured peers there).
 */
final class Out {
    private final List<PeerUpdate> updates = new ArrayList<>();
    private final List<Action> rest = new ArrayList<>();
    private final UnaryOperator<Action.Send> stamp;
    private boolean persist;

    Out() { this(UnaryOperator.identity()); }

    Out(UnaryOperator<Action.Send> stamp) { this.stamp = stamp; }

    void update(PeerUpdate u) { updates.add(u); }

    void send(InetSocketAddress to, Message m) { send(to, m, List.of()); }

    void send(InetSocketAddress to, Message m, List<Extension> extensions) {
        rest.add(stamp.apply(new Action.Send(to, m, extensions)));
    }

    void add(Action a) { rest.add(a); }

    void persist() { persist = true; }

    List<Action> actions() {
        List<Action> all = new ArrayList<>();
        if (!updates.isEmpty()) all.add(new Action.Configure(updates));
        all.addAll(rest);
        if (persist) all.add(new Action.Persist());
        return all;
    }
}
