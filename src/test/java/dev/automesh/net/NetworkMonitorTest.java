package dev.automesh.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.InNetns;
import dev.automesh.testbed.Netns;
import dev.automesh.testsupport.Facility;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NetworkMonitorTest {
    /** One rtnetlink message: header, an 8-byte ifaddrmsg/ifinfomsg body naming {@code ifIndex}. */
    static void msg(ByteBuffer b, int type, int ifIndex) {
        b.putInt(24).putShort((short) type).putShort((short) 0).putInt(0).putInt(0);
        b.put((byte) 2).put((byte) 24).put((byte) 0).put((byte) 0).putInt(ifIndex);
    }

    @Test
    void describesWhatChangedAndLeavesOutTheIgnoredInterface() {
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
        msg(b, NetworkMonitor.RTM_NEWADDR, 3);
        msg(b, NetworkMonitor.RTM_NEWLINK, 3);
        msg(b, NetworkMonitor.RTM_NEWADDR, 9);
        b.flip();
        assertEquals("address added, link", NetworkMonitor.describe(b.duplicate().order(ByteOrder.nativeOrder()), 9));
        ByteBuffer only9 = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
        msg(only9, NetworkMonitor.RTM_DELADDR, 9);
        only9.flip();
        assertNull(NetworkMonitor.describe(only9, 9));
        ByteBuffer garbage = ByteBuffer.wrap(new byte[] {1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).order(ByteOrder.nativeOrder());
        assertNull(NetworkMonitor.describe(garbage, 0), "a bad length ends the walk");
    }

    @Test
    void anAddressAddedInANamespaceIsReportedOnce() throws Exception {
        Facility.requireRoot();
        Facility.requireCommands("ip");
        try (Netns ns = Netns.create(Netns.uniqueName("nmon"))) {
            ns.ok("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1");
            LinkedBlockingQueue<String> seen = new LinkedBlockingQueue<>();
            NetworkMonitor m = InNetns.call(ns.name(), () -> NetworkMonitor.start(0, seen::add));
            try {
                ns.ok("ip", "link", "set", "d0", "up");
                ns.ok("ip", "addr", "add", "192.0.2.7/24", "dev", "d0");
                String what = seen.poll(10, TimeUnit.SECONDS);
                assertTrue(what != null && (what.contains("address") || what.contains("link")), String.valueOf(what));
            } finally {
                m.close();
            }
        }
    }
}
