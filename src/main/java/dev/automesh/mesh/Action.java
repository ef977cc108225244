package dev.automesh.mesh;

import dev.automesh.wg.PeerUpdate;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.List;

/** What the mesh logic asks the daemon to do. The daemon carries these out; it decides nothing. */
public sealed interface Action {
    /** Encrypt and send one message to one address (a peer's mesh address:gossip_port, or a reply to a source). */
    record Send(InetSocketAddress to, Message message) implements Action {}

    /** Send on the LAN by broadcast, on every broadcast-capable interface, outside the tunnel. */
    record Broadcast(Message message) implements Action {}

    /** Apply these peer changes to WireGuard, in one batch. */
    record Configure(List<PeerUpdate> updates) implements Action {
        public Configure { updates = List.copyOf(updates); }
    }

    /** The persistent endpoint table changed: the daemon saves it (debounced). */
    record Persist() implements Action {}

    /** A peer state change worth one INFO log line ("b connected directly at ..., learned from pub"). */
    record Notice(String line) implements Action {}
}
