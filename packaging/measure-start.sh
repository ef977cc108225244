#!/usr/bin/env bash
# JVM start of the real agent with the unit's flags, without and with a class-data-sharing archive:
#   none     the JDK's own CDS archive only
#   install  the archive `make install` builds (packaging/cds-archive.sh: agent start, no interface)
#   full     an archive trained on a complete agent run here (upper bound for what CDS can buy)
# For each: RUNS times (default 5) the time from starting the process to its "automesh running" log
# line (one namespace, wireguard-go wg0, 2 configured peers), and `check config.toml.example` to exit.
# Prints every run and the median. Root only. Usage: packaging/measure-start.sh [RUNS]  (after mvn package)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
# The unit's JVM flags without its own archive path.
unit_flags=$(sed -n 's|^ExecStart=/usr/bin/java \(.*\) -jar .*|\1|p' packaging/systemd/automesh.service \
  | sed 's| -XX:SharedArchiveFile=[^ ]*||')
tag=amkst$$
dir=/run/automesh-testbed/$tag
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del $tag 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir -p "$dir/wg" /run/wireguard
# A private copy: a rebuild of target/ meanwhile would change the jar's mtime and void the archives.
cp -p target/automesh.jar "$dir/automesh.jar"
jar=$dir/automesh.jar
bind='mount --bind "$0" /run/wireguard && exec "$@"'
ip netns add $tag
ip -n $tag link set lo up
WG_PROCESS_FOREGROUND=1 ip netns exec $tag unshare --mount -- sh -c "$bind" "$dir/wg" wireguard-go -f wg0 \
  >"$dir/wg.log" 2>&1 & pids+=($!)
while [ ! -S "$dir/wg/wg0.sock" ]; do sleep 0.05; done
wg genkey > "$dir/key"
ip netns exec $tag unshare --mount -- sh -c "$bind" "$dir/wg" wg set wg0 private-key "$dir/key" listen-port 51820
ip -n $tag addr add 10.66.0.1/24 dev wg0; ip -n $tag link set wg0 up
{ echo 'interface = "wg0"'; echo 'gossip_port = 1666'; echo 'gossip_secret = "start"'
  echo "persist_file = \"$dir/state\""; echo "control_socket = \"$dir/ctl.sock\""; echo 'lan_discovery = true'
  printf '\n[[peers]]\npubkey = "%s"\naddress = "10.66.0.1"\n' "$(wg pubkey < "$dir/key")"
  printf '\n[[peers]]\npubkey = "%s"\naddress = "10.66.0.2"\nendpoint = "192.0.2.2:51820"\n' "$(wg genkey | wg pubkey)"
} > "$dir/config.toml"

# The agent in the namespace: "${in_ns[@]}" java FLAGS -jar ... & (spelt out at each start, so that
# $! is the agent's PID and not that of a subshell running a function).
in_ns=(ip netns exec $tag unshare --mount -- sh -c "$bind" "$dir/wg")
stop_agent() { kill "$agent"; wait "$agent" 2>/dev/null || true; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# shellcheck disable=SC2086
packaging/cds-archive.sh java "$jar" "$dir/install.jsa" $unit_flags
# shellcheck disable=SC2086
"${in_ns[@]}" java $unit_flags -XX:ArchiveClassesAtExit="$dir/full.jsa" -jar "$jar" run "$dir/config.toml" \
  >"$dir/agent.log" 2>&1 & agent=$!; pids+=($agent)
until grep -q 'automesh running' "$dir/agent.log"; do sleep 0.05; done
sleep 3; stop_agent
ls -l "$dir/install.jsa" "$dir/full.jsa" | awk '{print $5, $9}'
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

for variant in none install full; do
  extra=()
  [ $variant != none ] && extra=(-XX:SharedArchiveFile="$dir/$variant.jsa")
  rt=() ct=()
  for _ in $(seq "$runs"); do
    : > "$dir/agent.log"
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    "${in_ns[@]}" java $unit_flags "${extra[@]}" -jar "$jar" run "$dir/config.toml" >"$dir/agent.log" 2>&1 &
    agent=$!; pids+=($agent)
    until grep -q 'automesh running' "$dir/agent.log"; do sleep 0.005; done
    rt+=("$(ms_since "$t0")")
    stop_agent
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    java $unit_flags "${extra[@]}" -jar "$jar" check config.toml.example >/dev/null
    ct+=("$(ms_since "$t0")")
  done
  # The archive was mapped (not silently refused): one more run with -Xlog:cds.
  mapped=-
  if [ $variant != none ]; then
    # shellcheck disable=SC2086
    java $unit_flags "${extra[@]}" -Xlog:cds -jar "$jar" --version | grep -c 'Mapped dynamic region' >/dev/null && mapped=yes || mapped=NO
  fi
  printf '%-8s archive mapped %-3s  start to "automesh running": %s ms (runs: %s)  check: %s ms (runs: %s)\n' \
    $variant $mapped "$(printf '%s\n' "${rt[@]}" | median)" "${rt[*]}" "$(printf '%s\n' "${ct[@]}" | median)" "${ct[*]}"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
