package dev.automesh.upnp;

import java.util.Map;
import java.util.Optional;

/** A failed UPnP call: either the router answered with a UPnP error code, or it could not be reached/parsed. */
final class UpnpException extends Exception {
    private static final long serialVersionUID = 1L;

    /** UPnP error names from the IGD WANIPConnection:2 and WANIPv6FirewallControl:1 specs. */
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(401, "Invalid Action"), Map.entry(402, "Invalid Args"), Map.entry(501, "Action Failed"),
            Map.entry(606, "Action not authorized"), Map.entry(701, "PinholeSpaceExhausted"),
            Map.entry(702, "FirewallDisabled"), Map.entry(703, "InboundPinholeNotAllowed"),
            Map.entry(704, "NoSuchEntry"), Map.entry(705, "ProtocolNotSupported"),
            Map.entry(706, "InternalPortWildcardingNotAllowed"), Map.entry(708, "InvalidLayer4Protocol"),
            Map.entry(709, "NoTrafficReceived"),
            Map.entry(713, "SpecifiedArrayIndexInvalid"), Map.entry(714, "NoSuchEntryInArray"),
            Map.entry(715, "WildCardNotPermittedInSrcIP"), Map.entry(716, "WildCardNotPermittedInExtPort"),
            Map.entry(718, "ConflictInMappingEntry"), Map.entry(724, "SamePortValuesRequired"),
            Map.entry(725, "OnlyPermanentLeasesSupported"), Map.entry(726, "RemoteHostOnlySupportsWildcard"),
            Map.entry(727, "ExternalPortOnlySupportsWildcard"), Map.entry(728, "NoPortMapsAvailable"),
            Map.entry(729, "ConflictWithOtherMechanisms"), Map.entry(732, "WildCardNotPermittedInIntPort"));

    private final Optional<Integer> code;

    UpnpException(String message, Optional<Integer> code, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The router refused {@code action} with UPnP error {@code code}. */
    static UpnpException refused(String action, int code, String description) {
        String name = NAMES.getOrDefault(code, "");
        String desc = description == null || description.isBlank() ? name : description.strip();
        String text = action + " refused by the router: UPnP error " + code
                + (desc.isEmpty() ? "" : " " + desc) + (name.isEmpty() || name.equals(desc) ? "" : " (" + name + ")")
                + hint(code);
        return new UpnpException(text, Optional.of(code), null);
    }

    static UpnpException io(String action, String where, Exception cause) {
        String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        return new UpnpException(action + " to " + where + " failed: " + why, Optional.empty(), cause);
    }

    Optional<Integer> code() {
        return code;
    }

    private static String hint(int code) {
        return switch (code) {
            case 606 -> "; the router does not allow this host to map that port (secure mode or its allow/deny rules)";
            case 718 -> "; another host already holds this external port: choose another upnp_forward_external_port";
            case 728 -> "; the router's mapping table is full";
            case 729 -> "; the port is used by another mechanism on the router (e.g. a static forward)";
            default -> "";
        };
    }
}
