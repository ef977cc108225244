package dev.automesh.control;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;

/**
 * Threads and RSS of the control socket and /metrics after N status requests and N scrapes, as the
 * agent runs them: one shared {@link ControlLoop}, Netty already loaded by a mesh loop with a UDP
 * channel, the report completed on another thread.
 *
 * <pre>java -Xmx48m -cp target/test-classes:target/automesh.jar dev.automesh.control.ControlServersBench 300</pre>
 */
public final class ControlServersBench {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        StatusReport r = new StatusReport("wg0", "userspace", "A".repeat(43) + "=", 51820, 1666, "off",
                new StatusReport.Counters(5, 6, 7, 8, 0, 1, 2, 3, 4, 9), List.of());
        Supplier<CompletableFuture<StatusReport>> source = () -> CompletableFuture.supplyAsync(() -> r, ForkJoinPool.commonPool());
        NioEventLoopGroup mesh = new NioEventLoopGroup(1, new DefaultThreadFactory("mesh", true));
        new Bootstrap().group(mesh).channel(NioDatagramChannel.class).handler(new ChannelInboundHandlerAdapter())
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync();
        Path sock = Files.createTempDirectory("bench").resolve("s.sock");
        try (ControlLoop loop = new ControlLoop();
                ControlServer c = ControlServer.start(loop, sock, source);
                MetricsServer m = MetricsServer.start(loop, new InetSocketAddress("127.0.0.1", 0), source)) {
            PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
            int answered = 0;
            int scraped = 0;
            for (int i = 0; i < n; i++) {
                if (ControlClient.status(sock, i % 2 == 0, sink, sink) == 0) answered++;
                try (Socket s = new Socket("127.0.0.1", m.address().getPort())) {
                    s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    if (new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).startsWith("HTTP/1.1 200")) scraped++;
                }
            }
            System.gc();
            Thread.sleep(300);
            long threads = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("automesh-")).count();
            String rss = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmRSS")).findFirst().orElse("VmRSS: ?").replaceAll("\\s+", " ");
            System.out.printf("status %d/%d, scrapes %d/%d, automesh-* threads %d, %s%n", answered, n, scraped, n, threads, rss);
        } finally {
            mesh.shutdownGracefully().awaitUninterruptibly();
        }
    }
}
