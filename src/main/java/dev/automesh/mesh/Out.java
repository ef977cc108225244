package dev.automesh.mesh;

import dev.automesh.wg.PeerUpdate;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Collects the actions of one event: peer changes first, in one batch, so a Ping follows its endpoint. */
final class Out {
    private final List<PeerUpdate> updates = new ArrayList<>();
    private final List<Action> rest = new ArrayList<>();
    private boolean persist;

    void update(PeerUpdate u) { updates.add(u); }

    void send(InetSocketAddress to, Message m) { rest.add(new Action.Send(to, m)); }

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
