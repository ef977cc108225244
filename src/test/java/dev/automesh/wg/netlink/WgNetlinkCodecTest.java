package dev.automesh.wg.netlink;

import static dev.automesh.testsupport.TestValues.key;
import static dev.automesh.wg.netlink.Netlink.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.automesh.crypto.WgKey;
import dev.automesh.wg.WgPeers;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WgPeer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WgNetlinkCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    static IpPrefix prefix(String addr, int len) throws Exception {
        return new IpPrefix(InetAddress.getByName(addr), len);
    }

    @Test
    void getFamilyRequestIsByteExact() {
        assumeLittleEndian();
        byte[] m = WgNetlinkCodec.getFamilyRequest(7);
        assertEquals("24000000" + "1000" + "0500" + "07000000" + "00000000"
                + "03010000"
                + "0e000200" + HEX.formatHex("wireguard".getBytes()) + "00" + "0000", HEX.formatHex(m));
    }

    @Test
    void getDeviceRequestIsADumpByName() {
        assumeLittleEndian();
        byte[] m = WgNetlinkCodec.getDeviceRequest(0x1a, 9, "wg0");
        // flags REQUEST|ACK|DUMP = 0x305; attr IFNAME(2) "wg0\0"
        assertEquals("1c000000" + "1a00" + "0503" + "09000000" + "00000000" + "00010000"
                + "08000200" + "77673000", HEX.formatHex(m));
    }

    @Test
    void sockaddrRoundTrip() throws Exception {
        assumeLittleEndian();
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 51820);
        byte[] b = WgNetlinkCodec.sockaddr(v4);
        assertEquals("0200" + "ca6c" + "c0000207" + "0000000000000000", HEX.formatHex(b));
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 443);
        for (InetSocketAddress a : List.of(v4, v6)) {
            NlAttr attr = new NlAttr(WGPEER_A_ENDPOINT, ByteBuffer.wrap(WgNetlinkCodec.sockaddr(a)).order(ByteOrder.nativeOrder()));
            assertEquals(a, WgNetlinkCodec.parseSockaddr(attr).orElseThrow());
        }
    }

    /** A reply as the kernel lays it out: device attrs, then nested peers with nested allowed IPs. */
    static byte[] dumpMessage(int seq, boolean withDeviceAttrs, List<Object[]> peers) {
        NlMessageBuilder m = new NlMessageBuilder(0x1a, NLM_F_MULTI, seq).genl(WG_CMD_GET_DEVICE, 1);
        if (withDeviceAttrs) {
            m.u32(WGDEVICE_A_IFINDEX, 5).string(WGDEVICE_A_IFNAME, "wg0")
                    .attr(WGDEVICE_A_PUBLIC_KEY, key(999).bytes()).u16(WGDEVICE_A_LISTEN_PORT, 51820);
        }
        int ps = m.beginNested(WGDEVICE_A_PEERS);
        int idx = 0;
        for (Object[] p : peers) {
            int pn = m.beginNested(idx++);
            m.attr(WGPEER_A_PUBLIC_KEY, ((WgKey) p[0]).bytes());
            if (p[1] != null) {
                m.attr(WGPEER_A_ENDPOINT, WgNetlinkCodec.sockaddr((InetSocketAddress) p[1]));
                ByteBuffer ts = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(1_700_000_000L).putLong(5);
                m.attr(WGPEER_A_LAST_HANDSHAKE_TIME, ts.array());
                m.u16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
                m.attr(WGPEER_A_RX_BYTES, ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(1234).array());
                m.attr(WGPEER_A_TX_BYTES, ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(5678).array());
                m.u32(WGPEER_A_PROTOCOL_VERSION, 1);
            }
            @SuppressWarnings("unchecked") List<IpPrefix> ips = (List<IpPrefix>) p[2];
            int an = m.beginNested(WGPEER_A_ALLOWEDIPS);
            int j = 0;
            for (IpPrefix ip : ips) {
                int n = m.beginNested(j++);
                m.u16(WGALLOWEDIP_A_FAMILY, ip.address().getAddress().length == 4 ? AF_INET : AF_INET6);
                m.attr(WGALLOWEDIP_A_IPADDR, ip.address().getAddress());
                m.u8(WGALLOWEDIP_A_CIDR_MASK, ip.prefixLength());
                m.endNested(n);
            }
            m.endNested(an);
            m.endNested(pn);
        }
        m.endNested(ps);
        return m.build();
    }

    @Test
    void dumpSplitInsideOnePeersAllowedIpsIsCoalesced() throws Exception {
        InetSocketAddress ep = new InetSocketAddress(InetAddress.getByName("198.51.100.2"), 51821);
        // Message 1: device + peer 1 + first two IPs of peer 2. Message 2: rest of peer 2, then peer 3.
        byte[] m1 = dumpMessage(3, true, List.of(
                new Object[] {key(1), ep, List.of(prefix("10.0.0.1", 32))},
                new Object[] {key(2), ep, List.of(prefix("10.0.0.2", 32), prefix("10.1.0.0", 16))}));
        byte[] m2 = dumpMessage(3, false, List.of(
                new Object[] {key(2), null, List.of(prefix("fd00::2", 128))},
                new Object[] {key(3), null, List.of()}));
        byte[] done = new NlMessageBuilder(NLMSG_DONE, NLM_F_MULTI, 3).attr(0, new byte[0]).build();
        // Two messages in one datagram, the DONE in another: both layouts occur.
        ByteBuffer dgram = ByteBuffer.allocate(m1.length + m2.length).put(m1).put(m2).flip();
        var acc = new WgNetlinkCodec.DeviceAccumulator("wg0");
        for (NlMessage m : NlMessage.parseAll(dgram)) acc.add(m);
        List<NlMessage> end = NlMessage.parseAll(ByteBuffer.wrap(done));
        assertEquals(NLMSG_DONE, end.get(0).type());
        WgDevice d = acc.device();
        assertEquals(2, acc.messages());
        assertEquals(key(999), d.publicKey().orElseThrow());
        assertEquals(51820, d.listenPort());
        assertEquals(3, d.peers().size());
        WgPeer p2 = WgPeers.peer(d, key(2)).orElseThrow();
        assertEquals(List.of(prefix("10.0.0.2", 32), prefix("10.1.0.0", 16), prefix("fd00::2", 128)), p2.allowedIps());
        assertEquals(ep, p2.endpoint().orElseThrow());
        assertEquals(1_700_000_000L, p2.lastHandshakeEpochSeconds());
        assertEquals(25, p2.persistentKeepalive());
        assertEquals(1234, p2.rxBytes());
        assertEquals(5678, p2.txBytes());
        assertTrue(WgPeers.peer(d, key(3)).orElseThrow().endpoint().isEmpty());
        assertEquals(List.of(key(1), key(2), key(3)), d.peers().stream().map(WgPeer::publicKey).toList());
    }

    @Test
    void zeroPublicKeyMeansNoKeyYet() throws Exception {
        NlMessageBuilder m = new NlMessageBuilder(0x1a, NLM_F_MULTI, 1).genl(0, 1)
                .attr(WGDEVICE_A_PUBLIC_KEY, new byte[32]).u16(WGDEVICE_A_LISTEN_PORT, 0);
        var acc = new WgNetlinkCodec.DeviceAccumulator("wg0");
        acc.add(NlMessage.parseAll(ByteBuffer.wrap(m.build())).get(0));
        assertTrue(acc.device().publicKey().isEmpty());
    }

    @Test
    void truncatedMessagesAreProtocolErrors() {
        byte[] m = dumpMessage(1, true, List.<Object[]>of(new Object[] {key(1), null, List.of()}));
        ByteBuffer cut = ByteBuffer.wrap(m, 0, m.length - 8).slice();
        assertThrows(NetlinkProtocolException.class, () -> NlMessage.parseAll(cut));
        // Inner attribute whose length overruns its container.
        byte[] bad = m.clone();
        ByteBuffer.wrap(bad).order(ByteOrder.nativeOrder()).putShort(20, (short) 0x7fff);
        NlMessage msg = assertDoesNotThrow(() -> NlMessage.parseAll(ByteBuffer.wrap(bad)).get(0));
        assertThrows(NetlinkProtocolException.class, () -> new WgNetlinkCodec.DeviceAccumulator("wg0").add(msg));
    }

    /** Parses SET_DEVICE messages back into (key, flags, ips) per peer entry, for the split tests. */
    record SetEntry(WgKey key, int flags, boolean hasEndpoint, List<IpPrefix> ips) {}

    static List<SetEntry> parseSet(byte[] msg) throws Exception {
        List<SetEntry> out = new ArrayList<>();
        NlMessage m = NlMessage.parseAll(ByteBuffer.wrap(msg)).get(0);
        assertEquals(msg.length, m.payload().remaining() + NLMSG_HDRLEN);
        assertEquals(WG_CMD_SET_DEVICE, m.genlCommand());
        for (NlAttr a : m.genlAttributes()) {
            if (a.type() == WGDEVICE_A_IFNAME) assertEquals("wg0", a.string());
            if (a.type() != WGDEVICE_A_PEERS) continue;
            for (NlAttr p : a.nested()) {
                WgKey k = null;
                int flags = 0;
                boolean ep = false;
                List<IpPrefix> ips = new ArrayList<>();
                for (NlAttr pa : p.nested()) {
                    switch (pa.type()) {
                        case WGPEER_A_PUBLIC_KEY -> k = WgKey.of(pa.bytes());
                        case WGPEER_A_FLAGS -> flags = pa.u32();
                        case WGPEER_A_ENDPOINT -> ep = true;
                        case WGPEER_A_ALLOWEDIPS -> {
                            for (NlAttr ip : pa.nested()) {
                                byte[] addr = null;
                                int cidr = -1;
                                for (NlAttr x : ip.nested()) {
                                    if (x.type() == WGALLOWEDIP_A_IPADDR) addr = x.bytes();
                                    if (x.type() == WGALLOWEDIP_A_CIDR_MASK) cidr = x.u8();
                                }
                                ips.add(new IpPrefix(InetAddress.getByAddress(addr), cidr));
                            }
                        }
                        default -> { }
                    }
                }
                out.add(new SetEntry(k, flags, ep, ips));
            }
        }
        return out;
    }

    @Test
    void thousandPeersSplitUnderBudgetAndNothingIsLost() throws Exception {
        List<PeerUpdate> ups = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            ups.add(PeerUpdate.of(key(i)).endpoint(new InetSocketAddress(InetAddress.getByName("10.9." + (i / 250) + "." + (i % 250)), 51820))
                    .keepalive(25).allowedIps(List.of(prefix("10.99." + (i / 250) + "." + (i % 250), 32))).build());
        }
        AtomicInteger seq = new AtomicInteger(100);
        List<byte[]> msgs = WgNetlinkCodec.setDeviceRequests(0x1a, seq::incrementAndGet, "wg0", ups, 8192);
        assertTrue(msgs.size() >= 12, "1000 peers of ~130 bytes need many 8 KiB messages, got " + msgs.size());
        List<SetEntry> all = new ArrayList<>();
        int expectSeq = 101;
        for (byte[] m : msgs) {
            assertTrue(m.length <= 8192, "message of " + m.length + " bytes over budget");
            assertEquals(expectSeq++, NlMessage.parseAll(ByteBuffer.wrap(m)).get(0).seq());
            all.addAll(parseSet(m));
        }
        assertEquals(1000, all.size());
        for (int i = 0; i < 1000; i++) {
            assertEquals(key(i), all.get(i).key());
            assertEquals(WGPEER_F_REPLACE_ALLOWEDIPS, all.get(i).flags());
            assertTrue(all.get(i).hasEndpoint());
            assertEquals(ups.get(i).replaceAllowedIps().orElseThrow(), all.get(i).ips());
        }
    }

    @Test
    void onePeersAllowedIpsSplitAcrossMessagesReplaceOnlyInTheFirst() throws Exception {
        List<IpPrefix> many = new ArrayList<>();
        for (int i = 0; i < 300; i++) many.add(prefix("10.20." + (i / 256) + "." + (i % 256), 32));
        List<PeerUpdate> ups = List.of(
                PeerUpdate.of(key(7)).keepalive(5).build(),
                PeerUpdate.of(key(1)).endpoint(new InetSocketAddress(InetAddress.getByName("::1"), 1)).allowedIps(many).build(),
                PeerUpdate.of(key(2)).allowedIps(List.of()).build());
        List<byte[]> msgs = WgNetlinkCodec.setDeviceRequests(0x1a, new AtomicInteger()::incrementAndGet, "wg0", ups, 1024);
        assertTrue(msgs.size() > 5);
        List<SetEntry> all = new ArrayList<>();
        for (byte[] m : msgs) {
            assertTrue(m.length <= 1024);
            all.addAll(parseSet(m));
        }
        assertEquals(key(7), all.get(0).key());
        assertEquals(0, all.get(0).flags());
        assertEquals(key(1), all.get(1).key());
        assertEquals(WGPEER_F_REPLACE_ALLOWEDIPS, all.get(1).flags());
        assertTrue(all.get(1).hasEndpoint());
        List<IpPrefix> got = new ArrayList<>(all.get(1).ips());
        int k = 2;
        for (; all.get(k).key().equals(key(1)); k++) {
            assertEquals(0, all.get(k).flags(), "a continuation must not replace again");
            assertFalse(all.get(k).hasEndpoint());
            got.addAll(all.get(k).ips());
        }
        assertEquals(many, got);
        assertEquals(new SetEntry(key(2), WGPEER_F_REPLACE_ALLOWEDIPS, false, List.of()), all.get(k));
        assertEquals(all.size(), k + 1);
    }

    @Test
    void freshUpdateIsARemovalEntryThenTheFullPeerByteExact() throws Exception {
        assumeLittleEndian();
        String keyHex = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
        WgKey k = WgKey.fromHex(keyHex);
        PeerUpdate u = PeerUpdate.of(k).fresh().endpoint(new InetSocketAddress(InetAddress.getByName("192.0.2.9"), 51820))
                .keepalive(25).allowedIps(List.of(prefix("10.0.0.1", 32))).build();
        List<byte[]> msgs = WgNetlinkCodec.setDeviceRequests(0x1a, () -> 5, "wg0", List.of(u), 8192);
        assertEquals(1, msgs.size());
        assertEquals("bc000000" + "1a00" + "0500" + "05000000" + "00000000" + "01010000"
                + "08000200" + "77673000"
                + "a0000880" // WGDEVICE_A_PEERS
                + "30000080" + "24000100" + keyHex + "08000300" + "01000000" // peer 0: key, REMOVE_ME
                + "6c000180" + "24000100" + keyHex + "08000300" + "02000000" // peer 1: key, REPLACE_ALLOWEDIPS
                + "14000400" + "0200" + "ca6c" + "c0000209" + "0000000000000000" // endpoint
                + "06000500" + "1900" + "0000" // keepalive 25
                + "20000980" + "1c000080" + "06000100" + "0200" + "0000" + "08000200" + "0a000001"
                + "05000300" + "20" + "000000", // allowed IP 10.0.0.1/32
                HEX.formatHex(msgs.get(0)));
    }

    @Test
    void aSplitNeverFallsBetweenAFreshRemovalAndItsReAdd() throws Exception {
        // Two plain peers of 80 bytes fill a 256-byte message up to where the 48-byte removal would
        // still fit but the re-add would not: both go to the next message.
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 1);
        List<PeerUpdate> ups = List.of(
                PeerUpdate.of(key(1)).endpoint(v6).keepalive(1).build(),
                PeerUpdate.of(key(2)).endpoint(v6).keepalive(1).build(),
                PeerUpdate.of(key(3)).fresh().endpoint(v6).keepalive(1).allowedIps(List.of(prefix("10.0.0.3", 32))).build());
        List<byte[]> msgs = WgNetlinkCodec.setDeviceRequests(0x1a, new AtomicInteger()::incrementAndGet, "wg0", ups, 256);
        assertEquals(2, msgs.size());
        assertEquals(List.of(key(1), key(2)), parseSet(msgs.get(0)).stream().map(SetEntry::key).toList());
        assertEquals(List.of(new SetEntry(key(3), WGPEER_F_REMOVE_ME, false, List.of()),
                new SetEntry(key(3), WGPEER_F_REPLACE_ALLOWEDIPS, true, List.of(prefix("10.0.0.3", 32)))),
                parseSet(msgs.get(1)));
    }

    @Test
    void freshAndPlainUpdatesInAnyBudgetKeepOrderAndRemovalsBesideTheirReAdds() throws Exception {
        List<PeerUpdate> ups = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            List<IpPrefix> ips = new ArrayList<>();
            for (int j = 0; j < i % 7 * 5; j++) ips.add(prefix("10." + i + "." + j + ".0", 24));
            PeerUpdate.Builder b = PeerUpdate.of(key(i)).keepalive(i % 3).allowedIps(ips);
            if (i % 2 == 0) b.endpoint(new InetSocketAddress(InetAddress.getByName("192.0.2." + i), 1000 + i));
            ups.add(i % 3 == 0 ? b.fresh().build() : b.build());
        }
        for (int budget = 256; budget <= 2304; budget += 64) {
            List<byte[]> msgs = WgNetlinkCodec.setDeviceRequests(0x1a, new AtomicInteger()::incrementAndGet, "wg0", ups, budget);
            List<SetEntry> all = new ArrayList<>();
            for (byte[] m : msgs) {
                assertTrue(m.length <= budget, m.length + " bytes over budget " + budget);
                List<SetEntry> entries = parseSet(m);
                for (int e = 0; e < entries.size(); e++) {
                    if ((entries.get(e).flags() & WGPEER_F_REMOVE_ME) == 0) continue;
                    assertTrue(e + 1 < entries.size(), "budget " + budget + ": removal of " + entries.get(e).key()
                            + " ends a message, its re-add would be in the next");
                    assertEquals(entries.get(e).key(), entries.get(e + 1).key(), "budget " + budget);
                    assertEquals(WGPEER_F_REPLACE_ALLOWEDIPS, entries.get(e + 1).flags(), "budget " + budget);
                }
                all.addAll(entries);
            }
            int k = 0;
            for (PeerUpdate u : ups) {
                if (u.fresh()) {
                    assertEquals(new SetEntry(u.publicKey(), WGPEER_F_REMOVE_ME, false, List.of()), all.get(k++),
                            "budget " + budget);
                }
                SetEntry head = all.get(k++);
                assertEquals(u.publicKey(), head.key(), "budget " + budget);
                assertEquals(WGPEER_F_REPLACE_ALLOWEDIPS, head.flags());
                assertEquals(u.endpoint().isPresent(), head.hasEndpoint());
                List<IpPrefix> got = new ArrayList<>(head.ips());
                while (k < all.size() && all.get(k).key().equals(u.publicKey()) && all.get(k).flags() == 0) {
                    got.addAll(all.get(k++).ips());
                }
                assertEquals(u.replaceAllowedIps().orElseThrow(), got, "budget " + budget + ", peer " + u.publicKey());
            }
            assertEquals(all.size(), k, "budget " + budget + ": nothing more than asked");
        }
    }

    @Test
    void errorAndDoneCarryErrno() throws Exception {
        NlMessageBuilder e = new NlMessageBuilder(NLMSG_ERROR, 0, 4);
        byte[] b = e.build();
        byte[] withErr = ByteBuffer.allocate(b.length + 4 + 16).order(ByteOrder.nativeOrder()).put(b).putInt(-19)
                .put(new byte[16]).array();
        ByteBuffer.wrap(withErr).order(ByteOrder.nativeOrder()).putInt(0, withErr.length);
        NlMessage m = NlMessage.parseAll(ByteBuffer.wrap(withErr)).get(0);
        assertEquals(NLMSG_ERROR, m.type());
        assertEquals(4, m.seq());
        assertEquals(-19, m.errorCode());
    }

    private static void assumeLittleEndian() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN,
                "byte-exact vectors are written for little-endian hosts");
    }
}
