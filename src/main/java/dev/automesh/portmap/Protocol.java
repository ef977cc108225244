package dev.automesh.portmap;

/** The port-mapping protocols home routers speak, by the names the config uses. */
public enum Protocol {
    /** Port Control Protocol, RFC 6887 (FRITZ!Box, miniupnpd). */
    PCP("pcp"),
    /** NAT Port Mapping Protocol, RFC 6886 (MikroTik, OpenWrt's miniupnpd default). */
    NATPMP("natpmp"),
    /** UPnP Internet Gateway Device. */
    UPNP("upnp");

    private final String label;

    Protocol(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** @throws IllegalArgumentException naming the known protocols */
    public static Protocol parse(String s) {
        for (Protocol p : values()) if (p.label.equals(s)) return p;
        throw new IllegalArgumentException("\"" + s + "\" is not a port-mapping protocol (expected \"pcp\", \"natpmp\" or \"upnp\")");
    }
}
