package dev.automesh.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A bounded number of connections per server. When all slots are taken, the connection that has been
 * idle (waiting for a request) the longest is dropped for the newcomer, so clients that connect and
 * say nothing cannot lock out one that asks. Confined to the server's single event loop.
 */
final class ConnectionSlots<C> {
    private final int max;
    private final Consumer<C> drop;
    /** Open connections, value true while idle; iteration order is "idle since", oldest first. */
    private final Map<C, Boolean> open = new LinkedHashMap<>();

    /** @param drop closes a connection; it need not call {@link #remove} */
    ConnectionSlots(int max, Consumer<C> drop) {
        if (max < 1) throw new IllegalArgumentException("max connections must be at least 1, got " + max);
        this.max = max;
        this.drop = drop;
    }

    /** A new connection, idle until its request is complete; false (and dropped) if no slot is free. */
    boolean admit(C c) {
        if (open.size() >= max) {
            C oldest = oldestIdle();
            if (oldest == null) {
                // Every slot serves a request, and each ends within its deadline: refuse the newcomer.
                drop.accept(c);
                return false;
            }
            open.remove(oldest);
            drop.accept(oldest);
        }
        open.put(c, Boolean.TRUE);
        return true;
    }

    /** The connection's request is complete: it is being answered, not idle. */
    void busy(C c) {
        open.replace(c, Boolean.FALSE);
    }

    /** The connection waits for its next request (HTTP keep-alive), idle from now. */
    void idle(C c) {
        if (open.remove(c) != null) open.put(c, Boolean.TRUE);
    }

    void remove(C c) {
        open.remove(c);
    }

    void dropAll() {
        for (C c : new ArrayList<>(open.keySet())) drop.accept(c);
        open.clear();
    }

    private C oldestIdle() {
        for (Map.Entry<C, Boolean> e : open.entrySet()) {
            if (e.getValue()) return e.getKey();
        }
        return null;
    }
}
