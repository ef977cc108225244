package dev.automesh.testbed;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.ClassSelector;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs JUnit test classes inside the QEMU guest and writes one line per test to a results file:
 * {@code RESULT <tab> class#method <tab> SUCCESSFUL|FAILED|ABORTED|SKIPPED <tab> base64(message)},
 * then {@code END}. The host side ({@code KernelWireGuardGuestTest}) turns each line into its own
 * dynamic test, so a failure in the guest fails the host build with its message.
 */
public final class GuestJUnit {
    private GuestJUnit() {}

    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        System.out.println("  [jvm up " + (java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime()) + " ms]");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("  [jvm exiting]")));
        Path out = Path.of(args[0]);
        Files.createDirectories(out.toAbsolutePath().getParent());
        List<ClassSelector> selectors = new ArrayList<>();
        for (int i = 1; i < args.length; i++) selectors.add(selectClass(args[i]));
        LauncherDiscoveryRequest req = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
        Launcher launcher = LauncherFactory.create();
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING), true)) {
            java.util.Map<String, Long> started = new java.util.HashMap<>();
            launcher.execute(req, new TestExecutionListener() {
                @Override
                public void executionStarted(TestIdentifier id) {
                    started.put(id.getUniqueId(), System.nanoTime());
                }

                @Override
                public void executionSkipped(TestIdentifier id, String reason) {
                    line(w, id, "SKIPPED", reason);
                }

                @Override
                public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                    // Container failures (e.g. @BeforeAll) are reported too: they would hide tests.
                    if (!id.isTest() && r.getStatus() == TestExecutionResult.Status.SUCCESSFUL) return;
                    String msg = r.getThrowable().map(GuestJUnit::describe).orElse("");
                    line(w, id, r.getStatus().name(), msg);
                    long ms = (System.nanoTime() - started.getOrDefault(id.getUniqueId(), System.nanoTime())) / 1_000_000;
                    System.out.println((r.getStatus() == TestExecutionResult.Status.SUCCESSFUL ? "  ok   " : "  FAIL ")
                            + name(id) + " (" + ms + " ms)" + (msg.isEmpty() ? "" : "\n" + msg.lines().limit(8).reduce("", (a, b) -> a + "       " + b + "\n")));
                }
            });
            w.println("END");
            System.out.println("  [suites done in " + (System.nanoTime() - t0) / 1_000_000 + " ms]");
        } catch (IOException e) {
            System.err.println("cannot write " + out + ": " + e.getMessage());
            System.exit(2);
        }
    }

    private static String name(TestIdentifier id) {
        String uid = id.getUniqueId();
        // [engine:junit-jupiter]/[class:a.b.C]/[method:m()] -> C#m
        String cls = uid.replaceAll(".*\\[class:([^\\]]*)\\].*", "$1");
        cls = cls.substring(cls.lastIndexOf('.') + 1);
        return id.isTest() ? cls + "#" + id.getDisplayName() : cls + " (" + id.getDisplayName() + ")";
    }

    private static void line(PrintWriter w, TestIdentifier id, String status, String msg) {
        w.println("RESULT\t" + name(id) + "\t" + status + "\t"
                + Base64.getEncoder().encodeToString(msg.getBytes(StandardCharsets.UTF_8)));
    }

    private static String describe(Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        String s = sw.toString();
        return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
    }
}
