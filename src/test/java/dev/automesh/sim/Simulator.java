package dev.automesh.sim;

import dev.automesh.config.HostPort;
import dev.automesh.config.PeerConfig;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Action;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * N nodes in one JVM on a simulated clock: an event queue ordered by time, a simulated network
 * ({@link Net}) and simulated WireGuard ({@link SimWg}), and around each node's {@link Brain} the
 * daemon's behaviour: start with the saved table, a device read every second (with jitter), a tick
 * every second, Configure applied to the device, Send through the tunnel, Broadcast to the LAN.
 */
final class Simulator {
    static final long T0 = 1_800_000_000_000L;
    static final int GOSSIP_PORT = 1666;
    static final long DOWN_MS = 5_000;

    private record Ev(long at, long seq, Runnable run) {}

    final SimFlags f;
    final int n;
    final Random rnd;
    final Net net;
    final SimWg[] wg;
    final Brain[] brain;
    final boolean[] wga, up;
    final List<WgKey> keys = new ArrayList<>();
    final Map<WgKey, Integer> index = new HashMap<>();
    final InetAddress[] meshIp;
    final Map<InetAddress, Integer> byMesh = new HashMap<>();
    final List<PeerConfig> config = new ArrayList<>();
    final Stats stats;
    /** The cap on the run (--minutes), and where it ends: the cap, or (steady auto or fixed) after its windows. */
    final long capS;
    long churnAtS, restartAtS, endS;
    /** Steady auto: the window has started (or a fixed one was set up front). */
    boolean steadySet;
    /** Deferred gossip work mesh-wide (automesh nodes that are up), at the last check: {fan-outs, queued Announces, nodes with any}. */
    final long[] deferredNow = new long[3];
    /** The same when the steady window started; null before. */
    long[] deferredAtSteady;
    /** The last second at which some node still held deferred work before the steady window, -1 if none. */
    long lastDeferredS = -1;
    private final PriorityQueue<Ev> queue = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private long seq, sessionIds;
    long now = T0, pending, maxPending, events;
    int roamer = -1;
    final Results results = new Results();
    String aborted;
    private final int[] generation;

    /** What the run found; -1 = not reached. */
    static final class Results {
        long fullKnowledgeMs = -1, fullMeshMs = -1, roamKnownMs = -1, restartMeshMs = -1;
        /** As restartMeshMs, but with pairs in WireGuard's idle re-key gap ({@link Simulator#REKEY_GAP_MS}) counted as connected. */
        long restartMeshGapMs = -1;
        int canPunchPairs;
    }

