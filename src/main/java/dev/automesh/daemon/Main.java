package dev.automesh.daemon;

import dev.automesh.config.Config;
import dev.automesh.config.ConfigCheck;
import dev.automesh.config.ConfigException;
import dev.automesh.config.ConfigLoader;
import dev.automesh.control.ControlClient;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The command line. No logger is touched before the log level is known: slf4j-simple reads its
 * settings once, when the first logger is created.
 */
public final class Main {
    /** Kept for callers of the old names; {@link ExitCode} is where they are defined. */

    static final String USAGE = """
            usage: automesh [OPTIONS] [run] CONFIG.toml   run the agent
                   automesh [OPTIONS] check CONFIG.toml   validate the config and print a summary
                   automesh status [--json] [--socket PATH | CONFIG.toml]
                                                          ask the running agent (default socket
                                                          /run/automesh/wg0.sock); exit 0 when every
                                                          peer is connected, 1 if not, 3 if no agent
                   automesh --version | --help

            options:
              --log-level LEVEL   trace, debug, info (default), warn, error or off;
                                  also from the AUTOMESH_LOG_LEVEL environment variable
              -h, --help          this help
              -V, --version       print the version
              --json              status: machine-readable output
              --socket PATH       status: the agent's control_socket

            exit status: 0 ok, 64 bad command line, 78 bad config, 69 WireGuard unavailable,
                         77 not permitted (needs root or CAP_NET_ADMIN)""";

    /** ConfigLoader's default control_socket for interface wg0. */
    static final Path DEFAULT_SOCKET = Path.of("/run/automesh/wg0.sock");

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err, Main::runAgent));
    }

    /** What "run" does once the config is loaded; replaced in tests. */
    @FunctionalInterface
    interface AgentRunner {
        int run(Config config) throws InterruptedException;
    }

    record Parsed(String command, Optional<Path> file, Optional<String> logLevel) {}

    /** The whole CLI, returning the exit status instead of exiting (tests call this in-process). */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err, AgentRunner runner) {
        String level = null;
        boolean json = false;
        Path socket = null;
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help") || a.equals("help")) {
                out.println(USAGE);
                return 0;
            } else if (a.equals("-V") || a.equals("--version")) {
                out.println("automesh " + version());
                return 0;
            } else if (a.equals("--log-level")) {
                if (i + 1 >= args.length) return usage(err, "--log-level needs a value");
                level = args[++i];
            } else if (a.startsWith("--log-level=")) {
                level = a.substring("--log-level=".length());
            } else if (a.equals("--json")) {
                json = true;
            } else if (a.equals("--socket")) {
                if (i + 1 >= args.length) return usage(err, "--socket needs a path");
                socket = Path.of(args[++i]);
            } else if (a.equals("--")) {
                positional.addAll(List.of(args).subList(i + 1, args.length));
                break;
            } else if (a.startsWith("-") && a.length() > 1) {
                return usage(err, "unknown option " + a);
            } else {
                positional.add(a);
            }
        }
        Optional<String> chosen = LogSetup.chooseLevel(level, env);
        if (chosen.isEmpty()) {
            return usage(err, "log level \"" + (level != null ? level : env.get("AUTOMESH_LOG_LEVEL"))
                    + "\" is not one of " + String.join(", ", List.of("trace", "debug", "info", "warn", "error", "off"))
                    + (level == null ? " (from AUTOMESH_LOG_LEVEL)" : ""));
        }

        String command = "run";
        if (!positional.isEmpty() && List.of("run", "check", "status").contains(positional.get(0))) {
            command = positional.remove(0);
        }
        if ((json || socket != null) && !command.equals("status")) {
            return usage(err, (json ? "--json" : "--socket") + " only applies to status");
        }
        if (command.equals("status")) {
            if (positional.size() > 1) return usage(err, "unexpected argument " + positional.get(1));
            if (socket == null && !positional.isEmpty()) {
                try {
                    socket = ConfigLoader.loadWithoutSecret(Path.of(positional.get(0))).controlSocket();
                } catch (ConfigException e) {
                    err.println(e.getMessage());
                    return ExitCode.CONFIG;
                }
            } else if (!positional.isEmpty()) {
                return usage(err, "give either --socket or CONFIG.toml, not both");
            }
            return ControlClient.status(socket != null ? socket : DEFAULT_SOCKET, json, out, err);
        }
        if (positional.isEmpty()) return usage(err, "missing CONFIG.toml");
        if (positional.size() > 1) return usage(err, "unexpected argument " + positional.get(1));
        Path file = Path.of(positional.get(0));
        // Before anything may log (the config loader too).
        LogSetup.configure(chosen.get(), env);
        if (command.equals("check")) return checkStatus(ConfigCheck.run(file, out, err));

        Config config;
        try {
            config = ConfigLoader.load(file);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return ExitCode.CONFIG;
        } catch (RuntimeException e) {
            err.println("automesh: internal error reading " + file + ": " + e);
            return ExitCode.SOFTWARE;
        }
        try {
            return runner.run(config);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.SOFTWARE;
        } catch (RuntimeException e) {
            // A bug, not an operator error: one line with what to report, and the status systemd expects.
            err.println("automesh: internal error running the agent for " + file + ": " + e
                    + " (please report, with the log at debug level)");
            return ExitCode.SOFTWARE;
        }
    }

    private static int checkStatus(ConfigCheck.Outcome outcome) {
        return switch (outcome) {
            case VALID -> ExitCode.OK;
            case INVALID -> ExitCode.CONFIG;
            case BUG -> ExitCode.SOFTWARE;
        };
    }

    private static int usage(PrintStream err, String problem) {
        err.println("automesh: " + problem + " (see automesh --help)");
        return ExitCode.USAGE;
    }

    /** Implementation-Version of the jar's manifest; "development build" when run from classes. */
    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "(development build)";
    }

    /**
     * Runs the agent in the foreground. SIGTERM and SIGINT ask it to stop; it saves its state and
     * run() returns, so the process exits 0 (the JVM's own handling would exit 143).
     */
    private static int runAgent(Config config) throws InterruptedException {
        List<AgentService> services = new ArrayList<>();
        java.util.function.Supplier<String> upnp = () -> "off (upnp_forward_external_port not set)";
        if (config.upnpForwardExternalPort().isPresent()) {
            PortMapService u = new PortMapService();
            services.add(u);
            upnp = u::summary;
        }
        services.add(new ControlService(upnp));
        Agent agent = new Agent(config, services);
        Signals.onTermination(agent::requestStop);
        // Fallback for other JVM exits (SIGHUP, System.exit elsewhere): still save and clean up.
        Thread hook = new Thread(() -> {
            agent.requestStop();
            try {
                agent.awaitTermination(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // exiting anyway
            }
        }, "automesh-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        return agent.run();
    }
}
