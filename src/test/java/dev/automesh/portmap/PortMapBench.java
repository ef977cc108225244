package dev.automesh.portmap;

import dev.automesh.testbed.Miniupnpd;
import dev.automesh.testbed.Netns;
import dev.automesh.testbed.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Benchmark (root): from launching a fresh JVM running the port-mapping chooser with the real clients
 * ({@link PortMapProbeMain}, as the agent runs it) until it announces the mapped endpoint, per
 * protocol, against Debian's miniupnpd (UPnP + NAT-PMP/PCP) in a router namespace. Each run is
 * stopped with SIGTERM (deleting its mapping) before the next.
 *
 * <pre>java -cp target/test-classes:target/classes:$(cat cp.txt) dev.automesh.portmap.PortMapBench 5</pre>
 */
public final class PortMapBench {
    private PortMapBench() {}

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<AutoCloseable> cleanup = new ArrayList<>();
        try {
            Netns router = Netns.create(Netns.uniqueName("apbr"));
            cleanup.add(router);
            Netns a = Netns.create(Netns.uniqueName("apba"));
            cleanup.add(a);
            Sh.ok("ip", "link", "add", "br0", "netns", router.name(), "type", "veth", "peer", "name", "eth0", "netns", a.name());
            router.ok("ip", "link", "add", "wan0", "type", "veth", "peer", "name", "wanpeer");
            router.ok("ip", "addr", "add", "203.0.114.1/24", "dev", "wan0");
            router.ok("ip", "addr", "add", "192.168.1.1/24", "dev", "br0");
            for (String l : List.of("wan0", "wanpeer", "br0")) router.ok("ip", "link", "set", l, "up");
            a.ok("ip", "addr", "add", "192.168.1.10/24", "dev", "eth0");
            a.ok("ip", "link", "set", "eth0", "up");
            a.ok("ip", "route", "add", "default", "via", "192.168.1.1");
            Process m = Miniupnpd.start(router, "br0", "192.168.1.0/24", "3d3cec3a-8cf0-11e0-98ee-001a6bd2d0b0", false, true, true);
            cleanup.add(() -> Netns.stop(m, 5000));
            String cp = System.getProperty("java.class.path");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            int n = 0;
            for (String protocol : List.of("pcp", "natpmp", "upnp")) {
                double[] ms = new double[runs];
                for (int i = 0; i < runs; i++) {
                    Path log = a.dir().resolve("bench-" + (++n) + ".log");
                    long t0 = System.nanoTime();
                    Process p = a.spawn(List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", cp,
                            PortMapProbeMain.class.getName(), "protocols=" + protocol, "external=" + (40100 + n), "listen=51820"), log);
                    while (!(Files.exists(log) && Files.readString(log).contains("ENDPOINT 203.0.114.1:"))) {
                        if (!p.isAlive() || System.nanoTime() - t0 > 30_000_000_000L) throw new IllegalStateException(Files.readString(log));
                        Thread.sleep(5);
                    }
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                    Netns.stop(p, 10_000);
                }
                double[] sorted = ms.clone();
                Arrays.sort(sorted);
                System.out.printf("%s: median %.0f ms, min %.0f, max %.0f (runs:%s)%n", protocol, sorted[runs / 2], sorted[0],
                        sorted[runs - 1], Arrays.stream(ms).mapToObj(v -> String.format(" %.0f", v)).reduce("", String::concat));
            }
        } finally {
            for (int i = cleanup.size() - 1; i >= 0; i--) cleanup.get(i).close();
        }
    }
}
