package dev.automesh.wg;

import dev.automesh.testbed.InNetns;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * The shared contract against the real kernel module, inside the QEMU guest: each node is a
 * {@code ip link add wg0 type wireguard} in its own network namespace (two nodes are joined by a
 * veth pair), and the backend's netlink socket is opened inside that namespace.
 * Not run by surefire on the host (no *Test name): KernelWireGuardGuestTest runs it in the guest.
 */
class KernelWireGuardContractInGuest extends WireGuardContract {
    @BeforeAll
    static void onlyInGuest() {
        GuestOnly.check();
    }

    /**
     * Both sides initiate at once (keepalive 1 s); when the two initiations cross, each side drops
     * the response to its own and WireGuard retries after REKEY_TIMEOUT (5 s + jitter). Under TCG
     * this crossing is common, so allow for two retries.
     */
    @Override
    protected long handshakeTimeoutMillis() {
        return 20_000;
    }

    @Override
    protected Bed createBed(int n) throws Exception {
        if (n < 1 || n > 2) throw new IllegalArgumentException("this bed makes 1 or 2 nodes, asked for " + n);
        return new KernelBed(n);
    }

    private static WireGuard openIn(String ns, String ifname) throws WireGuardException {
        try {
            return InNetns.call(ns, () -> KernelWireGuard.open(ifname));
        } catch (WireGuardException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot open " + ifname + " in " + ns + ": " + e, e);
        }
    }

    private record KernelNode(Netns ns, String ifname, WireGuard wg, InetAddress underlay) implements Node {
        @Override
        public Sh.Result runWg(String... args) {
            List<String> cmd = new ArrayList<>(List.of("wg"));
            cmd.addAll(List.of(args));
            return ns.exec(cmd.toArray(String[]::new));
        }
    }

    private static final class KernelBed implements Bed {
        private final List<Netns> namespaces = new ArrayList<>();
        private final List<KernelNode> nodes = new ArrayList<>();
        private final Path scratch;

        KernelBed(int n) throws Exception {
            scratch = Files.createTempDirectory("amk-bed");
            try {
                for (int i = 0; i < n; i++) namespaces.add(Netns.create(Netns.uniqueName("amk")));
                if (n == 2) {
                    Sh.ok("ip", "link", "add", "veth0", "netns", namespaces.get(0).name(), "type", "veth",
                            "peer", "name", "veth1", "netns", namespaces.get(1).name());
                }
                for (int i = 0; i < n; i++) {
                    Netns ns = namespaces.get(i);
                    InetAddress underlay = InetAddress.getByName(n == 2 ? "10.201.0." + (i + 1) : "127.0.0.1");
                    if (n == 2) {
                        ns.ok("ip", "addr", "add", underlay.getHostAddress() + "/24", "dev", "veth" + i);
                        ns.ok("ip", "link", "set", "veth" + i, "up");
                    }
                    ns.ok("ip", "link", "add", "wg0", "type", "wireguard");
                    ns.ok("ip", "link", "set", "wg0", "up");
                    nodes.add(new KernelNode(ns, "wg0", openIn(ns.name(), "wg0"), underlay));
                }
            } catch (Exception | Error e) {
                close();
                throw e;
            }
        }

        @Override
        public List<Node> nodes() {
            return List.copyOf(nodes);
        }

        @Override
        public WireGuard open(String ifname) throws WireGuardException {
            return openIn(namespaces.get(0).name(), ifname);
        }

        @Override
        public Path scratch() {
            return scratch;
        }

        @Override
        public void close() {
            for (KernelNode n : nodes) n.wg().close();
            for (Netns ns : namespaces) ns.close();
            try {
                Files.deleteIfExists(scratch);
            } catch (IOException ignored) {
                // a temp dir in the throwaway guest
            }
        }
    }
}
