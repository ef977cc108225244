package dev.automesh.config;

import static dev.automesh.config.TomlValues.line;

import dev.automesh.config.ConfigException.Reason;
import dev.automesh.crypto.WgKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tomlj.TomlArray;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/** The [[peers]] array: each table's fields, then what must differ between peers. */
final class PeersReader {
    static final List<String> PEER_KEYS = List.of("pubkey", "address", "endpoint", "name");
    static final int MAX_NAME_CHARS = 32;

    private final TomlValues v;

    PeersReader(TomlValues v) {
        this.v = v;
    }

    List<PeerConfig> read(TomlTable toml) throws ConfigException {
        Object raw = toml.get(List.of("peers"));
        if (raw == null) return List.of();
        if (!(raw instanceof TomlArray arr)) {
            throw v.err(Reason.WRONG_TYPE, toml, "peers", false, "expected an array of tables written [[peers]], got "
                    + Texts.typeName(raw) + (raw instanceof TomlTable ? " (write [[peers]] with double brackets)" : ""));
        }
        List<PeerConfig> out = new ArrayList<>();
        Map<WgKey, Integer> byKey = new HashMap<>();
        Map<InetAddress, Integer> byAddress = new HashMap<>();
        Map<String, Integer> byName = new HashMap<>();
        List<TomlPosition> tablePos = new ArrayList<>();
        List<TomlTable> tables = new ArrayList<>();
        List<String> addressTexts = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            Object item = arr.get(i);
            String path = "peers[" + i + "]";
            TomlPosition at = arr.inputPositionOf(i);
            if (!(item instanceof TomlTable t)) {
                throw v.at(Reason.WRONG_TYPE, at, path, "expected a table (pubkey, address, endpoint), got " + Texts.typeName(item));
            }
            tablePos.add(at);
            tables.add(t);
            v.checkKeys(t, path + ".", PEER_KEYS);
            Peer pr = new Peer(t, path, at);
            WgKey key = pr.pubkey();
            InetAddress address = pr.address();
            Optional<HostPort> endpoint = pr.endpoint();
            Optional<String> peerName = pr.name();
            addressTexts.add(pr.addressText);

            Integer dupKey = byKey.putIfAbsent(key, i);
            if (dupKey != null) {
                throw v.err(Reason.CONFLICT, t, path, "pubkey", true, "same key as peers[" + dupKey + "] (line "
                        + line(tablePos.get(dupKey)) + "); each peer may appear once: remove or merge one");
            }
            Integer dupAddr = byAddress.putIfAbsent(address, i);
            if (dupAddr != null) {
                throw v.err(Reason.CONFLICT, t, path, "address", true, Texts.quote(pr.addressText) + " is the same address as peers["
                        + dupAddr + "].address " + Texts.quote(addressTexts.get(dupAddr)) + " (line "
                        + line(tablePos.get(dupAddr)) + "); every peer needs its own mesh address");
            }
            if (peerName.isPresent()) {
                Integer dupName = byName.putIfAbsent(peerName.get(), i);
                if (dupName != null) {
                    throw v.err(Reason.CONFLICT, t, path, "name", true, Texts.quote(peerName.get()) + " is also the name of peers["
                            + dupName + "] (line " + line(tablePos.get(dupName)) + "); names must tell peers apart");
                }
            }
            out.add(new PeerConfig(key, address, endpoint, peerName));
        }
        Set<InetAddress> mesh = byAddress.keySet();
        for (int i = 0; i < out.size(); i++) {
            Optional<HostPort> ep = out.get(i).endpoint();
            if (ep.isPresent()) checkReachable(tables.get(i), "peers[" + i + "]", ep.get(), mesh);
        }
        return out;
    }

    /** An IP literal endpoint must be somewhere a peer can be; names are checked once resolved. */
    private void checkReachable(TomlTable t, String path, HostPort ep, Set<InetAddress> mesh) throws ConfigException {
        Optional<InetAddress> ip = ep.literal();
        if (ip.isEmpty()) return;
        EndpointClass c = EndpointClass.forConfig(new InetSocketAddress(ip.get(), ep.port()), mesh);
        if (c == EndpointClass.ROUTABLE) return;
        String fix = c == EndpointClass.MESH_ADDRESS
                ? " (give the address the peer has outside the mesh, or leave endpoint out to learn it by gossip)"
                : " (give the peer's public or LAN address, or leave endpoint out to learn it by gossip)";
        throw v.err(Reason.INVALID_VALUE, t, path, "endpoint", true, Texts.quote(ep.toString()) + " " + c.why() + fix);
    }

    /** Field readers for one [[peers]] table; missing keys point at the table header. */
    private final class Peer {
        private final TomlTable t;
        private final String path;
        private final TomlPosition at;
        private String addressText = "";

        Peer(TomlTable t, String path, TomlPosition at) {
            this.t = t;
            this.path = path;
            this.at = at;
        }

        private String required(String key, String fix) throws ConfigException {
            Object value = t.get(List.of(key));
            if (value == null) throw v.at(Reason.MISSING_KEY, at, path + "." + key, "missing; " + fix);
            return v.stringValue(t, path, key, value);
        }

        WgKey pubkey() throws ConfigException {
            String s = required("pubkey", "add the peer's public key: pubkey = \"...=\" (from `wg pubkey`)");
            String trimmed = s.strip();
            for (int i = 0; i < trimmed.length(); i++) {
                char c = trimmed.charAt(i);
                boolean b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                        || c == '+' || c == '/' || c == '=';
                if (!b64) {
                    throw invalid("pubkey", Texts.quote(s) + " is not a WireGuard public key: character "
                            + Texts.quote(String.valueOf(c)) + " at position " + (i + 1)
                            + " is not base64 (copy the key from `wg show <interface> public-key`)");
                }
            }
            WgKey k;
            try {
                k = WgKey.fromBase64(trimmed);
            } catch (IllegalArgumentException e) {
                throw invalid("pubkey", Texts.quote(s) + " is not a WireGuard public key: " + e.getMessage()
                        + " (copy it from `wg show <interface> public-key`)");
            }
            if (!trimmed.equals(s)) {
                throw invalid("pubkey", Texts.quote(s) + " has spaces around the key; write " + Texts.quote(trimmed));
            }
            // wgautomesh compares keys as strings with `wg` output, so only the canonical form matches.
            if (!k.toBase64().equals(s)) {
                throw invalid("pubkey", Texts.quote(s) + " is not canonical base64 (wg prints "
                        + Texts.quote(k.toBase64()) + "); copy the key exactly");
            }
            return k;
        }

        InetAddress address() throws ConfigException {
            String s = required("address", "add the peer's mesh IP: address = \"10.0.0.2\"");
            addressText = s;
            try {
                return MeshAddress.parse(s);
            } catch (IllegalArgumentException e) {
                throw invalid("address", Texts.quote(s) + " " + e.getMessage());
            }
        }

        Optional<HostPort> endpoint() throws ConfigException {
            Object value = t.get(List.of("endpoint"));
            if (value == null) return Optional.empty();
            String s = v.stringValue(t, path, "endpoint", value);
            try {
                return Optional.of(HostPort.parse(s));
            } catch (IllegalArgumentException e) {
                throw invalid("endpoint", Texts.quote(s) + " " + e.getMessage());
            }
        }

        Optional<String> name() throws ConfigException {
            Object value = t.get(List.of("name"));
            if (value == null) return Optional.empty();
            String s = v.stringValue(t, path, "name", value);
            if (s.isEmpty() || s.length() > MAX_NAME_CHARS) {
                throw invalid("name", Texts.quote(s) + " must be 1 to " + MAX_NAME_CHARS
                        + " characters (a short label for logs and status)");
            }
            for (int i = 0; i < s.length(); i++) {
                if (Character.isISOControl(s.charAt(i))) {
                    throw invalid("name", Texts.quote(s) + " contains a control character; use plain text");
                }
            }
            return Optional.of(s);
        }

        private ConfigException invalid(String key, String problem) {
            return v.err(Reason.INVALID_VALUE, t, path, key, true, problem);
        }
    }
}
