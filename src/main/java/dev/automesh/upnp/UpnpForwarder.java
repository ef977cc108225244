package dev.automesh.upnp;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.bitlet.weupnp.GatewayDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xml.sax.SAXException;

/**
 * Keeps UDP {@code externalPort} on the home router (UPnP IGD) forwarded to our WireGuard listen port,
 * with a finite lease renewed periodically, and reports our resulting external endpoint
 * ({@code <router WAN ip>:<externalPort>}) through a callback so the mesh can announce it.
 *
 * <p>Everything blocking (SSDP, HTTP/SOAP) runs on this forwarder's own single thread, so a slow or
 * absent router never delays anything else. Failures are retried with exponential backoff and logged
 * once per change of state or reason, not per attempt. {@link #close()} deletes the mapping.
 *
 * <p>The callback runs on the forwarder thread; it must only hand the value over (e.g. post it to the
 * mesh thread). It is called after each successful renewal too. {@code Optional.empty()} means: the
 * endpoint previously reported is no longer valid.
 */
public final class UpnpForwarder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UpnpForwarder.class);
    static final String DESCRIPTION = "automesh";
    private static final String UDP = "UDP";

    private final UpnpSettings settings;
    private final Consumer<Optional<InetSocketAddress>> onExternalEndpoint;
    private final Consumer<UpnpStatus> onStatus;
    private final ScheduledThreadPoolExecutor executor;
    private volatile UpnpStatus status = UpnpStatus.initial();
    private volatile boolean closed;
    private boolean started;

    // Confined to the executor thread.
    private GatewayDevice gateway;
    private Inet4Address localAddress;
    private NetworkInterface localInterface;
    private boolean mapped;
    private boolean permanentLease;
    private Optional<InetSocketAddress> reported = Optional.empty();
    private int failures;
    private String lastLogged = "";
    private final UpnpPinhole pinhole;
    private ScheduledFuture<?> next;

    public UpnpForwarder(UpnpSettings settings, Consumer<Optional<InetSocketAddress>> onExternalEndpoint) {
        this(settings, onExternalEndpoint, s -> { });
    }

    /** @param onStatus called on the forwarder thread after each change of {@link #status()} */
    public UpnpForwarder(UpnpSettings settings, Consumer<Optional<InetSocketAddress>> onExternalEndpoint,
            Consumer<UpnpStatus> onStatus) {
        this.settings = Objects.requireNonNull(settings);
        this.pinhole = new UpnpPinhole(settings);
        this.onExternalEndpoint = Objects.requireNonNull(onExternalEndpoint);
        this.onStatus = Objects.requireNonNull(onStatus);
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "automesh-upnp");
            t.setDaemon(true);
            return t;
        });
        // After close(), pending retries/renewals must not run.
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }

    /** Starts discovery and mapping in the background; returns at once. */
    public synchronized void start() {
        if (started) throw new IllegalStateException("UPnP forwarder already started");
        if (closed) throw new IllegalStateException("UPnP forwarder already closed");
        started = true;
        // weupnp keeps its HTTP timeout in a static; we are its only user in this process.
        GatewayDevice.setHttpReadTimeout((int) settings.httpTimeout().toMillis());
        log.info("UPnP: forwarding external UDP port {} to WireGuard port {} (lease {} s, renewed every {} s){}",
                settings.externalPort(), settings.listenPort(), settings.lease().toSeconds(), seconds(settings.renewEvery()),
                settings.ipv6() ? ", with an IPv6 pinhole if the router offers one" : "");
        executor.execute(this::attempt);
    }

    /** The current state, for {@code automesh status}. Safe from any thread. */
    public UpnpStatus status() {
        return status;
    }

    public UpnpSettings settings() {
        return settings;
    }

    /**
     * Deletes the mapping (and pinhole) and stops the thread. Waits at most a few HTTP timeouts for
     * the router, so a dead router cannot hang shutdown. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        Future<?> done = executor.submit(this::teardown);
        executor.shutdown();
        long waitMs = settings.httpTimeout().toMillis() * 3 + settings.discoveryTimeout().toMillis();
        try {
            done.get(waitMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("UPnP: router did not answer within {} ms while deleting the mapping of UDP port {}; it expires with its lease",
                    waitMs, settings.externalPort());
        } catch (ExecutionException e) {
            log.warn("UPnP: deleting the mapping of UDP port {} failed: {}", settings.externalPort(), e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            executor.shutdownNow();
        }
    }

    // ---- executor thread ----

    private void attempt() {
        if (closed) return;
        try {
            if (gateway == null && !discover()) {
                fail(UpnpStatus.State.NO_GATEWAY, "no UPnP Internet Gateway Device answered on this LAN ("
                        + interfaceNames() + "); external UDP port " + settings.externalPort()
                        + " stays closed, peers must reach us by hole punching", false);
                return;
            }
            addMapping();
            InetSocketAddress external = externalEndpoint();
            report(Optional.of(external)); // at once: the pinhole below may take a discovery timeout
            if (settings.ipv6()) pinhole.keepOpen(localInterface);
            succeed(external);
        } catch (UpnpException e) {
            boolean unreachable = e.code().isEmpty();
            fail(UpnpStatus.State.FAILED, e.getMessage(), unreachable);
        } catch (RuntimeException e) {
            // Never let the thread die: report, back off, try again.
            fail(UpnpStatus.State.FAILED, "unexpected " + e, true);
        }
    }

    private boolean discover() throws UpnpException {
        List<Ssdp.Reply> replies;
        try {
            replies = Ssdp.search(settings.discoveryTimeout());
        } catch (IOException e) {
            throw UpnpException.io("SSDP discovery", "239.255.255.250:1900", e);
        }
        UpnpException last = null;
        for (Ssdp.Reply r : replies) {
            GatewayDevice g = new GatewayDevice();
            g.setSt(r.st());
            g.setLocation(r.location());
            g.setLocalAddress(r.localAddress());
            try {
                g.loadDescription();
            } catch (IOException | SAXException | RuntimeException e) {
                last = UpnpException.io("reading the device description", r.location(), e);
                continue;
            }
            if (g.getControlURL() == null || g.getServiceType() == null) {
                last = new UpnpException("gateway at " + r.location() + " offers no WANIPConnection/WANPPPConnection service",
                        Optional.empty(), null);
                continue;
            }
            gateway = g;
            localAddress = (Inet4Address) r.localAddress();
            localInterface = r.nif();
            pinhole.forget();
            return true;
        }
        if (last != null) throw last;
        return false;
    }

    private void addMapping() throws UpnpException {
        try {
            addMapping(permanentLease ? 0 : settings.lease().toSeconds());
        } catch (UpnpException e) {
            if (e.code().orElse(0) != 725 || permanentLease) throw e;
            permanentLease = true;
            log.warn("UPnP: router {} only supports permanent port mappings (UPnP error 725 OnlyPermanentLeasesSupported); "
                    + "mapping UDP port {} with lease 0 instead, it is deleted on shutdown", routerName(), settings.externalPort());
            addMapping(0);
        }
    }

    private void addMapping(long leaseSeconds) throws UpnpException {
        Map<String, String> args = new LinkedHashMap<>();
        args.put("NewRemoteHost", "");
        args.put("NewExternalPort", Integer.toString(settings.externalPort()));
        args.put("NewProtocol", UDP);
        args.put("NewInternalPort", Integer.toString(settings.listenPort()));
        args.put("NewInternalClient", localAddress.getHostAddress());
        args.put("NewEnabled", "1");
        args.put("NewPortMappingDescription", DESCRIPTION);
        args.put("NewLeaseDuration", Long.toString(leaseSeconds));
        command("AddPortMapping", args);
        mapped = true;
    }

    private InetSocketAddress externalEndpoint() throws UpnpException {
        String ip = command("GetExternalIPAddress", Map.of()).get("NewExternalIPAddress");
        if (ip == null || ip.isBlank()) {
            throw new UpnpException("router " + routerName() + " reported no external IP address (is its WAN link up?)", Optional.empty(), null);
        }
        try {
            InetAddress a = InetAddress.getByName(ip.strip());
            if (!(a instanceof Inet4Address) || a.isAnyLocalAddress()) throw new IOException("not a usable IPv4 address");
            return new InetSocketAddress(a, settings.externalPort());
        } catch (IOException e) {
            throw new UpnpException("router " + routerName() + " reported an unusable external IP address '" + ip + "'", Optional.empty(), e);
        }
    }

    /** One weupnp SOAP call on the gateway's WANIPConnection service; UPnP errors become exceptions. */
    private Map<String, String> command(String action, Map<String, String> args) throws UpnpException {
        Map<String, String> out;
        try {
            out = GatewayDevice.simpleUPnPcommand(gateway.getControlURL(), gateway.getServiceType(), action, args);
        } catch (IOException | SAXException | RuntimeException e) {
            throw UpnpException.io(action, gateway.getControlURL(), e);
        }
        String code = out.get("errorCode");
        if (code != null) {
            int c;
            try {
                c = Integer.parseInt(code.strip());
            } catch (NumberFormatException e) {
                throw new UpnpException(action + " failed with an unparsable UPnP error code '" + code + "'", Optional.empty(), e);
            }
            throw UpnpException.refused(action, c, out.get("errorDescription"));
        }
        return out;
    }

    private void succeed(InetSocketAddress external) {
        failures = 0;
        Optional<Instant> expiry = permanentLease ? Optional.empty() : Optional.of(Instant.now().plus(settings.lease()));
        setStatus(new UpnpStatus(UpnpStatus.State.MAPPED, Optional.of(routerName()), Optional.of(localAddress),
                Optional.of(external), expiry, pinhole.state(), Optional.empty(), 0));
        String key = "MAPPED " + external + " " + localAddress + " " + permanentLease;
        if (!key.equals(lastLogged)) {
            lastLogged = key;
            log.info("UPnP: router {} forwards UDP {}:{} to {}:{} ({}); announcing external endpoint {}:{}", routerName(),
                    external.getAddress().getHostAddress(), settings.externalPort(), localAddress.getHostAddress(), settings.listenPort(),
                    permanentLease ? "permanent lease" : "lease " + settings.lease().toSeconds() + " s, renewed every " + seconds(settings.renewEvery()) + " s",
                    external.getAddress().getHostAddress(), settings.externalPort());
        } else {
            log.debug("UPnP: renewed mapping of UDP port {}", settings.externalPort());
        }
        report(Optional.of(external));
        schedule(settings.renewEvery());
    }

    private void fail(UpnpStatus.State state, String reason, boolean forgetGateway) {
        failures++;
        if (forgetGateway) {
            // The router vanished or broke: find it (or another) again next time.
            gateway = null;
            mapped = false;
        }
        report(Optional.empty());
        Duration delay = backoff();
        UpnpStatus previous = status;
        setStatus(new UpnpStatus(state, gateway == null ? Optional.empty() : Optional.of(routerName()),
                gateway == null ? Optional.empty() : Optional.of(localAddress), Optional.empty(),
                Optional.empty(), pinhole.state(), Optional.of(reason), failures));
        String key = state + " " + reason;
        if (!key.equals(lastLogged)) {
            lastLogged = key;
            log.warn("UPnP: {} (retrying with backoff, next try in {} s)", reason, delay.toMillis() / 1000.0);
        } else {
            log.debug("UPnP: still {} after {} attempts (was {})", state, failures, previous.state());
        }
        schedule(delay);
    }

    private Duration backoff() {
        int doublings = Math.min(failures - 1, 20);
        Duration d = settings.retryMin().multipliedBy(1L << Math.max(0, doublings));
        return d.compareTo(settings.retryMax()) > 0 ? settings.retryMax() : d;
    }

    /**
     * Every successful mapping or renewal reports the endpoint, unchanged or not: the mesh re-announces
     * an old one now and then (its timestamp must stay among the five newest). Losses are reported once.
     */
    private void report(Optional<InetSocketAddress> endpoint) {
        if (endpoint.isEmpty() && reported.isEmpty()) return;
        reported = endpoint;
        try {
            onExternalEndpoint.accept(endpoint);
        } catch (RuntimeException e) {
            log.warn("UPnP: external endpoint callback failed: {}", e.toString());
        }
    }

    private void setStatus(UpnpStatus s) {
        status = s;
        try {
            onStatus.accept(s);
        } catch (RuntimeException e) {
            log.warn("UPnP: status callback failed: {}", e.toString());
        }
    }

    private void schedule(Duration delay) {
        if (closed) return;
        try {
            next = executor.schedule(this::attempt, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void teardown() {
        if (next != null) next.cancel(false);
        UpnpStatus s = status;
        if (gateway != null && mapped) {
            try {
                Map<String, String> args = new LinkedHashMap<>();
                args.put("NewRemoteHost", "");
                args.put("NewExternalPort", Integer.toString(settings.externalPort()));
                args.put("NewProtocol", UDP);
                command("DeletePortMapping", args);
                log.info("UPnP: deleted the mapping of UDP port {} on router {}", settings.externalPort(), routerName());
            } catch (UpnpException e) {
                log.warn("UPnP: could not delete the mapping of UDP port {}: {}; it expires with its lease",
                        settings.externalPort(), e.getMessage());
            }
            mapped = false;
        }
        pinhole.delete();
        report(Optional.empty()); // a listen-port move must not leave the old endpoint announced
        setStatus(new UpnpStatus(UpnpStatus.State.CLOSED, s.router(), s.localAddress(), Optional.empty(), Optional.empty(),
                Optional.empty(), s.lastError(), 0));
    }

    private String routerName() {
        String name = gateway.getFriendlyName();
        return (name == null || name.isBlank() ? "" : "'" + name.strip() + "' ") + "at " + gateway.getLocation();
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : Double.toString(d.toMillis() / 1000.0);
    }

    private static String interfaceNames() {
        try {
            List<String> names = Ssdp.lanAddresses().stream().map(a -> a.nif().getName() + " " + a.address().getHostAddress()).distinct().toList();
            return names.isEmpty() ? "no IPv4 LAN interface up" : String.join(", ", names);
        } catch (IOException e) {
            return "interfaces unreadable: " + e.getMessage();
        }
    }
}
