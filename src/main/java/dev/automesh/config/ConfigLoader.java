package dev.automesh.config;

import dev.automesh.crypto.WgKey;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.temporal.Temporal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Reads and validates a wgautomesh-compatible TOML config. Owner: config.
 *
 * <p>wgautomesh's keys keep its names, types and defaults (required: {@code interface},
 * {@code gossip_port}; {@code peers} defaults to none, booleans to false). Unlike wgautomesh, unknown
 * keys are an error: a misspelt {@code lan_discovery} silently meaning "off" is the kind of
 * mistake a config check exists to catch. Nothing here touches the network: endpoints keep their
 * host names, IP literals are parsed by {@link IpLiteral}.
 */
public final class ConfigLoader {
    private ConfigLoader() {}

    /** Larger than any sane config; stops `automesh check /dev/zero` from eating memory. */
    static final int MAX_CONFIG_BYTES = 1 << 20;
    /** A secret is a short string; a bigger file is surely the wrong file. */
    static final int MAX_SECRET_BYTES = 64 * 1024;
    static final int MAX_NAME_CHARS = 32;
    static final long POLL_MIN_MS = 100;
    static final long POLL_MAX_MS = 60_000;
    static final long POLL_DEFAULT_MS = 1000;

    /** Top-level keys: wgautomesh's first, then automesh's. Order is the documentation order. */
    static final List<String> TOP_KEYS = List.of(
            "interface", "gossip_port", "gossip_secret", "gossip_secret_file", "persist_file", "ipv6",
            "lan_discovery", "upnp_forward_external_port", "peers",
            "wireguard_backend", "uapi_socket", "control_socket", "metrics_address", "poll_interval_ms", "port_mapping");
    static final List<String> PEER_KEYS = List.of("pubkey", "address", "endpoint", "name");

