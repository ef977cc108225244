package dev.automesh.portmap;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * PCP (RFC 6887) MAP messages for UDP: encoding requests and strictly decoding the gateway's
 * untrusted replies. Pure: no sockets. IPv4 addresses travel as IPv4-mapped IPv6 addresses.
 */
public final class Pcp {
    public static final int PORT = 5351;
    static final int VERSION = 2;
    static final int OP_MAP = 1;
    static final int UDP = 17;
    static final int HEADER = 24;
    static final int MAP_LENGTH = HEADER + 36;
    static final int MAX_LENGTH = 1100;
    public static final int NONCE_LENGTH = 12;

    private Pcp() {}

    /**
     * A granted mapping; {@code lifetime} 0 answers a deletion.
     *
     * @param externalAddress the gateway's public address for the mapping (our own for an IPv6 pinhole)
     */
    public record Mapping(long epoch, long lifetime, int internalPort, int externalPort, InetAddress externalAddress) {}

    /**
     * A MAP request for UDP {@code internalPort} of {@code client} (the source address of the request,
     * or the gateway answers ADDRESS_MISMATCH); lifetime 0 deletes.
     */
    public static byte[] mapRequest(byte[] nonce, InetAddress client, int internalPort, int suggestedExternalPort, long lifetime) {
        if (nonce.length != NONCE_LENGTH) throw new IllegalArgumentException("PCP nonce must be 12 bytes");
        ByteBuffer b = ByteBuffer.allocate(MAP_LENGTH);
        b.put((byte) VERSION).put((byte) OP_MAP).putShort((short) 0).putInt((int) lifetime).put(address16(client));
        b.put(nonce).put((byte) UDP).put(new byte[3]).putShort((short) internalPort).putShort((short) suggestedExternalPort);
        // No preference for the external address: the all-zero address of the client's family.
        b.put(client instanceof Inet4Address ? mapped(new byte[4]) : new byte[16]);
        return b.array();
    }

    /** Decodes the reply to a MAP request made with {@code nonce} for {@code internalPort}. */
    public static Mapping decodeMap(byte[] d, int len, byte[] nonce, int internalPort, boolean deleting) throws PortMapException {
        if (len < 2) throw PortMapException.malformed("PCP reply of " + len + " bytes is too short (at least " + HEADER + ")");
        int version = d[0] & 0xff;
        if (version == NatPmp.VERSION) {
            throw new PortMapException(PortMapException.Kind.UNSUPPORTED,
                    "gateway answered PCP in NAT-PMP (version 0): it speaks NAT-PMP only");
        }
        if (version != VERSION) {
            throw new PortMapException(PortMapException.Kind.UNSUPPORTED, "PCP reply has version " + version + ", expected 2");
        }
        if (len < HEADER) throw PortMapException.malformed("PCP reply of " + len + " bytes is too short (at least " + HEADER + ")");
        if (len % 4 != 0 || len > MAX_LENGTH) {
            throw PortMapException.malformed("PCP reply of " + len + " bytes is not a multiple of 4 up to " + MAX_LENGTH);
        }
        ByteBuffer b = ByteBuffer.wrap(d, 0, len);
        b.position(1);
        int rOp = b.get() & 0xff;
        if ((rOp & 0x80) == 0) throw PortMapException.malformed("PCP message is a request, not a reply (R bit clear)");
        if ((rOp & 0x7f) != OP_MAP) throw PortMapException.malformed("PCP reply has opcode " + (rOp & 0x7f) + ", expected MAP (1)");
        b.get();
        int result = b.get() & 0xff;
        long lifetime = b.getInt() & 0xffffffffL;
        long epoch = b.getInt() & 0xffffffffL;
        if (result != 0) {
            PortMapException.Kind kind = result == 1 || result == 4 ? PortMapException.Kind.UNSUPPORTED : PortMapException.Kind.REFUSED;
            throw new PortMapException(kind, "PCP gateway refused: result " + result + " " + resultName(result));
        }
        if (len < MAP_LENGTH) throw PortMapException.malformed("PCP MAP reply of " + len + " bytes is too short (at least " + MAP_LENGTH + ")");
        b.position(HEADER);
        byte[] n = new byte[NONCE_LENGTH];
        b.get(n);
        if (!Arrays.equals(n, nonce)) throw PortMapException.malformed("PCP reply carries another mapping's nonce; ignored");
        int protocol = b.get() & 0xff;
        if (protocol != UDP) throw PortMapException.malformed("PCP reply is for protocol " + protocol + ", not UDP (17)");
        b.position(b.position() + 3);
        int internal = b.getShort() & 0xffff;
        int external = b.getShort() & 0xffff;
        byte[] a = new byte[16];
        b.get(a);
        if (internal != internalPort) {
            throw PortMapException.malformed("PCP reply is for internal port " + internal + ", not our " + internalPort + "; ignored");
        }
        InetAddress ext = fromAddress16(a);
        if (!deleting && (external == 0 || lifetime == 0 || ext.isAnyLocalAddress())) {
            throw PortMapException.malformed("PCP reply grants " + ext.getHostAddress() + ":" + external + " for " + lifetime
                    + " s, which is no mapping");
        }
        return new Mapping(epoch, lifetime, internal, external, ext);
    }

    static byte[] address16(InetAddress a) {
        return a instanceof Inet4Address ? mapped(a.getAddress()) : a.getAddress();
    }

    private static byte[] mapped(byte[] v4) {
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        System.arraycopy(v4, 0, m, 12, 4);
        return m;
    }

    /** IPv4-mapped addresses become Inet4Address (InetAddress does that itself for 16 bytes ::ffff:x). */
    static InetAddress fromAddress16(byte[] a) {
        try {
            InetAddress ip = InetAddress.getByAddress(a);
            return ip instanceof Inet6Address v6 ? InetAddress.getByAddress(v6.getAddress()) : ip;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 16 bytes are always an address
        }
    }

    static String resultName(int code) {
        return switch (code) {
            case 1 -> "UNSUPP_VERSION";
            case 2 -> "NOT_AUTHORIZED (PCP switched off for this client?)";
            case 3 -> "MALFORMED_REQUEST";
            case 4 -> "UNSUPP_OPCODE";
            case 5 -> "UNSUPP_OPTION";
            case 6 -> "MALFORMED_OPTION";
            case 7 -> "NETWORK_FAILURE (the gateway has no external address yet)";
            case 8 -> "NO_RESOURCES";
            case 9 -> "UNSUPP_PROTOCOL";
            case 10 -> "USER_EX_QUOTA";
            case 11 -> "CANNOT_PROVIDE_EXTERNAL (the port is taken)";
            case 12 -> "ADDRESS_MISMATCH (a NAT between us and the gateway?)";
            case 13 -> "EXCESSIVE_REMOTE_PEERS";
            default -> "(unknown result code)";
        };
    }
}
