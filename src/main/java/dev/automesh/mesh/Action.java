package dev.automesh.mesh;

import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.State;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

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

    /**
     * A peer's state changed: worth one INFO log line. Facts only; the daemon words them.
     * {@code peer} is the peer's display name, {@code pubkey} its base64 public key.
     */
    sealed interface Notice extends Action {
        String peer();

        String pubkey();

        /**
         * Connected, directly ({@code to} CONNECTED) or on the LAN ({@code to} LAN).
         *
         * @param from               the state before; empty on the first device read
         * @param endpoint           where WireGuard talks to it (empty if it does not say and we set none)
         * @param source             where that endpoint came from; present with the endpoint
         * @param announcedAgoMillis for an endpoint learned by gossip: how long ago it was announced to us
         * @param triedAgoMillis     otherwise, for an endpoint we set: how long ago we set it
         */
        record Connected(String peer, String pubkey, Optional<State> from, State to,
                Optional<InetSocketAddress> endpoint, Optional<Source> source,
                OptionalLong announcedAgoMillis, OptionalLong triedAgoMillis) implements Notice {
            public Connected {
                Objects.requireNonNull(from);
                Objects.requireNonNull(to);
                Objects.requireNonNull(endpoint);
                Objects.requireNonNull(source);
                Objects.requireNonNull(announcedAgoMillis);
                Objects.requireNonNull(triedAgoMillis);
            }
        }

        /**
         * Was connected and is not any more ({@code to} PROBING or NO_CANDIDATES).
         *
         * @param candidates how many endpoints will be probed now
         */
        record Lost(String peer, String pubkey, State from, State to, Reason reason, int candidates) implements Notice {
            public Lost {
                Objects.requireNonNull(from);
                Objects.requireNonNull(to);
                Objects.requireNonNull(reason);
            }

            /** Why the path was judged dead. */
            public sealed interface Reason {}

            /** The session is still valid, but nothing was received for this long (or a Ping went unanswered). */
            public record Silent(long quietSeconds) implements Reason {}

            /**
             * A Ping sent because the path was in doubt went unanswered.
             *
             * @param quietSeconds  nothing received for this long
             * @param pingedSeconds the Ping went out this long ago
             */
            public record Unanswered(Doubt doubt, long quietSeconds, long pingedSeconds) implements Reason {
                public Unanswered {
                    Objects.requireNonNull(doubt);
                }
            }

            /** WireGuard has no session with it at all (the interface was recreated?). */
            public record NoSession() implements Reason {}

            /** The last handshake is too old for WireGuard to accept its keys. */
            public record Expired(long handshakeAgeSeconds) implements Reason {}
        }

        /** Not connected and nothing to try: no config endpoint, nothing gossiped or broadcast. */
        record NoCandidates(String peer, String pubkey, Optional<State> from) implements Notice {
            public NoCandidates {
                Objects.requireNonNull(from);
            }
        }

        /** A connected peer's endpoint moved from {@code from} to its LAN endpoint, and traffic came back. */
        record MovedToLan(String peer, String pubkey, InetSocketAddress from, InetSocketAddress endpoint)
                implements Notice {}
    }
}
