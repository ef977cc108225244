package dev.automesh.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The port_mapping key: which port-mapping protocols to try, in order of preference, when
 * upnp_forward_external_port is set. Parses itself; the loader only places its errors.
 *
 * @param protocols "pcp", "natpmp", "upnp": non-empty, no repeats
 */
public record PortMapping(List<String> protocols) {
    public static final List<String> KNOWN = List.of("pcp", "natpmp", "upnp");
    public static final PortMapping DEFAULT = new PortMapping(KNOWN);

    public PortMapping {
        protocols = List.copyOf(protocols);
    }

    /**
     * @param values the array's elements (Strings, or anything else the TOML held)
     * @throws IllegalArgumentException with the element index in {@code values} as {@link BadElement}
     */
    public static PortMapping parse(List<?> values) {
        if (values.isEmpty()) throw new BadElement(-1, "is empty (expected some of \"pcp\", \"natpmp\", \"upnp\"; to map no port, leave out upnp_forward_external_port)");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            Object v = values.get(i);
            if (!(v instanceof String s) || !KNOWN.contains(s)) {
                throw new BadElement(i, (v instanceof String s ? "\"" + s + "\"" : String.valueOf(v))
                        + " is not a port-mapping protocol (expected \"pcp\", \"natpmp\" or \"upnp\")");
            }
            if (out.contains(s)) throw new BadElement(i, "\"" + s + "\" is listed twice");
            out.add(s);
        }
        return new PortMapping(out);
    }

    /** A parse error at element {@code index} of the array (-1: the array itself). */
    public static final class BadElement extends IllegalArgumentException {
        private final int index;

        BadElement(int index, String message) {
            super(message);
            this.index = index;
        }

        public int index() {
            return index;
        }
    }
}
