# NixOS VM test: three nodes on one virtual LAN. `pub` is the only node whose endpoint is
# configured; `a` and `b` know nothing of each other but their keys, and have LAN discovery off,
# so a tunnel between them needs gossip through `pub`. Run: `nix flake check ./packaging/nix`, or
#   nix-build packaging/nix/test.nix   (with <nixpkgs> on NIX_PATH)
# Keys below are throwaway test keys, used nowhere else.
{
  pkgs ? import <nixpkgs> { },
  package ? pkgs.callPackage ./package.nix { },
}:

let
  nodes = {
    pub = {
      ip = "192.168.1.1";
      mesh = "10.23.0.1";
      private = "YI52AQX4uWf81etbSZi+cZ7SzG7/LUnGAGdjMyx6b10=";
      public = "6xN07WTQyK4oIEYfwdYJO0hsjQurerU+bse5lDWVLCs=";
    };
    a = {
      ip = "192.168.1.2";
      mesh = "10.23.0.2";
      private = "KBwW/hTp3YfPMixpdMnh8/tBZfKLYufXwavAVYbZ11I=";
      public = "rZqEJmzKwnTMaD/fDYJIvjIaInGULlgA6rXxpaDT93U=";
    };
    b = {
      ip = "192.168.1.3";
      mesh = "10.23.0.3";
      private = "wHY9Bq+OR0sdVDfRr6nVQ1KuzO7hdb8n7tQHXSBAQXw=";
      public = "qlkC2l9YintXdWAGgIMVdiNwv2AnlZR7/BQAwOSPhnY=";
    };
  };

  node =
    name: n:
    { lib, ... }:
    {
      imports = [ ./module.nix ];
      virtualisation.vlans = [ 1 ];
      networking.interfaces.eth1.ipv4.addresses = lib.mkForce [
        {
          address = n.ip;
          prefixLength = 24;
        }
      ];
      networking.firewall.allowedUDPPorts = [ 51820 ];

      # The interface is made by NixOS; automesh only manages its peers.
      networking.wireguard.interfaces.wg0 = {
        ips = [ "${n.mesh}/24" ];
        listenPort = 51820;
        privateKeyFile = "${pkgs.writeText "wg-${name}.key" n.private}";
      };

      # Written at activation, outside the store path the service reads (a credential copy).
      environment.etc."automesh/gossip_secret" = {
        text = "vm-test-secret";
        mode = "0400";
      };

      services.automesh = {
        enable = true;
        inherit package;
        logLevel = "debug";
        gossipSecretFile = "/etc/automesh/gossip_secret";
        settings = {
          interface = "wg0";
          lan_discovery = false;
          peers = lib.mapAttrsToList (_: p: {
            pubkey = p.public;
            address = p.mesh;
            endpoint = if p == nodes.pub then "${p.ip}:51820" else null;
          }) nodes;
        };
      };
    };
in
pkgs.testers.runNixOSTest {
  name = "automesh";
  nodes = builtins.mapAttrs node nodes;
  testScript = ''
    start_all()
    for m in (pub, a, b):
        m.wait_for_unit("automesh.service")

    # The agent runs as a dynamic user holding only CAP_NET_ADMIN.
    a.succeed("test \"$(systemctl show -P User automesh)\" != root")
    a.succeed("grep -q '^CapEff:.*0000000000001000$' /proc/$(systemctl show -P MainPID automesh)/status")

    # a and b were configured with pub's endpoint only: a tunnel between them means gossip worked.
    a.wait_until_succeeds("ping -c1 -W1 ${nodes.b.mesh}", timeout=90)
    b.wait_until_succeeds("ping -c1 -W1 ${nodes.a.mesh}", timeout=90)
    a.succeed("wg show wg0 endpoints | grep -F '${nodes.b.ip}:51820'")
    # Every peer connected: `automesh status` (default socket in the RuntimeDirectory) exits 0.
    for m in (pub, a, b):
        m.wait_until_succeeds("automesh status", timeout=60)

    # Persistence: the state file is in the StateDirectory and survives a restart.
    a.wait_until_succeeds("test -s /var/lib/automesh/state", timeout=60)
    a.succeed("systemctl restart automesh")
    a.wait_until_succeeds("ping -c1 -W1 ${nodes.b.mesh}", timeout=60)

    # The secret never entered the generated configuration.
    a.succeed(
        "f=$(systemctl show -P ExecStart automesh | grep -o '/nix/store/[^ ]*automesh.toml'); "
        + "test -s \"$f\" && grep -q gossip_secret_file \"$f\" && ! grep -q vm-test-secret \"$f\""
    )
  '';
}
