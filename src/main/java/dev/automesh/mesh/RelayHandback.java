package dev.automesh.mesh;

/**
 * Whether a relay holds a peer's path, and what a path handed back by a lost relay must prove. While
 * held, {@link RelayPaths} drives the peer and its endpoint is the relay's loopback proxy. Handed back,
 * the session counts as direct only once it proves it (a handshake newer than the relayed one, or
 * something received) while WireGuard sends to a direct endpoint: a loopback endpoint then is a proxy
 * nobody serves any more, however fresh its handshake.
 */
final class RelayHandback {
    private boolean held;
    private boolean handedBack;
    private long relayHandshakeS;
    private long rxAtHandback;

    boolean held() {
        return held;
    }

    void hold() {
        held = true;
    }

    /** Back, connected directly: nothing to prove. */
    void backDirect() {
        held = false;
        handedBack = false;
    }

    /** Back, not connected: the path must prove itself from {@code link} on. */
    void backProbing(Link link) {
        held = false;
        handedBack = true;
        rxAtHandback = link.rx();
        relayHandshakeS = link.handshakeS();
    }

    /** After each device read: a path that proved itself is an ordinary one again. */
    void observed(Link link) {
        if (handedBack && proven(link)) handedBack = false;
    }

    /** Whether a live session on {@code link} may count as connected. */
    boolean counts(Link link) {
        return held || !handedBack || proven(link);
    }

    private boolean proven(Link link) {
        boolean atLoopback = link.endpoint().map(e -> e.getAddress().isLoopbackAddress()).orElse(true);
        return !atLoopback && (link.handshakeS() > relayHandshakeS || link.rx() > rxAtHandback);
    }
}
