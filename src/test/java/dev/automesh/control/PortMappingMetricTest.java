package dev.automesh.control;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PortMappingMetricTest {
    private static StatusReport report(String portMapping) {
        return new StatusReport("wg0", "userspace", "A".repeat(43) + "=", 51820, 1666, portMapping,
                new StatusReport.Counters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), List.of());
    }

    @Test
    void theProtocolInUseAndWhetherItIsMappedAreAGauge() {
        assertTrue(MetricsServer.render(report("natpmp mapped gateway=192.168.1.1:5351 external=203.0.114.1:40000 lease_until=x"))
                .contains("automesh_port_mapping_mapped{protocol=\"natpmp\"} 1\n"));
        assertTrue(MetricsServer.render(report("pcp no_gateway error=\"no PCP answer\" failures=2"))
                .contains("automesh_port_mapping_mapped{protocol=\"pcp\"} 0\n"));
        assertFalse(MetricsServer.render(report("off (upnp_forward_external_port not set)")).contains("automesh_port_mapping"));
    }
}
