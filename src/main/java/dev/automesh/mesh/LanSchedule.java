package dev.automesh.mesh;

/** When we broadcast on the LAN: at once, again 3 s later (a lost datagram), then every minute. */
final class LanSchedule {
    static final long LAN_REPEAT_MS = 3_000;
    static final long LAN_INTERVAL_MS = 60_000;

    private long nextMillis = Long.MIN_VALUE;
    private int sent;

    boolean due(long nowMillis) {
        return nowMillis >= nextMillis;
    }

    void sent(long nowMillis) {
        sent++;
        nextMillis = nowMillis + (sent == 1 ? LAN_REPEAT_MS : LAN_INTERVAL_MS);
    }

    /** Something the LAN should hear changed (our port, our network): broadcast now, and again soon. */
    void restart(long nowMillis) {
        if (sent == 0) return; // the first broadcast is still to come anyway
        sent = 0;
        nextMillis = nowMillis;
    }
}
