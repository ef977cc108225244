package dev.automesh.portmap;

/**
 * A gateway's epoch ("seconds since start of epoch") seen at a client time. A gateway that reboots
 * or loses its state restarts its epoch: then every mapping is gone and must be made again. The
 * check is RFC 6887 §8.5 (NAT-PMP's RFC 6886 §3.6 is the same idea).
 *
 * @param clientSeconds monotonic client time of the reply, in seconds
 * @param serverEpoch   the epoch field of the reply (unsigned 32 bits)
 */
public record Epoch(long clientSeconds, long serverEpoch) {

    /** Whether {@code this} is a plausible successor of {@code previous} (false: the gateway lost its state). */
    public boolean follows(Epoch previous) {
        if (serverEpoch < previous.serverEpoch - 1) return false;
        long clientDelta = clientSeconds - previous.clientSeconds;
        long serverDelta = serverEpoch - previous.serverEpoch;
        return !(clientDelta + 2 < serverDelta - serverDelta / 16 || serverDelta + 2 < clientDelta - clientDelta / 16);
    }
}
