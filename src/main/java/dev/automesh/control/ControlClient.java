package dev.automesh.control;

import java.io.IOException;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

/** `automesh status`: asks the running agent over its control socket. */
public final class ControlClient {
    /** Exit status when no agent answers (0 and 1 mean all connected / not all connected). */
    public static final int NO_AGENT = 3;

    private ControlClient() {}

    public static int status(Path socket, boolean json, PrintStream out, PrintStream err) {
        if (!Files.exists(socket)) {
            err.println("automesh: no agent is running: no control socket at " + socket
                    + " (start one with `automesh run config.toml`, or point to its socket with --socket PATH)");
            return NO_AGENT;
        }
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            c.write(ByteBuffer.wrap((json ? "status json\n" : "status text\n").getBytes(StandardCharsets.UTF_8)));
            byte[] all = readAll(c);
            String s = new String(all, StandardCharsets.UTF_8);
            int nl = s.indexOf('\n');
            if (!s.startsWith("exit ") || nl < 0) {
                err.println("automesh: unexpected answer from " + socket + " (is it an automesh control socket?)");
                return NO_AGENT;
            }
            out.print(s.substring(nl + 1));
            out.flush();
            return Integer.parseInt(s.substring(5, nl).strip());
        } catch (AccessDeniedException e) {
            err.println(denied(socket));
            return NO_AGENT;
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            // connect(2) needs write permission on the socket file: ask the file system, not the message.
            if (!Files.isWritable(socket)) {
                err.println(denied(socket));
            } else {
                err.println("automesh: no agent answers on " + socket + " (" + e.getMessage() + "); is `automesh run` running?");
            }
            return NO_AGENT;
        }
    }

    private static String denied(Path socket) {
        return "automesh: permission denied on " + socket + " (mode 0660: run as root or as a member of its group)";
    }

    private static byte[] readAll(SocketChannel c) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
        while (c.read(buf) >= 0) {
            buf.flip();
            bos.write(buf.array(), 0, buf.limit());
            buf.clear();
            if (bos.size() > 16 * 1024 * 1024) break;
        }
        return bos.toByteArray();
    }
}
