package dev.automesh.testbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A wireguard-go interface inside a test namespace. Its UAPI socket is reachable from any process at
 * {@link #socket()} (a plain path), or at /var/run/wireguard/IF.sock from processes that
 * {@link Netns#spawn} started in the same namespace.
 */
public final class WireguardGo implements AutoCloseable {
    private final Netns ns;
    private final String ifname;
    private final Process process;

    private WireguardGo(Netns ns, String ifname, Process process) {
        this.ns = ns;
        this.ifname = ifname;
        this.process = process;
    }

    /** Starts wireguard-go in the foreground (so the PID is the daemon's) and waits for its socket. */
    public static WireguardGo start(Netns ns, String ifname) {
        Path log = ns.dir().resolve("wireguard-go-" + ifname + ".log");
        Process p = ns.spawn(List.of("wireguard-go", "-f", ifname), log,
                "WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=error");
        WireguardGo wg = new WireguardGo(ns, ifname, p);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(wg.socket())) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                String out = "";
                try { out = Files.readString(log); } catch (Exception ignored) { }
                wg.close();
                throw new IllegalStateException("wireguard-go " + ifname + " in " + ns.name() + " did not start: " + out);
            }
            try { Thread.sleep(20); } catch (InterruptedException e) { Thread.currentThread().interrupt(); break; }
        }
        return wg;
    }

    public Path socket() {
        return ns.wireguardRunDir().resolve(ifname + ".sock");
    }

    public String ifname() {
        return ifname;
    }

    public Netns netns() {
        return ns;
    }

    public Process process() {
        return process;
    }

    @Override
    public void close() {
        Netns.stop(process, 2000);
    }
}
