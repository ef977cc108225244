package dev.automesh.daemon;

import dev.automesh.config.Config;
import dev.automesh.portmap.PmpClient;
import dev.automesh.portmap.PortMapChooser;
import dev.automesh.portmap.PortMapSettings;
import dev.automesh.portmap.Protocol;
import dev.automesh.upnp.UpnpSettings;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps upnp_forward_external_port on the home router to our WireGuard port with the protocols of
 * port_mapping (PCP, NAT-PMP, UPnP IGD, in that order by default), and tells the mesh the public
 * endpoint the router grants. The protocol clients do their I/O on their own threads, never the
 * mesh's. If the interface comes back on another listen port, the mapping is moved to it.
 *
 * <p>With {@code ipv6 = true} and PCP among the protocols, a PCP client also keeps an IPv6 pinhole
 * open to the WireGuard port on our global IPv6 address, at the IPv6 default gateway, if there is one.
 */
final class PortMapService implements AgentService {
    static final long PORT_CHECK_SECONDS = 10;
    private static final Logger log = LoggerFactory.getLogger(PortMapService.class);
    private final ScheduledExecutorService portWatch = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "automesh-portmap-port");
        t.setDaemon(true);
        return t;
    });
    private final PortMapChooser.Factory clients;
    private volatile PortMapChooser chooser;
    private volatile PmpClient pinhole;
    private volatile String startError;
    private volatile boolean closed;

    PortMapService() {
        this(PortMapChooser.realClients());
    }

    private final PinholeFactory pinholes;

    /** Creates the IPv6 pinhole client; the real one asks the IPv6 default gateway. */
    interface PinholeFactory {
        PmpClient create(PortMapSettings s);
    }

    PortMapService(PortMapChooser.Factory clients) {
        this(clients, s -> PmpClient.pinhole(s, PmpClient.ipv6DefaultGateway(), PmpClient.globalIpv6Source(), st -> { }));
    }

    PortMapService(PortMapChooser.Factory clients, PinholeFactory pinholes) {
        this.clients = clients;
        this.pinholes = pinholes;
    }

    /**
     * The settings for {@code config}: empty unless upnp_forward_external_port is set. The listen port
     * is the WireGuard interface's actual one.
     */
    static Optional<PortMapSettings> settings(Config config, int listenPort) {
        return config.upnpForwardExternalPort().map(port -> PortMapSettings.defaults(
                config.portMapping().protocols().stream().map(Protocol::parse).toList(),
                UpnpSettings.defaults(port, listenPort, config.ipv6())));
    }

    @Override
    public String name() {
        return "port mapping";
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
        Optional<PortMapSettings> settings = settings(agent.config(), listenPort);
        if (settings.isEmpty()) return false;
        PortMapChooser c = new PortMapChooser(settings.get(), agent::externalEndpoint, clients);
        chooser = c;
        c.start();
        if (agent.config().ipv6() && settings.get().protocols().contains(Protocol.PCP)) {
            PmpClient p = pinholes.create(settings.get());
            pinhole = p;
            p.start();
        }
        return true;
    }

    private void followListenPort(AgentHandle agent) {
        try {
            int now = agent.status().get(5, TimeUnit.SECONDS).listenPort();
            PortMapChooser c = chooser;
            if (c == null || now <= 0 || now == c.settings().listenPort()) return;
            log.info("port mapping: WireGuard now listens on port {} (was {}): moving the mapping of UDP port {}", now,
                    c.settings().listenPort(), c.settings().externalPort());
            c.close(); // deletes the old mapping
            PmpClient p = pinhole;
            if (p != null) p.close();
            startFor(agent, now);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("port mapping: checking the listen port: {}", e.toString());
        }
    }

    /** One line for `automesh status`: the protocol in use, its state and lease. */
    String summary() {
        PortMapChooser c = chooser;
        PmpClient p = pinhole;
        if (c != null) return c.summary() + (p == null ? "" : "; ipv6 pinhole: " + p.status().summary());
        String e = startError;
        return e != null ? "not started: " + e : "starting";
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        portWatch.shutdownNow();
        PortMapChooser c = chooser;
        if (c != null) c.close();
        PmpClient p = pinhole;
        if (p != null) p.close();
    }
}
