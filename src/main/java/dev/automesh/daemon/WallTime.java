package dev.automesh.daemon;

import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WgPeer;
import dev.automesh.wire.Message;
import dev.automesh.wire.TimedEndpoint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wall-clock dates (unix seconds) moved into and out of the mesh's time ({@link MeshClock}): the same
 * instants on both sides, whatever the wall clock was stepped by since the start. A shift of 0 (the
 * usual case) returns its argument.
 */
final class WallTime {
    private WallTime() {}

    /** WireGuard's handshake times, as the mesh's time sees them. */
    static WgDevice toMesh(WgDevice d, long shiftS) {
        if (shiftS == 0) return d;
        List<WgPeer> peers = d.peers().stream().map(p -> p.lastHandshakeEpochSeconds() == 0 ? p
                : new WgPeer(p.publicKey(), p.endpoint(), p.lastHandshakeEpochSeconds() + shiftS, p.persistentKeepalive(),
                        p.allowedIps(), p.rxBytes(), p.txBytes())).toList();
        return new WgDevice(d.name(), d.publicKey(), d.listenPort(), peers);
    }

    /** An Announce's dates from the wire into the mesh's time (+shift) or back (-shift). */
    static Message shift(Message m, long shiftS) {
        if (shiftS == 0 || !(m instanceof Message.Announce a)) return m;
        return new Message.Announce(a.pubkey(), shift(a.endpoints(), shiftS));
    }

    static Map<String, List<TimedEndpoint>> shift(Map<String, List<TimedEndpoint>> table, long shiftS) {
        if (shiftS == 0) return table;
        Map<String, List<TimedEndpoint>> out = new LinkedHashMap<>();
        table.forEach((k, v) -> out.put(k, shift(v, shiftS)));
        return out;
    }

    private static List<TimedEndpoint> shift(List<TimedEndpoint> eps, long shiftS) {
        // 0 (a config endpoint) and hostile negative dates stay what they are: the table judges them.
        return eps.stream().map(e -> e.unixSeconds() <= 0 ? e
                : new TimedEndpoint(e.address(), Math.max(1, e.unixSeconds() + shiftS))).toList();
    }
}
