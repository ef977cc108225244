package dev.automesh.wg.netlink;

/** The kernel sent something that does not parse as netlink (truncated or inconsistent lengths). */
public final class NetlinkProtocolException extends Exception {
    public NetlinkProtocolException(String message) {
        super(message);
    }
}
