package dev.automesh.wg.netlink;

/** Constants from linux/netlink.h, linux/genetlink.h and linux/wireguard.h, and NLA alignment. */
public final class Netlink {
    private Netlink() {}

    public static final int NLMSG_HDRLEN = 16;
    public static final int GENL_HDRLEN = 4;
    public static final int NLA_HDRLEN = 4;
    public static final int NLA_F_NESTED = 1 << 15;
    public static final int NLA_F_NET_BYTEORDER = 1 << 14;
    public static final int NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

    // nlmsghdr types and flags
    public static final int NLMSG_NOOP = 1;
    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    public static final int NLMSG_OVERRUN = 4;
    public static final int NLM_F_REQUEST = 0x1;
    public static final int NLM_F_MULTI = 0x2;
    public static final int NLM_F_ACK = 0x4;
    public static final int NLM_F_DUMP = 0x300;

    // generic netlink controller
    public static final int GENL_ID_CTRL = 0x10;
    public static final int CTRL_CMD_GETFAMILY = 3;
    public static final int CTRL_ATTR_FAMILY_ID = 1;
    public static final int CTRL_ATTR_FAMILY_NAME = 2;

    // linux/wireguard.h
    public static final String WG_GENL_NAME = "wireguard";
    public static final int WG_GENL_VERSION = 1;
    public static final int WG_KEY_LEN = 32;
    public static final int WG_CMD_GET_DEVICE = 0;
    public static final int WG_CMD_SET_DEVICE = 1;
    public static final int WGDEVICE_F_REPLACE_PEERS = 1;
    public static final int WGDEVICE_A_IFINDEX = 1;
    public static final int WGDEVICE_A_IFNAME = 2;
    public static final int WGDEVICE_A_PRIVATE_KEY = 3;
    public static final int WGDEVICE_A_PUBLIC_KEY = 4;
    public static final int WGDEVICE_A_FLAGS = 5;
    public static final int WGDEVICE_A_LISTEN_PORT = 6;
    public static final int WGDEVICE_A_FWMARK = 7;
    public static final int WGDEVICE_A_PEERS = 8;
    public static final int WGPEER_F_REMOVE_ME = 1;
    public static final int WGPEER_F_REPLACE_ALLOWEDIPS = 2;
    public static final int WGPEER_F_UPDATE_ONLY = 4;
    public static final int WGPEER_A_PUBLIC_KEY = 1;
    public static final int WGPEER_A_PRESHARED_KEY = 2;
    public static final int WGPEER_A_FLAGS = 3;
    public static final int WGPEER_A_ENDPOINT = 4;
    public static final int WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL = 5;
    public static final int WGPEER_A_LAST_HANDSHAKE_TIME = 6;
    public static final int WGPEER_A_RX_BYTES = 7;
    public static final int WGPEER_A_TX_BYTES = 8;
    public static final int WGPEER_A_ALLOWEDIPS = 9;
    public static final int WGPEER_A_PROTOCOL_VERSION = 10;
    public static final int WGALLOWEDIP_A_FAMILY = 1;
    public static final int WGALLOWEDIP_A_IPADDR = 2;
    public static final int WGALLOWEDIP_A_CIDR_MASK = 3;

    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;

    public static int align(int len) {
        return (len + 3) & ~3;
    }
}
