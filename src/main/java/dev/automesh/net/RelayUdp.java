package dev.automesh.net;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;

/**
 * A UDP socket of the relay, bound at once on the calling thread (so its port is known when this
 * returns, and it lives in the caller's network namespace) and then registered with the given
 * event loop, which delivers its datagrams.
 */
final class RelayUdp {
    /** Kernel buffers asked for; Linux caps them at net.core.{r,w}mem_max. */
    private static final int SOCKET_BUFFER = 1 << 20;

    private RelayUdp() {}

    static NioDatagramChannel bind(EventLoop loop, InetSocketAddress local, ChannelHandler handler, String what) {
        DatagramChannel jdk = null;
        try {
            jdk = DatagramChannel.open(local.getAddress() instanceof Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            jdk.bind(local);
        } catch (IOException e) {
            if (jdk != null) {
                try { jdk.close(); } catch (IOException ignored) { /* already failing */ }
            }
            String hint = e instanceof java.net.BindException
                    ? " (is the address on an interface yet, and the port free? relay_port must differ from gossip_port)"
                    : "";
            throw new IllegalStateException("cannot bind UDP " + local.toString().replaceFirst("^/", "") + " for the "
                    + what + ": " + e.getMessage() + hint, e);
        }
        NioDatagramChannel ch = new NioDatagramChannel(jdk);
        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(RelaySettings.MAX_FRAME));
        ch.config().setOption(ChannelOption.SO_RCVBUF, SOCKET_BUFFER);
        ch.config().setOption(ChannelOption.SO_SNDBUF, SOCKET_BUFFER);
        ch.pipeline().addLast(handler);
        loop.register(ch).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) ch.unsafe().closeForcibly();
        });
        return ch;
    }
}
