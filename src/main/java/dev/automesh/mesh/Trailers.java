package dev.automesh.mesh;

import dev.automesh.wire.Extension;
import dev.automesh.wire.Message;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The automesh extensions that ride after a wgautomesh message (docs/protocol.md): what goes on the
 * datagrams we send, and who acts on the ones we receive. wgautomesh ignores bytes after a complete
 * message, but a peer that never sent Capabilities gets nothing beyond them.
 */
final class Trailers {
    private final int gossipPort;
    private final Function<InetAddress, PeerPath> byMeshAddress;
    private final Neighbours neighbours;
    private final Extension.Capabilities ownCaps;
    private final RelayDesk desk;
    private final RelayPaths relays;

    Trailers(MeshSettings settings, Function<InetAddress, PeerPath> byMeshAddress, Neighbours neighbours,
            RelayDesk desk, RelayPaths relays) {
        this.gossipPort = settings.gossipPort();
        this.byMeshAddress = byMeshAddress;
        this.neighbours = neighbours;
        this.desk = desk;
        this.relays = relays;
        ownCaps = new Extension.Capabilities(Extension.VERSION, settings.relayWilling() ? Extension.Capabilities.FLAG_RELAY : 0,
                settings.relayPort(), "automesh");
    }

    /**
     * Every Ping and Pong to a configured peer's mesh address carries our Capabilities; a peer that
     * never sent its own (wgautomesh) gets nothing else after the message, whatever asked for it.
     * Pings are timed here, for the relays' round trips.
     */
    Action.Send stamp(Action.Send s, long eventMillis) {
        PeerPath p = s.to().getPort() == gossipPort ? byMeshAddress.apply(s.to().getAddress()) : null;
        if (p == null) return s.extensions().isEmpty() ? s : new Action.Send(s.to(), s.message());
        List<Extension> exts = new ArrayList<>();
        boolean ping = s.message() instanceof Message.Ping;
        if (ping || s.message() instanceof Message.Pong) exts.add(ownCaps);
        if (neighbours.automesh(p.key())) {
            for (Extension e : s.extensions()) if (!(e instanceof Extension.Capabilities)) exts.add(e);
        }
        if (ping) neighbours.pinged(p.key(), eventMillis);
        return new Action.Send(s.to(), s.message(), exts);
    }

    /** Capabilities first (a request on the same datagram may need them), then the relay setup. */
    void received(PeerPath from, Message m, List<Extension> extensions, long nowMillis, Out out) {
        neighbours.heard(from.key());
        if (m instanceof Message.Pong) neighbours.ponged(from.key(), nowMillis);
        for (Extension e : extensions) if (e instanceof Extension.Capabilities c) neighbours.capabilities(from.key(), c);
        if (!neighbours.automesh(from.key())) return;
        for (Extension e : extensions) {
            if (e instanceof Extension.RelayRequest r) {
                desk.onRequest(from, r, nowMillis, out);
            } else if (e instanceof Extension.RelayReady r) {
                relays.onReady(from, r, nowMillis, out);
            } else if (e instanceof Extension.RelayRefused r) {
                relays.onRefused(from, r, nowMillis, out);
            } else if (e instanceof Extension.RelayClose c) {
                desk.onClose(from, c, out);
                relays.onClose(from, c, nowMillis, out);
            } else if (e instanceof Extension.ProbeDirect d) {
                relays.onProbeDirect(from, d);
            } else if (e instanceof Extension.PunchReport r) {
                desk.onPunchReport(from, r, nowMillis, out);
            } else if (e instanceof Extension.PunchNotice n) {
                relays.onPunchNotice(from, n, nowMillis);
            }
        }
    }
}
