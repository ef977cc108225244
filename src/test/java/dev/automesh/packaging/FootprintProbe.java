package dev.automesh.packaging;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * Stand-in for the agent's steady state when measuring JVM flags (packaging/measure-footprint.sh):
 * one netty event loop, a UDP socket on loopback that decrypts and answers every datagram, and a
 * sender sealing a gossip-sized datagram (XSalsa20-Poly1305, BouncyCastle) every 10 ms. Prints
 * "ready" once traffic flows and runs until killed. Not a test.
 */
public final class FootprintProbe {
    public static void main(String[] args) throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        AtomicLong received = new AtomicLong();
        NioEventLoopGroup group = new NioEventLoopGroup(1);
        Channel server = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                        byte[] b = new byte[p.content().readableBytes()];
                        p.content().readBytes(b);
                        open(key, b);
                        received.incrementAndGet();
                        ctx.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(seal(key, new byte[8])), p.sender()));
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        Channel client = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .option(ChannelOption.SO_BROADCAST, true)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) { }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        InetSocketAddress to = (InetSocketAddress) server.localAddress();
        group.scheduleAtFixedRate(() -> client.writeAndFlush(
                new DatagramPacket(Unpooled.wrappedBuffer(seal(key, new byte[200])), to)), 0, 10, TimeUnit.MILLISECONDS);
        while (received.get() < 100) Thread.sleep(10);
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    static byte[] seal(byte[] key, byte[] plain) {
        byte[] nonce = new byte[24];
        new SecureRandom().nextBytes(nonce);
        XSalsa20Engine x = new XSalsa20Engine();
        x.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] block = new byte[32 + plain.length];
        System.arraycopy(plain, 0, block, 32, plain.length);
        x.processBytes(block, 0, block.length, block, 0);
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(block, 0, 32));
        mac.update(block, 32, plain.length);
        byte[] out = new byte[24 + 16 + plain.length];
        mac.doFinal(out, 24);
        System.arraycopy(nonce, 0, out, 0, 24);
        System.arraycopy(block, 32, out, 40, plain.length);
        return out;
    }

    static void open(byte[] key, byte[] d) {
        XSalsa20Engine x = new XSalsa20Engine();
        x.init(false, new ParametersWithIV(new KeyParameter(key), java.util.Arrays.copyOf(d, 24)));
        byte[] block = new byte[32 + d.length - 40];
        System.arraycopy(d, 40, block, 32, d.length - 40);
        x.processBytes(block, 0, block.length, block, 0);
    }
}
