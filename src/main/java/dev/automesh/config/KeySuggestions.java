package dev.automesh.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** "did you mean ...?" for an unknown key: the nearest known key, or the key a wg-quick spelling means. */
final class KeySuggestions {
    private KeySuggestions() {}

    /** wg-quick / wg(8) spellings people carry over, mapped to ours. */
    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("publickey", "pubkey"), Map.entry("public_key", "pubkey"), Map.entry("key", "pubkey"),
            Map.entry("allowedips", "address"), Map.entry("allowed_ips", "address"), Map.entry("ip", "address"),
            Map.entry("listenport", "gossip_port"), Map.entry("port", "gossip_port"),
            Map.entry("peer", "peers"), Map.entry("secret", "gossip_secret"), Map.entry("iface", "interface"),
            Map.entry("interface_name", "interface"), Map.entry("backend", "wireguard_backend"));

    /** Nearest known key by case-insensitive edit distance (at most 2, or a third of the length), else an alias; null if none. */
    static String suggest(String unknown, List<String> known) {
        String u = unknown.toLowerCase(Locale.ROOT);
        String alias = ALIASES.get(u.replace("-", "_"));
        if (alias == null) alias = ALIASES.get(u.replace("-", "").replace("_", ""));
        if (alias != null && known.contains(alias)) return alias;
        // No known key is near a long one, and the distance table grows with the length: a hostile
        // megabyte-long key must not cost the agent's small heap.
        if (u.length() > 64) return null;
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String k : known) {
            int d = editDistance(u.replace('-', '_'), k);
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        int limit = Math.max(2, unknown.length() / 3);
        return bestD <= limit ? best : null;
    }

    /** Damerau-Levenshtein (optimal string alignment): a swapped pair of letters counts as one edit. */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
