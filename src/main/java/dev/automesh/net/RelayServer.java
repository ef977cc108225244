package dev.automesh.net;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;

/**
 * The relay role: sessions between two configured peers, each named by a random 64-bit id that only
 * the two ends learn (through sealed gossip). A frame is forwarded, unchanged, only when its session
 * exists, it comes from one end's relay socket, and the pair's token bucket holds it; it then goes to
 * the other end's relay socket and nowhere else. So the relay cannot be aimed at an arbitrary address,
 * and what it sends is never larger than what it received. Used on the relay's event loop only.
 */
public final class RelayServer {
    /** A reading of one session, for status and metrics. */
    public record Session(long id, InetSocketAddress x, InetSocketAddress y, long framesXtoY, long bytesXtoY,
                          long framesYtoX, long bytesYtoX, long droppedRateLimited, long idleMillis) {}

    private static final class Entry {
        final long id;
        final InetSocketAddress x;
        final InetSocketAddress y;
        final RelayBucket bucket;
        long framesXtoY, bytesXtoY, framesYtoX, bytesYtoX, rateLimited;
        long lastFrame;

        Entry(long id, InetSocketAddress x, InetSocketAddress y, RelayBucket bucket, long now) {
            this.id = id;
            this.x = x;
            this.y = y;
            this.bucket = bucket;
            this.lastFrame = now;
        }
    }

    private final Relay relay;
    private final RelaySettings settings;
    private final RelayCounters counters;
    private final LongSupplier clock;
    private final Consumer<Session> onExpired;
    private final LongPredicate takenElsewhere;
    private final SecureRandom random = new SecureRandom();
    private final Map<Long, Entry> sessions = new HashMap<>();
    private Set<InetAddress> peers;

    RelayServer(Relay relay, RelaySettings settings, RelayCounters counters, Set<InetAddress> peers, LongSupplier clock,
                Consumer<Session> onExpired, LongPredicate takenElsewhere) {
        this.relay = relay;
        this.settings = settings;
        this.counters = counters;
        this.peers = Set.copyOf(peers);
        this.clock = clock;
        this.onExpired = onExpired;
        this.takenElsewhere = takenElsewhere;
    }

    /**
     * Opens a session between the relay sockets {@code x} and {@code y} (mesh address, relay port of
     * each), or returns the open one of that pair (a request is also a refresh).
     *
     * @throws IllegalArgumentException if either address is not a configured peer's, or both are the same
     * @throws IllegalStateException when {@link RelaySettings#maxSessions()} sessions are open
     */
    public long openSession(InetSocketAddress x, InetSocketAddress y) {
        relay.requireLoop();
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
        checkPair(x, y);
        Optional<Long> open = sessionBetween(x, y);
        if (open.isPresent()) {
            sessions.get(open.get()).lastFrame = clock.getAsLong();
            return open.get();
        }
        if (sessions.size() >= settings.maxSessions()) {
            throw new IllegalStateException("already relaying for " + sessions.size() + " pairs (the most allowed)");
        }
        long id;
        do {
            id = random.nextLong();
        } while (id == 0 || sessions.containsKey(id) || takenElsewhere.test(id));
        long now = clock.getAsLong();
        sessions.put(id, new Entry(id, x, y, new RelayBucket(settings.bytesPerSecond(), settings.burstBytes(), now), now));
        counters.sessionsOpened.incrementAndGet();
        return id;
    }

    /**
     * Opens the session {@code id} between the relay sockets {@code x} and {@code y}, the id chosen by
     * the mesh (it tells both ends), or refreshes it when that session is open between the same pair.
     * A session of another id between the same pair is replaced: the ends use the id they were told last.
     *
     * @throws IllegalArgumentException if either address is not a configured peer's, both are the same,
     *                                  the id is 0 or already names another pair or one of our own relayed peers
     * @throws IllegalStateException when {@link RelaySettings#maxSessions()} sessions are open
     */
    public void openSession(long id, InetSocketAddress x, InetSocketAddress y) {
        relay.requireLoop();
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
        checkPair(x, y);
        if (id == 0) throw new IllegalArgumentException("session id 0 is reserved");
        Entry open = sessions.get(id);
        long now = clock.getAsLong();
        if (open != null) {
            boolean same = (open.x.equals(x) && open.y.equals(y)) || (open.x.equals(y) && open.y.equals(x));
            if (!same) throw new IllegalArgumentException("session id already names another pair");
            open.lastFrame = now;
            return;
        }
        if (takenElsewhere.test(id)) throw new IllegalArgumentException("session id clashes with one of our relayed peers");
        sessionBetween(x, y).ifPresent(sessions::remove);
        if (sessions.size() >= settings.maxSessions()) {
            throw new IllegalStateException("already relaying for " + sessions.size() + " pairs (the most allowed)");
        }
        sessions.put(id, new Entry(id, x, y, new RelayBucket(settings.bytesPerSecond(), settings.burstBytes(), now), now));
        counters.sessionsOpened.incrementAndGet();
    }

