package dev.automesh.daemon;

import dev.automesh.config.HostPort;
import dev.automesh.control.ControlLoop;
import dev.automesh.control.ControlServer;
import dev.automesh.control.MetricsServer;
import dev.automesh.control.StatusReport;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves `automesh status` on the control socket and, when metrics_address is set, the Prometheus
 * endpoint. Both read one report built on the mesh thread, so they never see half-updated state, and
 * share one non-blocking I/O thread.
 */
final class ControlService implements AgentService {
    private static final Logger log = LoggerFactory.getLogger(ControlService.class);
    private final Supplier<String> upnp;
    private volatile ControlLoop loop;
    private volatile ControlServer control;
    private volatile MetricsServer metrics;

    /** @param upnp the UPnP mapping state, one line ("off" when not configured) */
    ControlService(Supplier<String> upnp) {
        this.upnp = upnp;
    }

    @Override
    public String name() {
        return "status socket";
    }

    @Override
    public void start(AgentHandle agent) throws Exception {
        Supplier<CompletableFuture<StatusReport>> source = () -> {
            String u = upnp.get();
            return agent.inspect(view -> StatusReports.build(view, u));
        };
        loop = new ControlLoop();
        control = ControlServer.start(loop, agent.config().controlSocket(), source);
        log.info("status socket {}", control.path());
        if (agent.config().metricsAddress().isPresent()) {
            metrics = MetricsServer.start(loop, agent.config().metricsAddress().get(), source);
            log.info("metrics at http://{}/metrics", HostPort.format(metrics.address()));
        }
    }

    @Override
    public void close() {
        ControlServer c = control;
        if (c != null) c.close();
        MetricsServer m = metrics;
        if (m != null) m.close();
        ControlLoop l = loop;
        if (l != null) l.close();
    }
}