    Simulator(SimFlags f) {
        this.f = f;
        this.n = f.nodes();
        this.rnd = new Random(f.seed());
        int sites = (n + f.lanSize() - 1) / f.lanSize();
        Net.Nat[] siteNat = new Net.Nat[sites];
        for (int s = 0; s < sites; s++) {
            double r = rnd.nextDouble();
            siteNat[s] = s == 0 || r < f.publicShare() ? Net.Nat.PUBLIC
                    : r < f.publicShare() + f.symmetricShare() ? Net.Nat.SYMMETRIC : Net.Nat.CONE;
        }
        int[] site = new int[n];
        for (int i = 0; i < n; i++) site[i] = i / f.lanSize();
        net = new Net(site, siteNat);
        wg = new SimWg[n];
        brain = new Brain[n];
        wga = new boolean[n];
        up = new boolean[n];
        meshIp = new InetAddress[n];
        generation = new int[n];
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[32];
            new Random(f.seed() * 1_000_003 + i).nextBytes(b);
            WgKey k = WgKey.of(b);
            keys.add(k);
            index.put(k, i);
            meshIp[i] = Net.ip(10, 200 + (i >> 16), (i >> 8) & 255, i & 255);
            byMesh.put(meshIp[i], i);
            wga[i] = i > 0 && rnd.nextDouble() < f.wgaShare();
        }
        for (int i = 0; i < n; i++) {
            // Public nodes are in everyone's config with their endpoint, as in a static fleet.
            Optional<HostPort> ep = net.nat(i) == Net.Nat.PUBLIC
                    ? Optional.of(new HostPort(net.lanIp[i].getHostAddress(), Net.WG_PORT)) : Optional.empty();
            config.add(new PeerConfig(keys.get(i), meshIp[i], ep, Optional.of("n" + i)));
        }
        capS = endS = f.minutes() * 60L;
        if (f.steadyFromS() == SimFlags.STEADY_THIRD) {
            churnAtS = f.churn() ? endS * 2 / 3 : endS;
            restartAtS = f.churn() ? churnAtS + (endS - churnAtS) / 2 : endS;
            stats = new Stats(n, (int) capS, new long[] {0, endS / 3, churnAtS, restartAtS, endS});
            steadySet = true;
        } else {
            stats = new Stats(n, (int) capS, new long[] {0, capS, capS, capS, capS});
            churnAtS = restartAtS = capS;
            if (f.steadyFromS() > 0) setSteady(f.steadyFromS());
        }
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) if (net.canPunch(i, j)) results.canPunchPairs++;
    }

    void at(long t, Runnable r) {
        queue.add(new Ev(t, seq++, r));
    }

    /** Runs the whole scenario; returns false when it was stopped (wall-time budget, or a storm beyond max-pending). */
    private long wallStart0;
    /** -Dsim.explainPings=K: name the reasons when one call sends at least K Pings (stderr). */
    private final int explainPings = Integer.getInteger("sim.explainPings", 0);

    boolean run() {
        long wallStart = wallStart0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int node = i;
            long phase = rnd.nextInt(1000);
            at(T0 + phase, () -> boot(node, Map.of()));
        }
        at(T0 + 1000, this::checkEverySecond);
        if (f.churn() && f.steadyFromS() == SimFlags.STEADY_THIRD) {
            at(T0 + churnAtS * 1000, this::roam);
            at(T0 + restartAtS * 1000, this::restartSome);
        }
        while (!queue.isEmpty()) {
            Ev e = queue.poll();
            if (e.at >= T0 + endS * 1000) break; // the run is [0, endS)
            now = e.at;
            e.run.run();
            events++;
            if (pending > f.maxPending()) {
                aborted = "gossip storm: " + pending + " datagrams in flight at " + (now - T0) / 1000 + " s";
                break;
            }
            if ((events & 0xFFFF) == 0 && f.maxWallSeconds() > 0 && System.nanoTime() - wallStart > f.maxWallSeconds() * 1e9) {
                aborted = "wall-time budget of " + f.maxWallSeconds() + " s used up at simulated " + (now - T0) / 1000 + " s";
                break;
            }
        }
        if (aborted != null) stats.reachedS = (now - T0) / 1000 - 1; // the second under way is incomplete
        if (!steadySet && aborted == null) aborted = "steady state not reached by the cap of " + capS + " s: deferred work left "
                + deferredNow[0] + " fan-outs, " + deferredNow[1] + " queued Announces on " + deferredNow[2] + " nodes";
        return aborted == null;
    }

    /**
     * Steady window from second {@code from} for the steady length, then (churn) the roam and restart
     * windows of 20 s each; the run ends after them (at most at the cap).
     */
    private void setSteady(long from) {
        steadySet = true;
        long[] b = stats.windowStartS;
        long len = f.steadyLength(), churn = f.churn() ? SimFlags.CHURN_WINDOW_S : 0;
        b[1] = Math.min(from, capS);
        b[2] = churnAtS = Math.min(b[1] + len, capS);
        b[3] = restartAtS = Math.min(b[2] + churn, capS);
        b[4] = endS = Math.min(b[3] + churn, capS);
        if (f.churn()) {
            if (churnAtS < capS) at(T0 + churnAtS * 1000, this::roam);
            if (restartAtS < capS) at(T0 + restartAtS * 1000, this::restartSome);
        }
    }

    // ---------------------------------------------------------------- the daemon around each brain

    private void boot(int i, Map<String, List<TimedEndpoint>> saved) {
        up[i] = true;
        wg[i] = new SimWg(keys.get(i), Net.WG_PORT, n);
        brain[i] = wga[i] ? new WgaBrain(keys.get(i), GOSSIP_PORT, config)
                : new Brain.Real(Brain.settings(keys.get(i), GOSSIP_PORT, f.lanSize() > 1, config, net.lanSubnet(i)));
        int gen = generation[i] = generation[i] + 1;
        call(i, 0, () -> brain[i].start(saved, now));
        for (int j = 0; j < n; j++) {
            if (j != i && config.get(j).endpoint().isPresent()) {
                int peer = j;
                call(i, 8, () -> brain[i].onResolved(keys.get(peer), List.of(new InetSocketAddress(net.lanIp[peer], Net.WG_PORT)), now));
            }
        }
        long jitter = 1000 + rnd.nextInt(101) - 50;
        at(now + jitter, () -> deviceRead(i, gen));
        at(now + 1000, () -> second(i, gen));
    }


    private void deviceRead(int i, int gen) {
        if (!up[i] || generation[i] != gen) return;
        call(i, 6, () -> brain[i].onDevice(wg[i].snapshot(keys), now));
        at(now + 1000 + rnd.nextInt(101) - 50, () -> deviceRead(i, gen));
    }

    private void second(int i, int gen) {
        if (!up[i] || generation[i] != gen) return;
        wgTimers(i);
        call(i, 7, () -> brain[i].onTick(now));
        at(now + 1000, () -> second(i, gen));
    }

    private void call(int i, int kind, java.util.function.Supplier<List<Action>> c) {
        long t = System.nanoTime();
        List<Action> actions = c.get();
        long ns = System.nanoTime() - t;
        int[] byType = new int[Stats.TYPES.length];
        for (Action a : actions) {
            if (a instanceof Action.Send s) byType[s.message().variant()]++;
            else if (a instanceof Action.Broadcast b) byType[b.message().variant()]++;
        }
        int pings = byType[0];
        if (!wga[i]) stats.call(kind, ns, byType, i, now - T0);
        if (!wga[i] && explainPings > 0 && pings >= explainPings && stats.window((now - T0) / 1000) == 1) { // steady only
            System.err.printf("explain: n%d %s at %.3f s sent %d Pings; outstanding Pings by reason %s%n", i, Stats.CALLS[kind],
                    (now - T0) / 1000.0, pings, brain[i].doubts(now));
            for (String k : brain[i].doubts(now).keySet()) {
                if (!k.startsWith("e.g. ")) continue;
                Integer j = index.get(WgKey.fromBase64(k.substring(5)));
                SimWg.PeerState p = wg[i].peers[j], q = wg[j].peers[i];
                System.err.printf("  n%d->n%d: initiator %s session age %d ms, last sent %d ms ago, last received %d ms ago, rx %d tx %d;"
                                + " back: initiator %s, last sent %d ms ago, last received %d ms ago%n", i, j, p.initiator, now - p.sessionStartMs,
                        now - p.lastSentMs, now - p.lastRecvMs, p.rx, p.tx, q.initiator, now - q.lastSentMs, now - q.lastRecvMs);
                System.err.printf("    n%d: last init %d ms ago, pending init %d, want since %d ms ago, handshake %d s ago; n%d: session %d previous %d (ours %d)%n",
                        i, now - p.lastInitMs, p.pendingInit, p.wantSinceMs < 0 ? -1 : now - p.wantSinceMs, now / 1000 - p.handshakeS,
                        j, q.session, q.previousSession, p.session);
            }
        }
        apply(i, actions);
    }

    private void apply(int i, List<Action> actions) {
        Map<Integer, List<Message>> batches = new HashMap<>();
        for (Action a : actions) {
            if (a instanceof Action.Configure c) {
                for (SimWg.PeerState p : wg[i].apply(c.updates(), k -> index.getOrDefault(k, -1))) sendData(i, p, null);
            } else if (a instanceof Action.Send s) {
                Integer j = byMesh.get(s.to().getAddress());
                if (j == null && s.to().getPort() == GOSSIP_PORT) { // to a LAN address, outside the tunnels
                    sendOnLan(i, s.to().getAddress(), s.message());
                    continue;
                }
                if (j == null || s.to().getPort() != GOSSIP_PORT) continue; // not a mesh address: nowhere to go
                SimWg.PeerState p = wg[i].peers[j];
                if (p == null || p.endpoint == null || !p.sessionValid(now)) {
                    stats.lostTunnelDown[s.message().variant()]++;
                    if (p != null && p.endpoint != null) wantHandshake(i, p);
                    continue;
                }
                sendData(i, p, s.message());
            } else if (a instanceof Action.Broadcast b) {
                stats.sent(i, (now - T0) / 1000, b.message(), false);
                InetSocketAddress from = new InetSocketAddress(net.lanIp[i], GOSSIP_PORT);
                for (int j = 0; j < n; j++) {
                    if (net.site[j] != net.site[i] || lost()) continue;
                    int to = j;
                    pending++;
                    at(now + latency(), () -> {
                        pending--;
                        if (up[to]) call(to, 5, () -> brain[to].onDatagram(from, b.message(), now));
                    });
                }
            } // Persist: the table is read at shutdown; Notice: ignored
        }
    }

    /** A gossip datagram to a LAN address (the mesh's LAN proof Ping and its Pong): the LAN delivers it. */
    private void sendOnLan(int i, InetAddress to, Message m) {
        Integer j = net.onSameLan(i, to);
        if (j == null || lost()) return;
        stats.sent(i, (now - T0) / 1000, m, false);
        InetSocketAddress from = new InetSocketAddress(net.lanIp[i], GOSSIP_PORT);
        int dest = j;
        pending++;
        at(now + latency(), () -> {
            pending--;
            if (up[dest]) call(dest, 5, () -> brain[dest].onDatagram(from, m, now));
        });
    }

    private long latency() {
        return Math.max(1, f.latencyMs() + (f.jitterMs() == 0 ? 0 : rnd.nextInt(2 * f.jitterMs() + 1) - f.jitterMs()));
    }

    private boolean lost() {
        return f.loss() > 0 && rnd.nextDouble() < f.loss();
    }

    // ---------------------------------------------------------------- WireGuard

    private final int[] reached = new int[1];

    /** A data packet (a gossip datagram, or a keepalive when m is null) on a live session. */
    private void sendData(int i, SimWg.PeerState p, Message m) {
        if (p.endpoint == null) return;
        if (!p.sessionValid(now)) {
            wantHandshake(i, p);
            return;
        }
        if (p.initiator && now - p.sessionStartMs >= SimWg.REKEY_AFTER_MS) wantHandshake(i, p);
        int bytes = m == null ? SimWg.KEEPALIVE_BYTES : Stats.tunnelWireBytes(stats.payloadBytes(m)) - 28;
        p.tx += bytes;
        p.lastSentMs = now;
        if (m != null) stats.sent(i, (now - T0) / 1000, m, true);
        InetSocketAddress src = net.send(i, p.endpoint, now, reached);
        if (src == null || lost()) return;
        int j = reached[0];
        long sid = p.session;
        pending++;
        at(now + latency(), () -> {
            pending--;
            SimWg.PeerState q = up[j] ? wg[j].peers[i] : null;
            if (q == null || (sid != q.session && sid != q.previousSession)) return; // cannot decrypt
            q.rx += bytes;
            q.lastRecvMs = now;
            q.endpoint = src;
            // The initiator also re-keys on receive, so a session whose only sender is the responder is renewed in time.
            if (q.initiator && now - q.sessionStartMs >= SimWg.REKEY_ON_RECEIVE_MS) wantHandshake(j, q);
            if (m != null) {
                q.lastRecvDataMs = now;
                call(j, m.variant() + 1, () -> brain[j].onDatagram(new InetSocketAddress(meshIp[i], GOSSIP_PORT), m, now));
            }
        });
    }

    private void wantHandshake(int i, SimWg.PeerState p) {
        if (p.wantSinceMs < 0) p.wantSinceMs = now;
        maybeInit(i, p);
    }

    private void maybeInit(int i, SimWg.PeerState p) {
        if (p.endpoint == null || now - p.lastInitMs < SimWg.REKEY_TIMEOUT_MS) return;
        long sid = ++sessionIds;
        p.lastInitMs = now;
        p.pendingInit = sid;
        p.tx += SimWg.INIT_BYTES;
        InetSocketAddress src = net.send(i, p.endpoint, now, reached);
        if (src == null || lost()) return;
        int j = reached[0];
        at(now + latency(), () -> {
            SimWg.PeerState q = up[j] ? wg[j].peers[i] : null;
            if (q == null) return; // unknown peer: dropped
            q.previousSession = q.session;
            q.session = sid;
            q.sessionStartMs = now;
            q.initiator = false;
            q.handshakeS = now / 1000;
            q.endpoint = src;
            q.rx += SimWg.INIT_BYTES;
            q.tx += SimWg.RESPONSE_BYTES;
            q.lastRecvMs = now;
            q.lastSentMs = now;
            q.wantSinceMs = -1;
            InetSocketAddress back = net.send(j, src, now, reached);
            if (back == null || reached[0] != i || lost()) return;
            at(now + latency(), () -> {
                SimWg.PeerState r = up[i] ? wg[i].peers[j] : null;
                if (r == null || r.pendingInit != sid) return;
                r.previousSession = r.session;
                r.session = sid;
                r.sessionStartMs = now;
                r.initiator = true;
                r.handshakeS = now / 1000;
                r.endpoint = back;
                r.rx += SimWg.RESPONSE_BYTES;
                r.lastRecvMs = now;
                r.pendingInit = -1;
                r.wantSinceMs = -1;
                sendData(i, r, null); // confirms the session to the responder
            });
        });
    }

    /** The kernel's timers for one node, once a second. */
    private void wgTimers(int i) {
        for (SimWg.PeerState p : wg[i].order) { // no copy: nothing here reconfigures the device
            if (p.endpoint == null) continue;
            if (p.wantSinceMs >= 0) {
                if (now - p.wantSinceMs > SimWg.REKEY_ATTEMPT_MS) p.wantSinceMs = -1;
                else maybeInit(i, p);
            }
            boolean valid = p.sessionValid(now);
            if (p.keepalive > 0 && now - Math.max(p.lastSentMs, p.lastRecvMs) >= p.keepalive * 1000L) {
                sendData(i, p, null);
            } else if (valid && p.lastRecvDataMs > p.lastSentMs && now - p.lastRecvDataMs >= SimWg.KEEPALIVE_TIMEOUT_MS) {
                sendData(i, p, null);
            }
        }
    }

    // ---------------------------------------------------------------- churn

    private void roam() {
        int pick = -1;
        for (int i = n - 1; i >= 0 && pick < 0; i--) if (net.nat(i) == Net.Nat.CONE && !wga[i]) pick = i;
        for (int i = n - 1; i >= 0 && pick < 0; i--) if (net.nat(i) == Net.Nat.PUBLIC && !wga[i]) pick = i;
        if (pick < 0) return;
        roamer = pick;
        net.roam(pick);
    }

    private void restartSome() {
        int count = Math.max(1, n / 10);
        for (int k = 0; k < count; k++) {
            int i = 1 + (int) ((long) k * (n - 1) / count);
            if (i == roamer || !up[i]) continue;
            Map<String, List<TimedEndpoint>> saved = brain[i].table();
            up[i] = false;
            at(now + DOWN_MS, () -> boot(i, saved));
        }
    }

    // ---------------------------------------------------------------- what is measured

    private void checkEverySecond() {
        long t = now - T0;
        countDeferred();
        long sec = t / 1000;
        if (!steadySet && f.steadyFromS() == SimFlags.STEADY_AUTO && deferredNow[2] == 0 && sec >= 10
                && (results.fullKnowledgeMs >= 0 || sec >= 60)) {
            setSteady(sec);
        }
        if (deferredAtSteady == null && steadySet && sec >= stats.windowStartS[1]) deferredAtSteady = deferredNow.clone();
        if (deferredAtSteady == null && deferredNow[2] > 0) lastDeferredS = sec;
        if (results.fullMeshMs < 0 && fullMesh()) results.fullMeshMs = t;
        if (results.fullKnowledgeMs < 0 && fullKnowledge()) results.fullKnowledgeMs = t;
        if (roamer >= 0 && results.roamKnownMs < 0 && t - churnAtS * 1000 <= 120_000 && knownEverywhere(roamer)) {
            results.roamKnownMs = t - churnAtS * 1000;
        }
        if (t > restartAtS * 1000 + DOWN_MS && results.restartMeshMs < 0 && fullMesh()) results.restartMeshMs = t - restartAtS * 1000;
        // After a few minutes a quarter of all pairs can sit in the gap at once (the cold start's sessions
        // re-key together), which hides the restart's own recovery from the strict figure above.
        if (t > restartAtS * 1000 + DOWN_MS && results.restartMeshGapMs < 0 && (results.restartMeshMs >= 0 || fullMesh(REKEY_GAP_MS))) {
            results.restartMeshGapMs = t - restartAtS * 1000;
        }
        if (f.progress() && t % 10_000 == 0) {
            System.err.printf("wall %.0f s: simulated %d s, %d events, %d in flight, full knowledge %s, deferred %d fan-outs + %d queued Announces on %d nodes%s%n",
                    (System.nanoTime() - wallStart0) / 1e9, t / 1000, events, pending, results.fullKnowledgeMs < 0 ? "not yet" : results.fullKnowledgeMs / 1000 + " s",
                    deferredNow[0], deferredNow[1], deferredNow[2], steadySet ? ", steady from " + stats.windowStartS[1] + " s" : "");
        }
        at(now + 1000, this::checkEverySecond);
    }

    private void countDeferred() {
        java.util.Arrays.fill(deferredNow, 0);
        for (int i = 0; i < n; i++) {
            if (!up[i] || wga[i]) continue;
            int[] d = brain[i].deferred();
            deferredNow[0] += d[0];
            deferredNow[1] += d[1];
            if (d[0] + d[1] > 0) deferredNow[2]++;
        }
    }

    boolean fullMesh() {
        return fullMesh(0);
    }

    /** How long after REJECT_AFTER_TIME an idle pair may wait for the responder's next keepalive (30 s) and its handshake. */
    static final long REKEY_GAP_MS = 35_000;

    /**
     * As {@link #fullMesh}, but a pair whose common session expired less than {@code graceMs} ago
     * counts too: on an idle link where only the responder sends keepalives, nobody re-keys before
     * REJECT_AFTER_TIME and the responder's next keepalive (up to 30 s later) starts a new handshake.
     * That gap is WireGuard's, and which pairs are in it at a given instant depends on the cold start's
     * phases (seed 1 and seed 10 at N = 50 end in it at 6 minutes without pacing too).
     */
    boolean fullMesh(long graceMs) {
        for (int i = 0; i < n; i++) {
            if (!up[i]) return false;
            for (int j = i + 1; j < n; j++) {
                if (!net.canPunch(i, j)) continue;
                SimWg.PeerState a = wg[i].peers[j], b = wg[j].peers[i];
                if (!live(a, b) && !(graceMs > 0 && inRekeyGap(a, b, graceMs))) return false;
            }
        }
        return true;
    }

    /** Both ends still hold the same session, expired less than {@code graceMs} ago. */
    private boolean inRekeyGap(SimWg.PeerState a, SimWg.PeerState b, long graceMs) {
        return a != null && b != null && a.session >= 0 && a.session == b.session
                && now - a.sessionStartMs < SimWg.REJECT_AFTER_MS + graceMs && now - b.sessionStartMs < SimWg.REJECT_AFTER_MS + graceMs;
    }

    /** Both ends hold a session the other can decrypt (crossed simultaneous handshakes leave each with both keypairs). */
    private boolean live(SimWg.PeerState a, SimWg.PeerState b) {
        return a != null && b != null && a.sessionValid(now) && b.sessionValid(now)
                && (a.session == b.session || a.session == b.previousSession || a.previousSession == b.session);
    }

    /** A few pairs that could connect directly but have no common live session, for the report. */
    List<String> missingPairs(int limit) {
        List<String> out = new ArrayList<>();
        int total = 0, inGap = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (!net.canPunch(i, j) || !up[i] || !up[j]) continue;
                SimWg.PeerState a = wg[i].peers[j], b = wg[j].peers[i];
                if (live(a, b)) continue;
                if (inRekeyGap(a, b, REKEY_GAP_MS)) inGap++;
                if (total++ < limit) {
                    out.add(String.format("n%d(%s) -> n%d(%s): endpoint %s, handshake %s s ago / n%d -> n%d: endpoint %s, handshake %s s ago (public endpoints %s, %s)",
                            i, net.nat(i), j, net.nat(j), a == null ? "-" : a.endpoint, a == null || a.handshakeS == 0 ? "never" : now / 1000 - a.handshakeS,
                            j, i, b == null ? "-" : b.endpoint, b == null || b.handshakeS == 0 ? "never" : now / 1000 - b.handshakeS,
                            net.publicEndpoint(i), net.publicEndpoint(j)));
                }
            }
        }
        if (total > limit || inGap > 0) {
            out.add("... " + total + " pairs in all, " + inGap + " of them in WireGuard's idle re-key gap (one session, expired < "
                    + REKEY_GAP_MS / 1000 + " s ago)");
        }
        return out;
    }

    /** Every node's gossip table holds every other (stably reachable) node's current public endpoint. */
    boolean fullKnowledge() {
        List<String> b64 = keys.stream().map(WgKey::toBase64).toList();
        for (int i = 0; i < n; i++) {
            if (!up[i]) return false;
            Map<String, List<TimedEndpoint>> t = brain[i].table();
            for (int j = 0; j < n; j++) {
                InetSocketAddress ep = net.publicEndpoint(j);
                if (j == i || ep == null || net.site[j] == net.site[i] && net.nat(j) != Net.Nat.PUBLIC) continue;
                if (t.getOrDefault(b64.get(j), List.of()).stream().noneMatch(e -> e.address().equals(ep))) return false;
            }
        }
        return true;
    }

    boolean knownEverywhere(int j) {
        InetSocketAddress ep = net.publicEndpoint(j);
        String pk = keys.get(j).toBase64();
        for (int i = 0; i < n; i++) {
            if (i == j || !up[i] || net.site[i] == net.site[j]) continue;
            if (brain[i].table().getOrDefault(pk, List.of()).stream().noneMatch(e -> e.address().equals(ep))) return false;
        }
        return true;
    }
}
