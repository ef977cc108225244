package dev.automesh.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real automesh agent (the packaged jar) running on a {@link NatTopology.Host}: writes its config,
 * starts `java -jar target/automesh.jar run config.toml` in the host's namespace, and stops it with
 * SIGTERM (our process only, by PID).
 */
public final class AgentProcess implements AutoCloseable {
    public static final int GOSSIP_PORT = 1666;
    public static final String SECRET = "test bed secret";

    /** The test bed's own JVM flags: quick to start, nothing else asked of them. */
    public static final List<String> TESTBED_FLAGS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto");

    private final NatTopology.Host host;
    private final Path config;
    private final Path log;
    private final List<String> jvmFlags;
    private Process process;

    private AgentProcess(NatTopology.Host host, Path config, Path log, List<String> jvmFlags) {
        this.host = host;
        this.config = config;
        this.log = log;
        this.jvmFlags = List.copyOf(jvmFlags);
    }

    /**
     * The JVM flags of packaging/systemd/automesh.service's ExecStart (between the java binary and
     * -jar), without its $AUTOMESH_CDS variable; benchmarks add their own -XX:SharedArchiveFile.
     */
    public static List<String> unitFlags() {
        Path unit = Path.of("packaging/systemd/automesh.service");
        try {
            for (String line : Files.readAllLines(unit)) {
                if (!line.startsWith("ExecStart=")) continue;
                List<String> words = List.of(line.substring("ExecStart=".length()).trim().split("\\s+"));
                int jar = words.indexOf("-jar");
                if (jar < 0) break;
                return words.subList(1, jar).stream().filter(w -> !w.startsWith("$")).toList();
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + unit.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        throw new IllegalStateException(unit.toAbsolutePath() + ": no ExecStart=java ... -jar line");
    }

    public static Path jar() {
        // -Dtestbed.jar: another build of the agent, for a before/after benchmark.
        Path jar = Path.of(System.getProperty("testbed.jar", "target/automesh.jar")).toAbsolutePath();
        if (!Files.exists(jar)) throw new IllegalStateException(jar + " missing: run `mvn package` first");
        return jar;
    }

    public static Path stateFile(NatTopology.Host host) {
        return host.ns.dir().resolve("automesh.state");
    }

    public static Path controlSocket(NatTopology.Host host) {
        return host.ns.dir().resolve("automesh.sock");
    }

    /**
     * The config each host gets: every other host as a peer; an endpoint only where {@code endpoints}
     * names one (by default only the public host's, as the scenario says).
     */
    public static String configFor(NatTopology.Host self, List<NatTopology.Host> all, Map<NatTopology.Host, String> endpoints,
                                   String extra) {
        StringBuilder sb = new StringBuilder();
        sb.append("interface = \"wg0\"\n");
        sb.append("gossip_port = ").append(GOSSIP_PORT).append('\n');
        sb.append("gossip_secret = \"").append(SECRET).append("\"\n");
        sb.append("persist_file = \"").append(stateFile(self)).append("\"\n");
        sb.append("lan_discovery = true\n");
        sb.append("control_socket = \"").append(controlSocket(self)).append("\"\n");
        sb.append(extra);
        for (NatTopology.Host h : all) {
            // Like a real fleet, every node's config lists every node, itself included.
            sb.append("\n[[peers]]\n");
            sb.append("name = \"").append(h.role).append("\"\n");
            sb.append("pubkey = \"").append(h.publicKey).append("\"\n");
            sb.append("address = \"").append(h.meshIp).append("\"\n");
            String ep = endpoints.get(h);
            if (ep != null) sb.append("endpoint = \"").append(ep).append("\"\n");
        }
        return sb.toString();
    }

    public static AgentProcess start(NatTopology.Host host, String configText) {
        return start(host, configText, TESTBED_FLAGS);
    }

    /** As {@link #start(NatTopology.Host, String)}, with these JVM flags instead of the test bed's. */
    public static AgentProcess start(NatTopology.Host host, String configText, List<String> jvmFlags) {
        Path config = host.ns.dir().resolve("automesh.toml");
        Path log = host.ns.dir().resolve("agent.log");
        try {
            Files.writeString(config, configText);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        AgentProcess a = new AgentProcess(host, config, log, jvmFlags);
        a.start();
        return a;
    }

    public void start() {
        if (process != null && process.isAlive()) throw new IllegalStateException("already running");
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-jar", jar().toString(), "run", config.toString()));
        appendLog("---- start " + java.time.Instant.now() + "\n");
        process = host.ns.spawn(cmd, log, "AUTOMESH_LOG_LEVEL=debug");
    }

    private void appendLog(String s) {
        try {
            Files.writeString(log, s, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // the log is a debugging aid only
        }
    }

    /** SIGTERM and wait: the agent persists and exits 0. Returns the exit status. */
    public int stop() {
        if (process == null) return -1;
        Netns.stop(process, 5000);
        return process.exitValue();
    }

    /** CPU time (user + system) the agent's JVM has used so far, in ms; -1 if unknown. */
    public long cpuMillis() {
        if (process == null) return -1;
        return process.toHandle().info().totalCpuDuration().map(java.time.Duration::toMillis).orElse(-1L);
    }

    public Process process() {
        return process;
    }

    public Path configFile() {
        return config;
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public NatTopology.Host host() {
        return host;
    }

    @Override
    public void close() {
        stop();
    }
}
