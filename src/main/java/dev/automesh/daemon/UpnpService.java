package dev.automesh.daemon;

import dev.automesh.upnp.UpnpForwarder;
import dev.automesh.upnp.UpnpSettings;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps upnp_forward_external_port on the home router to our WireGuard port and tells the mesh the
 * public endpoint the router gives us. The forwarder does its HTTP on its own thread, never the mesh's.
 * If the interface comes back on another listen port, the mapping is moved to it.
 */
final class UpnpService implements AgentService {
    static final long PORT_CHECK_SECONDS = 10;
    private static final Logger log = LoggerFactory.getLogger(UpnpService.class);
    private final ScheduledExecutorService portWatch = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "automesh-upnp-port");
        t.setDaemon(true);
        return t;
    });
    private volatile UpnpForwarder forwarder;
    private volatile String startError;
    private volatile boolean closed;

    @Override
    public String name() {
        return "UPnP forwarder";
    }

    @Override
    public void start(AgentHandle agent) throws Exception {
        try {
            int listenPort = agent.status().get(5, TimeUnit.SECONDS).listenPort();
            if (!startFor(agent, listenPort)) return;
            portWatch.scheduleWithFixedDelay(() -> followListenPort(agent), PORT_CHECK_SECONDS, PORT_CHECK_SECONDS,
                    TimeUnit.SECONDS);
        } catch (Exception | LinkageError e) {
            startError = String.valueOf(e.getMessage());
            throw e;
        }
    }

    /** @return false when the config asks for no mapping */
    private synchronized boolean startFor(AgentHandle agent, int listenPort) {
        if (closed) return false;
        Optional<UpnpSettings> settings = UpnpSettings.fromConfig(agent.config(), listenPort);
        if (settings.isEmpty()) return false;
        UpnpForwarder f = new UpnpForwarder(settings.get(), agent::externalEndpoint);
        forwarder = f;
        f.start();
        return true;
    }

    private void followListenPort(AgentHandle agent) {
        try {
            int now = agent.status().get(5, TimeUnit.SECONDS).listenPort();
            UpnpForwarder f = forwarder;
            if (f == null || now <= 0 || now == f.settings().listenPort()) return;
            log.info("UPnP: WireGuard now listens on port {} (was {}): moving the mapping of UDP port {}", now,
                    f.settings().listenPort(), f.settings().externalPort());
            f.close(); // deletes the old mapping
            startFor(agent, now);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("UPnP: checking the listen port: {}", e.toString());
        }
    }

    /** One line for `automesh status`. */
    String summary() {
        UpnpForwarder f = forwarder;
        if (f != null) return f.status().summary();
        String e = startError;
        return e != null ? "not started: " + e : "starting";
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        portWatch.shutdownNow();
        UpnpForwarder f = forwarder;
        if (f != null) f.close();
    }
}
