package dev.automesh.net;

import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership of the gossip socket in an IPv6 multicast group (ff05::1, where wgautomesh sends its
 * LAN broadcast with ipv6 = true) on every up, multicast-capable, non-loopback interface with IPv6.
 * Interfaces come and go, so new ones are joined on each broadcast; a join that fails is said once.
 */
final class Ipv6Lan {
    private static final Logger log = LoggerFactory.getLogger(Ipv6Lan.class);
    private final NioDatagramChannel channel;
    private final InetAddress group;
    private final Map<String, NetworkInterface> joined = new ConcurrentHashMap<>();
    private final Set<String> failed = new HashSet<>();

    Ipv6Lan(NioDatagramChannel channel, InetAddress group) {
        this.channel = channel;
        this.group = group;
    }

    /** Joins the group on interfaces not joined yet; blocks briefly (a setsockopt per new interface). */
    synchronized void joinNewInterfaces() {
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                String key = nif.getName() + "#" + nif.getIndex();
                if (joined.containsKey(key) || !usable(nif)) continue;
                var f = channel.joinGroup(new java.net.InetSocketAddress(group, 0), nif).awaitUninterruptibly();
                if (f.isSuccess()) {
                    joined.put(key, nif);
                    log.debug("joined {} on {}", group.getHostAddress(), nif.getName());
                } else if (failed.add(key)) {
                    log.warn("cannot join IPv6 LAN group {} on {}: {}; wgautomesh nodes there are not heard over IPv6",
                            group.getHostAddress(), nif.getName(), f.cause() == null ? "unknown error" : f.cause().getMessage());
                }
            }
        } catch (SocketException e) {
            // enumeration failed: try again at the next broadcast
        }
    }

    /**
     * Sends to the group out of every joined interface. The kernel would pick one interface for a
     * multicast destination (often wg0, into the tunnel), so the outgoing interface is set before each
     * send, on the event loop, where nothing else changes it in between.
     */
    void send(byte[] bytes, int port, Counters counters) {
        channel.eventLoop().execute(() -> {
            for (NetworkInterface nif : joined.values()) {
                channel.config().setNetworkInterface(nif);
                channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(bytes), new InetSocketAddress(group, port)))
                        .addListener((ChannelFutureListener) f -> {
                            if (f.isSuccess()) counters.datagramsOut.incrementAndGet();
                            else counters.sendErrors.incrementAndGet();
                        });
            }
        });
    }

    private static boolean usable(NetworkInterface nif) throws SocketException {
        if (!nif.isUp() || nif.isLoopback() || nif.isPointToPoint() || !nif.supportsMulticast()) return false;
        for (InetAddress a : Collections.list(nif.getInetAddresses())) if (a instanceof Inet6Address) return true;
        return false;
    }
}
