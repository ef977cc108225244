package dev.automesh.daemon;

import dev.automesh.crypto.GossipSecret;
import dev.automesh.wg.Backend;
import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.config.Config;
import dev.automesh.wg.WireGuardException;
import dev.automesh.wg.WireGuardException.Reason;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Agent.run() before the interface exists: stop while waiting, and fatal WireGuard errors. */
class AgentLifecycleTest {
    static Config config(Backend backend) {
        return Config.builder(Path.of("test.toml"), "wg7", 0).gossipSecret(GossipSecret.of("secret"))
                .lanDiscovery(true).wireguardBackend(backend).controlSocket(Path.of("/nonexistent/automesh.sock"))
                .wgPollMillis(1000).build();
    }

    @Test
    void stopWhileWaitingForTheInterfaceReturns0Promptly() throws Exception {
        AtomicInteger opens = new AtomicInteger();
        Agent agent = new Agent(config(Backend.AUTO), List.of(), () -> {
            opens.incrementAndGet();
            throw new WireGuardException(Reason.NO_SUCH_DEVICE, "interface wg7 does not exist");
        }, System::currentTimeMillis);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
            try {
                return agent.run();
            } catch (InterruptedException e) {
                return -1;
            }
        });
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (opens.get() == 0 && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(1, opens.get(), "one attempt, then waiting 2 s");
        long t0 = System.nanoTime();
        agent.requestStop();
        assertEquals(0, exit.get(2, TimeUnit.SECONDS));
        assertTrue((System.nanoTime() - t0) < 1_000_000_000L, "stops within a second");
        assertTrue(agent.awaitTermination(0));
        assertTrue(agent.started().isCompletedExceptionally());
    }

    @Test
    void notPermittedExits77AndNoWireGuardWithKernelExits69() throws Exception {
        Agent a = new Agent(config(Backend.AUTO), List.of(), () -> {
            throw new WireGuardException(Reason.NOT_PERMITTED, "wg7: operation not permitted");
        }, System::currentTimeMillis);
        assertEquals(ExitCode.NOPERM, a.run());
        Agent b = new Agent(config(Backend.KERNEL), List.of(), () -> {
            throw new WireGuardException(Reason.NO_WIREGUARD, "the kernel has no wireguard");
        }, System::currentTimeMillis);
        assertEquals(ExitCode.UNAVAILABLE, b.run());
    }
}
