package dev.automesh.daemon;

/** The process's exit statuses, in one place (sysexits.h where one fits). */
public final class ExitCode {
    public static final int OK = 0;
    /** Bad command line. */
    public static final int USAGE = 64;
    /** WireGuard cannot be used at all (no kernel module and no userspace daemon), or the gossip port is taken. */
    public static final int UNAVAILABLE = 69;
    /** A bug in automesh, not in the config. */
    public static final int SOFTWARE = 70;
    /** Not permitted: needs root or CAP_NET_ADMIN (or the UAPI socket's owner). */
    public static final int NOPERM = 77;
    /** The configuration is wrong. */
    public static final int CONFIG = 78;

    private ExitCode() {}
}
