package dev.automesh.upnp;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Test-only: runs a {@link UpnpForwarder} in its own JVM (started inside a host's network namespace,
 * where its SSDP and HTTP must happen) and prints machine-readable lines on stdout:
 * {@code ENDPOINT <ip:port>|none} for each callback, {@code STATUS <summary>} for each status change,
 * {@code CLOSED} when the shutdown hook finished. SIGTERM closes the forwarder like the daemon does.
 *
 * <p>Arguments: {@code key=value}: external, listen, ipv6, lease_s, renew_ms, discovery_ms, retry_min_ms, retry_max_ms.
 */
public final class UpnpProbeMain {
    private UpnpProbeMain() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            int i = arg.indexOf('=');
            a.put(arg.substring(0, i), arg.substring(i + 1));
        }
        UpnpSettings s = UpnpSettings.defaults(Integer.parseInt(a.get("external")), Integer.parseInt(a.get("listen")),
                Boolean.parseBoolean(a.getOrDefault("ipv6", "false")));
        s = s.withTiming(Duration.ofSeconds(Long.parseLong(a.getOrDefault("lease_s", "300"))),
                Duration.ofMillis(Long.parseLong(a.getOrDefault("renew_ms", "60000"))),
                Duration.ofMillis(Long.parseLong(a.getOrDefault("discovery_ms", "2500"))),
                Duration.ofMillis(Long.parseLong(a.getOrDefault("retry_min_ms", "5000"))),
                Duration.ofMillis(Long.parseLong(a.getOrDefault("retry_max_ms", "300000"))));
        UpnpForwarder f = new UpnpForwarder(s, ep -> line("ENDPOINT " + ep.map(e -> e.getAddress().getHostAddress() + ":" + e.getPort()).orElse("none")));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            f.close();
            line("STATUS " + f.status().summary());
            line("CLOSED");
        }));
        f.start();
        UpnpStatus last = null;
        while (true) {
            UpnpStatus now = f.status();
            if (!now.equals(last)) {
                line("STATUS " + now.summary());
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
