# Use from another flake:
#   inputs.automesh.url = "git+https://<this repository>?dir=packaging/nix";
#   modules = [ automesh.nixosModules.default { services.automesh = { enable = true; ... }; } ];
# From a clone: `nix build ./packaging/nix`, `nix flake check ./packaging/nix` (runs test.nix).
# The flake lives in packaging/nix to keep the repository's top level small; Nix copies the whole
# git repository, so package.nix reaches the sources at ../.. .
{
  description = "automesh: serverless WireGuard full-mesh agent (wgautomesh successor)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: rec {
        automesh = pkgs.callPackage ./package.nix { };
        default = automesh;
      });

      overlays.default = final: _prev: { automesh = final.callPackage ./package.nix { }; };

      nixosModules.automesh =
        { lib, pkgs, ... }:
        {
          imports = [ ./module.nix ];
          services.automesh.package =
            lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.automesh;
        };
      nixosModules.default = self.nixosModules.automesh;

      checks = forAllSystems (pkgs: {
        vm-test = import ./test.nix {
          inherit pkgs;
          package = self.packages.${pkgs.stdenv.hostPlatform.system}.automesh;
        };
      });
    };
}
