package dev.automesh.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A home router in a namespace: NAT from the LAN to wan0, unsolicited WAN traffic dropped unless
 * Debian's miniupnpd (nftables backend) forwards it, and miniupnpd serving UPnP IGD on the LAN
 * (recipe: shared/testbed-notes.md).
 */
public final class Miniupnpd {
    private Miniupnpd() {}

    /** Where miniupnpd writes its current mappings ("UDP:40000:192.168.1.10:51820:<expiry>:<desc>" lines). */
    public static Path leaseFile(Netns router) {
        return router.dir().resolve("miniupnpd.leases");
    }

    /** miniupnpd's nft backend needs its chains to exist before it starts. */
    static final String RULES = """
            table inet filter {
              chain miniupnpd { }
              chain prerouting_miniupnpd { }
              chain postrouting_miniupnpd { }
              chain prerouting { type nat hook prerouting priority dstnat; policy accept; jump prerouting_miniupnpd; }
              chain postrouting { type nat hook postrouting priority srcnat; policy accept; jump postrouting_miniupnpd; oifname "wan0" masquerade; }
              chain forward { type filter hook forward priority filter; policy drop; ct state established,related accept; iifname "%s" oifname "wan0" accept; jump miniupnpd; }
            }
            """;

    /**
     * Loads the router's rules and starts miniupnpd on {@code lanIf}, allowing mappings to the hosts of
     * {@code lanCidr} only (secure_mode). Returns once it serves HTTP on port 5000.
     *
     * @param ipv6 whether to offer WANIPv6FirewallControl (pinholes) on wan0
     */
    public static Process start(Netns router, String lanIf, String lanCidr, String uuid, boolean ipv6) {
        return start(router, lanIf, lanCidr, uuid, ipv6, false, true);
    }

    /**
     * As above, choosing the protocols: {@code natpmp} turns on NAT-PMP and PCP together (UDP 5351 on
     * the LAN), {@code upnp} the IGD. Leases go to {@link #leaseFile}, and PCP may grant lifetimes
     * down to 1 s so tests can watch renewals. Returns once every protocol asked for listens.
     */
    public static Process start(Netns router, String lanIf, String lanCidr, String uuid, boolean ipv6, boolean natpmp, boolean upnp) {
        try {
            Path nft = router.dir().resolve("router.nft");
            Files.writeString(nft, RULES.formatted(lanIf));
            router.ok("nft", "-f", nft.toString());
            Path conf = router.dir().resolve("miniupnpd.conf");
            Files.writeString(conf, "ext_ifname=wan0\nlistening_ip=" + lanIf + "\nhttp_port=5000\n"
                    + (ipv6 ? "ext_ifname6=wan0\n" : "ipv6_disable=yes\n")
                    + "secure_mode=yes\nenable_natpmp=" + (natpmp ? "yes" : "no") + "\nenable_upnp=" + (upnp ? "yes" : "no")
                    + "\nmin_lifetime=1\nlease_file=" + leaseFile(router) + "\nfriendly_name=testrouter\nuuid=" + uuid + "\n"
                    + "allow 1024-65535 " + lanCidr + " 1024-65535\ndeny 0-65535 0.0.0.0/0 0-65535\n");
            Path log = router.dir().resolve("miniupnpd.log");
            Process p = router.spawn(List.of("miniupnpd", "-d", "-f", conf.toString(), "-P",
                    router.dir().resolve("miniupnpd.pid").toString()), log);
            long deadline = System.currentTimeMillis() + 5000;
            while (!(Files.exists(log) && (!upnp || Files.readString(log).contains("HTTP listening on port 5000"))
                    && (!natpmp || Files.readString(log).contains("Listening for NAT-PMP/PCP traffic")))) {
                if (System.currentTimeMillis() > deadline || !p.isAlive()) {
                    throw new IllegalStateException("miniupnpd did not start: " + (Files.exists(log) ? Files.readString(log) : ""));
                }
                Thread.sleep(50);
            }
            return p;
        } catch (IOException e) {
            throw new IllegalStateException("miniupnpd in " + router.name() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
