package dev.automesh.portmap;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps UDP {@code externalPort} mapped to our WireGuard port through NAT-PMP or PCP on the default
 * gateway: asks for the configured port, accepts and reports the one granted, renews at half the
 * granted lifetime, deletes on close. Its own thread does all the I/O; failures back off and are
 * logged once per change. Replies are untrusted: a bad one is rejected with a reason and the client
 * keeps waiting for a good one until the try times out.
 *
 * <p>{@link #pinhole} makes the IPv6 variant: a PCP MAP for our WireGuard port on our own global IPv6
 * address, sent from that address to the IPv6 gateway, which opens a firewall pinhole without NAT
 * (RFC 6887 §11: the internal address is the address itself, the assigned external address equals it).
 */
public final class PmpClient implements PortMapper {
    private static final Logger log = LoggerFactory.getLogger(PmpClient.class);
    private static final SecureRandom RNG = new SecureRandom();

    /** Where the server is: the default gateway at port 5351, or a test's loopback responder. */
    public interface GatewayFinder {
        Optional<InetSocketAddress> find() throws IOException;
    }

    /** The address to send from, which a pinhole opens: our global IPv6 address facing the gateway. */
    public interface SourceFinder {
        Optional<InetAddress> find(InetSocketAddress gateway) throws IOException;
    }

    private final Protocol protocol;
    private final PortMapSettings settings;
    private final GatewayFinder finder;
    private final Optional<SourceFinder> pinholeSource;
    private final Consumer<Optional<InetSocketAddress>> onExternalEndpoint;
    private final Consumer<PortMapStatus> onStatus;
    private final ScheduledThreadPoolExecutor executor;
    private volatile PortMapStatus status;
    private volatile boolean closed;
    private boolean started;

    // Confined to the executor thread.
    private InetSocketAddress gateway;
    private DatagramSocket socket;
    private final byte[] nonce = new byte[Pcp.NONCE_LENGTH];
    private Epoch epoch;
    private Optional<InetSocketAddress> mapped = Optional.empty();
    private Optional<InetSocketAddress> reported = Optional.empty();
    private int failures;
    private String lastLogged = "";
    private volatile long rejectedReplies;
    private volatile long gatewayRestarts;
    private ScheduledFuture<?> next;

    public PmpClient(Protocol protocol, PortMapSettings settings, GatewayFinder finder,
            Consumer<Optional<InetSocketAddress>> onExternalEndpoint, Consumer<PortMapStatus> onStatus) {
        this(protocol, settings, finder, Optional.empty(), onExternalEndpoint, onStatus);
    }

    /**
     * A PCP client keeping an IPv6 pinhole open to our WireGuard port on the address {@code source}
     * finds, through the gateway {@code finder} finds. Nothing is announced: the address is our own.
     */
    public static PmpClient pinhole(PortMapSettings settings, GatewayFinder finder, SourceFinder source,
            Consumer<PortMapStatus> onStatus) {
        return new PmpClient(Protocol.PCP, settings, finder, Optional.of(source), ep -> { }, onStatus);
    }

    private PmpClient(Protocol protocol, PortMapSettings settings, GatewayFinder finder, Optional<SourceFinder> pinholeSource,
            Consumer<Optional<InetSocketAddress>> onExternalEndpoint, Consumer<PortMapStatus> onStatus) {
        this.pinholeSource = Objects.requireNonNull(pinholeSource);
        if (protocol != Protocol.NATPMP && protocol != Protocol.PCP) throw new IllegalArgumentException(protocol + " is not NAT-PMP or PCP");
        this.protocol = protocol;
        this.settings = Objects.requireNonNull(settings);
        this.finder = Objects.requireNonNull(finder);
        this.onExternalEndpoint = Objects.requireNonNull(onExternalEndpoint);
        this.onStatus = Objects.requireNonNull(onStatus);
        this.status = PortMapStatus.initial(protocol);
        RNG.nextBytes(nonce);
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "automesh-" + protocol.label() + (pinholeSource.isPresent() ? "6" : ""));
            t.setDaemon(true);
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    }

    /** The IPv4 default gateway's port 5351, from the routing table. */
    public static GatewayFinder defaultGateway() {
        return () -> Gateways.ipv4().map(r -> new InetSocketAddress(r.gateway(), NatPmp.PORT));
    }

    /** The IPv6 default gateway's PCP port (scoped to its interface when link-local), from the routing table. */
    public static GatewayFinder ipv6DefaultGateway() {
        return () -> Gateways.ipv6Gateway().map(g -> new InetSocketAddress(g, Pcp.PORT));
    }

    /** Our global IPv6 address on the interface that reaches {@code gateway}. */
    public static SourceFinder globalIpv6Source() {
        return gateway -> Gateways.globalIpv6On(gateway.getAddress());
    }

    @Override
    public Protocol protocol() {
        return protocol;
    }

    @Override
    public PortMapStatus status() {
        return status;
    }

    /** Replies rejected as malformed or for another mapping, since start (for metrics and tests). */
    public long rejectedReplies() {
        return rejectedReplies;
    }

    /** Times the gateway's epoch showed it had lost its state (rebooted), since start. */
    public long gatewayRestarts() {
        return gatewayRestarts;
    }

    @Override
    public synchronized void start() {
        if (started || closed) throw new IllegalStateException(protocol.label() + " client already started or closed");
        started = true;
        executor.execute(this::attempt);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        Future<?> done = executor.submit(this::teardown);
        executor.shutdown();
        long waitMs = exchangeMillis() + 500;
        try {
            done.get(waitMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("{}: gateway did not confirm the deletion of UDP port {} within {} ms; it expires with its lifetime",
                    name(), settings.externalPort(), waitMs);
        } catch (ExecutionException e) {
            log.warn("{}: deleting the mapping failed: {}", name(), e.getCause().toString());
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
            if (gateway == null) {
                Optional<InetSocketAddress> g = finder.find();
                if (g.isEmpty()) {
                    fail(PortMapStatus.State.NO_GATEWAY, "no IPv" + (pinholeSource.isPresent() ? 6 : 4)
                            + " default route, so no gateway to ask");
                    return;
                }
                Optional<InetAddress> source = Optional.empty();
                if (pinholeSource.isPresent()) {
                    source = pinholeSource.get().find(g.get());
                    if (source.isEmpty()) {
                        fail(PortMapStatus.State.NO_GATEWAY, "no global IPv6 address on the interface to "
                                + g.get().getAddress().getHostAddress() + ", so no pinhole to open");
                        return;
                    }
                }
                gateway = g.get();
                socket = new DatagramSocket(source.map(a -> new InetSocketAddress(a, 0)).orElse(null));
                socket.connect(gateway);
            }
            // A pinhole has no NAT: the external port is the internal one.
            int wanted = pinholeSource.isPresent() ? settings.listenPort() : settings.externalPort();
            int ask = mapped.map(InetSocketAddress::getPort).orElse(wanted);
            Granted g = map(ask, settings.upnp().lease().toSeconds());
            succeed(g);
        } catch (PortMapException e) {
            boolean silent = e.kind() == PortMapException.Kind.NO_ANSWER;
            fail(silent ? PortMapStatus.State.NO_GATEWAY : PortMapStatus.State.FAILED, e.getMessage());
        } catch (IOException | RuntimeException e) {
            forgetGateway();
            fail(PortMapStatus.State.FAILED, "unexpected " + e);
        }
    }

    private record Granted(InetSocketAddress external, long lifetime, long epoch) {}

    private Granted map(int externalPort, long lifetime) throws PortMapException, IOException {
        int internal = settings.listenPort();
        if (protocol == Protocol.NATPMP) {
            NatPmp.ExternalAddress a = exchange(NatPmp.externalAddressRequest(), (d, n) -> NatPmp.decodeExternalAddress(d, n));
            NatPmp.Mapping m = exchange(NatPmp.mapRequest(internal, externalPort, lifetime),
                    (d, n) -> NatPmp.decodeMapping(d, n, internal, false));
            return new Granted(new InetSocketAddress(a.address(), m.externalPort()), m.lifetime(), m.epoch());
        }
        InetAddress self = socket.getLocalAddress();
        Pcp.Mapping m = exchange(Pcp.mapRequest(nonce, self, internal, externalPort, lifetime), (d, n) -> {
            Pcp.Mapping r = Pcp.decodeMap(d, n, nonce, internal, false);
            if (pinholeSource.isPresent() && !(r.externalAddress() instanceof java.net.Inet6Address)) {
                throw PortMapException.malformed("PCP reply to an IPv6 pinhole request grants the IPv4 address "
                        + r.externalAddress().getHostAddress() + "; ignored");
            }
            return r;
        });
        return new Granted(new InetSocketAddress(m.externalAddress(), m.externalPort()), m.lifetime(), m.epoch());
    }

    private interface Decoder<T> {
        T decode(byte[] data, int length) throws PortMapException;
    }

    /**
     * Sends {@code request} and returns the first reply that decodes, retransmitting with doubling
     * timeouts (RFC 6886 §3.1). A refusal ends at once; a malformed reply is counted and waited past.
     */
    private <T> T exchange(byte[] request, Decoder<T> decoder) throws PortMapException, IOException {
        PortMapException rejected = null;
        byte[] buf = new byte[Pcp.MAX_LENGTH + 4];
        long timeout = settings.requestTimeout().toMillis();
        for (int i = 0; i < settings.tries(); i++, timeout *= 2) {
            socket.send(new DatagramPacket(request, request.length));
            long deadline = System.nanoTime() + timeout * 1_000_000;
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) break;
                socket.setSoTimeout((int) left);
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    socket.receive(p);
                } catch (SocketTimeoutException e) {
                    break;
                } catch (PortUnreachableException e) {
                    throw new PortMapException(PortMapException.Kind.NO_ANSWER, "nothing listens on " + where()
                            + " (ICMP port unreachable): the gateway does not speak " + name());
                }
                try {
                    return decoder.decode(p.getData(), p.getLength());
                } catch (PortMapException e) {
                    if (e.kind() != PortMapException.Kind.MALFORMED) throw e;
                    rejectedReplies++;
                    rejected = e;
                }
            }
        }
        if (rejected != null) {
            throw new PortMapException(PortMapException.Kind.MALFORMED, "no valid reply from " + where() + "; last one rejected: "
                    + rejected.getMessage());
        }
        throw new PortMapException(PortMapException.Kind.NO_ANSWER, "no " + name() + " answer from " + where()
                + " after " + settings.tries() + " tries");
    }

    private void succeed(Granted g) {
        failures = 0;
        Epoch now = new Epoch(System.nanoTime() / 1_000_000_000L, g.epoch());
        boolean lostState = epoch != null && !now.follows(epoch);
        epoch = now;
        boolean changed = mapped.isEmpty() || !mapped.get().equals(g.external());
        mapped = Optional.of(g.external());
        setStatus(new PortMapStatus(protocol, PortMapStatus.State.MAPPED, Optional.of(where()), mapped,
                Optional.of(Instant.now().plusSeconds(g.lifetime())), Optional.empty(), 0));
        String key = "MAPPED " + g.external();
        if (lostState) {
            gatewayRestarts++;
            log.warn("{}: gateway {} restarted (its epoch went back to {} s): the mapping was made again", name(), where(), g.epoch());
        }
        if (!key.equals(lastLogged) && pinholeSource.isPresent()) {
            lastLogged = key;
            log.info("{}: gateway {} lets UDP to {} in to our port {} for {} s, renewed at half{}", name(), where(),
                    PortMapStatus.hostPort(g.external().getAddress(), g.external().getPort()), settings.listenPort(), g.lifetime(),
                    g.external().getAddress().equals(socket.getLocalAddress()) ? "" : " (our address is "
                            + socket.getLocalAddress().getHostAddress() + ": the gateway translates it)");
        } else if (!key.equals(lastLogged)) {
            lastLogged = key;
            String granted = g.external().getPort() == settings.externalPort() ? ""
                    : " (asked for " + settings.externalPort() + ", the gateway granted " + g.external().getPort() + ")";
            log.info("{}: gateway {} forwards UDP {}:{} to our port {}{} for {} s, renewed at half; announcing it",
                    name(), where(), g.external().getAddress().getHostAddress(), g.external().getPort(), settings.listenPort(),
                    granted, g.lifetime());
        } else if (!changed) {
            log.debug("{}: renewed UDP port {}", name(), g.external().getPort());
        }
        report(mapped);
        schedule(Duration.ofMillis(Math.max(1000, g.lifetime() * 500)));
    }

    private void fail(PortMapStatus.State state, String reason) {
        failures++;
        mapped = Optional.empty();
        report(Optional.empty());
        Duration delay = backoff();
        setStatus(new PortMapStatus(protocol, state, gateway == null ? Optional.empty() : Optional.of(where()), Optional.empty(),
                Optional.empty(), Optional.of(reason), failures));
        String key = state + " " + reason;
        if (!key.equals(lastLogged)) {
            lastLogged = key;
            if (pinholeSource.isPresent() && state == PortMapStatus.State.NO_GATEWAY) {
                log.info("{}: {} (looking again in {} s)", name(), reason, delay.toMillis() / 1000.0); // IPv4-only is normal
            } else {
                log.warn("{}: {} (retrying with backoff, next try in {} s)", name(), reason, delay.toMillis() / 1000.0);
            }
        }
        if (state == PortMapStatus.State.NO_GATEWAY) forgetGateway(); // the route may change meanwhile
        schedule(delay);
    }

    private Duration backoff() {
        Duration d = settings.upnp().retryMin().multipliedBy(1L << Math.min(Math.max(0, failures - 1), 20));
        return d.compareTo(settings.upnp().retryMax()) > 0 ? settings.upnp().retryMax() : d;
    }

    private void report(Optional<InetSocketAddress> endpoint) {
        if (endpoint.isEmpty() && reported.isEmpty()) return;
        reported = endpoint;
        try {
            onExternalEndpoint.accept(endpoint);
        } catch (RuntimeException e) {
            log.warn("{}: external endpoint callback failed: {}", name(), e.toString());
        }
    }

    private void setStatus(PortMapStatus s) {
        status = s;
        try {
            onStatus.accept(s);
        } catch (RuntimeException e) {
            log.warn("{}: status callback failed: {}", name(), e.toString());
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
        PortMapStatus s = status;
        if (mapped.isPresent() && socket != null) {
            int internal = settings.listenPort();
            try {
                if (protocol == Protocol.NATPMP) {
                    exchange(NatPmp.mapRequest(internal, 0, 0), (d, n) -> NatPmp.decodeMapping(d, n, internal, true));
                } else {
                    exchange(Pcp.mapRequest(nonce, socket.getLocalAddress(), internal, 0, 0),
                            (d, n) -> Pcp.decodeMap(d, n, nonce, internal, true));
                }
                log.info("{}: deleted the mapping of UDP port {} on gateway {}", name(), mapped.get().getPort(), where());
            } catch (PortMapException | IOException e) {
                log.warn("{}: could not delete the mapping of UDP port {}: {}; it expires with its lifetime", name(),
                        mapped.get().getPort(), e.getMessage());
            }
            mapped = Optional.empty();
        }
        report(Optional.empty()); // a listen-port move must not leave the old endpoint announced
        forgetGateway();
        setStatus(new PortMapStatus(protocol, PortMapStatus.State.CLOSED, s.gateway(), Optional.empty(), Optional.empty(),
                s.lastError(), 0));
    }

    private void forgetGateway() {
        if (socket != null) socket.close();
        socket = null;
        gateway = null;
    }

    private long exchangeMillis() {
        return settings.requestTimeout().toMillis() * ((1L << settings.tries()) - 1);
    }

    private String where() {
        return gateway == null ? "(no gateway)" : PortMapStatus.hostPort(gateway.getAddress(), gateway.getPort());
    }

    private String name() {
        return pinholeSource.isPresent() ? "PCP IPv6 pinhole" : protocol == Protocol.PCP ? "PCP" : "NAT-PMP";
    }
}
