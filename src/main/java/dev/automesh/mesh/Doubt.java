package dev.automesh.mesh;

/** Why a connected path was asked to prove itself with a Ping through the tunnel. */
public enum Doubt {
    /** We sent data (or a handshake) and nothing came back: WireGuard answers data within 10 s. */
    DATA_UNANSWERED,
    /** A path that received every second went quiet. */
    WENT_QUIET,
    /** Its keepalives, which arrived regularly, stopped, and ours took over. */
    KEEPALIVES_STOPPED,
    /** Gossip says the peer was seen at another address after our last handshake. */
    SEEN_ELSEWHERE,
    /** Our own host's addresses or routes changed, or gossip saw us at a new address. */
    NETWORK_CHANGED,
    /** Another path was just judged dead or went quiet, and nothing else was received since: ours may have changed. */
    OTHER_PATH_LOST;

    /** For status and log lines. */
    public String describe() {
        return switch (this) {
            case DATA_UNANSWERED -> "data sent, nothing came back";
            case WENT_QUIET -> "a busy path went quiet";
            case KEEPALIVES_STOPPED -> "its keepalives stopped";
            case SEEN_ELSEWHERE -> "gossip saw it at another address";
            case NETWORK_CHANGED -> "our network changed";
            case OTHER_PATH_LOST -> "another path broke off while all were quiet";
        };
    }
}
