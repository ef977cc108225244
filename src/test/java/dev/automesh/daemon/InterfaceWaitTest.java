package dev.automesh.daemon;

import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.wg.Backend;
import dev.automesh.crypto.WgKey;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WireGuard;
import dev.automesh.wg.WireGuardException;
import dev.automesh.wg.WireGuardException.Reason;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The boot-time wait, driven by a scripted opener and a fake clock (no real sleeping). */
class InterfaceWaitTest {
    static final WgKey KEY = WgKey.fromBase64("YGV8Kll6LhnqBaeIqo/5M5brFCUgSE4uTMxoSw7whnM=");

    /** A stand-in for the interface (the thing under test is the wait loop, not a backend). */
    static final class ScriptedWg implements WireGuard {
        final WgDevice device;
        boolean closed;

        ScriptedWg(WgDevice device) {
            this.device = device;
        }

        public String kind() { return "test"; }
        public WgDevice read() { return device; }
        public void apply(List<PeerUpdate> updates) { }
        public void close() { closed = true; }
    }

    /** Each element: a WireGuardException to throw, or a device to return. */
    final Deque<Object> script = new ArrayDeque<>();
    final List<String> logs = new ArrayList<>();
    final List<String> reasons = new ArrayList<>();
    final List<ScriptedWg> opened = new ArrayList<>();
    long now = 1_000_000;
    int sleeps;

    Optional<InterfaceWait.Ready> await(Backend backend, int maxSleeps) throws Exception {
        return InterfaceWait.await(backend, "wg7", () -> {
            Object next = script.isEmpty() ? new WireGuardException(Reason.NO_SUCH_DEVICE, "no interface wg7") : script.poll();
            if (next instanceof WireGuardException e) throw e;
            ScriptedWg w = new ScriptedWg((WgDevice) next);
            opened.add(w);
            return w;
        }, ms -> {
            assertEquals(InterfaceWait.RETRY_MILLIS, ms);
            now += ms;
            return ++sleeps < maxSleeps;
        }, () -> now, logs::add, reasons::add);
    }

    static WgDevice device(boolean withKey) {
        return new WgDevice("wg7", withKey ? Optional.of(KEY) : Optional.empty(), 51820, List.of());
    }

    @Test
    void waitsWithOneLinePerReasonThenReportsReady() throws Exception {
        for (int i = 0; i < 5; i++) script.add(new WireGuardException(Reason.NO_SUCH_DEVICE, "interface wg7 does not exist"));
        script.add(device(false));
        script.add(device(false));
        script.add(device(true));
        Optional<InterfaceWait.Ready> r = await(Backend.AUTO, 100);
        assertTrue(r.isPresent());
        assertEquals(KEY, r.get().device().publicKey().orElseThrow());
        assertEquals(7, sleeps);
        assertEquals(3, logs.size(), logs.toString());
        assertTrue(logs.get(0).startsWith("waiting for WireGuard interface wg7: interface wg7 does not exist"), logs.get(0));
        assertTrue(logs.get(1).contains("no private key"), logs.get(1));
        assertEquals("WireGuard interface wg7 is ready after 14.0 s", logs.get(2));
        // What `automesh status` says meanwhile: each reason once, as it changes, without the retry note.
        assertEquals(List.of("interface wg7 does not exist",
                "it has no private key yet (set one with wg set wg7 private-key FILE)"), reasons);
        // The keyless handles were closed, the returned one is open.
        assertTrue(opened.get(0).closed && opened.get(1).closed);
        assertFalse(opened.get(2).closed);
    }

    @Test
    void readyAtOnceLogsNothing() throws Exception {
        script.add(device(true));
        assertTrue(await(Backend.AUTO, 100).isPresent());
        assertEquals(List.of(), logs);
        assertEquals(0, sleeps);
    }

    @Test
    void notPermittedIsFatalAtOnce() {
        // The kernel backend's own wording: its hint reaches the operator once.
        script.add(new WireGuardException(Reason.NOT_PERMITTED,
                "interface wg7: reading the device not permitted: needs CAP_NET_ADMIN (run as root or grant the capability)"));
        InterfaceWait.Fatal f = assertThrows(InterfaceWait.Fatal.class, () -> await(Backend.AUTO, 100));
        assertEquals(Reason.NOT_PERMITTED, f.reason);
        assertTrue(f.getMessage().contains("CAP_NET_ADMIN"), f.getMessage());
        assertEquals(f.getMessage().indexOf("CAP_NET_ADMIN"), f.getMessage().lastIndexOf("CAP_NET_ADMIN"), f.getMessage());
        assertEquals(0, sleeps);

        // A unix socket's permissions: CAP_NET_ADMIN cannot help, so it is not suggested.
        script.add(new WireGuardException(Reason.NOT_PERMITTED, "automesh may not connect to the UAPI socket "
                + "/run/wireguard/wg7.sock of wg7 (permission denied): run automesh as root, or as the user that owns it"));
        f = assertThrows(InterfaceWait.Fatal.class, () -> await(Backend.AUTO, 100));
        assertFalse(f.getMessage().contains("CAP_NET_ADMIN"), f.getMessage());
    }

    @Test
    void noKernelWireGuardIsFatalOnlyWhenTheKernelIsForced() throws Exception {
        script.add(new WireGuardException(Reason.NO_WIREGUARD, "no wireguard in this kernel"));
        InterfaceWait.Fatal f = assertThrows(InterfaceWait.Fatal.class, () -> await(Backend.KERNEL, 100));
        assertEquals(Reason.NO_WIREGUARD, f.reason);

        // With auto, wireguard-go may simply not have created its socket yet.
        script.add(new WireGuardException(Reason.NO_WIREGUARD, "no wireguard in this kernel"));
        script.add(device(true));
        assertTrue(await(Backend.AUTO, 100).isPresent());
    }

    @Test
    void stopWhileWaitingReturnsEmpty() throws Exception {
        assertTrue(await(Backend.AUTO, 3).isEmpty());
        assertEquals(3, sleeps);
        assertEquals(1, logs.size());
    }
}
