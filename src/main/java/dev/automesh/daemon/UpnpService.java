package dev.automesh.daemon;

import dev.automesh.upnp.UpnpForwarder;
import dev.automesh.upnp.UpnpSettings;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Maps upnp_forward_external_port on the home router to our WireGuard port and tells the mesh the
 * public endpoint the router gives us. The forwarder does its HTTP on its own thread, never the mesh's.
 */
final class UpnpService implements AgentService {
    private volatile UpnpForwarder forwarder;
    private volatile String startError;

    @Override
    public String name() {
        return "UPnP forwarder";
    }

    @Override
    public void start(AgentHandle agent) throws Exception {
        try {
            int listenPort = agent.status().get(5, TimeUnit.SECONDS).listenPort();
            Optional<UpnpSettings> settings = UpnpSettings.fromConfig(agent.config(), listenPort);
            if (settings.isEmpty()) return;
            UpnpForwarder f = new UpnpForwarder(settings.get(), agent::externalEndpoint);
            forwarder = f;
            f.start();
        } catch (Exception | LinkageError e) {
            startError = String.valueOf(e.getMessage());
            throw e;
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
        UpnpForwarder f = forwarder;
        if (f != null) f.close();
    }
}
