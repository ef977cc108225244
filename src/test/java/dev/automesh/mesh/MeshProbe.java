package dev.automesh.mesh;

import java.lang.reflect.Field;

/**
 * For the simulator (dev.automesh.sim): how much gossip work a Mesh still holds back, so that a
 * steady-state window can start once a cold start's deferred work has drained. Test code only: the
 * product has no use for it, and reading the outbox through reflection keeps the mesh package unchanged.
 */
public final class MeshProbe {
    private static final Field SPREADING = field(Mesh.class, "spreading");
    private static final Field OUTBOX = field(Spreading.class, "outbox");
    private static final Field FAN_OUT_PENDING = field(Mesh.class, "fanOutPending");

    private MeshProbe() {}

    /** What one Mesh holds back now. */
    public record Deferred(int fanOuts, int queuedAnnounces) {
        public boolean none() {
            return fanOuts == 0 && queuedAnnounces == 0;
        }
    }

    /** Fan-outs the work budget deferred to a tick, and Announces waiting in the outbox for tokens. */
    public static Deferred deferred(Mesh m) {
        try {
            Outbox o = (Outbox) OUTBOX.get(SPREADING.get(m));
            return new Deferred(((java.util.Set<?>) FAN_OUT_PENDING.get(m)).size(), o.size());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Field field(Class<?> c, String name) {
        try {
            Field f = c.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException(c.getSimpleName() + "." + name + " is gone: update MeshProbe", e);
        }
    }
}
