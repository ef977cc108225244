package dev.automesh.portmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EpochAndGatewaysTest {
    @Test
    void epochGoingBackwardsMeansTheGatewayLostItsState() {
        Epoch first = new Epoch(1000, 5000);
        assertTrue(new Epoch(1060, 5060).follows(first));
        assertTrue(new Epoch(1060, 5059).follows(first), "a second of jitter is fine");
        assertFalse(new Epoch(1060, 3).follows(first), "rebooted: epoch restarted");
        assertFalse(new Epoch(1001, 4998).follows(first), "backwards by more than one second");
        assertFalse(new Epoch(1060, 5000).follows(first), "epoch stood still while we waited a minute: a restart");
        assertFalse(new Epoch(1010, 6000).follows(first), "epoch ran far ahead of our clock");
    }

    @Test
    void findsTheIpv4DefaultRouteWithTheLowestMetric() throws Exception {
        List<String> lines = List.of(
                "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
                "eth1\t00000000\t0102A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0",
                "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0",
                "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
                "eth2\t00000000\t0103A8C0\t0002\t0\t0\t1\t00000000\t0\t0\t0",
                "garbage line",
                "eth3\t00000000\tZZZZZZZZ\t0003\t0\t0\t0\t00000000\t0\t0\t0");
        assertEquals(Optional.of(new Gateways.Route("eth0", InetAddress.getByName("192.168.1.1"), 100)), Gateways.defaultIpv4(lines));
        assertEquals(Optional.empty(), Gateways.defaultIpv4(List.of(lines.get(0), lines.get(3))), "no default route");
    }

    @Test
    void findsTheIpv6DefaultRoute() throws Exception {
        List<String> lines = List.of(
                "20010db8000100000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0",
                "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0",
                "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo");
        Optional<Gateways.Route> r = Gateways.defaultIpv6(lines);
        assertEquals("eth0", r.orElseThrow().iface());
        assertEquals(InetAddress.getByName("fe80::1"), r.get().gateway());
    }

    @Test
    void aPinholeOpensOurGlobalIpv6AddressElseAUniqueLocalOne() throws Exception {
        InetAddress ll = InetAddress.getByName("fe80::10"), ula = InetAddress.getByName("fd00::10"),
                global = InetAddress.getByName("2001:db8:2::10"), v4 = InetAddress.getByName("192.168.1.10");
        assertEquals(Optional.of(global), Gateways.globalIpv6(List.of(v4, ll, ula, global)));
        assertEquals(Optional.of(ula), Gateways.globalIpv6(List.of(ll, ula, v4)));
        assertEquals(Optional.empty(), Gateways.globalIpv6(List.of(ll, v4, InetAddress.getByName("::1"), InetAddress.getByName("ff05::1"))));
    }

    @Test
    void readsThisMachinesTablesWithoutFailing() throws Exception {
        Gateways.ipv4();
        Gateways.ipv6();
    }
}
