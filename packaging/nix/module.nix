# NixOS module services.automesh. Its options are those of nixpkgs' services.wgautomesh (same
# names, types and defaults), plus `package` and `jvmOptions`: a wgautomesh host switches by
# renaming the service. Differences in how it runs, not in what users write:
# - the secret file reaches the agent as a systemd credential at a fixed path, so the generated
#   config (in the Nix store) names that path and no ExecStartPre/envsubst step is needed;
# - the unit carries the hardening of packaging/systemd/automesh.service.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  inherit (lib)
    mkEnableOption
    mkIf
    mkOption
    types
    ;
  cfg = config.services.automesh;
  settingsFormat = pkgs.formats.toml { };

  # The TOML generator cannot express null: drop null keys (top level and in peers).
  configFile = settingsFormat.generate "automesh.toml" (
    lib.filterAttrs (_: v: v != null) (
      lib.mapAttrs (
        k: v: if k == "peers" then map (lib.filterAttrs (_: pv: pv != null)) v else v
      ) cfg.settings
    )
  );

  credentialPath = "/run/credentials/automesh.service/gossip_secret";
  # toString: a path literal must not be copied into the world-readable store.
  secretSource = toString cfg.gossipSecretFile;
in
{
  options.services.automesh = {
    enable = mkEnableOption "the automesh WireGuard full-mesh agent";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The automesh package (its `automesh` wrapper runs the jar on a headless JRE).";
    };

    logLevel = mkOption {
      type = types.enum [
        "trace"
        "debug"
        "info"
        "warn"
        "error"
      ];
      default = "info";
      description = "automesh log level.";
    };

    enableGossipEncryption = mkOption {
      type = types.bool;
      default = true;
      description = "Enable encryption of gossip traffic.";
    };

    gossipSecretFile = mkOption {
      type = types.path;
      description = ''
        File containing the gossip secret, a shared secret key to use for gossip encryption.
        Required if `enableGossipEncryption` is set. The file is read verbatim: a trailing newline
        is part of the secret. Keep it outside the Nix store (e.g. written by agenix/sops-nix);
        it is passed to the service as a systemd credential. To generate one:
        `openssl rand -base64 32 | tr -d '\n'`.
      '';
    };

    enablePersistence = mkOption {
      type = types.bool;
      default = true;
      description = "Enable persistence of Wireguard peer info between restarts.";
    };

    openFirewall = mkOption {
      type = types.bool;
      default = true;
      description = "Automatically open gossip port in firewall (recommended).";
    };

    jvmOptions = mkOption {
      type = types.listOf types.str;
      # Measured small-footprint settings (packaging/README.md, "JVM footprint"); the wrapper
      # already adds -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xshare:auto and
      # the package's class-data-sharing archive (-XX:SharedArchiveFile, built with the package).
      # The same as the systemd unit's ExecStart (packaging/systemd/automesh.service), including
      # the small young generation, heap free ratios and compile threshold that keep 1000 peers
      # under 64 MiB of RSS (BENCHMARKS.md, "1000 peers on a real device").
      default = [
        "-Xms8m"
        "-Xmx48m"
        "-Xmn2m"
        "-XX:MinHeapFreeRatio=10"
        "-XX:MaxHeapFreeRatio=20"
        "-XX:MaxMetaspaceSize=24m"
        "-XX:ReservedCodeCacheSize=16m"
        "-XX:CompileThresholdScaling=3"
        "-Xss256k"
        "-XX:+ExitOnOutOfMemoryError"
        "-Dio.netty.allocator.type=unpooled"
      ];
      example = [ "-Xmx96m" ];
      description = "Options for the JVM running the agent (later flags override earlier ones).";
    };

    settings = mkOption {
      type = types.submodule {
        freeformType = settingsFormat.type;
        options = {
          interface = mkOption {
            type = types.str;
            description = ''
              Wireguard interface to manage (it is NOT created by automesh, you should use
              another NixOS option to create it such as
              `networking.wireguard.interfaces.wg0 = {...};`).
            '';
            example = "wg0";
          };
          gossip_port = mkOption {
            type = types.port;
            default = 1666;
            description = ''
              automesh gossip port, this MUST be the same number on all nodes in the mesh.
            '';
          };
          lan_discovery = mkOption {
            type = types.bool;
            default = true;
            description = "Enable discovery of peers on the same LAN using UDP broadcast.";
          };
          upnp_forward_external_port = mkOption {
            type = types.nullOr types.port;
            default = null;
            description = ''
              Public port number to try to redirect to this machine's Wireguard daemon using
              UPnP IGD.
            '';
          };
          peers = mkOption {
            type = types.listOf (
              types.submodule {
                options = {
                  pubkey = mkOption {
                    type = types.str;
                    description = "Wireguard public key of this peer.";
                  };
                  address = mkOption {
                    type = types.str;
                    description = ''
                      Wireguard address of this peer (a single IP address, multiple addresses
                      or address ranges are not supported).
                    '';
                    example = "10.0.0.42";
                  };
                  endpoint = mkOption {
                    type = types.nullOr types.str;
                    default = null;
                    description = ''
                      Bootstrap endpoint for connecting to this Wireguard peer if no other
                      address is known or none are working.
                    '';
                    example = "wgnode.mydomain.example:51820";
                  };
                };
              }
            );
            default = [ ];
            description = "automesh peer list.";
          };
        };
      };
      default = { };
      description = "Configuration for automesh (config.toml keys; see config.toml.example).";
    };
  };

  config = mkIf cfg.enable {
    warnings = lib.optional (
      cfg.enableGossipEncryption && lib.hasPrefix builtins.storeDir secretSource
    ) "services.automesh.gossipSecretFile is in the Nix store, readable by every local user.";

    # `automesh status` / `automesh check` for the administrator.
    environment.systemPackages = [ cfg.package ];

    services.automesh.settings = {
      gossip_secret_file = mkIf cfg.enableGossipEncryption credentialPath;
      persist_file = mkIf cfg.enablePersistence "/var/lib/automesh/state";
    };

    systemd.services.automesh = {
      description = "automesh WireGuard full-mesh agent";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [
        "network-online.target"
        "wireguard-${cfg.settings.interface}.service"
      ];
      environment = {
        AUTOMESH_LOG_LEVEL = cfg.logLevel;
        AUTOMESH_JAVA_OPTS = lib.concatStringsSep " " cfg.jvmOptions;
        # One glibc malloc arena, as in the systemd unit: less native memory held per thread.
        MALLOC_ARENA_MAX = "1";
      };
      restartTriggers = [ configFile ];
      serviceConfig = {
        Type = "simple";
        ExecStart = "${lib.getExe cfg.package} run ${configFile}";
        SuccessExitStatus = 143;
        Restart = "always";
        RestartSec = "5";
        TimeoutStopSec = "10";
        LoadCredential = mkIf cfg.enableGossipEncryption [ "gossip_secret:${secretSource}" ];

        DynamicUser = true;
        StateDirectory = "automesh";
        StateDirectoryMode = "0700";
        RuntimeDirectory = "automesh";
        RuntimeDirectoryMode = "0755";
        UMask = "0077";

        AmbientCapabilities = [ "CAP_NET_ADMIN" ];
        CapabilityBoundingSet = [ "CAP_NET_ADMIN" ];
        NoNewPrivileges = true;

        # What a JVM tolerates: not MemoryDenyWriteExecute (JIT), not PrivateUsers (the
        # capability must act on the host network namespace), not ProcSubset=pid.
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        ProtectProc = "invisible";
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        RestrictAddressFamilies = [
          "AF_UNIX"
          "AF_INET"
          "AF_INET6"
          "AF_NETLINK"
        ];
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        RemoveIPC = true;
        SystemCallArchitectures = "native";
        SystemCallFilter = [ "@system-service" ];
        SystemCallErrorNumber = "EPERM";
      };
    };

    networking.firewall.allowedUDPPorts = mkIf cfg.openFirewall [ cfg.settings.gossip_port ];
  };
}
