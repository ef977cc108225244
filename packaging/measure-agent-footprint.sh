#!/usr/bin/env bash
# RSS of the real agent, JVM defaults vs the unit's flags: two network namespaces joined by a veth,
# wireguard-go in each, one agent per namespace (both measured), gossiping and connected.
# Root only. Usage (after `mvn package`; FLOOD needs `mvn test-compile` too):
#   packaging/measure-agent-footprint.sh [SECONDS] [PEERS] [LABEL=EXTRA_FLAGS ...]
# PEERS (default 2): configured peers; beyond a and b they are fresh keys without endpoints.
# LABEL=EXTRA_FLAGS: one more run with the unit's flags followed by these (later flags win); leading
# NAME=VALUE words in EXTRA_FLAGS are set in the agents' environment instead.
# FLOOD=PPS in the environment: for the whole run b floods a's gossip port with PPS datagrams a
# second, half sealed Announces of fresh keys, half garbage (FreshKeyFlood); a must survive.
# FLOOD_KIND=garbage: garbage only. THREAD_NAMES=1: also list the agents' threads by name.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
npeers=${2:-2}
shift $(( $# < 2 ? $# : 2 ))
jar=$PWD/target/automesh.jar
# The unit's flags, its CDS archive replaced by one built here for this jar (make install's way).
unit_flags=$(sed -n 's|^ExecStart=/usr/bin/java \(.*\) -jar .*|\1|p' packaging/systemd/automesh.service)
tag=amkfp$$
dir=/run/automesh-testbed/$tag
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del ${tag}a 2>/dev/null || true; ip netns del ${tag}b 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
# Each namespace gets a private /run/wireguard. Every step execs, so $! of a background `in_ns`
# would be a subshell: background jobs spell the command out instead (their PID is then the program's).
in_ns() { local n=$1; shift; ip netns exec "$tag$n" unshare --mount -- sh -c 'mount --bind "$0" /run/wireguard && exec "$@"' "$dir/$n/wg" "$@"; }
bind='mount --bind "$0" /run/wireguard && exec "$@"'
mkdir -p /run/wireguard
ip netns add ${tag}a; ip netns add ${tag}b
ip link add veth0 netns ${tag}a type veth peer name veth0 netns ${tag}b
declare -A lan=([a]=192.0.2.1 [b]=192.0.2.2) mesh=([a]=10.66.0.1 [b]=10.66.0.2) priv pub
for n in a b; do
  mkdir -p "$dir/$n/wg"
  ip -n $tag$n link set lo up; ip -n $tag$n addr add ${lan[$n]}/24 dev veth0; ip -n $tag$n link set veth0 up
  priv[$n]=$(wg genkey); pub[$n]=$(echo "${priv[$n]}" | wg pubkey); echo "${priv[$n]}" > "$dir/$n/key"
  WG_PROCESS_FOREGROUND=1 ip netns exec $tag$n unshare --mount -- sh -c "$bind" "$dir/$n/wg" wireguard-go -f wg0 \
    >"$dir/$n/wg.log" 2>&1 & pids+=($!)
done
for n in a b; do
  while [ ! -S "$dir/$n/wg/wg0.sock" ]; do sleep 0.05; done
  in_ns $n wg set wg0 private-key "$dir/$n/key" listen-port 51820
  ip -n $tag$n addr add ${mesh[$n]}/24 dev wg0; ip -n $tag$n link set wg0 up
  { echo "interface = \"wg0\""; echo "gossip_port = 1666"; echo "gossip_secret = \"footprint\"";
    echo "persist_file = \"$dir/$n/state\""; echo "control_socket = \"$dir/$n/ctl.sock\""; echo "lan_discovery = true"
    for m in a b; do printf '\n[[peers]]\nname = "%s"\npubkey = "%s"\naddress = "%s"\nendpoint = "%s:51820"\n' \
      $m "${pub[$m]}" "${mesh[$m]}" "${lan[$m]}"; done; } > "$dir/$n/config.toml"
done
for i in $(seq 3 "$npeers"); do
  printf '\n[[peers]]\npubkey = "%s"\naddress = "10.66.%d.%d"\n' "$(wg genkey | wg pubkey)" $((i / 250 + 1)) $((i % 250 + 1))
done > "$dir/extra-peers.toml"
for n in a b; do cat "$dir/extra-peers.toml" >> "$dir/$n/config.toml"; done
cp -p "$jar" "$dir/automesh.jar"; jar=$dir/automesh.jar
packaging/cds-archive.sh java "$jar" "$dir/automesh.jsa"
unit_flags=$(echo "$unit_flags" | sed "s|\$AUTOMESH_CDS|-XX:SharedArchiveFile=$dir/automesh.jsa|")
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), peers configured: $npeers, flood: ${FLOOD:-none} ${FLOOD_KIND:-}"
measure() {
  local label=$1; shift; local ap=() flood= envs=()
  # Words NAME=VALUE (no leading dash) are environment variables for the agents, e.g. MALLOC_ARENA_MAX=2.
  while [ $# -gt 0 ] && [[ $1 != -* ]]; do envs+=("$1"); shift; done
  for n in a b; do
    ip netns exec $tag$n unshare --mount -- sh -c "$bind" "$dir/$n/wg" env "${envs[@]}" java "$@" -jar "$jar" run "$dir/$n/config.toml" \
      >"$dir/$n/agent-$label.log" 2>&1 & ap+=($!); pids+=($!)
  done
  if [ -n "${FLOOD:-}" ]; then
    ip netns exec ${tag}b java -cp "$PWD/target/test-classes:$PWD/target/classes:$jar" dev.automesh.packaging.FreshKeyFlood \
      ${lan[a]} 1666 "$secs" "$FLOOD" footprint ${FLOOD_KIND:-} >"$dir/flood-$label.log" 2>&1 & flood=$!; pids+=($flood)
  fi
  sleep "$secs"
  in_ns a ping -c1 -W2 ${mesh[b]} >/dev/null || { echo "$label: mesh did not come up; agent a log:"; tail -n 20 "$dir/a/agent-$label.log"; }
  for i in 0 1; do
    local s=/proc/${ap[$i]}/status
    if [ ! -e "$s" ]; then echo "$label agent $([ $i = 0 ] && echo a || echo b) DIED: $(tail -n 3 "$dir/$([ $i = 0 ] && echo a || echo b)/agent-$label.log")"; continue; fi
    printf '%-8s agent %s after %ss: VmRSS %6d KiB (anon %6d, file %6d)  VmHWM %6d KiB  threads %s' "$label" \
      "$([ $i = 0 ] && echo a || echo b)" "$secs" $(awk '/^(VmRSS|RssAnon|RssFile|VmHWM|Threads):/{print $2}' $s \
      | paste -sd' ' | awk '{print $2, $3, $4, $1, $5}')
    # THREAD_NAMES=1: the agent's threads by name (JVM-internal ones included), counted.
    [ -n "${THREAD_NAMES:-}" ] && echo && cat /proc/${ap[$i]}/task/*/comm | sed 's/[0-9]*$//' | sort | uniq -c | awk '{printf "    thread %3d x %s\n", $1, $2}'
    # Heap and metaspace in use, as the JVM sees them.
    jcmd ${ap[$i]} GC.heap_info 2>/dev/null | awk '{gsub(",", "")} /generation|heap/ {for (f = 1; f < NF; f++) if ($f == "used") h += $(f + 1)}
      /Metaspace/ {for (f = 1; f < NF; f++) if ($f == "used") m = $(f + 1)} END {printf "  heap used %dK, metaspace used %s\n", h, m}'
    # With -XX:NativeMemoryTracking=summary: committed memory per JVM category.
    case " $* " in *NativeMemoryTracking=*) [ $i = 0 ] && jcmd ${ap[$i]} VM.native_memory summary 2>/dev/null \
      | sed -n 's/^-  *\([A-Za-z][A-Za-z ]*\) (reserved=[0-9]*KB, committed=\([0-9]*\)KB)/\1 \2/p' \
      | awk '{c = $NF; $NF = ""; printf "    NMT %-24s %7d KiB committed\n", $0, c}';; esac
  done
  if [ -n "$flood" ]; then wait "$flood" 2>/dev/null || true; echo "  flood: $(cat "$dir/flood-$label.log")"; fi
  for p in "${ap[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
}
[ -n "${SKIP_DEFAULT:-}" ] || measure default
# shellcheck disable=SC2086
measure unit $unit_flags
for v in "$@"; do
  # shellcheck disable=SC2086
  # shellcheck disable=SC2086
  set -- ${v#*=}; ev=(); while [ $# -gt 0 ] && [[ $1 != -* ]]; do ev+=("$1"); shift; done
  # shellcheck disable=SC2086
  measure "${v%%=*}" "${ev[@]}" $unit_flags "$@"
done
