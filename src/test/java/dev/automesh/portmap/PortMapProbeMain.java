package dev.automesh.portmap;

import dev.automesh.upnp.UpnpSettings;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Test-only: runs a {@link PortMapChooser} with the real protocol clients in its own JVM (inside a
 * host's namespace) and prints {@code ENDPOINT <ip:port>|none} per callback, {@code STATUS <summary>}
 * per change and {@code CLOSED} after SIGTERM closed it as the daemon does.
 *
 * <p>Arguments {@code key=value}: protocols (comma-separated), external, listen, lease_s, discovery_ms,
 * retry_min_ms, retry_max_ms; {@code pinhole=true} runs the IPv6 pinhole client instead (as the daemon
 * does with ipv6 = true), on the real IPv6 default gateway and our global address.
 */
public final class PortMapProbeMain {
    private PortMapProbeMain() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) a.put(arg.substring(0, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
        long lease = Long.parseLong(a.getOrDefault("lease_s", "300"));
        UpnpSettings u = UpnpSettings.defaults(Integer.parseInt(a.get("external")), Integer.parseInt(a.get("listen")), false)
                .withTiming(Duration.ofSeconds(lease), Duration.ofMillis(lease * 500),
                        Duration.ofMillis(Long.parseLong(a.getOrDefault("discovery_ms", "2500"))),
                        Duration.ofMillis(Long.parseLong(a.getOrDefault("retry_min_ms", "5000"))),
                        Duration.ofMillis(Long.parseLong(a.getOrDefault("retry_max_ms", "300000"))));
        PortMapSettings s = PortMapSettings.defaults(Arrays.stream(a.get("protocols").split(",")).map(Protocol::parse).toList(), u);
        java.util.function.Supplier<String> summary;
        AutoCloseable closer;
        if (Boolean.parseBoolean(a.getOrDefault("pinhole", "false"))) {
            PmpClient p = PmpClient.pinhole(s, PmpClient.ipv6DefaultGateway(), PmpClient.globalIpv6Source(), st -> { });
            summary = () -> p.status().summary();
            closer = p;
            p.start();
        } else {
            PortMapChooser c = new PortMapChooser(s, ep -> line("ENDPOINT " + ep.map(e -> e.getAddress().getHostAddress() + ":"
                    + e.getPort()).orElse("none")), PortMapChooser.realClients());
            summary = c::summary;
            closer = c;
            c.start();
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                closer.close();
            } catch (Exception e) {
                line("CLOSE FAILED " + e);
            }
            line("STATUS " + summary.get());
            line("CLOSED");
        }));
        String last = "";
        while (true) {
            String now = summary.get();
            if (!now.equals(last)) {
                line("STATUS " + now);
                last = now;
            }
            Thread.sleep(50);
        }
    }

    private static synchronized void line(String s) {
        System.out.println(s);
        System.out.flush();
    }
}
