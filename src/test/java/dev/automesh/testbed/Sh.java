package dev.automesh.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command for the test bed (tests only: product code never starts processes). */
public final class Sh {
    private Sh() {}

    public record Result(List<String> cmd, int exit, String out, String err) {
        public Result orThrow() {
            if (exit != 0) {
                throw new IllegalStateException("command failed (exit " + exit + "): " + String.join(" ", cmd)
                        + (err.isBlank() ? "" : "\n" + err.strip()) + (out.isBlank() ? "" : "\n" + out.strip()));
            }
            return this;
        }
    }

    public static Result run(List<String> cmd) {
        return run(cmd, 60);
    }

    public static Result run(List<String> cmd, long timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            // Drain both pipes concurrently so a chatty command cannot block on a full pipe. On a
            // thread each, not the common pool: its workers are shared and few (cores - 1), so with
            // concurrent run() calls one command's stderr drain could wait behind another's stdout.
            java.util.concurrent.Executor ownThread = r -> {
                Thread t = new Thread(r, "sh-drain");
                t.setDaemon(true);
                t.start();
            };
            var outF = java.util.concurrent.CompletableFuture.supplyAsync(() -> slurp(p.getInputStream()), ownThread);
            var errF = java.util.concurrent.CompletableFuture.supplyAsync(() -> slurp(p.getErrorStream()), ownThread);
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("command timed out after " + timeoutSeconds + " s: " + String.join(" ", cmd));
            }
            return new Result(List.copyOf(cmd), p.exitValue(), outF.join(), errF.join());
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", cmd), e);
        }
    }

    public static Result ok(String... cmd) {
        return run(List.of(cmd)).orThrow();
    }

    private static String slurp(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
