package dev.automesh.mesh;

import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.State;
import dev.automesh.crypto.WgKey;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/** What the mesh logic asks the daemon to do. The daemon carries these out; it decides nothing. */
public sealed interface Action {
    /** Encrypt and send one message to one address (a peer's mesh address:gossip_port, or a reply to a source). */
    /**
     * Encrypt and send one message to one address (a peer's mesh address:gossip_port, or a reply to a
     * source), with automesh extensions in a trailer after it (empty: the plain wgautomesh message).
     */
    record Send(InetSocketAddress to, Message message, List<Extension> extensions) implements Action {
        public Send {
            Objects.requireNonNull(to);
            Objects.requireNonNull(message);
            extensions = List.copyOf(extensions);
        }

        public Send(InetSocketAddress to, Message message) {
            this(to, message, List.of());
        }
    }

    /** Relay role: open (or refresh) the session {@code sessionId} between two ends' relay sockets. */
    record RelayServe(long sessionId, InetSocketAddress x, InetSocketAddress y) implements Action {
        public RelayServe {
            Objects.requireNonNull(x);
            Objects.requireNonNull(y);
        }
    }

    /** Relay role: close the session. */
    record RelayUnserve(long sessionId) implements Action {}

    /**
     * End role: open a loopback proxy for {@code peer} through the relay socket; the daemon answers with
     * {@code Mesh.onRelayEndpoint(peer, sessionId, loopback, now)}.
     */
    record RelayUse(WgKey peer, long sessionId, InetSocketAddress relaySocket) implements Action {
        public RelayUse {
            Objects.requireNonNull(peer);
            Objects.requireNonNull(relaySocket);
        }
    }

    /**
     * End role: while {@code muted}, frames the relay sends for the session are dropped (counted) rather
     * than handed to WireGuard. A probe of the direct path mutes it: else every relayed datagram would
     * roam WireGuard back to the loopback endpoint mid-probe, and the two ends would settle on the relay.
     */
    record RelayMute(WgKey peer, long sessionId, boolean muted) implements Action {
        public RelayMute {
            Objects.requireNonNull(peer);
        }
    }

    /** End role: close that proxy (WireGuard no longer uses it). */
    record RelayDrop(WgKey peer, long sessionId) implements Action {
        public RelayDrop {
            Objects.requireNonNull(peer);
        }
    }

    /** Send on the LAN by broadcast, on every broadcast-capable interface, outside the tunnel. */
    record Broadcast(Message message) implements Action {}

    /** Apply these peer changes to WireGuard, in one batch. */
    record Configure(List<PeerUpdate> updates) implements Action {
        public Configure { updates = List.copyOf(updates); }
    }

    /**
     * Read the WireGuard device now rather than at the next poll: a Ping from a peer is a sign that it
     * doubts its path, and WireGuard may just have roamed it to a new address that we should gossip.
     */
    record ReadDevice() implements Action {}

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

        /**
         * Its traffic now goes through the relay {@code via} (a handshake came back over it).
         *
         * @param noDirectSeconds how long it had no direct handshake although candidates were tried
         * @param triedCandidates how many direct candidates were tried by then
         * @param theirTryMillis  how long the peer said it had tried us, when that is why we asked early
         */
        record Relayed(String peer, String pubkey, String via, long noDirectSeconds, int triedCandidates,
                java.util.OptionalLong theirTryMillis) implements Notice {
            public Relayed {
                Objects.requireNonNull(via);
                Objects.requireNonNull(theirTryMillis);
            }
        }

        /** A relayed peer answered on a direct endpoint: the relay is dropped. */
        record DirectAgain(String peer, String pubkey, InetSocketAddress endpoint, String via) implements Notice {
            public DirectAgain {
                Objects.requireNonNull(endpoint);
                Objects.requireNonNull(via);
            }
        }

        /**
         * The relay {@code via} stopped carrying its traffic.
         *
         * @param why  what showed it
         * @param next the relay asked next, empty when none is left
         */
        record RelayLost(String peer, String pubkey, String via, LostWhy why, Optional<String> next) implements Notice {
            public RelayLost {
                Objects.requireNonNull(via);
                Objects.requireNonNull(why);
                Objects.requireNonNull(next);
            }
        }

        /**
         * The relay {@code via} refused to relay for the peer, or did not answer the request in time.
         *
         * @param next the relay asked next, empty when none is left
         */
        record RelayDeclined(String peer, String pubkey, String via, boolean refused, Optional<String> next) implements Notice {
            public RelayDeclined {
                Objects.requireNonNull(via);
                Objects.requireNonNull(next);
            }
        }

        /** Why a relay was given up. */
        enum LostWhy {
            /** Our tunnel to the relay is no longer live. */
            RELAY_UNREACHABLE,
            /** The relay (or the other end) closed the session. */
            CLOSED,
            /** Nothing came back through it although we sent (a Ping went unanswered). */
            STALLED,
            /** The relay did not answer the setup, or refused it. */
            SETUP_FAILED
        }
    }
}
