package dev.automesh.daemon;

import dev.automesh.wg.Backend;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WireGuard;
import dev.automesh.wg.WireGuardException;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Boot-time wait for the WireGuard interface: at boot automesh may start before wg-quick or
 * wireguard-go has created it. Retries every {@link #RETRY_MILLIS} with one log line per distinct
 * reason; gives up only on errors that waiting cannot fix (missing permission, no WireGuard at all
 * with a backend forced to kernel).
 */
final class InterfaceWait {
    static final long RETRY_MILLIS = 2000;

    @FunctionalInterface
    interface Opener {
        WireGuard open() throws WireGuardException;
    }

    /** Sleeps; returns false when the agent was asked to stop meanwhile. */
    @FunctionalInterface
    interface Sleeper {
        boolean sleep(long millis) throws InterruptedException;
    }

    record Ready(WireGuard wireGuard, WgDevice device) {}

    /** A failure that waiting cannot fix; the message says what to do. */
    static final class Fatal extends Exception {
        final WireGuardException.Reason reason;

        Fatal(WireGuardException.Reason reason, String message, Throwable cause) {
            super(message, cause);
            this.reason = reason;
        }
    }

    private InterfaceWait() {}

    /** @return the open interface with a key, or empty when stopped while waiting */
    static Optional<Ready> await(Backend backend, String iface, Opener opener, Sleeper sleeper,
                                 LongSupplier clockMillis, Consumer<String> info) throws Fatal, InterruptedException {
        return await(backend, iface, opener, sleeper, clockMillis, info, reason -> {});
    }

    /** Also tells {@code waitingFor} each new reason it waits, as it happens (for `automesh status`). */
    static Optional<Ready> await(Backend backend, String iface, Opener opener, Sleeper sleeper, LongSupplier clockMillis,
                                 Consumer<String> info, Consumer<String> waitingFor) throws Fatal, InterruptedException {
        long start = clockMillis.getAsLong();
        String lastReason = null;
        while (true) {
            String reason;
            WireGuard wg = null;
            try {
                wg = opener.open();
                WgDevice dev = wg.read();
                if (dev.publicKey().isPresent()) {
                    if (lastReason != null) {
                        info.accept(String.format("WireGuard interface %s is ready after %.1f s", iface,
                                (clockMillis.getAsLong() - start) / 1000.0));
                    }
                    return Optional.of(new Ready(wg, dev));
                }
                reason = "it has no private key yet (set one with wg set " + iface + " private-key FILE)";
                wg.close();
            } catch (WireGuardException e) {
                if (wg != null) wg.close();
                // Each backend's message already says what to do (and only it knows: CAP_NET_ADMIN helps
                // with netlink, not with a unix socket's permissions), so no hint is added here.
                switch (e.reason()) {
                    case NOT_PERMITTED -> throw new Fatal(e.reason(), e.getMessage(), e);
                    case NO_WIREGUARD -> {
                        // With backend auto, "no kernel WireGuard" also means "wireguard-go has not created
                        // its socket yet": worth waiting for. Forced to kernel, nothing will change.
                        if (backend == Backend.KERNEL) {
                            throw new Fatal(e.reason(), e.getMessage(), e);
                        }
                        reason = e.getMessage();
                    }
                    default -> reason = e.getMessage();
                }
            }
            if (!reason.equals(lastReason)) {
                waitingFor.accept(reason);
                info.accept("waiting for WireGuard interface " + iface + ": " + reason
                        + " (retrying every " + RETRY_MILLIS / 1000 + " s)");
                lastReason = reason;
            }
            if (!sleeper.sleep(RETRY_MILLIS)) return Optional.empty();
        }
    }
}
