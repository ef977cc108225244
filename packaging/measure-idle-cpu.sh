#!/usr/bin/env bash
# Idle CPU and wake-ups of a connected agent with PEERS peers (default 10), the unit's flags: PEERS+1
# namespaces on one bridge, wireguard-go and an agent in each, every config listing every node with
# its endpoint. Once the measured agent (p0) sees all its peers connected and WARMUP seconds have
# passed, it is watched for SECONDS (default 30): CPU time (utime+stime of all its threads) as % of
# one core, and context switches per second per thread (voluntary ones are wake-ups from sleep).
# Root only. Usage: packaging/measure-idle-cpu.sh [SECONDS] [PEERS] [WARMUP]  (after `mvn package`)
# EXTRA="flags" in the environment: JVM flags added after the unit's, for the measured agent only.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
secs=${1:-30}
npeers=${2:-10}
warmup=${3:-20}
unit_flags=$(sed -n 's|^ExecStart=/usr/bin/java \(.*\) -jar .*|\1|p' packaging/systemd/automesh.service)
tag=amkic$$
dir=/run/automesh-testbed/$tag
pids=()
nodes=$(seq 0 "$npeers")
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for n in $nodes; do ip netns del $tag$n 2>/dev/null || true; done
  ip netns del ${tag}hub 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
bind='mount --bind "$0" /run/wireguard && exec "$@"'
mkdir -p "$dir" /run/wireguard
cp -p target/automesh.jar "$dir/automesh.jar"; jar=$dir/automesh.jar
packaging/cds-archive.sh java "$jar" "$dir/automesh.jsa"
unit_flags=$(echo "$unit_flags" | sed "s|\$AUTOMESH_CDS|-XX:SharedArchiveFile=$dir/automesh.jsa|")
ip netns add ${tag}hub
ip -n ${tag}hub link add br0 type bridge; ip -n ${tag}hub link set br0 up
declare -A pub
for n in $nodes; do
  mkdir -p "$dir/$n/wg"
  ip netns add $tag$n
  ip link add v$n netns ${tag}hub type veth peer name veth0 netns $tag$n
  ip -n ${tag}hub link set v$n master br0; ip -n ${tag}hub link set v$n up
  ip -n $tag$n link set lo up; ip -n $tag$n addr add 192.0.2.$((n + 1))/24 dev veth0; ip -n $tag$n link set veth0 up
  wg genkey > "$dir/$n/key"; pub[$n]=$(wg pubkey < "$dir/$n/key")
  WG_PROCESS_FOREGROUND=1 ip netns exec $tag$n unshare --mount -- sh -c "$bind" "$dir/$n/wg" wireguard-go -f wg0 \
    >"$dir/$n/wg.log" 2>&1 & pids+=($!)
done
for n in $nodes; do
  while [ ! -S "$dir/$n/wg/wg0.sock" ]; do sleep 0.05; done
  ip netns exec $tag$n unshare --mount -- sh -c "$bind" "$dir/$n/wg" wg set wg0 private-key "$dir/$n/key" listen-port 51820
  ip -n $tag$n addr add 10.77.0.$((n + 1))/24 dev wg0; ip -n $tag$n link set wg0 up
done
for n in $nodes; do
  { echo 'interface = "wg0"'; echo 'gossip_port = 1666'; echo 'gossip_secret = "idle"'
    echo "persist_file = \"$dir/$n/state\""; echo "control_socket = \"$dir/$n/ctl.sock\""; echo 'lan_discovery = true'
    for m in $nodes; do printf '\n[[peers]]\npubkey = "%s"\naddress = "10.77.0.%d"\nendpoint = "192.0.2.%d:51820"\n' \
      "${pub[$m]}" $((m + 1)) $((m + 1)); done; } > "$dir/$n/config.toml"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $nodes; do
  # shellcheck disable=SC2086
  ip netns exec $tag$n unshare --mount -- sh -c "$bind" "$dir/$n/wg" java $unit_flags $([ "$n" = 0 ] && echo "${EXTRA:-}") -jar "$jar" run "$dir/$n/config.toml" \
    >"$dir/$n/agent.log" 2>&1 & pids+=($!)
  [ "$n" = 0 ] && agent=$!
done
t0=$(date +%s)
until [ "$(java -XX:TieredStopAtLevel=1 -jar "$jar" status --socket "$dir/0/ctl.sock" >/dev/null 2>&1; echo $?)" = 0 ]; do
  [ $(( $(date +%s) - t0 )) -gt 120 ] && { echo "p0 not connected to all peers after 120 s"; java -jar "$jar" status --socket "$dir/0/ctl.sock" || true; exit 1; }
  sleep 1
done
echo "p0 connected to all $npeers peers after $(( $(date +%s) - t0 )) s; warming up ${warmup} s"
sleep "$warmup"
snap() {  # per thread: name, voluntary switches, involuntary switches, utime+stime ticks
  for t in /proc/$agent/task/*; do
    printf '%s\t%s\t%s\t%s\n' "$(cat "$t/comm")" "$(awk '/^voluntary_ctxt/{print $2}' "$t/status")" \
      "$(awk '/^nonvoluntary_ctxt/{print $2}' "$t/status")" "$(awk '{print $14 + $15}' "$t/stat")"
  done 2>/dev/null | sort
}
# CPU time in ns of all threads (schedstat), finer than the 10 ms ticks of /proc/PID/stat.
ns() { cat /proc/$agent/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d", s}'; }
snap > "$dir/before"; c0=$(awk '{print $14 + $15}' /proc/$agent/stat); n0=$(ns)
sleep "$secs"
snap > "$dir/after"; c1=$(awk '{print $14 + $15}' /proc/$agent/stat); n1=$(ns)
hz=$(getconf CLK_TCK)
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v c="$((c1 - c0))" -v hz="$hz" -v s="$secs" -v n="$((n1 - n0))" 'BEGIN {printf "p0 CPU over %d s: %.3f%% of one core (schedstat %d ms; /proc stat %d ticks of 1/%d s)\n", s, 100 * n / 1e9 / s, n / 1e6, c, hz}'
# Threads with the same name are summed; threads born or gone meanwhile count from zero.
join -t$'\t' -a2 -e0 -o '0,1.2,1.3,1.4,2.2,2.3,2.4' <(awk -F'\t' '{v[$1]+=$2; n[$1]+=$3; c[$1]+=$4} END {for (k in v) print k "\t" v[k] "\t" n[k] "\t" c[k]}' "$dir/before" | sort) \
  <(awk -F'\t' '{v[$1]+=$2; n[$1]+=$3; c[$1]+=$4} END {for (k in v) print k "\t" v[k] "\t" n[k] "\t" c[k]}' "$dir/after" | sort) \
  | awk -F'\t' -v s="$secs" '{w = ($5 - $2) / s; iv = ($6 - $3) / s; if (w + iv > 0) tot += w + iv; if (w + iv > 0) printf "  %-22s %7.2f wake-ups/s  %6.2f preemptions/s  %4d ticks\n", $1, w, iv, $7 - $4}
    END {printf "  all threads            %7.2f context switches/s\n", tot}'
