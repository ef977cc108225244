package dev.automesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every class in several spellings; InetAddress.getByName on literals never resolves. */
class EndpointClassTest {
    private static final Set<InetAddress> MESH = Set.of(ip("10.99.0.4"), ip("fd00::4"));

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Java turns ::ffff:a.b.c.d into an Inet4Address; a hostile datagram decoder might not, so build both. */
    static InetAddress mappedV6(String v4) throws Exception {
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(ip(v4).getAddress(), 0, b, 12, 4);
        return Inet6Address.getByAddress(null, b, -1);
    }

    @ParameterizedTest(name = "{0} -> gossip {1}, config {2}")
    @CsvSource({
            // loopback
            "127.0.0.1,          LOOPBACK,    ROUTABLE",
            "127.255.255.254,    LOOPBACK,    ROUTABLE",
            "::1,                LOOPBACK,    ROUTABLE",
            "::ffff:127.0.0.1,   LOOPBACK,    ROUTABLE",
            "::127.0.0.1,        LOOPBACK,    ROUTABLE",
            // unspecified
            "0.0.0.0,            UNSPECIFIED, UNSPECIFIED",
            "0.1.2.3,            UNSPECIFIED, UNSPECIFIED",
            "::,                 UNSPECIFIED, UNSPECIFIED",
            "::ffff:0.0.0.0,     UNSPECIFIED, UNSPECIFIED",
            "::0.0.0.2,          UNSPECIFIED, UNSPECIFIED",
            // reserved and broadcast
            "240.0.0.1,          RESERVED,    RESERVED",
            "254.255.255.255,    RESERVED,    RESERVED",
            "255.255.255.254,    RESERVED,    RESERVED",
            "::ffff:250.1.2.3,   RESERVED,    RESERVED",
            "255.255.255.255,    BROADCAST,   BROADCAST",
            "::ffff:255.255.255.255, BROADCAST, BROADCAST",
            "::255.255.255.255,  BROADCAST,   BROADCAST",
            // multicast
            "224.0.0.1,          MULTICAST,   MULTICAST",
            "239.255.255.250,    MULTICAST,   MULTICAST",
            "::ffff:224.0.0.251, MULTICAST,   MULTICAST",
            "ff02::1,            MULTICAST,   MULTICAST",
            "ff0e::1234,         MULTICAST,   MULTICAST",
            // link-local
            "169.254.169.254,    LINK_LOCAL,  LINK_LOCAL",
            "::ffff:169.254.1.1, LINK_LOCAL,  LINK_LOCAL",
            "fe80::1,            LINK_LOCAL,  LINK_LOCAL",
            "febf::1,            LINK_LOCAL,  LINK_LOCAL",
            // our own mesh addresses, in every spelling
            "10.99.0.4,          MESH_ADDRESS, MESH_ADDRESS",
            "::ffff:10.99.0.4,   MESH_ADDRESS, MESH_ADDRESS",
            "::10.99.0.4,        MESH_ADDRESS, MESH_ADDRESS",
            "fd00:0:0::4,        MESH_ADDRESS, MESH_ADDRESS",
            // real addresses stay usable: public, private, LAN, CGNAT, documentation, .255 hosts
            "77.207.15.215,      ROUTABLE,    ROUTABLE",
            "10.0.0.1,           ROUTABLE,    ROUTABLE",
            "10.99.0.5,          ROUTABLE,    ROUTABLE",
            "172.16.0.1,         ROUTABLE,    ROUTABLE",
            "192.168.1.255,      ROUTABLE,    ROUTABLE",
            "10.0.1.255,         ROUTABLE,    ROUTABLE",
            "100.64.0.1,         ROUTABLE,    ROUTABLE",
            "198.51.100.7,       ROUTABLE,    ROUTABLE",
            "203.0.113.9,        ROUTABLE,    ROUTABLE",
            "223.255.255.255,    ROUTABLE,    ROUTABLE",
            "::ffff:198.51.100.7, ROUTABLE,   ROUTABLE",
            "2001:db8::7,        ROUTABLE,    ROUTABLE",
            "fd00::5,            ROUTABLE,    ROUTABLE",
            "fec0::1,            ROUTABLE,    ROUTABLE",
            "fe00::1,            ROUTABLE,    ROUTABLE",
            "64:ff9b::c633:6407, ROUTABLE,    ROUTABLE",
    })
    void classifies(String literal, EndpointClass gossip, EndpointClass config) throws Exception {
        InetSocketAddress ep = new InetSocketAddress(ip(literal), 51820);
        assertEquals(gossip, EndpointClass.forGossip(ep, MESH), literal);
        assertEquals(config, EndpointClass.forConfig(ep, MESH), literal);
        if (gossip != EndpointClass.ROUTABLE) assertNotNull(gossip.why());
    }

    @ParameterizedTest
    @CsvSource({"127.0.0.1, LOOPBACK", "0.0.0.0, UNSPECIFIED", "255.255.255.255, BROADCAST", "224.0.0.1, MULTICAST",
            "169.254.169.254, LINK_LOCAL", "10.99.0.4, MESH_ADDRESS", "198.51.100.7, ROUTABLE"})
    void mappedFormsBuiltAsInet6AddressClassifyAsTheirIpv4(String v4, EndpointClass expected) throws Exception {
        InetAddress a = mappedV6(v4);
        assertEquals(expected, EndpointClass.forGossip(new InetSocketAddress(a, 51820), MESH), a.toString());
    }

    @ParameterizedTest
    @CsvSource({"198.51.100.7", "::1", "127.0.0.1"})
    void portZeroIsNeverAPeer(String literal) {
        InetSocketAddress ep = new InetSocketAddress(ip(literal), 0);
        assertEquals(EndpointClass.PORT_ZERO, EndpointClass.forGossip(ep, MESH));
        assertEquals(EndpointClass.PORT_ZERO, EndpointClass.forConfig(ep, MESH));
    }
}
