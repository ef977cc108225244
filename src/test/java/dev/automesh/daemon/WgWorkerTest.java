package dev.automesh.daemon;

import static dev.automesh.testsupport.TestValues.ip;
import static dev.automesh.testsupport.TestValues.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.crypto.WgKey;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WireGuard;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How waiting applies merge per peer, fresh (re-create) updates included. */
class WgWorkerTest {
    private static final WgKey K = key(1);
    private static final InetSocketAddress E1 = new InetSocketAddress(ip("192.0.2.1"), 1);
    private static final InetSocketAddress E2 = new InetSocketAddress(ip("192.0.2.2"), 2);
    private static final List<IpPrefix> IPS1 = List.of(new IpPrefix(ip("10.0.0.1"), 32));
    private static final List<IpPrefix> IPS2 = List.of(new IpPrefix(ip("10.0.0.2"), 32));

    @Test
    void plainUpdatesMergeLaterFieldsOverEarlierOnes() {
        PeerUpdate a = PeerUpdate.of(K).endpoint(E1).keepalive(25).build();
        PeerUpdate b = PeerUpdate.of(K).endpoint(E2).allowedIps(IPS1).build();
        assertEquals(PeerUpdate.of(K).endpoint(E2).keepalive(25).allowedIps(IPS1).build(), WgWorker.merged(a, b));
    }

    @Test
    void freshThenPlainIsFreshWithThePlainFieldsLaidOver() {
        PeerUpdate fresh = PeerUpdate.of(K).fresh().endpoint(E1).keepalive(25).allowedIps(IPS1).build();
        PeerUpdate plain = PeerUpdate.of(K).endpoint(E2).keepalive(0).build();
        assertEquals(PeerUpdate.of(K).fresh().endpoint(E2).keepalive(0).allowedIps(IPS1).build(),
                WgWorker.merged(fresh, plain));
        PeerUpdate ipsOnly = PeerUpdate.of(K).allowedIps(IPS2).build();
        assertEquals(PeerUpdate.of(K).fresh().endpoint(E1).keepalive(25).allowedIps(IPS2).build(),
                WgWorker.merged(fresh, ipsOnly));
    }

    @Test
    void plainThenFreshIsTheFreshOnePlusWhatItLacks() {
        PeerUpdate plain = PeerUpdate.of(K).endpoint(E1).keepalive(25).allowedIps(IPS1).build();
        PeerUpdate freshNoEndpoint = PeerUpdate.of(K).fresh().keepalive(0).allowedIps(IPS2).build();
        assertEquals(PeerUpdate.of(K).fresh().endpoint(E1).keepalive(0).allowedIps(IPS2).build(),
                WgWorker.merged(plain, freshNoEndpoint));
        PeerUpdate freshFull = PeerUpdate.of(K).fresh().endpoint(E2).keepalive(0).allowedIps(IPS2).build();
        assertEquals(freshFull, WgWorker.merged(plain, freshFull));
    }

    @Test
    void freshThenFreshStaysFresh() {
        PeerUpdate f1 = PeerUpdate.of(K).fresh().endpoint(E1).keepalive(25).allowedIps(IPS1).build();
        PeerUpdate f2 = PeerUpdate.of(K).fresh().keepalive(5).allowedIps(IPS2).build();
        assertEquals(PeerUpdate.of(K).fresh().endpoint(E1).keepalive(5).allowedIps(IPS2).build(), WgWorker.merged(f1, f2));
    }

    /** A WireGuard whose first apply waits until released, so later applies queue up behind it. */
    private static final class GatedWireGuard implements WireGuard {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<List<PeerUpdate>> batches = new CopyOnWriteArrayList<>();

        @Override public String kind() { return "gated"; }
        @Override public WgDevice read() { return new WgDevice("wg0", Optional.empty(), 0, List.of()); }

        @Override
        public void apply(List<PeerUpdate> updates) {
            batches.add(List.copyOf(updates));
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override public void close() { }
    }

    @Test
    @Timeout(20)
    void applyQueuedBehindABusyDeviceMergesPerPeerAndKeepsTheFreshFlag() throws Exception {
        GatedWireGuard wg = new GatedWireGuard();
        LinkedBlockingQueue<WgWorker.ApplyResult> done = new LinkedBlockingQueue<>();
        WgWorker.Listener listener = new WgWorker.Listener() {
            @Override public void onRead(WgWorker.ReadResult r) { }
            @Override public void onApplied(WgWorker.ApplyResult r) { done.add(r); }
        };
        try (WgWorker w = new WgWorker(wg, Runnable::run, listener)) {
            WgKey other = key(2);
            PeerUpdate first = PeerUpdate.of(other).keepalive(1).build();
            w.apply(List.of(first));
            assertTrue(wg.entered.await(10, TimeUnit.SECONDS), "first batch reached the device");
            w.apply(List.of(PeerUpdate.of(K).endpoint(E1).keepalive(25).allowedIps(IPS1).build(),
                    PeerUpdate.of(other).keepalive(2).build()));
            w.apply(List.of(PeerUpdate.of(K).fresh().keepalive(0).allowedIps(IPS2).build()));
            long seq = w.apply(List.of(PeerUpdate.of(K).endpoint(E2).build()));
            wg.release.countDown();
            while (true) {
                WgWorker.ApplyResult r = done.poll(10, TimeUnit.SECONDS);
                if (r == null) throw new AssertionError("no apply result");
                if (r.seq() == seq) break;
            }
            assertEquals(List.of(List.of(first), List.of(
                    PeerUpdate.of(K).fresh().endpoint(E2).keepalive(0).allowedIps(IPS2).build(),
                    PeerUpdate.of(other).keepalive(2).build())), wg.batches);
        }
    }
}