    private void checkPair(InetSocketAddress x, InetSocketAddress y) {
        for (InetSocketAddress a : List.of(x, y)) {
            if (!peers.contains(a.getAddress())) {
                throw new IllegalArgumentException(a.getAddress().getHostAddress() + " is not a configured peer's mesh address");
            }
        }
        if (x.getAddress().equals(y.getAddress())) throw new IllegalArgumentException("a session joins two different peers");
    }

    /** The open session between these two relay sockets, in either order. */
    public Optional<Long> sessionBetween(InetSocketAddress x, InetSocketAddress y) {
        relay.requireLoop();
        for (Entry e : sessions.values()) {
            if ((e.x.equals(x) && e.y.equals(y)) || (e.x.equals(y) && e.y.equals(x))) return Optional.of(e.id);
        }
        return Optional.empty();
    }

    /** Ends a session (a RelayClose, a tunnel to one end gone); whether it was open. */
    public boolean closeSession(long id) {
        relay.requireLoop();
        return sessions.remove(id) != null;
    }

    /** The peers a session may join; open sessions with a peer no longer in the set end. */
    public void setPeers(Set<InetAddress> peerAddresses) {
        relay.requireLoop();
        peers = Set.copyOf(peerAddresses);
        sessions.values().removeIf(e -> !peers.contains(e.x.getAddress()) || !peers.contains(e.y.getAddress()));
    }

    public List<Session> sessions() {
        relay.requireLoop();
        long now = clock.getAsLong();
        List<Session> out = new ArrayList<>(sessions.size());
        for (Entry e : sessions.values()) out.add(reading(e, now));
        return out;
    }

    boolean has(long id) {
        return sessions.containsKey(id);
    }

    /** Forwards a frame of one of our sessions (true), or says it is not ours (false). */
    boolean forward(long id, InetSocketAddress from, ByteBuf frame) {
        Entry e = sessions.get(id);
        if (e == null) return false;
        InetSocketAddress to;
        boolean xToY;
        if (from.equals(e.x)) {
            to = e.y;
            xToY = true;
        } else if (from.equals(e.y)) {
            to = e.x;
            xToY = false;
        } else {
            counters.droppedWrongSource.incrementAndGet();
            return true;
        }
        int len = frame.readableBytes();
        long now = clock.getAsLong();
        if (!e.bucket.take(len, now)) {
            e.rateLimited++;
            counters.droppedRateLimited.incrementAndGet();
            return true;
        }
        e.lastFrame = now;
        if (!relay.sendFromRelaySocket(frame.retain(), to)) return true;
        if (xToY) {
            e.framesXtoY++;
            e.bytesXtoY += len;
        } else {
            e.framesYtoX++;
            e.bytesYtoX += len;
        }
        counters.framesForwarded.incrementAndGet();
        counters.bytesForwarded.addAndGet(len);
        return true;
    }

    /** Ends sessions idle for longer than the timeout, telling {@code onExpired}. */
    void sweep() {
        long now = clock.getAsLong();
        long limit = settings.idleTimeout().toNanos();
        for (Iterator<Entry> it = sessions.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (now - e.lastFrame > limit) {
                it.remove();
                counters.sessionsExpired.incrementAndGet();
                try {
                    onExpired.accept(reading(e, now));
                } catch (RuntimeException ex) {
                    // A listener bug must not cancel the periodic sweep.
                    counters.sendErrors.incrementAndGet();
                }
            }
        }
    }

    void closeAll() {
        sessions.clear();
    }

    private static Session reading(Entry e, long now) {
        return new Session(e.id, e.x, e.y, e.framesXtoY, e.bytesXtoY, e.framesYtoX, e.bytesYtoX, e.rateLimited,
                (now - e.lastFrame) / 1_000_000);
    }
}
