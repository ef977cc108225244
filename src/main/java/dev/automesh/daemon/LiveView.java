package dev.automesh.daemon;

import dev.automesh.control.StatusReport;
import dev.automesh.crypto.WgKey;
import dev.automesh.mesh.Mesh;
import dev.automesh.mesh.MeshStatus;
import dev.automesh.wg.WgDevice;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.OptionalLong;

/** The mesh-thread view handed to {@link AgentHandle#inspect} queries: reads the driver's live state. */
final class LiveView implements AgentView {
    private final MeshDriver driver;

    LiveView(MeshDriver driver) {
        this.driver = driver;
    }

    @Override
    public Mesh mesh() {
        return driver.mesh();
    }

    @Override
    public WgKey ownKey() {
        return driver.ownKey();
    }

    @Override
    public String backendKind() {
        return driver.backendKind();
    }

    @Override
    public WgDevice lastDevice() {
        return driver.lastDevice();
    }

    @Override
    public boolean interfacePresent() {
        return driver.interfacePresent();
    }

    @Override
    public Optional<String> missingReason() {
        return driver.missingReason();
    }

    @Override
    public Optional<InetSocketAddress> externalEndpoint() {
        return driver.externalEndpoint();
    }

    @Override
    public OptionalLong wireguardReadMillis() {
        return driver.readInFlightMillis();
    }

    @Override
    public long nowMillis() {
        return driver.nowMillis();
    }

    @Override
    public StatusReport.Relay relay(MeshStatus mesh) {
        return StatusReports.relay(mesh, driver.relay());
    }

    @Override
    public AgentStatus snapshot() {
        WgDevice d = driver.lastDevice();
        return new AgentStatus(driver.config().interfaceName(), driver.backendKind(), driver.ownKey(), d.listenPort(),
                driver.gossip().transport().localAddress().getPort(), driver.interfacePresent(), d,
                driver.externalEndpoint(), driver.gossip().counters().snapshot(), driver.readInFlightMillis());
    }
}
