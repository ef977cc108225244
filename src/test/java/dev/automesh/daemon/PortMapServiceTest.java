package dev.automesh.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.automesh.config.Config;
import dev.automesh.config.PortMapping;
import dev.automesh.portmap.PortMapSettings;
import dev.automesh.portmap.Protocol;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PortMapServiceTest {
    private static Config config(Optional<Integer> external, PortMapping mapping) {
        return Config.builder(Path.of("t.toml"), "wg0", 1666).ipv6(true).upnpForwardExternalPort(external)
                .controlSocket(Path.of("/run/t.sock")).portMapping(mapping).build();
    }

    @Test
    void settingsFollowTheConfigOrderAndTheActualListenPort() {
        PortMapSettings s = PortMapService.settings(config(Optional.of(40000), PortMapping.parse(List.of("natpmp", "upnp"))), 51999)
                .orElseThrow();
        assertEquals(List.of(Protocol.NATPMP, Protocol.UPNP), s.protocols());
        assertEquals(40000, s.externalPort());
        assertEquals(51999, s.listenPort());
        assertEquals(true, s.upnp().ipv6());
        assertEquals(List.of(Protocol.PCP, Protocol.NATPMP, Protocol.UPNP),
                PortMapService.settings(config(Optional.of(40000), PortMapping.DEFAULT), 1).orElseThrow().protocols());
        assertEquals(Optional.empty(), PortMapService.settings(config(Optional.empty(), PortMapping.DEFAULT), 51820), "off without the port");
    }
}
