#!/usr/bin/env bash
# Many peers on a real device: the packaged agent (the systemd unit's flags) on wireguard-go in a
# namespace, its config listing PEERS peers: a, b, c, d with real endpoints (four namespaces on one
# bridge, an agent each; b, c, d list only the four), the rest fresh keys with mesh addresses and no
# endpoint. Agent a is measured after WARMUP seconds, over SECONDS more: CPU (utime+stime of
# /proc/PID/stat, schedstat per thread) per second and per device poll, VmRSS/VmHWM, and the wall
# time of `automesh status` (the jar's CLI) and of the raw control-socket round trip, median of 5.
# Root only. Usage (after `mvn package`):
#   packaging/bench-thousand-peers.sh [SECONDS] [WARMUP] [PEERS ...]   (default 60 20 100 1000)
# EXTRA="flags": JVM flags after the unit's for agent a (e.g. -Xlog:gc:file=/tmp/gc.log).
# ENV="VAR=value ...": environment variables for agent a only (e.g. MALLOC_ARENA_MAX=2).
# JAR=path: another build of the jar (default target/automesh.jar).
# JSTACK=N: N thread dumps of agent a during the window (mesh and wg threads printed).
set -euo pipefail
export LC_ALL=C
umask 077
cd "$(dirname "$0")/.."
secs=${1:-60}
warmup=${2:-20}
shift $(( $# < 2 ? $# : 2 ))
sizes=("$@"); [ $# -eq 0 ] && sizes=(100 1000)
poll_ms=1000
unit_flags=$(sed -n 's|^ExecStart=/usr/bin/java \(.*\) -jar .*|\1|p' packaging/systemd/automesh.service)
tag=amtp$$
dir=/run/automesh-testbed/$tag
pids=()
nodes=(a b c d)
declare -A lan=([a]=192.0.2.1 [b]=192.0.2.2 [c]=192.0.2.3 [d]=192.0.2.4) mesh=([a]=10.88.0.1 [b]=10.88.0.2 [c]=10.88.0.3 [d]=10.88.0.4) pub
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  for n in "${nodes[@]}"; do ip netns del $tag$n 2>/dev/null || true; done
  ip netns del ${tag}hub 2>/dev/null || true
}
cleanup() { stop_all; rm -rf "$dir"; }
trap cleanup EXIT
bind='mount --bind "$0" /run/wireguard && exec "$@"'
in_ns() { local n=$1; shift; ip netns exec "$tag$n" unshare --mount -- sh -c "$bind" "$dir/$n/wg" "$@"; }
mkdir -p "$dir" /run/wireguard
cp -p "${JAR:-target/automesh.jar}" "$dir/automesh.jar"; jar=$dir/automesh.jar
packaging/cds-archive.sh java "$jar" "$dir/automesh.jsa"
unit_flags=$(echo "$unit_flags" | sed "s|\$AUTOMESH_CDS|-XX:SharedArchiveFile=$dir/automesh.jsa|")
# The CLI with the flags of `automesh status` as installed (packaging/bin/automesh.in).
cli_flags="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xshare:auto -XX:SharedArchiveFile=$dir/automesh.jsa -Xlog:cds=off,cds+dynamic=off"
hz=$(getconf CLK_TCK)
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/{printf "%.0f GB", $2 / 1048576}' /proc/meminfo), $(java -version 2>&1 | head -1), kernel $(uname -r)"
echo "wireguard-go $(wireguard-go --version 2>&1 | head -1 | awk '{print $NF}')"

setup() {  # four namespaces on a bridge, wireguard-go in each
  ip netns add ${tag}hub
  ip -n ${tag}hub link add br0 type bridge; ip -n ${tag}hub link set br0 up
  for n in "${nodes[@]}"; do
    rm -rf "$dir/$n"; mkdir -p "$dir/$n/wg"
    ip netns add $tag$n
    ip link add v$n netns ${tag}hub type veth peer name veth0 netns $tag$n
    ip -n ${tag}hub link set v$n master br0; ip -n ${tag}hub link set v$n up
    ip -n $tag$n link set lo up; ip -n $tag$n addr add ${lan[$n]}/24 dev veth0; ip -n $tag$n link set veth0 up
    wg genkey > "$dir/$n/key"; pub[$n]=$(wg pubkey < "$dir/$n/key")
    WG_PROCESS_FOREGROUND=1 ip netns exec $tag$n unshare --mount -- sh -c "$bind" "$dir/$n/wg" wireguard-go -f wg0 \
      >"$dir/$n/wg.log" 2>&1 & pids+=($!)
  done
  for n in "${nodes[@]}"; do
    while [ ! -S "$dir/$n/wg/wg0.sock" ]; do sleep 0.05; done
    in_ns $n wg set wg0 private-key "$dir/$n/key" listen-port 51820
    ip -n $tag$n addr add ${mesh[$n]}/16 dev wg0; ip -n $tag$n link set wg0 up
  done
}

run() {
  local npeers=$1
  setup
  for n in "${nodes[@]}"; do
    { echo 'interface = "wg0"'; echo 'gossip_port = 1666'; echo 'gossip_secret = "thousand"'
      echo "persist_file = \"$dir/$n/state\""; echo "control_socket = \"$dir/$n/ctl.sock\""; echo 'lan_discovery = true'
      echo "poll_interval_ms = $poll_ms"
      for m in "${nodes[@]}"; do printf '\n[[peers]]\nname = "%s"\npubkey = "%s"\naddress = "%s"\nendpoint = "%s:51820"\n' \
        $m "${pub[$m]}" "${mesh[$m]}" "${lan[$m]}"; done; } > "$dir/$n/config.toml"
  done
  for i in $(seq 5 "$npeers"); do
    printf '\n[[peers]]\npubkey = "%s"\naddress = "10.88.%d.%d"\n' "$(wg genkey | wg pubkey)" $((i / 250 + 1)) $((i % 250 + 1))
  done >> "$dir/a/config.toml"
  echo "== agent a: EXTRA='${EXTRA:-}' ENV='${ENV:-}'"
  echo "== $npeers peers configured on a ($(grep -c '^\[\[peers\]\]' "$dir/a/config.toml") entries incl. a itself), load $(load)"
  local agent
  for n in "${nodes[@]}"; do
    # shellcheck disable=SC2086
    ip netns exec $tag$n unshare --mount -- sh -c "$bind" "$dir/$n/wg" $([ $n = a ] && [ -n "${ENV:-}" ] && echo "env ${ENV}") \
      java $unit_flags $([ $n = a ] && echo "${EXTRA:-}") \
      -jar "$jar" run "$dir/$n/config.toml" >"$dir/$n/agent.log" 2>&1 & pids+=($!)
    [ $n = a ] && agent=$!
  done
  local t0; t0=$(date +%s%N)
  local want=$((npeers - 1)) have=0 tdev= tmesh=
  # Device populated: all peers but a itself in wireguard-go. Mesh up: a pings b, c and d through wg0.
  while [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt "$warmup" ] || [ -z "$tdev" ] || [ -z "$tmesh" ]; do
    [ $(( ($(date +%s%N) - t0) / 1000000000 )) -gt 180 ] && { echo "not up after 180 s (device $have/$want peers)"; tail -n 20 "$dir/a/agent.log"; return 1; }
    [ -d /proc/$agent ] || { echo "agent a DIED"; tail -n 20 "$dir/a/agent.log"; return 1; }
    if [ -z "$tdev" ]; then have=$(in_ns a wg show wg0 peers 2>/dev/null | wc -l)
      [ "$have" -ge "$want" ] && tdev=$(( ($(date +%s%N) - t0) / 1000000 )); fi
    if [ -z "$tmesh" ] && in_ns a sh -c "ping -c1 -W1 ${mesh[b]} && ping -c1 -W1 ${mesh[c]} && ping -c1 -W1 ${mesh[d]}" >/dev/null 2>&1; then
      tmesh=$(( ($(date +%s%N) - t0) / 1000000 )); fi
    sleep 0.5
  done
  echo "  device holds $want peers after ${tdev} ms; a reaches b, c, d through wg0 after ${tmesh} ms (agent start = 0)"
  snap() { for t in /proc/$agent/task/*; do printf '%s\t%s\n' "$(cat $t/comm)" "$(awk '{print $1}' $t/schedstat)"; done 2>/dev/null \
    | awk -F'\t' '{sub(/-?[0-9]+$/, "", $1); c[$1] += $2} END {for (k in c) print k "\t" c[k]}' | sort; }
  snap > "$dir/before"; local c0 w0 c1 w1 l0 l1
  c0=$(awk '{print $14 + $15}' /proc/$agent/stat); w0=$(date +%s%N); l0=$(load)
  if [ -n "${JSTACK:-}" ]; then
    for k in $(seq "$JSTACK"); do sleep $((secs / (JSTACK + 1))); jcmd $agent Thread.print > "$dir/jstack$k" 2>/dev/null || true
      awk '/^"automesh-(mesh|wg)/{p = 1} p && /^$/{p = 0; print "  ----"} p' "$dir/jstack$k" | sed -n 1,60p; done
    sleep $((secs - JSTACK * (secs / (JSTACK + 1))))
  else sleep "$secs"; fi
  c1=$(awk '{print $14 + $15}' /proc/$agent/stat); w1=$(date +%s%N); l1=$(load)
  snap > "$dir/after"
  local win_ms=$(( (w1 - w0) / 1000000 ))
  local polls=$(( win_ms / poll_ms ))
  awk -v c=$((c1 - c0)) -v hz="$hz" -v ms=$win_ms -v p=$polls 'BEGIN {cpu = c / hz * 1000;
    printf "  CPU over %.1f s (utime+stime): %d ms = %.2f%% of one core = %.2f ms per poll (%d polls of %d ms)\n", ms / 1000, cpu, 100 * cpu / ms, cpu / p, p, ms / p}'
  echo "  load before/after the window: $l0 / $l1"
  join -t$'\t' -a2 -e0 -o '0,1.2,2.2' "$dir/before" "$dir/after" | awk -F'\t' -v p=$polls '($3 - $2) > 1e6 {printf "    %-26s %8.1f ms  %6.3f ms/poll\n", $1, ($3 - $2) / 1e6, ($3 - $2) / 1e6 / p}' | sort -k2 -nr -t$'\t'
  awk '/^(VmRSS|VmHWM|RssAnon|RssFile|Threads):/{printf "  %s %s %s", $1, $2, $3} END {print ""}' /proc/$agent/status
  jcmd $agent GC.heap_info 2>/dev/null | sed -n "1,8s/^/    /p" || true
  # `automesh status`: the jar's CLI, 5 times; then the raw socket round trip (request line to EOF), 5 times each format.
  local t ex out; : > "$dir/cli"
  for k in 1 2 3 4 5; do
    t=$(date +%s%N); ex=0; out=$(java $cli_flags -jar "$jar" status --socket "$dir/a/ctl.sock" 2>&1) || ex=$?
    echo $(( ($(date +%s%N) - t) / 1000000 )) >> "$dir/cli"
  done
  echo "  automesh status (CLI, new JVM): median $(median < "$dir/cli") ms of [$(paste -sd' ' "$dir/cli")], exit $ex, $(echo "$out" | wc -l) lines, load $(load)"
  printf "%s\n" "$out" | sed -n "1,4s/^/    | /p"
  for fmt in text json; do
    python3 - "$dir/a/ctl.sock" "$fmt" <<'EOF'
import socket, sys, time, statistics
ts, n = [], 0
for _ in range(5):
    t = time.perf_counter()
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"status " + sys.argv[2].encode() + b"\n")
    b = bytearray()
    while True:
        d = s.recv(65536)
        if not d: break
        b += d
    s.close(); ts.append((time.perf_counter() - t) * 1000); n = len(b)
print("  raw socket 'status %s': median %.1f ms of [%s], %d bytes, first line %r" % (sys.argv[2], statistics.median(ts), " ".join("%.1f" % x for x in ts), n, bytes(b).split(b"\n")[0].decode()))
EOF
  done
  echo "  load: $(load)"
  stop_all
}
for n in "${sizes[@]}"; do run "$n"; done
