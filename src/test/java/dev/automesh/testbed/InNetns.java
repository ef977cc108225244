package dev.automesh.testbed;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs code on a fresh thread that has entered a named network namespace (setns on that thread
 * only). Sockets created there stay bound to that namespace after the thread ends, which is how a
 * test opens a netlink socket "inside" a namespace without running a separate process.
 */
public final class InNetns {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int CLONE_NEWNET = 0x40000000;

    private static final class LibC {
        static {
            Native.register(NativeLibrary.getInstance("c"));
        }

        static native int open(String path, int flags) throws LastErrorException;

        static native int setns(int fd, int nstype) throws LastErrorException;

        static native int close(int fd) throws LastErrorException;
    }

    private InNetns() {}

    public static <T> T call(String netns, Callable<T> body) throws Exception {
        FutureTask<T> task = new FutureTask<>(() -> {
            int fd = LibC.open("/run/netns/" + netns, O_RDONLY | O_CLOEXEC);
            try {
                LibC.setns(fd, CLONE_NEWNET);
            } finally {
                LibC.close(fd);
            }
            return body.call(); // the thread ends afterwards: nothing else ever runs in this namespace by accident
        });
        Thread t = new Thread(task, "in-netns-" + netns);
        t.start();
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) throw ex;
            throw e;
        }
    }
}
