package dev.automesh.net;

import dev.automesh.crypto.GossipCipher;
import dev.automesh.crypto.ReplayGuard;
import dev.automesh.wire.DecodeException;
import dev.automesh.wire.Extension;
import dev.automesh.wire.Message;
import dev.automesh.wire.WireCodec;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * Gossip messages over a {@link UdpTransport}: seal + encode on the way out, open + decode on the way
 * in. A datagram that does not decrypt or decode is dropped and counted, silently: no log line, no
 * pause (wgautomesh pauses its receive loop 10 s per bad packet, which lets anyone stop its gossip).
 */
public final class GossipChannel {
    /**
     * Receives one authentic, decoded message and the automesh extensions that rode after it (empty
     * from wgautomesh senders), on the transport's event loop.
     */
    @FunctionalInterface
    public interface Receiver {
        void onMessage(InetSocketAddress from, Message message, List<Extension> extensions);
    }

    private final GossipCipher cipher;
    private final Counters counters;
    /**
     * Replays are dropped here, where the nonce is visible, so the mesh never sees one: it cannot tell a
     * replayed Announce or LanBroadcast from the original, and need not.
     */
    private final ReplayGuard replays = new ReplayGuard();
    private UdpTransport transport;

    /** Without a socket: decoding only (benchmarks, tests of what a datagram does). */
    public static GossipChannel detached(GossipCipher cipher) {
        return new GossipChannel(cipher, new Counters());
    }

    /** Opens, checks for a replay and decodes, as a received datagram is: the message, or empty (counted). */
    public Optional<Message> decode(byte[] bytes, long nowNanos) {
        return unwrap(bytes, nowNanos).map(WireCodec.Datagram::message);
    }

    private GossipChannel(GossipCipher cipher, Counters counters) {
        this.cipher = cipher;
        this.counters = counters;
    }

    /**
     * Receives on {@code loop}, which the caller owns (the agent's mesh thread); on a given local address
     * when present (tests run several agents on loopback addresses).
     */
    public static GossipChannel bind(EventLoopGroup loop, Optional<InetAddress> address, int port, boolean ipv6,
                                     GossipCipher cipher, Receiver receiver) {
        Counters counters = new Counters();
        GossipChannel gc = new GossipChannel(cipher, counters);
        gc.transport = UdpTransport.bind(loop, address, port, ipv6, counters,
                (from, bytes) -> gc.received(from, bytes, receiver));
        return gc;
    }

    /** Opens and decodes; returns the message and its extensions, or empty after counting the reason it was dropped. */
    Optional<WireCodec.Datagram> unwrap(byte[] bytes) {
        return unwrap(bytes, System.nanoTime());
    }

    Optional<WireCodec.Datagram> unwrap(byte[] bytes, long nowNanos) {
        Optional<byte[]> plain = cipher.open(bytes, 0, bytes.length);
        if (plain.isEmpty()) {
            counters.droppedUndecryptable.incrementAndGet();
            return Optional.empty();
        }
        if (!replays.firstSeen(bytes, 0, nowNanos)) {
            counters.droppedReplayed.incrementAndGet();
            return Optional.empty();
        }
        byte[] p = plain.get();
        try {
            return Optional.of(WireCodec.decodeDatagram(p, 0, p.length));
        } catch (DecodeException | RuntimeException e) {
            // RuntimeException too: a decoder bug on hostile input must not kill the mesh thread.
            counters.droppedUndecodable.incrementAndGet();
            return Optional.empty();
        }
    }

    private void received(InetSocketAddress from, byte[] bytes, Receiver receiver) {
        unwrap(bytes).ifPresent(d -> receiver.onMessage(from, d.message(), d.extensions()));
    }

    public byte[] wrap(Message message) {
        return cipher.seal(WireCodec.encode(message));
    }

    /** The message with the extensions in a trailer after it (none: exactly what wgautomesh sends). */
    public byte[] wrap(Message message, List<? extends Extension> extensions) {
        return cipher.seal(WireCodec.encode(message, extensions));
    }

    public void send(InetSocketAddress to, Message message) {
        transport.send(to, wrap(message));
    }

    public void send(InetSocketAddress to, Message message, List<? extends Extension> extensions) {
        transport.send(to, wrap(message, extensions));
    }

    /** @return the broadcast addresses used */
    public List<InetAddress> broadcast(Message message) {
        return transport.broadcast(wrap(message));
    }

    public UdpTransport transport() {
        return transport;
    }

    public Counters counters() {
        return counters;
    }

    public void close() {
        transport.close();
    }
}
