package dev.automesh.mesh;

import dev.automesh.crypto.WgKey;
import dev.automesh.wg.WgDevice;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole mesh algorithm as a pure state machine: events in (with the current time), actions out.
 * No sockets, threads or sleeping; one thread owns an instance. Owner: mesh.
 */
public final class Mesh {
    public Mesh(MeshSettings settings) {
    }

    /** At start: the saved endpoint table (possibly empty). Re-announces it, Requests every peer. */
    public List<Action> start(Map<String, List<TimedEndpoint>> saved, long nowMillis) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** A datagram that decrypted and decoded, from {@code from}. */
    public List<Action> onDatagram(InetSocketAddress from, Message message, long nowMillis) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** A fresh read of the WireGuard device (the daemon reads it every poll interval, ~1 s). */
    public List<Action> onDevice(WgDevice device, long nowMillis) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Timer, called about once a second: LAN broadcasts, retries, periodic re-announce. */
    public List<Action> onTick(long nowMillis) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** DNS result for a configured peer endpoint (resolved off the mesh thread); empty list = failed. */
    public List<Action> onResolved(WgKey peer, List<InetSocketAddress> addresses, long nowMillis) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Our own public endpoint as the UPnP router maps it (empty when the mapping is gone). */
    public List<Action> onExternalEndpoint(Optional<InetSocketAddress> endpoint, long nowMillis) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** The table to save at persist_file. */
    public Map<String, List<TimedEndpoint>> persistentState() {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
