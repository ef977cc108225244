package dev.automesh.wg.netlink;

import static dev.automesh.wg.netlink.Netlink.*;

import dev.automesh.crypto.WgKey;
import dev.automesh.wg.IpPrefix;
import dev.automesh.wg.PeerUpdate;
import dev.automesh.wg.WgDevice;
import dev.automesh.wg.WgPeer;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * WireGuard generic-netlink messages: requests built as bytes, dump replies parsed into a
 * {@link WgDevice}. Pure Java, no I/O, so it is tested on bytes.
 */
public final class WgNetlinkCodec {
    /**
     * Largest SET_DEVICE message we build. Well under the default socket buffers (~200 KiB); the
     * kernel's own `wg` uses a page-sized buffer and splits the same way.
     */
    public static final int DEFAULT_MESSAGE_BUDGET = 8192;

    private WgNetlinkCodec() {}

    public static byte[] getFamilyRequest(int seq) {
        return new NlMessageBuilder(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq)
                .genl(CTRL_CMD_GETFAMILY, 1)
                .string(CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME)
                .build();
    }

    /** The family id from a CTRL_CMD_NEWFAMILY reply, or -1 if the message does not carry one. */
    public static int familyId(NlMessage reply) throws NetlinkProtocolException {
        for (NlAttr a : reply.genlAttributes()) {
            if (a.type() == CTRL_ATTR_FAMILY_ID) return a.u16();
        }
        return -1;
    }

    public static byte[] getDeviceRequest(int family, int seq, String iface) {
        return new NlMessageBuilder(family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq)
                .genl(WG_CMD_GET_DEVICE, WG_GENL_VERSION)
                .string(WGDEVICE_A_IFNAME, iface)
                .build();
    }

