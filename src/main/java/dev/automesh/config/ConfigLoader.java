package dev.automesh.config;

import dev.automesh.config.ConfigException.Reason;
import dev.automesh.crypto.GossipSecret;
import dev.automesh.wg.Backend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.tomlj.TomlArray;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Reads and validates a wgautomesh-compatible TOML config: walks the TOML and places errors; values
 * parse themselves ({@link HostPort}, {@link MeshAddress}, {@link IpLiteral}).
 *
 * <p>wgautomesh's keys keep its names, types and defaults (required: {@code interface},
 * {@code gossip_port}; {@code peers} defaults to none, booleans to false). Unlike wgautomesh, unknown
 * keys are an error: a misspelt {@code lan_discovery} silently meaning "off" is the kind of
 * mistake a config check exists to catch. Nothing here touches the network.
 */
public final class ConfigLoader {
    private ConfigLoader() {}

    static final int MAX_CONFIG_BYTES = ConfigText.MAX_CONFIG_BYTES;
    /** A secret is a short string; a bigger file is surely the wrong file. */
    static final int MAX_SECRET_BYTES = 64 * 1024;
    static final long POLL_MIN_MS = 100;
    static final long POLL_MAX_MS = 60_000;
    static final long POLL_DEFAULT_MS = Config.POLL_DEFAULT_MS;
    static final long RELAY_RATE_MIN_MBIT = 1;
    static final long RELAY_RATE_MAX_MBIT = 100_000;

    /** Top-level keys: wgautomesh's first, then automesh's. Order is the documentation order. */
    static final List<String> TOP_KEYS = List.of(
            "interface", "gossip_port", "gossip_secret", "gossip_secret_file", "persist_file", "ipv6",
            "lan_discovery", "upnp_forward_external_port", "peers",
            "wireguard_backend", "uapi_socket", "control_socket", "metrics_address", "poll_interval_ms", "port_mapping",
            "relay", "relay_port", "relay_rate_limit_mbit");
    static final List<String> PEER_KEYS = PeersReader.PEER_KEYS;

    /** @throws ConfigException with file:line:column, key path and the fix, as one line */
    public static Config load(Path file) throws ConfigException {
        return new Reader(file, null, true).read();
    }

    /**
     * As {@link #load(Path)} without reading {@code gossip_secret_file} (the secret is then empty): for
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

    /** One validation pass over one file. */
    private static final class Reader {
        private final Path file;
        private final String name;
        private final Path sysroot;
        private final boolean readSecretFile;
        private TomlValues v;

        Reader(Path file, Path sysroot, boolean readSecretFile) {
            this.file = file;
            this.name = file.toString();
            this.sysroot = sysroot;
            this.readSecretFile = readSecretFile;
        }

        Config read() throws ConfigException {
            String text = ConfigText.read(file, name);
            List<TomlBounds.Section> sections = TomlBounds.sections(text, name);
            v = new TomlValues(name, text);
            TomlTable toml = TomlSections.parse(text, name, sections);
            v.checkKeys(toml, "", TOP_KEYS);

            String iface = v.requireString(toml, "interface", "add interface = \"wg0\" (the WireGuard interface to manage)");
            checkInterfaceName(toml, iface);
            int gossipPort = v.requirePort(toml, "gossip_port", "add gossip_port = 1666 (the same UDP port on every node)");
            Config.Builder b = Config.builder(file, iface, gossipPort)
                    .gossipSecret(secret(toml))
                    .persistFile(v.optPath(toml, "persist_file"))
                    .ipv6(v.optBool(toml, "ipv6", false))
                    .lanDiscovery(v.optBool(toml, "lan_discovery", false))
                    .upnpForwardExternalPort(v.optPort(toml, "upnp_forward_external_port"))
                    .wireguardBackend(backend(toml));
            // "" means the default /var/run/wireguard/<interface>.sock, as the key's documentation says.
            if (v.optString(toml, "uapi_socket").filter(s -> !s.isEmpty()).isPresent()) {
                b.uapiSocket(v.optPath(toml, "uapi_socket"));
            }
            v.optPath(toml, "control_socket").ifPresent(b::controlSocket);
            b.metricsAddress(metrics(toml));
            if (toml.get(List.of("poll_interval_ms")) != null) {
                long poll = v.requireLong(toml, "poll_interval_ms", "an integer number of milliseconds");
                if (poll < POLL_MIN_MS || poll > POLL_MAX_MS) {
                    throw v.err(Reason.INVALID_VALUE, toml, "poll_interval_ms", true, poll + " is out of range (expected "
                            + POLL_MIN_MS + " to " + POLL_MAX_MS + " milliseconds; default " + POLL_DEFAULT_MS + ")");
                }
                b.wgPollMillis(poll);
            }
            b.portMapping(portMapping(toml));
            relay(toml, b, gossipPort);
            return b.peers(new PeersReader(v).read(toml)).build();
        }

        private void relay(TomlTable toml, Config.Builder b, int gossipPort) throws ConfigException {
            b.relay(v.optBool(toml, "relay", true));
            Optional<Integer> port = v.optPort(toml, "relay_port");
            if (port.isPresent()) {
                if (port.get() == gossipPort) {
                    throw v.err(Reason.CONFLICT, toml, "relay_port", true, port.get() + " is the gossip_port too; "
                            + "give the relay its own port (default gossip_port + 1) or remove the line");
                }
                b.relayPort(port.get());
            }
            if (toml.get(List.of("relay_rate_limit_mbit")) != null) {
                long mbit = v.requireLong(toml, "relay_rate_limit_mbit", "an integer number of Mbit/s");
                if (mbit < RELAY_RATE_MIN_MBIT || mbit > RELAY_RATE_MAX_MBIT) {
                    throw v.err(Reason.INVALID_VALUE, toml, "relay_rate_limit_mbit", true, mbit + " is out of range"
                            + " (expected " + RELAY_RATE_MIN_MBIT + " to " + RELAY_RATE_MAX_MBIT + " Mbit/s per relayed pair;"
                            + " default " + Config.RELAY_RATE_DEFAULT_MBIT + "; relay = false turns relaying off)");
                }
                b.relayRateLimitMbit(mbit);
            }
        }

