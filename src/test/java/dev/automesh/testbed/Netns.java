package dev.automesh.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace that a test created, with the processes started in it. close() ends those
 * processes (by PID, ours only) and deletes the namespace. Each namespace also gets a private
 * directory that is bind-mounted on /run/wireguard for processes started with {@link #spawn}, because
 * wireguard-go's UAPI socket path is fixed and namespaces share the filesystem.
 */
public final class Netns implements AutoCloseable {
    private static final SecureRandom RNG = new SecureRandom();
    private final String name;
    private final Path runDir;
    private final List<Process> processes = new ArrayList<>();
    private boolean closed;

    private Netns(String name, Path runDir) {
        this.name = name;
        this.runDir = runDir;
    }

    /** A unique name: prefix + random hex, short enough for interface-name limits elsewhere. */
    public static String uniqueName(String prefix) {
        byte[] b = new byte[3];
        RNG.nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }

    /** Creates the namespace with lo up, rp_filter off and IPv6 off (quiet captures). */
    public static Netns create(String name) {
        Sh.ok("ip", "netns", "add", name);
        Path dir = Path.of("/run/automesh-testbed", name);
        try {
            Files.createDirectories(dir.resolve("wireguard"));
        } catch (IOException e) {
            Sh.run(List.of("ip", "netns", "del", name));
            throw new IllegalStateException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        Netns ns = new Netns(name, dir);
        try {
            ns.ok("ip", "link", "set", "lo", "up");
            ns.ok("sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
                    "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    public String name() {
        return name;
    }

    /** Private per-namespace scratch directory (removed on close). */
    public Path dir() {
        return runDir;
    }

    /** The directory that processes spawned here see as /run/wireguard. */
    public Path wireguardRunDir() {
        return runDir.resolve("wireguard");
    }

    /** Joins two namespaces by a veth pair, addresses {@code cidrA} / {@code cidrB} (e.g. 10.77.0.1/24), both up. */
    public static void joinByVeth(Netns a, String cidrA, Netns b, String cidrB) {
        String veth = uniqueName("amv");
        Sh.ok("ip", "link", "add", veth + "a", "netns", a.name(), "type", "veth", "peer", "name", veth + "b", "netns", b.name());
        a.ok("ip", "addr", "add", cidrA, "dev", veth + "a");
        a.ok("ip", "link", "set", veth + "a", "up");
        b.ok("ip", "addr", "add", cidrB, "dev", veth + "b");
        b.ok("ip", "link", "set", veth + "b", "up");
    }

    public Sh.Result exec(String... cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(List.of(cmd));
        return Sh.run(full);
    }

    public Sh.Result ok(String... cmd) {
        return exec(cmd).orThrow();
    }

    /**
     * Starts a long-running process in this namespace, in its own mount namespace with
     * {@link #wireguardRunDir()} on /run/wireguard. Output goes to {@code log}. The returned process is
     * the command itself (exec'd), so its PID is the one to end.
     */
    public Process spawn(List<String> cmd, Path log, String... env) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name, "unshare", "--mount", "--",
                "sh", "-c", "mount --bind \"$0\" /run/wireguard && exec \"$@\"", wireguardRunDir().toString()));
        full.addAll(cmd);
        try {
            Files.createDirectories(Path.of("/run/wireguard"));
            ProcessBuilder pb = new ProcessBuilder(full)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            for (String kv : env) {
                int i = kv.indexOf('=');
                pb.environment().put(kv.substring(0, i), kv.substring(i + 1));
            }
            Process p = pb.start();
            synchronized (processes) {
                processes.add(p);
            }
            return p;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + cmd + " in " + name + ": " + e.getMessage(), e);
        }
    }

    /** Ends one process we started: SIGTERM, then SIGKILL after the grace period. */
    public static void stop(Process p, long graceMillis) {
        if (!p.isAlive()) return;
        p.destroy();
        try {
            if (!p.waitFor(graceMillis, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        List<Process> ps;
        synchronized (processes) {
            ps = new ArrayList<>(processes);
        }
        for (Process p : ps) stop(p, 2000);
        Sh.run(List.of("ip", "netns", "del", name));
        Sh.run(List.of("rm", "-rf", runDir.toString()));
    }
}
