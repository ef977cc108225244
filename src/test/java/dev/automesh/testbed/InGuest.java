package dev.automesh.testbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the test classes run inside the QEMU guest (by KernelWireGuardGuestTest) share: the guard that
 * they run nowhere else, the cleanup in reverse order, and a namespace with a kernel wg0.
 */
public abstract class InGuest {
    /** Closed last first after each test: what a test creates goes here as it is created. */
    protected final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    protected void onlyInGuest() {
        if (!"1".equals(System.getenv("QEMU_GUEST"))) {
            Assertions.fail("this class runs only inside the QEMU guest, through KernelWireGuardGuestTest");
        }
    }

    @AfterEach
    protected void tearDown() {
        dev.automesh.testsupport.Cleanup.closeAll(cleanup);
    }

    /** A namespace with a kernel wg0 and its base64 public key. */
    public record KernelWg(Netns ns, String publicKey) {}

    /**
     * A new namespace (torn down after the test) with a kernel wg0: a fresh key, {@code meshIp}/24, the
     * listen port, up, and ip_forward 0.
     */
    protected KernelWg kernelWg(String prefix, String meshIp, int listenPort) throws Exception {
        Netns ns = Netns.create(Netns.uniqueName(prefix));
        cleanup.add(ns);
        // Keys in-process and one shell per namespace: every process start is slow under TCG.
        byte[] priv = new byte[X25519.SCALAR_SIZE];
        byte[] pub = new byte[X25519.POINT_SIZE];
        X25519.generatePrivateKey(new SecureRandom(), priv);
        X25519.generatePublicKey(priv, 0, pub, 0);
        Path keyFile = ns.dir().resolve("wg0.key");
        Files.writeString(keyFile, Base64.getEncoder().encodeToString(priv) + "\n");
        // ip_forward explicitly: a new namespace may inherit forwarding from the guest's root namespace.
        ns.ok("sh", "-c", "ip link add wg0 type wireguard && wg set wg0 private-key \"$0\" listen-port \"$1\""
                + " && ip addr add \"$2\"/24 dev wg0 && ip link set wg0 up && sysctl -q -w net.ipv4.ip_forward=0",
                keyFile.toString(), String.valueOf(listenPort), meshIp);
        return new KernelWg(ns, Base64.getEncoder().encodeToString(pub));
    }
}