        private GossipSecret secret(TomlTable toml) throws ConfigException {
            Optional<String> secret = v.optString(toml, "gossip_secret");
            Optional<String> secretFile = v.optString(toml, "gossip_secret_file");
            if (secret.isPresent() && secretFile.isPresent()) {
                String later = TomlValues.laterKey(toml, "gossip_secret", "gossip_secret_file");
                String earlier = later.equals("gossip_secret") ? "gossip_secret_file" : "gossip_secret";
                throw v.err(Reason.CONFLICT, toml, later, false, "set together with " + earlier + " (line "
                        + toml.inputPositionOf(List.of(earlier)).line() + "); keep only one of them");
            }
            if (secret.isPresent()) return GossipSecret.of(secret.get());
            if (secretFile.isPresent() && readSecretFile) return GossipSecret.of(readSecret(toml, secretFile.get()));
            return GossipSecret.NONE;
        }

        /** The whole secret file, verbatim: wgautomesh uses read_to_string, trailing newline included. */
        private String readSecret(TomlTable toml, String pathText) throws ConfigException {
            Path p = v.toPath(toml, "gossip_secret_file", pathText);
            if (sysroot != null && p.isAbsolute()) p = sysroot.resolve(p.getRoot().relativize(p));
            byte[] bytes;
            try {
                if (Files.isDirectory(p)) {
                    throw secretFileError(toml, Texts.quote(pathText) + " is a directory, not a file"
                            + " (point it at the file holding the secret)");
                }
                bytes = ConfigText.readCapped(p, MAX_SECRET_BYTES);
            } catch (IOException e) {
                throw secretFileError(toml, "cannot read " + Texts.quote(pathText) + ": " + ConfigText.describe(e)
                        + " (create it, e.g. `openssl rand -base64 32 | tr -d '\\n' > FILE`, readable by automesh)");
            }
            if (bytes == null) {
                throw secretFileError(toml, Texts.quote(pathText) + " is larger than " + MAX_SECRET_BYTES
                        + " bytes; a gossip secret is a short string");
            }
            try {
                return ConfigText.strictUtf8(bytes);
            } catch (CharacterCodingException e) {
                throw secretFileError(toml, Texts.quote(pathText)
                        + " is not valid UTF-8 (wgautomesh reads it as a UTF-8 string; use e.g. base64 text)");
            }
        }

        private ConfigException secretFileError(TomlTable toml, String problem) {
            return v.err(Reason.SECRET_FILE, toml, "gossip_secret_file", true, problem);
        }

        private Backend backend(TomlTable toml) throws ConfigException {
            Optional<String> backendName = v.optString(toml, "wireguard_backend");
            if (backendName.isEmpty()) return Backend.AUTO;
            return switch (backendName.get()) {
                case "auto" -> Backend.AUTO;
                case "kernel" -> Backend.KERNEL;
                case "userspace" -> Backend.USERSPACE;
                default -> throw v.err(Reason.INVALID_VALUE, toml, "wireguard_backend", true, Texts.quote(backendName.get())
                        + " is not a backend (expected \"auto\", \"kernel\" or \"userspace\")");
            };
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
                throw v.err(Reason.INVALID_VALUE, toml, "interface", true, Texts.quote(iface) + " " + why
                        + " (expected an existing interface name such as \"wg0\": 1-15 characters, no '/', ':' or spaces)");
            }
        }

        private PortMapping portMapping(TomlTable toml) throws ConfigException {
            Object raw = toml.get(List.of("port_mapping"));
            if (raw == null) return PortMapping.DEFAULT;
            if (!(raw instanceof TomlArray a)) {
                throw v.err(Reason.WRONG_TYPE, toml, "port_mapping", true,
                        "expected an array such as [\"pcp\", \"natpmp\", \"upnp\"], got " + Texts.typeName(raw));
            }
            try {
                return PortMapping.parse(a.toList());
            } catch (PortMapping.BadElement e) {
                TomlPosition p = e.index() < 0 ? null : a.inputPositionOf(e.index());
                if (p == null) throw v.err(Reason.INVALID_VALUE, toml, "port_mapping", true, e.getMessage());
                throw new ConfigException(Reason.INVALID_VALUE, name, p.line(), p.column(), "port_mapping[" + e.index() + "]", e.getMessage());
            }
        }

        private Optional<InetSocketAddress> metrics(TomlTable toml) throws ConfigException {
            Optional<String> s = v.optString(toml, "metrics_address");
            if (s.isEmpty() || s.get().isEmpty()) return Optional.empty();
            HostPort hp;
            try {
                hp = HostPort.parse(s.get());
            } catch (IllegalArgumentException e) {
                throw v.err(Reason.INVALID_VALUE, toml, "metrics_address", true, Texts.quote(s.get()) + " " + e.getMessage());
            }
            if (hp.literal().isEmpty()) {
                throw v.err(Reason.INVALID_VALUE, toml, "metrics_address", true, Texts.quote(s.get())
                        + " must be an IP literal and port to listen on, e.g. \"127.0.0.1:9586\" or \"[::1]:9586\"");
            }
            return Optional.of(new InetSocketAddress(hp.literal().get(), hp.port()));
        }
    }
}
