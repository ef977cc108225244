package dev.automesh.daemon;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;

/**
 * SIGTERM/SIGINT handling through jdk.internal-but-supported {@code sun.misc.Signal} (module
 * jdk.unsupported), reached by reflection so the build has no warnings and the agent still runs, with
 * a shutdown hook only, on a JVM without it.
 */
final class Signals {
    private Signals() {}

    /** @return whether handlers were installed */
    static boolean onTermination(Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            InvocationHandler ih = (proxy, method, args) -> {
                if (method.getName().equals("handle")) action.run();
                else if (method.getName().equals("hashCode")) return System.identityHashCode(proxy);
                else if (method.getName().equals("equals")) return proxy == args[0];
                else if (method.getName().equals("toString")) return "automesh-signal-handler";
                return null;
            };
            Object h = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handler}, ih);
            for (String name : new String[] {"TERM", "INT"}) {
                Object sig = signal.getConstructor(String.class).newInstance(name);
                signal.getMethod("handle", signal, handler).invoke(null, sig, h);
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return false;
        }
    }
}
