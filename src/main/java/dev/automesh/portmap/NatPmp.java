package dev.automesh.portmap;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * NAT-PMP (RFC 6886) messages: encoding requests and strictly decoding the gateway's untrusted
 * replies. Pure: no sockets. Every decode failure is a {@link PortMapException} with one sentence.
 */
public final class NatPmp {
    public static final int PORT = 5351;
    static final int VERSION = 0;
    static final int OP_EXTERNAL_ADDRESS = 0;
    static final int OP_MAP_UDP = 1;
    static final int EXTERNAL_ADDRESS_REPLY_LENGTH = 12;
    static final int MAP_REPLY_LENGTH = 16;

    private NatPmp() {}

    /** The gateway's public IPv4 address, at its epoch. */
    public record ExternalAddress(long epoch, Inet4Address address) {}

    /** A granted UDP mapping; {@code lifetime} 0 answers a deletion. */
    public record Mapping(long epoch, int internalPort, int externalPort, long lifetime) {}

    public static byte[] externalAddressRequest() {
        return new byte[] {VERSION, OP_EXTERNAL_ADDRESS};
    }

    /** A UDP map request; {@code lifetime} 0 (with external port 0) deletes the mapping. */
    public static byte[] mapRequest(int internalPort, int suggestedExternalPort, long lifetime) {
        ByteBuffer b = ByteBuffer.allocate(12);
        b.put((byte) VERSION).put((byte) OP_MAP_UDP).putShort((short) 0);
        b.putShort((short) internalPort).putShort((short) suggestedExternalPort).putInt((int) lifetime);
        return b.array();
    }

    public static ExternalAddress decodeExternalAddress(byte[] d, int len) throws PortMapException {
        ByteBuffer b = header(d, len, OP_EXTERNAL_ADDRESS, EXTERNAL_ADDRESS_REPLY_LENGTH);
        long epoch = b.getInt() & 0xffffffffL;
        byte[] a = new byte[4];
        b.get(a);
        try {
            Inet4Address ip = (Inet4Address) InetAddress.getByAddress(a);
            if (ip.isAnyLocalAddress()) {
                throw PortMapException.malformed("NAT-PMP gateway reported 0.0.0.0 as its external address (is its WAN link up?)");
            }
            return new ExternalAddress(epoch, ip);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 bytes are always an address
        }
    }

    /**
     * Decodes a UDP map reply to a request for {@code internalPort}.
     *
     * @param deleting whether the request was a deletion (then lifetime and external port are 0)
     */
    public static Mapping decodeMapping(byte[] d, int len, int internalPort, boolean deleting) throws PortMapException {
        ByteBuffer b = header(d, len, OP_MAP_UDP, MAP_REPLY_LENGTH);
        long epoch = b.getInt() & 0xffffffffL;
        int internal = b.getShort() & 0xffff;
        int external = b.getShort() & 0xffff;
        long lifetime = b.getInt() & 0xffffffffL;
        if (internal != internalPort) {
            throw PortMapException.malformed("NAT-PMP reply is for internal port " + internal + ", not our " + internalPort + "; ignored");
        }
        if (!deleting && (external == 0 || lifetime == 0)) {
            throw PortMapException.malformed("NAT-PMP reply grants external port " + external + " for " + lifetime
                    + " s, which is no mapping");
        }
        return new Mapping(epoch, internal, external, lifetime);
    }

    /** Checks length, version, opcode and result code; returns the buffer positioned at the epoch. */
    private static ByteBuffer header(byte[] d, int len, int op, int fullLength) throws PortMapException {
        if (len < 4) throw PortMapException.malformed("NAT-PMP reply of " + len + " bytes is too short (at least 4)");
        ByteBuffer b = ByteBuffer.wrap(d, 0, len);
        int version = b.get() & 0xff;
        int opcode = b.get() & 0xff;
        int result = b.getShort() & 0xffff;
        if (version != VERSION) {
            throw new PortMapException(PortMapException.Kind.UNSUPPORTED, "NAT-PMP reply has version " + version + ", expected 0");
        }
        if (opcode != 128 + op) {
            throw PortMapException.malformed("NAT-PMP reply has opcode " + opcode + ", expected " + (128 + op));
        }
        if (result != 0) {
            PortMapException.Kind kind = result == 1 || result == 5 ? PortMapException.Kind.UNSUPPORTED : PortMapException.Kind.REFUSED;
            throw new PortMapException(kind, "NAT-PMP gateway refused: result " + result + " " + resultName(result));
        }
        if (len < fullLength) {
            throw PortMapException.malformed("NAT-PMP reply of " + len + " bytes is too short (expected " + fullLength + ")");
        }
        return b;
    }

    static String resultName(int code) {
        return switch (code) {
            case 1 -> "Unsupported Version";
            case 2 -> "Not Authorized/Refused (NAT-PMP switched off for this client?)";
            case 3 -> "Network Failure (the gateway has no external address yet)";
            case 4 -> "Out of resources";
            case 5 -> "Unsupported opcode";
            default -> "(unknown result code)";
        };
    }
}
