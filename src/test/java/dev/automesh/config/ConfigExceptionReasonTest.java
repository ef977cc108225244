package dev.automesh.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.automesh.config.ConfigException.Reason;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The catalogue checks the text; here, that each kind of error carries its reason for code to branch on. */
class ConfigExceptionReasonTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "missing-interface.toml, MISSING_KEY",
            "pubkey-missing.toml, MISSING_KEY",
            "unknown-key-typo.toml, UNKNOWN_KEY",
            "unknown-table-peer.toml, UNKNOWN_KEY",
            "gossip-port-string.toml, WRONG_TYPE",
            "endpoint-wrong-type.toml, WRONG_TYPE",
            "gossip-port-out-of-range.toml, INVALID_VALUE",
            "endpoint-no-port.toml, INVALID_VALUE",
            "endpoint-broadcast.toml, INVALID_VALUE",
            "duplicate-pubkey.toml, CONFLICT",
            "secret-both.toml, CONFLICT",
            "secret-file-missing.toml, SECRET_FILE",
            "toml-syntax.toml, SYNTAX",
            "not-utf8.toml, SYNTAX",
            "string-too-long.toml, TOO_LARGE",
    })
    void reasons(String file, Reason reason) throws Exception {
        Path f = Path.of(getClass().getResource("/config/errors/" + file).toURI());
        assertEquals(reason, assertThrows(ConfigException.class, () -> ConfigLoader.load(f)).reason());
    }

    @ParameterizedTest
    @CsvSource({"/nonexistent/amc/config.toml"})
    void anUnreadableFileIsUnreadable(String file) {
        assertEquals(Reason.UNREADABLE, assertThrows(ConfigException.class, () -> ConfigLoader.load(Path.of(file))).reason());
    }
}
