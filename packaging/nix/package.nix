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

  # The class-data-sharing archive is built here, for this jre_headless and the jar at its store
  # path, from the class list of a real agent run (packaging/automesh.classlist): the JVM maps it
  # only for that jar path, size and mtime. The store sets every mtime to 1 s after the epoch once
  # the build ends, so the jar gets that mtime before the dump. Nothing of the agent runs in the
  # sandbox (a static -Xshare:dump). If no archive results, the wrapper runs without one; another
  # JDK than this one could not use it and falls back silently.
  installPhase = ''
    runHook preInstall
    jar=$out/share/automesh/automesh.jar
    jsa=$out/share/automesh/automesh.jsa
    install -Dm644 target/automesh.jar $jar
    touch -d @1 $jar
    sh ${../cds-archive.sh} ${jre_headless}/bin/java $jar $jsa ${../automesh.classlist}
    cds=""
    if [ -f $jsa ]; then cds="-XX:SharedArchiveFile=$jsa"; fi
    makeWrapper ${jre_headless}/bin/java $out/bin/automesh \
      --add-flags "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xshare:auto $cds" \
      --add-flags "-Xlog:cds=off,cds+dynamic=off" \
      --add-flags "\''${AUTOMESH_JAVA_OPTS:-}" \
      --add-flags "-jar $jar"
    runHook postInstall
  '';

  meta = {
    description = "Serverless WireGuard full-mesh agent, a drop-in successor of wgautomesh";
    license = lib.licenses.agpl3Only;
    platforms = lib.platforms.linux;
    mainProgram = "automesh";
  };
}
