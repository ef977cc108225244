package dev.automesh.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.automesh.testbed.Sh;
import dev.automesh.testsupport.Facility;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Nix files cannot be evaluated here (no nixpkgs), but they must at least parse, and the
 * module must declare every option of nixpkgs' services.wgautomesh under the same names.
 */
class NixFilesTest {
    static final Path NIX_DIR = Path.of("packaging/nix");

    @Test
    void everyNixFileParses() throws IOException {
        Facility.requireCommands("nix-instantiate");
        List<Path> files;
        try (Stream<Path> s = Files.walk(NIX_DIR)) {
            files = s.filter(p -> p.toString().endsWith(".nix")).sorted().toList();
        }
        assertEquals(List.of("flake.nix", "module.nix", "package.nix", "test.nix"),
                files.stream().map(p -> p.getFileName().toString()).toList(), "files in " + NIX_DIR);
        for (Path f : files) {
            Sh.Result r = Sh.run(List.of("nix-instantiate", "--parse", f.toString()));
            assertEquals(0, r.exit(), f + " does not parse: " + r.err().strip());
        }
    }

    /** The parser rejects broken Nix, so the test above is not vacuous. */
    @Test
    void parserRejectsBrokenNix() throws IOException {
        Facility.requireCommands("nix-instantiate");
        Path tmp = Files.createTempFile("amk-broken", ".nix");
        try {
            Files.writeString(tmp, Files.readString(NIX_DIR.resolve("module.nix")).replaceFirst("\\{", "{ {"));
            assertTrue(Sh.run(List.of("nix-instantiate", "--parse", tmp.toString())).exit() != 0);
        } finally {
            Files.delete(tmp);
        }
    }

    /**
     * Option names of services.wgautomesh (nixpkgs nixos/modules/services/networking/wgautomesh.nix)
     * plus ours, each declared with mkOption/mkEnableOption in the parsed module.
     */
    @Test
    void moduleDeclaresTheWgautomeshOptions() throws IOException {
        Facility.requireCommands("nix-instantiate");
        // --parse prints the normalised AST: `name = (mkOption {...})`, whatever the formatting.
        String ast = Sh.run(List.of("nix-instantiate", "--parse", NIX_DIR.resolve("module.nix").toString()))
                .orThrow().out();
        for (String opt : List.of("enable", "package", "logLevel", "enableGossipEncryption", "gossipSecretFile",
                "enablePersistence", "openFirewall", "jvmOptions", "settings", "interface", "gossip_port",
                "lan_discovery", "upnp_forward_external_port", "peers", "pubkey", "address", "endpoint")) {
            assertTrue(ast.matches("(?s).*\\b" + opt + " = \\((mkOption|mkEnableOption) .*"),
                    "module.nix declares no option " + opt);
        }
        for (String dflt : List.of("default = \"info\"", "default = 1666", "freeformType = (settingsFormat).type",
                "gossip_secret:", "/run/credentials/automesh.service/gossip_secret", "/var/lib/automesh/state",
                "StateDirectory = \"automesh\"", "DynamicUser = true")) {
            assertTrue(ast.contains(dflt), "module.nix lacks " + dflt);
        }
    }
}