    /**
     * SET_DEVICE messages carrying {@code updates} in order, each at most {@code budget} bytes. A
     * peer whose allowed IPs do not fit continues in the next message with only its public key and
     * the remaining allowed IPs (without REPLACE_ALLOWEDIPS, so they add to what was set), as `wg`
     * does. Sequence numbers come from {@code seqs}.
     *
     * <p>A fresh update is two peer entries with its key: one with WGPEER_F_REMOVE_ME, then the full
     * peer. The kernel handles the entries of a message in order, so the second creates a new peer
     * object. Both are in the same message (a split moves them together to the next one), so no
     * message boundary falls between the removal and the re-add.
     */
    public static List<byte[]> setDeviceRequests(int family, IntSupplier seqs, String iface,
                                                 List<PeerUpdate> updates, int budget) {
        if (budget < 256) throw new IllegalArgumentException("message budget " + budget + " below 256 bytes");
        List<byte[]> out = new ArrayList<>();
        int i = 0;
        int ipIndex = 0; // allowed IPs of updates[i] already sent
        while (i < updates.size()) {
            NlMessageBuilder m = new NlMessageBuilder(family, NLM_F_REQUEST | NLM_F_ACK, seqs.getAsInt())
                    .genl(WG_CMD_SET_DEVICE, WG_GENL_VERSION)
                    .string(WGDEVICE_A_IFNAME, iface);
            int peers = m.beginNested(WGDEVICE_A_PEERS);
            int peersInMessage = 0;
            while (i < updates.size()) {
                PeerUpdate u = updates.get(i);
                int peerMark = m.mark();
                boolean continuation = ipIndex > 0;
                int entries = 1;
                if (u.fresh() && !continuation) {
                    // The removal travels with the start of the re-add: a split never separates them.
                    int removal = m.beginNested(peersInMessage);
                    m.attr(WGPEER_A_PUBLIC_KEY, u.publicKey().bytes());
                    m.u32(WGPEER_A_FLAGS, WGPEER_F_REMOVE_ME);
                    m.endNested(removal);
                    entries = 2;
                }
                int peer = m.beginNested(peersInMessage + entries - 1);
                m.attr(WGPEER_A_PUBLIC_KEY, u.publicKey().bytes());
                if (!continuation) {
                    if (u.replaceAllowedIps().isPresent()) m.u32(WGPEER_A_FLAGS, WGPEER_F_REPLACE_ALLOWEDIPS);
                    u.endpoint().ifPresent(e -> m.attr(WGPEER_A_ENDPOINT, sockaddr(e)));
                    u.persistentKeepalive().ifPresent(k -> m.u16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, k));
                }
                List<IpPrefix> ips = u.replaceAllowedIps().orElse(List.of());
                int ipStart = ipIndex;
                int added = 0;
                if (ipIndex < ips.size()) {
                    int nest = m.beginNested(WGPEER_A_ALLOWEDIPS);
                    while (ipIndex < ips.size()) {
                        int ipMark = m.mark();
                        putAllowedIp(m, added, ips.get(ipIndex));
                        if (m.size() + 2 * NLA_HDRLEN > budget) { // keep room to close the outer nests
                            m.rewind(ipMark);
                            break;
                        }
                        added++;
                        ipIndex++;
                    }
                    m.endNested(nest);
                }
                boolean peerDone = ipIndex == ips.size();
                if (peersInMessage > 0 && (m.size() + 2 * NLA_HDRLEN > budget || (!peerDone && added == 0))) {
                    m.rewind(peerMark); // this peer starts the next message instead
                    ipIndex = ipStart;
                    break;
                }
                if (!peerDone && added == 0) {
                    throw new IllegalArgumentException("message budget " + budget + " too small for one peer");
                }
                m.endNested(peer);
                peersInMessage += entries;
                if (!peerDone) break; // the rest of its allowed IPs go in the next message
                i++;
                ipIndex = 0;
            }
            m.endNested(peers);
            out.add(m.build());
        }
        return out;
    }

    private static void putAllowedIp(NlMessageBuilder m, int index, IpPrefix p) {
        int n = m.beginNested(index);
        boolean v4 = p.address() instanceof Inet4Address;
        m.u16(WGALLOWEDIP_A_FAMILY, v4 ? AF_INET : AF_INET6);
        m.attr(WGALLOWEDIP_A_IPADDR, p.address().getAddress());
        m.u8(WGALLOWEDIP_A_CIDR_MASK, p.prefixLength());
        m.endNested(n);
    }

    /** struct sockaddr_in / sockaddr_in6: family in host order, port and address in network order. */
    static byte[] sockaddr(InetSocketAddress e) {
        InetAddress a = e.getAddress();
        if (a instanceof Inet4Address) {
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            b.putShort((short) AF_INET);
            b.order(ByteOrder.BIG_ENDIAN).putShort((short) e.getPort()).put(a.getAddress());
            return b.array();
        }
        Inet6Address a6 = (Inet6Address) a;
        ByteBuffer b = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder());
        b.putShort((short) AF_INET6);
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) e.getPort()).putInt(0).put(a6.getAddress());
        b.order(ByteOrder.nativeOrder()).putInt(a6.getScopeId());
        return b.array();
    }

    static Optional<InetSocketAddress> parseSockaddr(NlAttr a) throws NetlinkProtocolException {
        ByteBuffer v = a.value().duplicate().order(ByteOrder.nativeOrder());
        if (v.remaining() < 2) throw new NetlinkProtocolException("endpoint attribute shorter than a sockaddr");
        int family = v.getShort(0) & 0xffff;
        try {
            if (family == AF_INET && v.remaining() >= 8) {
                int port = v.order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xffff;
                byte[] addr = new byte[4];
                v.position(4).get(addr);
                return Optional.of(new InetSocketAddress(InetAddress.getByAddress(addr), port));
            }
            if (family == AF_INET6 && v.remaining() >= 28) {
                int port = v.order(ByteOrder.BIG_ENDIAN).getShort(2) & 0xffff;
                byte[] addr = new byte[16];
                v.position(8).get(addr);
                int scope = v.order(ByteOrder.nativeOrder()).getInt(24);
                InetAddress ia = scope != 0 ? Inet6Address.getByAddress(null, addr, scope) : InetAddress.getByAddress(addr);
                return Optional.of(new InetSocketAddress(ia, port));
            }
        } catch (UnknownHostException e) {
            throw new NetlinkProtocolException("bad endpoint address: " + e.getMessage());
        }
        if (family == 0) return Optional.empty();
        throw new NetlinkProtocolException("endpoint of unknown address family " + family + " (" + v.remaining() + " bytes)");
    }

    /**
     * Accumulates the messages of one GET_DEVICE dump. The kernel splits a large device across
     * messages, and may split one peer's allowed IPs: a peer whose public key equals the previous
     * one continues it.
     */
    public static final class DeviceAccumulator {
        private final String iface;
        private Optional<WgKey> publicKey = Optional.empty();
        private int listenPort;
        private final Map<WgKey, WgPeer.Builder> peers = new LinkedHashMap<>();
        private int messages;

        public DeviceAccumulator(String iface) {
            this.iface = iface;
        }

        public void add(NlMessage m) throws NetlinkProtocolException {
            messages++;
            for (NlAttr a : m.genlAttributes()) {
                switch (a.type()) {
                    case WGDEVICE_A_PUBLIC_KEY -> {
                        if (a.length() == WG_KEY_LEN) {
                            byte[] k = a.bytes();
                            // An interface without a private key reports all-zero keys.
                            boolean zero = true;
                            for (byte x : k) zero &= x == 0;
                            publicKey = zero ? Optional.empty() : Optional.of(WgKey.of(k));
                        }
                    }
                    case WGDEVICE_A_LISTEN_PORT -> listenPort = a.u16();
                    case WGDEVICE_A_PEERS -> {
                        for (NlAttr p : a.nested()) addPeer(p.nested());
                    }
                    default -> { }
                }
            }
        }

        private void addPeer(List<NlAttr> attrs) throws NetlinkProtocolException {
            WgKey key = null;
            for (NlAttr a : attrs) {
                if (a.type() == WGPEER_A_PUBLIC_KEY) {
                    if (a.length() != WG_KEY_LEN) throw new NetlinkProtocolException("peer public key of " + a.length() + " bytes");
                    key = WgKey.of(a.bytes());
                }
            }
            if (key == null) throw new NetlinkProtocolException("peer without a public key in device dump");
            WgPeer.Builder b = peers.computeIfAbsent(key, WgPeer.Builder::new);
            for (NlAttr a : attrs) {
                switch (a.type()) {
                    case WGPEER_A_ENDPOINT -> b.endpoint = parseSockaddr(a);
                    case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL -> b.keepalive = a.u16();
                    case WGPEER_A_LAST_HANDSHAKE_TIME -> b.handshake = a.u64(); // __kernel_timespec.tv_sec
                    case WGPEER_A_RX_BYTES -> b.rx = a.u64();
                    case WGPEER_A_TX_BYTES -> b.tx = a.u64();
                    case WGPEER_A_ALLOWEDIPS -> {
                        for (NlAttr ip : a.nested()) b.allowed.add(parseAllowedIp(ip.nested()));
                    }
                    default -> { }
                }
            }
        }

        public int messages() {
            return messages;
        }

        public WgDevice device() {
            List<WgPeer> ps = new ArrayList<>(peers.size());
            for (WgPeer.Builder b : peers.values()) ps.add(b.build());
            return new WgDevice(iface, publicKey, listenPort, ps);
        }
    }

    private static IpPrefix parseAllowedIp(List<NlAttr> attrs) throws NetlinkProtocolException {
        int family = -1;
        byte[] addr = null;
        int cidr = -1;
        for (NlAttr a : attrs) {
            switch (a.type()) {
                case WGALLOWEDIP_A_FAMILY -> family = a.u16();
                case WGALLOWEDIP_A_IPADDR -> addr = a.bytes();
                case WGALLOWEDIP_A_CIDR_MASK -> cidr = a.u8();
                default -> { }
            }
        }
        int want = family == AF_INET ? 4 : family == AF_INET6 ? 16 : -1;
        if (addr == null || addr.length != want || cidr < 0) {
            throw new NetlinkProtocolException("incomplete allowed IP (family " + family + ", "
                    + (addr == null ? "no" : addr.length + "-byte") + " address, mask " + cidr + ")");
        }
        try {
            return new IpPrefix(InetAddress.getByAddress(addr), cidr);
        } catch (UnknownHostException | IllegalArgumentException e) {
            throw new NetlinkProtocolException("bad allowed IP: " + e.getMessage());
        }
    }

}
