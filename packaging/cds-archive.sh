#!/bin/sh
# Builds automesh's class-data-sharing archive (dynamic AppCDS, JDK 13+) for one JDK and one jar:
#   packaging/cds-archive.sh JAVA JAR ARCHIVE [JVM FLAGS...]
# JAR must be at the path it will be run from, with its final mtime: the JVM later maps the archive
# only for that exact path, size and mtime (and that exact JDK build), and falls back silently
# (-Xshare:auto) otherwise. The training run is the agent's start-up as far as it goes without a
# WireGuard interface: CLI, config, logging, the kernel backend's netlink probe (JNA), the wait loop;
# then SIGTERM and the dump at exit. Needs no root and no network, opens no socket but netlink, and
# leaves no process behind. Never fails the caller: without an archive the agent only starts slower.
set -u
java=$1 jar=$2 archive=$3
shift 3
say() { echo "automesh: $*" >&2; }
rm -f "$archive"
if ! "$java" -version >/dev/null 2>&1; then say "no CDS archive: $java does not run"; exit 0; fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/automesh-cds.XXXXXX") || { say "no CDS archive: no temp dir"; exit 0; }
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
cat > "$tmp/train.toml" <<EOF
interface = "amcdstrain0"
gossip_port = 1666
gossip_secret = "class-data-sharing training run"
persist_file = "$tmp/state"
control_socket = "$tmp/ctl.sock"
lan_discovery = true

[[peers]]
name = "training"
pubkey = "7Nm7pMmyS7Nts1MB+loyD8u84ODxHPTkDu+uqQR6yDk="
address = "10.14.1.2"
endpoint = "192.0.2.1:51820"
EOF
# No JOURNAL_STREAM: the log then has timestamps, the path a terminal sees; both share their classes.
env -u JOURNAL_STREAM AUTOMESH_LOG_LEVEL=info "$java" "$@" -Djna.tmpdir="$tmp" -XX:ArchiveClassesAtExit="$tmp/a.jsa" \
    -jar "$jar" run "$tmp/train.toml" >"$tmp/out" 2>&1 &
pid=$!
# Until the agent has looked for the interface once (it then waits, or exits when it may not look).
i=0
while [ $i -lt 300 ] && kill -0 "$pid" 2>/dev/null && ! grep -q 'WireGuard' "$tmp/out"; do
  sleep 0.1; i=$((i + 1))
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
if [ ! -s "$tmp/a.jsa" ]; then
  say "no CDS archive: the training run wrote none; its output: $(tail -n 3 "$tmp/out" | tr '\n' ' ')"
  exit 0
fi
# Only a complete archive lands at its place; the JVM reads it, nobody writes it.
mkdir -p "$(dirname "$archive")" && mv "$tmp/a.jsa" "$archive" && chmod 0644 "$archive" \
  || { say "no CDS archive: cannot write $archive"; rm -f "$archive"; exit 0; }
