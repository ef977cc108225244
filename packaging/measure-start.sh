#!/usr/bin/env bash
# JVM start of the real agent with the unit's flags, without and with a class-data-sharing archive:
#   none     the JDK's own CDS archive only
#   install  the archive `make install` builds (packaging/cds-archive.sh: a static archive of the
#            classes in packaging/automesh.classlist)
#   dynamic  a dynamic archive (-XX:ArchiveClassesAtExit) trained on a complete agent run here
#   wait     a dynamic archive trained on what runs without a WireGuard interface (the agent up
#            to its interface wait, stopped after its first "WireGuard" line)
# For each: RUNS times (default 5) the time from starting the process to its "automesh running" log
# line (one namespace, wireguard-go wg0, 2 configured peers), and `check config.toml.example` to exit.
# Prints every run and the median. Root only. Usage: packaging/measure-start.sh [RUNS]  (after mvn package)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
# The unit's JVM flags without its own archive path.
unit_flags=$(sed -n 's|^ExecStart=/usr/bin/java \(.*\) -jar .*|\1|p' packaging/systemd/automesh.service \
  | sed 's| \$AUTOMESH_CDS||')
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

packaging/cds-archive.sh java "$jar" "$dir/install.jsa"
# shellcheck disable=SC2086
"${in_ns[@]}" java $unit_flags -XX:ArchiveClassesAtExit="$dir/dynamic.jsa" -jar "$jar" run "$dir/config.toml" \
  >"$dir/agent.log" 2>&1 & agent=$!; pids+=($agent)
until grep -q 'automesh running' "$dir/agent.log"; do sleep 0.05; done
sleep 3; stop_agent
sed 's|^interface = .*|interface = "amstwait0"|' "$dir/config.toml" > "$dir/wait.toml"
# shellcheck disable=SC2086
java $unit_flags -XX:ArchiveClassesAtExit="$dir/wait.jsa" -jar "$jar" run "$dir/wait.toml" >"$dir/wait.log" 2>&1 & w=$!; pids+=($w)
for _ in $(seq 100); do grep -q WireGuard "$dir/wait.log" && break; sleep 0.1; done
kill $w; wait $w 2>/dev/null || true
ls -l "$dir"/*.jsa | awk '{print $5, $9}'
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"

for variant in none install dynamic wait; do
  extra=()
  [ $variant != none ] && extra=(-XX:SharedArchiveFile="$dir/$variant.jsa")
  rt=() rc=() ct=() cc=()
  for _ in $(seq "$runs"); do
    : > "$dir/agent.log"
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    "${in_ns[@]}" java $unit_flags "${extra[@]}" -jar "$jar" run "$dir/config.toml" >"$dir/agent.log" 2>&1 &
    agent=$!; pids+=($agent)
    until grep -q 'automesh running' "$dir/agent.log"; do sleep 0.005; done
    rt+=("$(ms_since "$t0")")
    # CPU time (user + system) spent until then: what load on the machine does not inflate.
    rc+=("$(awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' /proc/$agent/stat)")
    stop_agent
    TIMEFORMAT='%3R %3U %3S'
    # shellcheck disable=SC2086
    t=$( { time java $unit_flags "${extra[@]}" -jar "$jar" check config.toml.example >/dev/null; } 2>&1 )
    ct+=("$(echo "$t" | awk '{print int($1 * 1000)}')"); cc+=("$(echo "$t" | awk '{print int(($2 + $3) * 1000)}')")
  done
  # The archive was mapped (not silently refused): one more run with -Xlog:cds.
  mapped=-
  if [ $variant != none ]; then
    # shellcheck disable=SC2086
    java $unit_flags "${extra[@]}" -Xlog:cds -jar "$jar" --version | grep -cE 'Mapped (dynamic|static) +region' >/dev/null && mapped=yes || mapped=NO
  fi
  printf '%-9s archive mapped %-3s  start to "automesh running": %5s ms wall (runs: %s), %5s ms CPU (runs: %s)\n' \
    $variant $mapped "$(printf '%s\n' "${rt[@]}" | median)" "${rt[*]}" "$(printf '%s\n' "${rc[@]}" | median)" "${rc[*]}"
  printf '%-9s                     check config.toml.example: %5s ms wall (runs: %s), %5s ms CPU (runs: %s)\n' \
    "" "$(printf '%s\n' "${ct[@]}" | median)" "${ct[*]}" "$(printf '%s\n' "${cc[@]}" | median)" "${cc[*]}"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
