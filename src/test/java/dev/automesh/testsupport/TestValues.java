package dev.automesh.testsupport;

import dev.automesh.crypto.WgKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Small values tests write out often: distinct keys, endpoints and addresses from literals. */
public final class TestValues {
    private TestValues() {}

    /** A key that is the same for the same {@code n} and differs between different ones. */
    public static WgKey key(int n) {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) b[i] = (byte) (n * 31 + i * 7);
        return WgKey.of(b);
    }

    /** "198.51.100.1:51820" or "[fd00::1]:51820" as an address (literals only: no DNS). */
    public static InetSocketAddress ep(String hostPort) {
        int i = hostPort.lastIndexOf(':');
        try {
            String host = hostPort.substring(0, i).replace("[", "").replace("]", "");
            return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(hostPort.substring(i + 1)));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** "10.9.0.1" or "fd00::1" as an address. */
    public static InetAddress ip(String s) {
        return ep(s + ":1").getAddress();
    }
}
