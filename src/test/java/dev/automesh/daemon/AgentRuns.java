package dev.automesh.daemon;

import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/** Helpers for tests that run agents in this JVM. */
final class AgentRuns {
    private AgentRuns() {}

    /** Runs the agent on a daemon thread; completes with its exit status. */
    static CompletableFuture<Integer> run(Agent agent) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(agent.run());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "agent-main");
        t.setDaemon(true);
        t.start();
        return f;
    }

    /** Polls {@code cond} until it holds or {@code millis} pass; whether it held. */
    static boolean await(long millis, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (cond.getAsBoolean()) return true;
            Thread.sleep(50);
        }
        return cond.getAsBoolean();
    }
}
