package dev.automesh.daemon;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DebouncerTest {
    private final ScheduledExecutorService exec = Executors.newSingleThreadScheduledExecutor();
    private final List<Integer> saved = new CopyOnWriteArrayList<>();
    private final List<String> threads = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        exec.shutdownNow();
    }

    private Debouncer<Integer> debouncer(long delay) {
        return new Debouncer<>(delay, v -> {
            saved.add(v);
            threads.add(Thread.currentThread().getName());
        }, exec);
    }

    @Test
    void flushPendingSavesWhatWaitsAndNothingWhenNothingWaits() {
        Debouncer<Integer> d = debouncer(60_000);
        assertTrue(d.flushPending(1000), "nothing pending is not a failure");
        assertTrue(saved.isEmpty());
        d.submit(7);
        assertTrue(d.flushPending(1000));
        assertEquals(List.of(7), saved, "the pending value is saved at once, not after the delay");
    }

    @Test
    void aBurstIsSavedOnceWithTheLatestValueAfterTheDelay() throws Exception {
        Debouncer<Integer> d = debouncer(150);
        long t0 = System.nanoTime();
        for (int i = 1; i <= 10; i++) d.submit(i);
        assertTrue(saved.isEmpty(), "nothing saved before the delay");
        waitForSize(1);
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(elapsedMs >= 140, "saved after " + elapsedMs + " ms");
        assertEquals(List.of(10), saved);
        assertNotEquals(Thread.currentThread().getName(), threads.get(0), "saves run off the caller's thread");
        // A later change starts a new round.
        d.submit(11);
        waitForSize(2);
        assertEquals(List.of(10, 11), saved);
    }

    @Test
    void flushSavesNowAndDropsWhatWasPending() throws Exception {
        Debouncer<Integer> d = debouncer(60_000);
        d.submit(1);
        assertTrue(d.flush(2, 1000));
        assertEquals(List.of(2), saved, "flush is synchronous and replaces the pending value");
        Thread.sleep(50);
        assertEquals(List.of(2), saved);
    }

    @Test
    void flushAfterShutdownReportsFailureInsteadOfThrowing() {
        Debouncer<Integer> d = debouncer(10);
        exec.shutdownNow();
        assertFalse(d.flush(1, 100));
    }

    private void waitForSize(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (saved.size() < n && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(n, saved.size());
    }
}
