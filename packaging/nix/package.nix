# automesh, built from this repository with nixpkgs' Maven builder.
#
# mvnHash pins the Maven dependency set (a fixed-output derivation). It cannot be computed without
# nixpkgs, so it starts as lib.fakeHash: the first `nix build .#automesh` (from packaging/nix) fails
# with "hash mismatch ... got: sha256-..."; put that value here, once, and again whenever pom.xml
# changes its dependencies or plugins.
{
  lib,
  maven,
  makeWrapper,
  jre_headless,
  src ? ../..,
  mvnHash ? lib.fakeHash,
}:

maven.buildMavenPackage {
  pname = "automesh";
  version = "0.1.0";

  # Only what the build reads: a change to packaging/ or the docs does not rebuild the jar.
  src = lib.fileset.toSource {
    root = src;
    fileset = lib.fileset.unions [
      (src + "/pom.xml")
      (src + "/src/main")
    ];
  };

  inherit mvnHash;

  # Tests need root, network namespaces and wireguard-go: they run in the repository's CI and in
  # the NixOS VM test (packaging/nix/test.nix), not in the sandbox.
  mvnParameters = "-DskipTests";
  doCheck = false;

  nativeBuildInputs = [ makeWrapper ];

  installPhase = ''
    runHook preInstall
    install -Dm644 target/automesh.jar $out/share/automesh/automesh.jar
    makeWrapper ${jre_headless}/bin/java $out/bin/automesh \
      --add-flags "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xshare:auto" \
      --add-flags "\''${AUTOMESH_JAVA_OPTS:-}" \
      --add-flags "-jar $out/share/automesh/automesh.jar"
    runHook postInstall
  '';

  meta = {
    description = "Serverless WireGuard full-mesh agent, a drop-in successor of wgautomesh";
    license = lib.licenses.agpl3Only;
    platforms = lib.platforms.linux;
    mainProgram = "automesh";
  };
}
