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

    /** Serves from the start, so that status says why the agent waits; the same socket serves it running. */
    @Override
    public synchronized boolean startWaiting(StatusSource status) throws Exception {
        serve(status);
        return true;
    }

    /** Started early already: nothing to do (the agent switched the source to itself). */
    @Override
    public synchronized void start(AgentHandle agent) throws Exception {
        if (loop == null) serve(StatusSource.of(agent));
    }

    private void serve(StatusSource status) throws Exception {
        Supplier<CompletableFuture<StatusReport>> source = () -> status.report(upnp.get());
        loop = new ControlLoop();
        try {
            control = ControlServer.start(loop, status.config().controlSocket(), source);
            log.info("status socket {}", control.path());
            if (status.config().metricsAddress().isPresent()) {
                metrics = MetricsServer.start(loop, status.config().metricsAddress().get(), source);
                log.info("metrics at http://{}/metrics", HostPort.format(metrics.address()));
            }
        } catch (Exception | LinkageError e) {
            close(); // a later start() may try again
            throw e;
        }
    }

    /** Idempotent: called at shutdown by the add-ons and again by the agent, which started it first. */
    @Override
    public synchronized void close() {
        ControlServer c = control;
        if (c != null) c.close();
        MetricsServer m = metrics;
        if (m != null) m.close();
        ControlLoop l = loop;
        if (l != null) l.close();
        control = null;
        metrics = null;
        loop = null;
    }
}
