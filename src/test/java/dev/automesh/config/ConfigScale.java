package dev.automesh.config;

import java.util.Base64;

/** Realistic configs of many peers: name, pubkey, address and endpoint each, as operators write them. */
final class ConfigScale {
    private ConfigScale() {}

    static String name(int i) {
        return "node-" + i + "-rack" + (i % 40);
    }

    static String pubkey(int i) {
        byte[] k = new byte[32];
        for (int b = 0; b < 32; b++) k[b] = (byte) (i * 31 + b * 7 + (i >> 8) * 13);
        k[0] = (byte) i;
        k[1] = (byte) (i >> 8);
        return Base64.getEncoder().encodeToString(k);
    }

    /** Half the endpoints host names, a quarter IPv4, a quarter IPv6. */
    static String realistic(int peers) {
        StringBuilder sb = new StringBuilder("# generated: ").append(peers).append(" peers\n")
                .append("interface = \"wg0\"\ngossip_port = 1666\ngossip_secret = \"a long shared secret of the mesh\"\n")
                .append("persist_file = \"/var/lib/automesh/state\"\nlan_discovery = true\n");
        for (int i = 0; i < peers; i++) {
            String endpoint = switch (i % 4) {
                case 0, 1 -> "node-" + i + ".site-" + (i % 7) + ".example.net:51820";
                case 2 -> "198.51." + (i / 250 % 250) + "." + (i % 250 + 1) + ":51820";
                default -> "[2001:db8:" + Integer.toHexString(i) + "::1]:51820";
            };
            sb.append("\n[[peers]]\nname = \"").append(name(i)).append("\"\npubkey = \"").append(pubkey(i))
                    .append("\"\naddress = \"10.").append(88 + i / 62500).append('.').append(i / 250 % 250).append('.')
                    .append(i % 250 + 1).append("\"\nendpoint = \"").append(endpoint).append("\"\n");
        }
        return sb.toString();
    }
}
