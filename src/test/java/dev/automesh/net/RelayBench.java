package dev.automesh.net;

import dev.automesh.testbed.InNetns;
import dev.automesh.testbed.NatTopology;
import dev.automesh.testbed.NatTopology.Host;
import dev.automesh.testbed.NatTopology.Nat;
import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * a → b throughput (iperf3, TCP, 5 s) and round trip (ping), direct versus relayed via pub, in the NAT
 * test bed with wireguard-go; and the CPU time of pub's relay event loop during the relayed runs.
 * Usage (root): {@code java -cp target/classes:target/test-classes:CP dev.automesh.net.RelayBench [runs]}
 */
public final class RelayBench {
    private static final int PORT = 51830; // clear of the bed's WireGuard ports (51820, a2 51821)

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        List<NioEventLoopGroup> groups = new ArrayList<>();
        List<Relay> relays = new ArrayList<>();
        try (NatTopology t = NatTopology.create(Nat.HOME, Nat.HOME)) {
            for (Host h : List.of(t.a, t.b)) {
                h.wgCmd("set", "wg0", "peer", t.pub.publicKey, "endpoint", NatTopology.PUBLIC_IP + ":51820",
                        "allowed-ips", t.pub.meshIp + "/32", "persistent-keepalive", "1").orThrow();
                t.pub.wgCmd("set", "wg0", "peer", h.publicKey, "allowed-ips", h.meshIp + "/32").orThrow();
            }
            // Direct: punched by hand through the two home NATs, as TopologySmokeTest does.
            t.a.wgCmd("set", "wg0", "peer", t.b.publicKey, "endpoint", NatTopology.NAT2_WAN + ":51820",
                    "allowed-ips", t.b.meshIp + "/32", "persistent-keepalive", "1").orThrow();
            t.b.wgCmd("set", "wg0", "peer", t.a.publicKey, "endpoint", NatTopology.NAT1_WAN + ":51820",
                    "allowed-ips", t.a.meshIp + "/32", "persistent-keepalive", "1").orThrow();
            waitPing(t.a, t.b.meshIp);
            waitPing(t.a, t.pub.meshIp);
            waitPing(t.b, t.pub.meshIp);
            t.b.ns.spawn(List.of("iperf3", "-s"), t.b.ns.dir().resolve("iperf3.log"));
            Thread.sleep(300);
            report("direct a→b", t, runs, null, mx);

            RelaySettings unlimited = RelaySettings.defaults(PORT).withRate(10_000_000_000L, 1 << 24);
            EventLoop[] loops = new EventLoop[3];
            Relay[] r = new Relay[3];
            Host[] hosts = {t.pub, t.a, t.b};
            for (int i = 0; i < 3; i++) {
                NioEventLoopGroup g = new NioEventLoopGroup(1, new DefaultThreadFactory("relay-" + hosts[i].role, true));
                groups.add(g);
                EventLoop loop = g.next();
                InNetns.call(hosts[i].ns.name(), () -> loop.submit(() -> { }).get());
                Host h = hosts[i];
                Set<InetAddress> peers = Set.of(InetAddress.getByName(t.pub.meshIp), InetAddress.getByName(t.a.meshIp),
                        InetAddress.getByName(t.b.meshIp));
                r[i] = loop.submit(() -> Relay.bind(loop, InetAddress.getByName(h.meshIp), unlimited,
                        peers, System::nanoTime, s -> { })).get();
                relays.add(r[i]);
                loops[i] = loop;
            }
            Relay pub = r[0];
            long id = loops[0].submit(() -> pub.server().openSession(r[1].localAddress(), r[2].localAddress())).get();
            InetSocketAddress epA = loops[1].submit(() -> {
                r[1].client().setWireGuardPort(51820);
                return r[1].client().open(id, pub.localAddress());
            }).get();
            InetSocketAddress epB = loops[2].submit(() -> {
                r[2].client().setWireGuardPort(51820);
                return r[2].client().open(id, pub.localAddress());
            }).get();
            t.b.wgCmd("set", "wg0", "peer", t.a.publicKey, "endpoint", "127.0.0.1:" + epB.getPort()).orThrow();
            t.a.wgCmd("set", "wg0", "peer", t.b.publicKey, "endpoint", "127.0.0.1:" + epA.getPort()).orThrow();
            waitPing(t.a, t.b.meshIp);
            long tid = loops[0].submit(() -> Thread.currentThread().getId()).get();
            report("relayed via pub (limit off)", t, runs, () -> mx.getThreadCpuTime(tid), mx);
            System.out.println("pub relay counters: " + pub.counters());
            // The same relayed path with a route MTU for the relayed peer only, so that a full inner packet's
            // relay frame fits the a↔pub tunnel unfragmented: 1348 + 32 (WireGuard) + 12 (frame) + 28 = 1420.
            t.a.ns.ok("ip", "route", "add", t.b.meshIp + "/32", "dev", "wg0", "mtu", "1348");
            t.b.ns.ok("ip", "route", "add", t.a.meshIp + "/32", "dev", "wg0", "mtu", "1348");
            waitPing(t.a, t.b.meshIp);
            report("relayed via pub, route MTU 1348 to the relayed peer", t, runs, () -> mx.getThreadCpuTime(tid), mx);
        } finally {
            for (Relay x : relays) x.close();
            for (NioEventLoopGroup g : groups) g.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS);
        }
    }

    private static void report(String what, NatTopology t, int runs, java.util.function.LongSupplier cpu,
                               ThreadMXBean mx) throws Exception {
        List<Double> mbit = new ArrayList<>();
        List<Double> cpuPct = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long c0 = cpu == null ? 0 : cpu.getAsLong();
            long w0 = System.nanoTime();
            String out = t.a.ns.ok("iperf3", "-c", t.b.meshIp, "-t", "5", "-f", "m").out();
            long wall = System.nanoTime() - w0;
            Matcher m = Pattern.compile("([0-9.]+) Mbits/sec.*receiver").matcher(out);
            if (!m.find()) throw new IllegalStateException("iperf3 output: " + out);
            mbit.add(Double.parseDouble(m.group(1)));
            if (cpu != null) cpuPct.add(100.0 * (cpu.getAsLong() - c0) / wall);
        }
        List<Double> rtt = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            String out = t.a.ns.ok("ping", "-q", "-c", "20", "-i", "0.05", t.b.meshIp).out();
            Matcher m = Pattern.compile("= [0-9.]+/([0-9.]+)/").matcher(out);
            if (!m.find()) throw new IllegalStateException("ping output: " + out);
            rtt.add(Double.parseDouble(m.group(1)));
        }
        System.out.printf("%s: throughput median %.0f Mbit/s %s; rtt avg median %.3f ms %s%s%n", what, median(mbit), mbit,
                median(rtt), rtt, cpu == null ? "" : String.format("; pub relay loop CPU median %.0f%% of a core %s",
                        median(cpuPct), cpuPct));
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static void waitPing(Host h, String ip) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (h.ns.exec("ping", "-c", "1", "-W", "1", ip).exit() == 0) return;
            Thread.sleep(100);
        }
        throw new IllegalStateException(h + " cannot ping " + ip);
    }

    private RelayBench() {}
}
