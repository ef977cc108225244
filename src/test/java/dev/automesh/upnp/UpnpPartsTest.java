package dev.automesh.upnp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The pure parts: SSDP reply filtering, error texts, settings validation. */
class UpnpPartsTest {
    private static Ssdp.LocalAddress lan(String ip, int prefix) throws Exception {
        NetworkInterface lo = NetworkInterface.getByName("lo");
        return new Ssdp.LocalAddress(lo, (Inet4Address) InetAddress.getByName(ip), prefix);
    }

    @Test
    void ssdpReplyOnOurSubnetIsTaken() throws Exception {
        String reply = "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
                + "USN: uuid:x::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLocation: http://192.168.1.1:5000/rootDesc.xml\r\n\r\n";
        Optional<Ssdp.Reply> r = Ssdp.parse(reply, lan("192.168.1.10", 24));
        assertTrue(r.isPresent());
        assertEquals("http://192.168.1.1:5000/rootDesc.xml", r.get().location());
        assertEquals(InetAddress.getByName("192.168.1.10"), r.get().localAddress());
    }

    @Test
    void ssdpReplyFromAnotherSubnetOrOfAnotherTypeIsIgnored() throws Exception {
        String other = "HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nLOCATION: http://10.0.0.1:5000/d.xml\r\n\r\n";
        assertEquals(Optional.empty(), Ssdp.parse(other, lan("192.168.1.10", 24)));
        String printer = "HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:Printer:1\r\nLOCATION: http://192.168.1.5/d.xml\r\n\r\n";
        assertEquals(Optional.empty(), Ssdp.parse(printer, lan("192.168.1.10", 24)));
        assertEquals(Optional.empty(), Ssdp.parse("garbage\r\n:\r\nLOCATION: ::::\r\n", lan("192.168.1.10", 24)));
    }

    @Test
    void subnetMatchHonoursThePrefix() throws Exception {
        InetAddress x = InetAddress.getByName("10.1.2.200"), y = InetAddress.getByName("10.1.3.1");
        assertTrue(Ssdp.sameSubnet(x, y, 16));
        assertTrue(Ssdp.sameSubnet(x, y, 23));
        assertFalse(Ssdp.sameSubnet(x, y, 24));
        assertFalse(Ssdp.sameSubnet(x, InetAddress.getByName("::1"), 8));
    }

    @Test
    void refusalNamesActionCodeAndReason() {
        UpnpException e = UpnpException.refused("AddPortMapping", 718, "ConflictInMappingEntry");
        assertEquals(Optional.of(718), e.code());
        assertTrue(e.getMessage().startsWith("AddPortMapping refused by the router: UPnP error 718 ConflictInMappingEntry;"), e.getMessage());
        UpnpException p = UpnpException.refused("AddPortMapping", 725, "");
        assertTrue(p.getMessage().contains("UPnP error 725 OnlyPermanentLeasesSupported"), p.getMessage());
        UpnpException n = UpnpException.refused("AddPortMapping", 606, "Action not authorized");
        assertTrue(n.getMessage().contains("606 Action not authorized; the router does not allow"), n.getMessage());
    }

    @Test
    void settingsRejectNonsense() {
        assertThrows(IllegalArgumentException.class, () -> UpnpSettings.defaults(0, 51820, false));
        assertThrows(IllegalArgumentException.class, () -> UpnpSettings.defaults(40000, 70000, false));
        UpnpSettings d = UpnpSettings.defaults(40000, 51820, false);
        assertEquals(Duration.ofSeconds(300), d.lease());
        assertEquals(Duration.ofSeconds(60), d.renewEvery());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> d.withTiming(Duration.ofSeconds(5), Duration.ofSeconds(5), d.discoveryTimeout(), d.retryMin(), d.retryMax()));
        assertTrue(e.getMessage().contains("shorter than the lease"), e.getMessage());
    }

    @Test
    void ipv6TextIsCompact() throws Exception {
        assertEquals("2001:db8:1::10", UpnpPinhole.compact((java.net.Inet6Address) InetAddress.getByName("2001:db8:1:0:0:0:0:10")));
        assertEquals("::1", UpnpPinhole.compact((java.net.Inet6Address) InetAddress.getByName("::1")));
        assertEquals("2001:db8:0:1:1:1:1:1", UpnpPinhole.compact((java.net.Inet6Address) InetAddress.getByName("2001:db8:0:1:1:1:1:1")));
        assertEquals("2001:0:0:1::1", UpnpPinhole.compact((java.net.Inet6Address) InetAddress.getByName("2001:0:0:1:0:0:0:1")));
        assertEquals("fe80::", UpnpPinhole.compact((java.net.Inet6Address) InetAddress.getByName("fe80::")));
    }

    @Test
    void statusSummaryIsOneLine() {
        assertEquals("discovering", UpnpStatus.initial().summary());
    }
}