    /** wg-quick / wg(8) spellings people carry over, mapped to ours. */
    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("publickey", "pubkey"), Map.entry("public_key", "pubkey"), Map.entry("key", "pubkey"),
            Map.entry("allowedips", "address"), Map.entry("allowed_ips", "address"), Map.entry("ip", "address"),
            Map.entry("listenport", "gossip_port"), Map.entry("port", "gossip_port"),
            Map.entry("peer", "peers"), Map.entry("secret", "gossip_secret"), Map.entry("iface", "interface"),
            Map.entry("interface_name", "interface"), Map.entry("backend", "wireguard_backend"));

    /** @throws ConfigException with file:line:column, key path and the fix, as one line */
    public static Config load(Path file) throws ConfigException {
        return new Reader(file, null, true).read();
    }

    /**
     * As {@link #load(Path)} without reading {@code gossip_secret_file} (the secret is then ""): for
     * `automesh status`, run by members of the socket's group who may not read a root-only secret.
     */
    public static Config loadWithoutSecret(Path file) throws ConfigException {
        return new Reader(file, null, false).read();
    }

    /**
     * As {@link #load(Path)}, but an absolute {@code gossip_secret_file} is read below {@code sysroot}
     * (e.g. a container image being built), the way the daemon would see it inside that root.
     */
    static Config load(Path file, Path sysroot) throws ConfigException {
        return new Reader(file, sysroot, true).read();
    }

    /** One validation pass over one file. Holds the text so positions can point at values. */
    private static final class Reader {
        private final Path file;
        private final String name;
        private final Path sysroot;
        private String[] lines = new String[0];

        private final boolean readSecretFile;

        Reader(Path file, Path sysroot, boolean readSecretFile) {
            this.file = file;
            this.name = file.toString();
            this.sysroot = sysroot;
            this.readSecretFile = readSecretFile;
        }

        Config read() throws ConfigException {
            String text = readConfigText();
            lines = text.split("\n", -1);
            TomlParseResult toml;
            try {
                toml = Toml.parse(text);
            } catch (StackOverflowError e) {
                // tomlj's recursive descent has no depth limit; a hostile or broken file must not crash us.
                throw new ConfigException(name, 0, 0, "", "nests arrays or tables too deeply to parse");
            }
            if (toml.hasErrors()) {
                TomlParseError first = toml.errors().stream()
                        .min(Comparator.comparingInt((TomlParseError e) -> e.position().line())
                                .thenComparingInt(e -> e.position().column()))
                        .orElseThrow();
                throw new ConfigException(name, first.position().line(), first.position().column(), "",
                        "invalid TOML: " + stripPosition(first.getMessage()));
            }
            checkKeys(toml, "", TOP_KEYS);

            String iface = requireString(toml, "interface", "add interface = \"wg0\" (the WireGuard interface to manage)");
            checkInterfaceName(toml, iface);
            int gossipPort = requirePort(toml, "gossip_port",
                    "add gossip_port = 1666 (the same UDP port on every node)");

            Optional<String> secret = optString(toml, "gossip_secret");
            Optional<String> secretFile = optString(toml, "gossip_secret_file");
            String gossipSecret = "";
            if (secret.isPresent() && secretFile.isPresent()) {
                String later = laterKey(toml, "gossip_secret", "gossip_secret_file");
                String earlier = later.equals("gossip_secret") ? "gossip_secret_file" : "gossip_secret";
                throw err(toml, later, false, "set together with " + earlier + " (line "
                        + toml.inputPositionOf(List.of(earlier)).line() + "); keep only one of them");
            } else if (secret.isPresent()) {
                gossipSecret = secret.get();
            } else if (secretFile.isPresent() && readSecretFile) {
                gossipSecret = readSecret(toml, secretFile.get());
            }

            Optional<Path> persistFile = optPath(toml, "persist_file");
            boolean ipv6 = optBool(toml, "ipv6", false);
            boolean lanDiscovery = optBool(toml, "lan_discovery", false);
            Optional<Integer> upnpPort = optPort(toml, "upnp_forward_external_port");

            Config.Backend backend = Config.Backend.AUTO;
            Optional<String> backendName = optString(toml, "wireguard_backend");
            if (backendName.isPresent()) {
                backend = switch (backendName.get()) {
                    case "auto" -> Config.Backend.AUTO;
                    case "kernel" -> Config.Backend.KERNEL;
                    case "userspace" -> Config.Backend.USERSPACE;
                    default -> throw err(toml, "wireguard_backend", true, quote(backendName.get())
                            + " is not a backend (expected \"auto\", \"kernel\" or \"userspace\")");
                };
            }
            // "" means the default /var/run/wireguard/<interface>.sock, as the key's documentation says.
            Optional<Path> uapiSocket = optString(toml, "uapi_socket").filter(s -> !s.isEmpty()).isPresent()
                    ? optPath(toml, "uapi_socket") : Optional.empty();
            Path controlSocket = optPath(toml, "control_socket")
                    .orElse(Path.of("/run/automesh/" + iface + ".sock"));
            Optional<InetSocketAddress> metrics = optMetrics(toml);
            long poll = POLL_DEFAULT_MS;
            if (toml.get(List.of("poll_interval_ms")) != null) {
                poll = requireLong(toml, "poll_interval_ms", "an integer number of milliseconds");
                if (poll < POLL_MIN_MS || poll > POLL_MAX_MS) {
                    throw err(toml, "poll_interval_ms", true, poll + " is out of range (expected "
                            + POLL_MIN_MS + " to " + POLL_MAX_MS + " milliseconds; default " + POLL_DEFAULT_MS + ")");
                }
            }

            List<PeerConfig> peers = readPeers(toml);
            return new Config(file, iface, gossipPort, gossipSecret, persistFile, ipv6, lanDiscovery, upnpPort,
                    backend, uapiSocket, controlSocket, metrics, poll, peers, readPortMapping(toml));
        }

        // ---------------------------------------------------------------- file reading

        private String readConfigText() throws ConfigException {
            byte[] bytes;
            try {
                if (Files.isDirectory(file)) {
                    throw new ConfigException(name, 0, 0, "", "is a directory, not a config file");
                }
                bytes = readCapped(file, MAX_CONFIG_BYTES);
            } catch (IOException e) {
                throw new ConfigException(name, 0, 0, "", "cannot read the config file: " + describe(e));
            }
            if (bytes == null) {
                throw new ConfigException(name, 0, 0, "", "is larger than " + MAX_CONFIG_BYTES
                        + " bytes; is this really the config file?");
            }
            try {
                return strictUtf8(bytes);
            } catch (CharacterCodingException e) {
                int[] lc = firstBadUtf8(bytes);
                throw new ConfigException(name, lc[0], lc[1], "", "is not valid UTF-8 (TOML files must be UTF-8)");
            }
        }

        /** The whole secret file, verbatim: wgautomesh uses read_to_string, trailing newline included. */
        private String readSecret(TomlTable toml, String pathText) throws ConfigException {
            Path p = toPath(toml, "gossip_secret_file", pathText);
            if (sysroot != null && p.isAbsolute()) p = sysroot.resolve(p.getRoot().relativize(p));
            byte[] bytes;
            try {
                if (Files.isDirectory(p)) {
                    throw err(toml, "gossip_secret_file", true, quote(pathText) + " is a directory, not a file"
                            + " (point it at the file holding the secret)");
                }
                bytes = readCapped(p, MAX_SECRET_BYTES);
            } catch (IOException e) {
                throw err(toml, "gossip_secret_file", true, "cannot read " + quote(pathText) + ": " + describe(e)
                        + " (create it, e.g. `openssl rand -base64 32 | tr -d '\\n' > FILE`, readable by automesh)");
            }
            if (bytes == null) {
                throw err(toml, "gossip_secret_file", true, quote(pathText) + " is larger than " + MAX_SECRET_BYTES
                        + " bytes; a gossip secret is a short string");
            }
            try {
                return strictUtf8(bytes);
            } catch (CharacterCodingException e) {
                throw err(toml, "gossip_secret_file", true, quote(pathText)
                        + " is not valid UTF-8 (wgautomesh reads it as a UTF-8 string; use e.g. base64 text)");
            }
        }

        // ---------------------------------------------------------------- peers

        private List<PeerConfig> readPeers(TomlTable toml) throws ConfigException {
            Object raw = toml.get(List.of("peers"));
            if (raw == null) return List.of();
            if (!(raw instanceof TomlArray arr)) {
                throw err(toml, "peers", false, "expected an array of tables written [[peers]], got "
                        + typeName(raw) + (raw instanceof TomlTable ? " (write [[peers]] with double brackets)" : ""));
            }
            List<PeerConfig> out = new ArrayList<>();
            Map<WgKey, Integer> byKey = new HashMap<>();
            Map<InetAddress, Integer> byAddress = new HashMap<>();
            Map<String, Integer> byName = new HashMap<>();
            List<TomlPosition> tablePos = new ArrayList<>();
            List<String> addressTexts = new ArrayList<>();
            for (int i = 0; i < arr.size(); i++) {
                Object item = arr.get(i);
                String path = "peers[" + i + "]";
                TomlPosition at = arr.inputPositionOf(i);
                if (!(item instanceof TomlTable t)) {
                    throw new ConfigException(name, line(at), col(at), path,
                            "expected a table (pubkey, address, endpoint), got " + typeName(item));
                }
                tablePos.add(at);
                checkKeys(t, path + ".", PEER_KEYS);
                PeerReader pr = new PeerReader(t, path, at);
                WgKey key = pr.pubkey();
                InetAddress address = pr.address();
                Optional<HostPort> endpoint = pr.endpoint();
                Optional<String> peerName = pr.name();
                addressTexts.add(pr.addressText());

                Integer dupKey = byKey.putIfAbsent(key, i);
                if (dupKey != null) {
                    throw err(t, path, "pubkey", true, "same key as peers[" + dupKey + "] (line "
                            + line(tablePos.get(dupKey)) + "); each peer may appear once: remove or merge one");
                }
                Integer dupAddr = byAddress.putIfAbsent(address, i);
                if (dupAddr != null) {
                    throw err(t, path, "address", true, quote(pr.addressText()) + " is the same address as peers["
                            + dupAddr + "].address " + quote(addressTexts.get(dupAddr)) + " (line "
                            + line(tablePos.get(dupAddr)) + "); every peer needs its own mesh address");
                }
                if (peerName.isPresent()) {
                    Integer dupName = byName.putIfAbsent(peerName.get(), i);
                    if (dupName != null) {
                        throw err(t, path, "name", true, quote(peerName.get()) + " is also the name of peers["
                                + dupName + "] (line " + line(tablePos.get(dupName)) + "); names must tell peers apart");
                    }
                }
                out.add(new PeerConfig(key, address, endpoint, peerName));
            }
            return out;
        }

        /** Field readers for one [[peers]] table; missing keys point at the table header. */
        private final class PeerReader {
            private final TomlTable t;
            private final String path;
            private final TomlPosition at;
            private String addressText = "";

            PeerReader(TomlTable t, String path, TomlPosition at) {
                this.t = t;
                this.path = path;
                this.at = at;
            }

            private String required(String key, String fix) throws ConfigException {
                Object v = t.get(List.of(key));
                if (v == null) {
                    throw new ConfigException(name, line(at), col(at), path + "." + key, "missing; " + fix);
                }
                return stringValue(t, path, key, v);
            }

            WgKey pubkey() throws ConfigException {
                String s = required("pubkey", "add the peer's public key: pubkey = \"...=\" (from `wg pubkey`)");
                String trimmed = s.strip();
                for (int i = 0; i < trimmed.length(); i++) {
                    char c = trimmed.charAt(i);
                    boolean b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                            || c == '+' || c == '/' || c == '=';
                    if (!b64) {
                        throw err(t, path, "pubkey", true, quote(s) + " is not a WireGuard public key: character "
                                + quote(String.valueOf(c)) + " at position " + (i + 1)
                                + " is not base64 (copy the key from `wg show <interface> public-key`)");
                    }
                }
                WgKey k;
                try {
                    k = WgKey.fromBase64(trimmed);
                } catch (IllegalArgumentException e) {
                    throw err(t, path, "pubkey", true, quote(s) + " is not a WireGuard public key: " + e.getMessage()
                            + " (copy it from `wg show <interface> public-key`)");
                }
                if (!trimmed.equals(s)) {
                    throw err(t, path, "pubkey", true, quote(s) + " has spaces around the key; write "
                            + quote(trimmed));
                }
                // wgautomesh compares keys as strings with `wg` output, so only the canonical form matches.
                if (!k.toBase64().equals(s)) {
                    throw err(t, path, "pubkey", true, quote(s) + " is not canonical base64 (wg prints "
                            + quote(k.toBase64()) + "); copy the key exactly");
                }
                return k;
            }

            InetAddress address() throws ConfigException {
                String s = required("address", "add the peer's mesh IP: address = \"10.0.0.2\"");
                addressText = s;
                InetAddress a;
                try {
                    a = parseSingleAddress(s);
                } catch (IllegalArgumentException e) {
                    throw err(t, path, "address", true, quote(s) + " " + e.getMessage());
                }
                return a;
            }

            String addressText() {
                return addressText;
            }

            Optional<HostPort> endpoint() throws ConfigException {
                Object v = t.get(List.of("endpoint"));
                if (v == null) return Optional.empty();
                String s = stringValue(t, path, "endpoint", v);
                try {
                    return Optional.of(parseEndpoint(s));
                } catch (IllegalArgumentException e) {
                    throw err(t, path, "endpoint", true, quote(s) + " " + e.getMessage());
                }
            }

            Optional<String> name() throws ConfigException {
                Object v = t.get(List.of("name"));
                if (v == null) return Optional.empty();
                String s = stringValue(t, path, "name", v);
                if (s.isEmpty() || s.length() > MAX_NAME_CHARS) {
                    throw err(t, path, "name", true, quote(s) + " must be 1 to " + MAX_NAME_CHARS
                            + " characters (a short label for logs and status)");
                }
                for (int i = 0; i < s.length(); i++) {
                    if (Character.isISOControl(s.charAt(i))) {
                        throw err(t, path, "name", true, quote(s) + " contains a control character; use plain text");
                    }
                }
                return Optional.of(s);
            }
        }

        // ---------------------------------------------------------------- top-level values

        /** port_mapping = ["pcp", "natpmp", "upnp"]: an error points at the offending element. */
        private PortMapping readPortMapping(TomlTable toml) throws ConfigException {
            Object v = toml.get(List.of("port_mapping"));
            if (v == null) return PortMapping.DEFAULT;
            if (!(v instanceof TomlArray a)) {
                throw err(toml, "port_mapping", true, "expected an array such as [\"pcp\", \"natpmp\", \"upnp\"], got " + typeName(v));
            }
            try {
                return PortMapping.parse(a.toList());
            } catch (PortMapping.BadElement e) {
                TomlPosition p = e.index() < 0 ? null : a.inputPositionOf(e.index());
                if (p == null) throw err(toml, "port_mapping", true, e.getMessage());
                throw new ConfigException(name, p.line(), p.column(), "port_mapping[" + e.index() + "]", e.getMessage());
            }
        }

        private void checkInterfaceName(TomlTable toml, String iface) throws ConfigException {
            String why = null;
            if (iface.isEmpty()) why = "is empty";
            else if (iface.length() > 15) why = "is " + iface.length() + " characters; Linux allows at most 15";
            else if (iface.equals(".") || iface.equals("..")) why = "is not allowed as an interface name";
            else {
                for (int i = 0; i < iface.length() && why == null; i++) {
                    char c = iface.charAt(i);
                    if (c == '/' || c == ':' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                        why = "contains " + (c == '/' ? "'/'" : c == ':' ? "':'" : "whitespace or a control character");
                    }
                }
            }
            if (why != null) {
                throw err(toml, "interface", true, quote(iface) + " " + why
                        + " (expected an existing interface name such as \"wg0\": 1-15 characters, no '/', ':' or spaces)");
            }
        }

        private Optional<InetSocketAddress> optMetrics(TomlTable toml) throws ConfigException {
            Optional<String> s = optString(toml, "metrics_address");
            if (s.isEmpty() || s.get().isEmpty()) return Optional.empty();
            HostPort hp;
            try {
                hp = parseEndpoint(s.get());
            } catch (IllegalArgumentException e) {
                throw err(toml, "metrics_address", true, quote(s.get()) + " " + e.getMessage());
            }
            if (!IpLiteral.isLiteral(hp.host())) {
                throw err(toml, "metrics_address", true, quote(s.get())
                        + " must be an IP literal and port to listen on, e.g. \"127.0.0.1:9586\" or \"[::1]:9586\"");
            }
            return Optional.of(new InetSocketAddress(IpLiteral.parse(hp.host()), hp.port()));
        }

        private String requireString(TomlTable toml, String key, String fix) throws ConfigException {
            Object v = toml.get(List.of(key));
            if (v == null) throw new ConfigException(name, 0, 0, key, "missing; " + fix);
            return stringValue(toml, "", key, v);
        }

        private int requirePort(TomlTable toml, String key, String fix) throws ConfigException {
            if (toml.get(List.of(key)) == null) throw new ConfigException(name, 0, 0, key, "missing; " + fix);
            return portValue(toml, key);
        }

        private Optional<Integer> optPort(TomlTable toml, String key) throws ConfigException {
            if (toml.get(List.of(key)) == null) return Optional.empty();
            return Optional.of(portValue(toml, key));
        }

        private int portValue(TomlTable toml, String key) throws ConfigException {
            long v = requireLong(toml, key, "a UDP port number 1-65535");
            if (v < 1 || v > 65535) {
                throw err(toml, key, true, v + " is out of range (expected a UDP port 1-65535)");
            }
            return (int) v;
        }

        private long requireLong(TomlTable toml, String key, String what) throws ConfigException {
            Object v = toml.get(List.of(key));
            if (v instanceof Long l) return l;
            String hint = v instanceof String s && IpLiteral.allDigits(s) ? "; write " + key + " = " + s + " without quotes" : "";
            throw err(toml, key, true, "expected " + what + ", got " + typeName(v) + hint);
        }

        private Optional<String> optString(TomlTable toml, String key) throws ConfigException {
            Object v = toml.get(List.of(key));
            if (v == null) return Optional.empty();
            return Optional.of(stringValue(toml, "", key, v));
        }

        private Optional<Path> optPath(TomlTable toml, String key) throws ConfigException {
            Optional<String> s = optString(toml, key);
            if (s.isEmpty()) return Optional.empty();
            if (s.get().isEmpty()) {
                throw err(toml, key, true, "is empty; remove the line or give a path");
            }
            return Optional.of(toPath(toml, key, s.get()));
        }

        private Path toPath(TomlTable toml, String key, String s) throws ConfigException {
            try {
                return Path.of(s);
            } catch (InvalidPathException e) {
                throw err(toml, key, true, quote(s) + " is not a valid path: " + e.getReason());
            }
        }

        private boolean optBool(TomlTable toml, String key, boolean dflt) throws ConfigException {
            Object v = toml.get(List.of(key));
            if (v == null) return dflt;
            if (v instanceof Boolean b) return b;
            String hint = v instanceof String s && (s.equals("true") || s.equals("false"))
                    ? "; write " + key + " = " + s + " without quotes"
                    : "; write " + key + " = true or " + key + " = false";
            throw err(toml, key, true, "expected true or false, got " + typeName(v) + hint);
        }

        private String stringValue(TomlTable t, String prefix, String key, Object v) throws ConfigException {
            if (v instanceof String s) return s;
            String hint = v instanceof Long || v instanceof Boolean || v instanceof Double
                    ? "; put the value in double quotes"
                    : v instanceof TomlArray ? "; give a single value in double quotes" : "";
            throw err(t, prefix, key, true, "expected a string, got " + typeName(v) + hint);
        }

        /** Unknown keys are errors, with the nearest known key as a suggestion. */
        private void checkKeys(TomlTable t, String prefix, List<String> known) throws ConfigException {
            // Report the first unknown key in file order, so the error matches what the user sees first.
            String firstKey = null;
            TomlPosition firstPos = null;
            for (String k : t.keySet()) {
                if (known.contains(k)) continue;
                TomlPosition p = t.inputPositionOf(List.of(k));
                if (firstPos == null || (p != null && (line(p) < line(firstPos)
                        || (line(p) == line(firstPos) && col(p) < col(firstPos))))) {
                    firstKey = k;
                    firstPos = p;
                }
            }
            if (firstKey == null) return;
            String suggestion = suggest(firstKey, known);
            String fix = suggestion != null ? "did you mean " + suggestion + "?"
                    : "known keys here: " + String.join(", ", known);
            throw new ConfigException(name, line(firstPos), col(firstPos), prefix + firstKey,
                    "unknown key (" + fix + ")");
        }

        // ---------------------------------------------------------------- positions

        private ConfigException err(TomlTable t, String key, boolean atValue, String problem) {
            return err(t, "", key, atValue, problem);
        }

        /** @param prefix key path of the table ("" or "peers[2]"); {@code atValue}: point at the value, not the key */
        private ConfigException err(TomlTable t, String prefix, String key, boolean atValue, String problem) {
            TomlPosition p = t.inputPositionOf(List.of(key));
            String path = prefix.isEmpty() ? key : prefix.endsWith(".") ? prefix + key : prefix + "." + key;
            if (p == null) return new ConfigException(name, 0, 0, path, problem);
            int column = atValue ? valueColumn(p) : col(p);
            return new ConfigException(name, p.line(), column, path, problem);
        }

        /** tomlj records where a key=value starts; messages about the value point at the value itself. */
        private int valueColumn(TomlPosition p) {
            if (p.line() < 1 || p.line() > lines.length) return p.column();
            String l = lines[p.line() - 1];
            int i;
            try {
                i = l.offsetByCodePoints(0, p.column() - 1);
            } catch (IndexOutOfBoundsException e) {
                return p.column();
            }
            char quote = 0;
            for (; i < l.length(); i++) {
                char c = l.charAt(i);
                if (quote != 0) {
                    if (c == '\\' && quote == '"') i++;
                    else if (c == quote) quote = 0;
                } else if (c == '"' || c == '\'') {
                    quote = c;
                } else if (c == '=') {
                    i++;
                    while (i < l.length() && (l.charAt(i) == ' ' || l.charAt(i) == '\t')) i++;
                    return l.codePointCount(0, i) + 1;
                }
            }
            return p.column();
        }

        private String laterKey(TomlTable t, String a, String b) {
            TomlPosition pa = t.inputPositionOf(List.of(a));
            TomlPosition pb = t.inputPositionOf(List.of(b));
            if (line(pa) != line(pb)) return line(pa) > line(pb) ? a : b;
            return col(pa) > col(pb) ? a : b;
        }
    }

    // ---------------------------------------------------------------- value parsers (no DNS)

    /** A peer's mesh address: exactly one IP literal, no prefix, no host name. */
    static InetAddress parseSingleAddress(String s) {
        if (s.isEmpty()) throw new IllegalArgumentException("is empty (expected one IP address, e.g. \"10.0.0.2\")");
        int slash = s.indexOf('/');
        if (slash >= 0) {
            throw new IllegalArgumentException("is a prefix, not a single address (write \"" + s.substring(0, slash)
                    + "\"; allowed-ips becomes that address as /32 or /128)");
        }
        if (!s.strip().equals(s) && s.strip().indexOf(' ') < 0) {
            throw new IllegalArgumentException("has spaces around it; write \"" + s.strip() + "\"");
        }
        if (s.indexOf(',') >= 0 || s.indexOf(' ') >= 0) {
            throw new IllegalArgumentException("lists several values; address takes exactly one IP address");
        }
        if (s.startsWith("[")) {
            throw new IllegalArgumentException("has brackets; write the bare IPv6 address (brackets belong in endpoints)");
        }
        if (s.indexOf(':') < 0 && !looksNumericV4(s)) {
            throw new IllegalArgumentException("is not an IP address (address takes an IP literal, not a host name)");
        }
        InetAddress a = IpLiteral.parse(s);
        if (a.isAnyLocalAddress() || a.isMulticastAddress()) {
            throw new IllegalArgumentException("is " + (a.isAnyLocalAddress() ? "the unspecified address" : "a multicast address")
                    + "; use the peer's own mesh address");
        }
        return a;
    }

    /**
     * An endpoint as written: {@code host:port}, {@code a.b.c.d:port} or {@code [v6]:port}. Host names
     * are checked for shape only and kept, to be resolved at use time.
     */
    static HostPort parseEndpoint(String s) {
        final String expected = "(expected host:port or [v6]:port)";
        if (s.isEmpty()) throw new IllegalArgumentException("is empty " + expected);
        String host;
        String portText;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) throw new IllegalArgumentException("has no closing ']' " + expected);
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (rest.isEmpty()) throw new IllegalArgumentException("has no port " + expected);
            if (rest.charAt(0) != ':') {
                throw new IllegalArgumentException("has " + quoteStatic(rest) + " after ']' where \":port\" belongs " + expected);
            }
            portText = rest.substring(1);
            if (host.indexOf(':') < 0) {
                throw new IllegalArgumentException("has brackets around " + quoteStatic(host)
                        + ", which is not an IPv6 address; brackets are only for IPv6 " + expected);
            }
            try {
                IpLiteral.parse(host);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("has " + quoteStatic(host) + " in brackets, which " + e.getMessage());
            }
        } else {
            if (s.indexOf(']') >= 0) throw new IllegalArgumentException("has ']' without '[' " + expected);
            int first = s.indexOf(':');
            int last = s.lastIndexOf(':');
            if (first < 0) throw new IllegalArgumentException("has no port " + expected);
            if (first != last) {
                if (IpLiteral.isLiteral(s)) throw new IllegalArgumentException("has no port " + expected);
                String maybeHost = s.substring(0, last);
                if (IpLiteral.isLiteral(maybeHost)) {
                    throw new IllegalArgumentException("is an IPv6 address and port without brackets; write \"["
                            + maybeHost + "]:" + s.substring(last + 1) + "\"");
                }
                throw new IllegalArgumentException("is not host:port " + expected);
            }
            host = s.substring(0, first);
            portText = s.substring(first + 1);
            if (host.isEmpty()) throw new IllegalArgumentException("has no host " + expected);
            if (looksNumericV4(host)) {
                try {
                    IpLiteral.parse(host);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("has host " + quoteStatic(host) + ", which " + e.getMessage());
                }
            } else {
                String why = hostNameProblem(host);
                if (why != null) throw new IllegalArgumentException("has host " + quoteStatic(host) + ", which " + why);
            }
        }
        if (portText.isEmpty()) throw new IllegalArgumentException("has no port after ':' " + expected);
        if (!IpLiteral.allDigits(portText) || portText.length() > 5) {
            throw new IllegalArgumentException("has port " + quoteStatic(portText) + ", which is not a number 1-65535");
        }
        int port = Integer.parseInt(portText);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("has port " + port + ", which is out of range (expected 1-65535)");
        }
        if (IpLiteral.isLiteral(host) && IpLiteral.parse(host).isAnyLocalAddress()) {
            throw new IllegalArgumentException("has the unspecified address " + host + ", which cannot be reached");
        }
        return new HostPort(host, port);
    }

    /** A last label made of digits means the user meant an IPv4 literal (no TLD is all-numeric). */
    private static boolean looksNumericV4(String host) {
        String lastLabel = host.substring(host.lastIndexOf('.') + 1);
        return IpLiteral.allDigits(lastLabel) || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    /** RFC 1123 shape (letters, digits, '-', '_'; labels 1-63; total 253), or null if fine. */
    static String hostNameProblem(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (h.isEmpty() || h.length() > 253) return "is not a valid host name (1-253 characters)";
        for (String label : h.split("\\.", -1)) {
            if (label.isEmpty()) return "is not a valid host name (empty label between dots)";
            if (label.length() > 63) return "is not a valid host name (a label is longer than 63 characters)";
            if (label.startsWith("-") || label.endsWith("-")) {
                return "is not a valid host name (a label starts or ends with '-')";
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                if (!ok) return "is not a valid host name (character " + quoteStatic(String.valueOf(c)) + ")";
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- helpers

    /** Nearest known key by case-insensitive edit distance (at most 2, or a third of the length), else an alias. */
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

    static String typeName(Object v) {
        if (v == null) return "nothing";
        if (v instanceof String s) return "a string " + quoteStatic(s);
        if (v instanceof Long l) return "an integer " + l;
        if (v instanceof Double d) return "a float " + d;
        if (v instanceof Boolean b) return "a boolean " + b;
        if (v instanceof TomlArray) return "an array";
        if (v instanceof TomlTable) return "a table";
        if (v instanceof Temporal) return "a date/time";
        return v.getClass().getSimpleName();
    }

    private static String quote(String s) {
        return quoteStatic(s);
    }

    /** Quoted for messages; long or odd values are shortened and escaped so the error stays one line. */
    static String quoteStatic(String s) {
        StringBuilder sb = new StringBuilder("\"");
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (++n > 60) {
                sb.append("...");
                break;
            }
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c == '\n') sb.append("\\n");
            else if (c == '\t') sb.append("\\t");
            else if (Character.isISOControl(c)) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    /** tomlj appends " (line L, column C)" to some messages; the prefix of our line already says it. */
    private static String stripPosition(String msg) {
        return msg == null ? "" : msg.replaceFirst("\\s*\\(line \\d+, column \\d+\\)$", "");
    }

    private static String describe(IOException e) {
        String kind = switch (e.getClass().getSimpleName()) {
            case "NoSuchFileException" -> "no such file";
            case "AccessDeniedException" -> "permission denied";
            case "NotDirectoryException" -> "a parent is not a directory";
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
        return kind;
    }

    /** Reads up to {@code cap} bytes; null if the file is larger. */
    private static byte[] readCapped(Path p, int cap) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] b = in.readNBytes(cap + 1);
            return b.length > cap ? null : b;
        }
    }

    private static String strictUtf8(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes)).toString();
    }

    /** Line and column (in characters) of the first byte that is not valid UTF-8. */
    private static int[] firstBadUtf8(byte[] b) {
        ByteBuffer in = ByteBuffer.wrap(b);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(b.length);
        StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(in, out, true);
        int bad = in.position();
        out.flip();
        String before = out.toString();
        int nl = before.lastIndexOf('\n');
        int line = (int) before.chars().filter(c -> c == '\n').count() + 1;
        int column = before.codePointCount(nl + 1, before.length()) + 1;
        return bad >= b.length ? new int[] {0, 0} : new int[] {line, column};
    }

    private static int line(TomlPosition p) {
        return p == null ? 0 : p.line();
    }

    private static int col(TomlPosition p) {
        return p == null ? 0 : p.column();
    }
}
