package dev.automesh.mesh;

import dev.automesh.crypto.WgKey;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Extension.Closing;
import dev.automesh.wire.Extension.Refusal;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The relay role: decides which RelayRequests open a session between two configured peers, and
 * closes sessions whose ends went away. It opens only between two configured automesh peers that
 * both have a live tunnel with us, keeps at most {@link #MAX_SESSIONS}, and answers each requester at
 * most {@link #RATE_REQUESTS} times per {@link #RATE_WINDOW_MS} (the rest is dropped and counted).
 * The daemon's RelayServer carries the frames; this only says which sessions exist.
 */
final class RelayDesk {
    static final int MAX_SESSIONS = 64;
    static final int RATE_REQUESTS = 8;
    static final long RATE_WINDOW_MS = 10_000;
    /** The data plane's idle timeout; the ends refresh well within it. */
    static final int IDLE_TIMEOUT_S = 60;
    /** A session no end refreshed for this long is forgotten (its ends gave it up without a RelayClose). */
    static final long FORGET_MS = 2L * IDLE_TIMEOUT_S * 1000;
    /** How many requesters we keep rate state for; beyond, the oldest window is dropped. */
    static final int MAX_REQUESTERS = 1024;
    /** A reporter's PunchReports about one peer are passed on at most this often. */
    static final long NOTICE_EVERY_MS = 1_000;

    /** One open session; {@code a} asked for it first. */
    record Session(long id, PeerPath a, PeerPath b, long refreshedMillis) {
        boolean has(PeerPath p) { return a == p || b == p; }

        PeerPath other(PeerPath p) { return a == p ? b : a; }
    }

    private record Window(long startMillis, int count) {}

    private final boolean willing;
    private final int relayPort;
    private final int gossipPort;
    private final SplittableRandom random;
    private final Neighbours neighbours;
    private final Function<String, PeerPath> byB64;
    private final Map<Long, Session> sessions = new LinkedHashMap<>();
    private final Map<WgKey, Window> rate = new LinkedHashMap<>();
    private record Pair(WgKey from, WgKey to) {}

    /** Per reporter and peer, when we last passed a PunchReport on. */
    private final Map<Pair, Long> noticed = new LinkedHashMap<>();
    private long served, refused, rateLimited, closed, noticesPassed, noticesDropped;

    RelayDesk(boolean willing, int relayPort, int gossipPort, SplittableRandom random, Neighbours neighbours,
            Function<String, PeerPath> byB64) {
        this.willing = willing;
        this.relayPort = relayPort;
        this.gossipPort = gossipPort;
        this.random = random;
        this.neighbours = neighbours;
        this.byB64 = byB64;
    }

    /** A RelayRequest from the configured peer {@code from} (it came out of its tunnel). */
    void onRequest(PeerPath from, Extension.RelayRequest r, long nowMillis, Out out) {
        if (!allowed(from.key(), nowMillis)) {
            rateLimited++;
            return;
        }
        PeerPath to = byB64.apply(r.peer());
        int why = refusal(from, to, nowMillis);
        if (why != 0) {
            refused++;
            out.send(from.gossipAddress(), new Message.Ping(), List.of(new Extension.RelayRefused(r.requestId(), r.peer(), why)));
            return;
        }
        Session s = find(from, to).orElse(null);
        if (s == null) {
            if (sessions.size() >= MAX_SESSIONS) {
                refused++;
                out.send(from.gossipAddress(), new Message.Ping(),
                        List.of(new Extension.RelayRefused(r.requestId(), r.peer(), Refusal.TOO_MANY_SESSIONS)));
                return;
            }
            s = new Session(newId(), from, to, nowMillis);
        }
        s = new Session(s.id(), s.a(), s.b(), nowMillis);
        sessions.put(s.id(), s);
        served++;
        // Open or refresh: the data plane treats a second open of the same id and sockets as a refresh.
        out.add(new Action.RelayServe(s.id(), relaySocket(s.a()), relaySocket(s.b())));
        for (PeerPath end : List.of(s.a(), s.b())) {
            PeerPath other = s.other(end);
            out.send(end.gossipAddress(), new Message.Ping(), List.of(new Extension.RelayReady(r.requestId(), s.id(),
                    other.b64(), relayPort, IDLE_TIMEOUT_S)));
        }
    }

    /**
     * A PunchReport from {@code from} about {@code r.peer()}: passed on to that peer as a PunchNotice
     * when we would relay between the two, at most once per {@link #NOTICE_EVERY_MS} per pair. One
     * datagram in, at most one of the same size out, to a configured peer's mesh address only.
     */
    void onPunchReport(PeerPath from, Extension.PunchReport r, long nowMillis, Out out) {
        PeerPath to = byB64.apply(r.peer());
        if (refusal(from, to, nowMillis) != 0) {
            noticesDropped++;
            return;
        }
        Pair pair = new Pair(from.key(), to.key());
        Long last = noticed.get(pair);
        if (last != null && nowMillis - last < NOTICE_EVERY_MS || out.room() == 0) {
            noticesDropped++;
            return;
        }
        noticed.remove(pair);
        if (noticed.size() >= MAX_REQUESTERS) { // the pair passed on longest ago goes
            Iterator<Pair> it = noticed.keySet().iterator();
            it.next();
            it.remove();
        }
        noticed.put(pair, nowMillis);
        noticesPassed++;
        out.send(to.gossipAddress(), new Message.Ping(), List.of(new Extension.PunchNotice(from.b64(), r.endpoint(), r.triedMillis())));
    }

    /** A RelayClose from {@code from}: if it is an end of that session, the session ends and the other end hears it. */
    void onClose(PeerPath from, Extension.RelayClose c, Out out) {
        Session s = sessions.get(c.sessionId());
        if (s == null || !s.has(from)) return;
        close(s, s.other(from), c.reason(), out);
    }

    /** Every drive: sessions whose end lost its tunnel with us, or that nobody refreshed, are closed. */
    void drive(long nowMillis, Out out) {
        for (Session s : new ArrayList<>(sessions.values())) {
            boolean aUp = live(s.a(), nowMillis);
            boolean bUp = live(s.b(), nowMillis);
            if (!aUp || !bUp) {
                PeerPath tell = aUp ? s.a() : bUp ? s.b() : null;
                close(s, tell, Closing.TUNNEL_GONE, out);
            } else if (nowMillis - s.refreshedMillis() >= FORGET_MS) {
                close(s, null, Closing.IDLE, out);
                out.send(s.a().gossipAddress(), new Message.Ping(), List.of(new Extension.RelayClose(s.id(), Closing.IDLE)));
                out.send(s.b().gossipAddress(), new Message.Ping(), List.of(new Extension.RelayClose(s.id(), Closing.IDLE)));
            }
        }
    }

    List<MeshStatus.RelayServed> status() {
        List<MeshStatus.RelayServed> l = new ArrayList<>();
        for (Session s : sessions.values()) l.add(new MeshStatus.RelayServed(s.a().name(), s.b().name(), s.id()));
        return l;
    }

    MeshStatus.RelayDeskCounters counters() {
        return new MeshStatus.RelayDeskCounters(served, refused, rateLimited, closed, noticesPassed, noticesDropped);
    }

    int sessionCount() { return sessions.size(); }

    int requestersTracked() { return rate.size(); }

    // ---------------------------------------------------------------- inside

    private int refusal(PeerPath from, PeerPath to, long nowMillis) {
        if (!willing) return Refusal.OPTED_OUT;
        if (to == null || to == from) return Refusal.NOT_A_PEER;
        if (!neighbours.automesh(from.key()) || !neighbours.automesh(to.key())) return Refusal.PEER_NOT_AUTOMESH;
        if (!live(from, nowMillis) || !live(to, nowMillis)) return Refusal.NO_TUNNEL_TO_PEER;
        return 0;
    }

    /** A direct live tunnel with us: a relayed peer cannot carry another relay's frames. */
    private static boolean live(PeerPath p, long nowMillis) {
        return p.link().present() && p.connected(nowMillis) && !p.relayed();
    }

    private Optional<Session> find(PeerPath x, PeerPath y) {
        return sessions.values().stream().filter(s -> s.has(x) && s.has(y)).findFirst();
    }

    private void close(Session s, PeerPath tell, int reason, Out out) {
        sessions.remove(s.id());
        closed++;
        out.add(new Action.RelayUnserve(s.id()));
        if (tell != null) out.send(tell.gossipAddress(), new Message.Ping(), List.of(new Extension.RelayClose(s.id(), reason)));
    }

    private boolean allowed(WgKey requester, long nowMillis) {
        Window w = rate.get(requester);
        if (w == null || nowMillis - w.startMillis() >= RATE_WINDOW_MS) {
            rate.remove(requester);
            if (rate.size() >= MAX_REQUESTERS) {
                Iterator<WgKey> it = rate.keySet().iterator();
                it.next();
                it.remove();
            }
            rate.put(requester, new Window(nowMillis, 1));
            return true;
        }
        if (w.count() >= RATE_REQUESTS) return false;
        rate.put(requester, new Window(w.startMillis(), w.count() + 1));
        return true;
    }

    private long newId() {
        long id;
        do {
            id = random.nextLong();
        } while (id == 0 || sessions.containsKey(id));
        return id;
    }

    private InetSocketAddress relaySocket(PeerPath p) {
        int port = neighbours.capabilities(p.key()).map(Extension.Capabilities::relayPort).orElse(gossipPort + 1);
        return new InetSocketAddress(p.gossipAddress().getAddress(), port);
    }
}
