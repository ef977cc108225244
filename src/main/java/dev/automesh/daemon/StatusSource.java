package dev.automesh.daemon;

import dev.automesh.config.Config;
import dev.automesh.control.StatusReport;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * What the status socket and metrics report, from the agent's start on: while it waits for its
 * interface, why (from the config alone, as no mesh exists yet); once it runs, the live agent's report.
 * So the socket opens at once and stays the same one. Any thread.
 */
public final class StatusSource {
    private final Config config;
    private volatile String waitingReason = "checking whether it exists";
    private volatile AgentHandle live;

    StatusSource(Config config) {
        this.config = Objects.requireNonNull(config);
    }

    /** A source for an agent that is already running. */
    static StatusSource of(AgentHandle running) {
        StatusSource s = new StatusSource(running.config());
        s.running(running);
        return s;
    }

    Config config() {
        return config;
    }

    /** The last reason the interface could not be used. */
    void waiting(String reason) {
        waitingReason = Objects.requireNonNull(reason);
    }

    /** The agent runs: report it from now on. */
    void running(AgentHandle handle) {
        live = Objects.requireNonNull(handle);
    }

    /** The report, built on the mesh thread once the agent runs; at once while it waits. */
    CompletableFuture<StatusReport> report(String upnp) {
        AgentHandle h = live;
        if (h != null) return h.inspect(view -> StatusReports.build(view, upnp));
        return CompletableFuture.completedFuture(StatusReports.waiting(config, waitingReason, upnp));
    }
}
