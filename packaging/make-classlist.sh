#!/usr/bin/env bash
# Writes packaging/automesh.classlist: the classes a real agent loads, from which install time builds
# the class-data-sharing archive (packaging/cds-archive.sh). Rerun after changes that add or rename
# many classes (CdsArchiveIT fails when most of the list is gone from the jar). Root only, after
# `mvn package`. What is recorded, merged in this order:
#   - two agents (userspace backend, wireguard-go in two namespaces joined by a veth) starting,
#     connecting and gossiping for SECONDS (default 6), then stopped with SIGTERM;
#   - an agent with the kernel backend looking for its interface (netlink through JNA) and stopped;
#   - `check config.toml.example`, `status` against the first agent, `--help`.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-6}
out=packaging/automesh.classlist
tag=amkcl$$
dir=/run/automesh-testbed/$tag
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del ${tag}a 2>/dev/null || true; ip netns del ${tag}b 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
flags=$(sed -n 's|^ExecStart=/usr/bin/java \(.*\) -jar .*|\1|p' packaging/systemd/automesh.service | sed 's| \$AUTOMESH_CDS||')
mkdir -p "$dir" /run/wireguard
cp target/automesh.jar "$dir/automesh.jar"; jar=$dir/automesh.jar
bind='mount --bind "$0" /run/wireguard && exec "$@"'
ip netns add ${tag}a; ip netns add ${tag}b
ip link add veth0 netns ${tag}a type veth peer name veth0 netns ${tag}b
declare -A lan=([a]=192.0.2.1 [b]=192.0.2.2) mesh=([a]=10.66.0.1 [b]=10.66.0.2) pub
for n in a b; do
  mkdir -p "$dir/$n/wg"
  ip -n $tag$n link set lo up; ip -n $tag$n addr add ${lan[$n]}/24 dev veth0; ip -n $tag$n link set veth0 up
  wg genkey > "$dir/$n/key"; pub[$n]=$(wg pubkey < "$dir/$n/key")
  WG_PROCESS_FOREGROUND=1 ip netns exec $tag$n unshare --mount -- sh -c "$bind" "$dir/$n/wg" wireguard-go -f wg0 \
    >"$dir/$n/wg.log" 2>&1 & pids+=($!)
done
for n in a b; do
  while [ ! -S "$dir/$n/wg/wg0.sock" ]; do sleep 0.05; done
  ip netns exec $tag$n unshare --mount -- sh -c "$bind" "$dir/$n/wg" wg set wg0 private-key "$dir/$n/key" listen-port 51820
  ip -n $tag$n addr add ${mesh[$n]}/24 dev wg0; ip -n $tag$n link set wg0 up
  { echo 'interface = "wg0"'; echo 'gossip_port = 1666'; echo 'gossip_secret = "classlist"'
    echo "persist_file = \"$dir/$n/state\""; echo "control_socket = \"$dir/$n/ctl.sock\""; echo 'lan_discovery = true'
    for m in a b; do printf '\n[[peers]]\nname = "%s"\npubkey = "%s"\naddress = "%s"\nendpoint = "%s:51820"\n' \
      $m "${pub[$m]}" "${mesh[$m]}" "${lan[$m]}"; done; } > "$dir/$n/config.toml"
done
agents=()
for n in a b; do
  # shellcheck disable=SC2086
  ip netns exec $tag$n unshare --mount -- sh -c "$bind" "$dir/$n/wg" java $flags -XX:DumpLoadedClassList="$dir/$n.classlist" \
    -jar "$jar" run "$dir/$n/config.toml" >"$dir/$n/agent.log" 2>&1 & agents+=($!); pids+=($!)
done
sleep "$secs"
ip netns exec ${tag}a ping -c1 -W2 ${mesh[b]} >/dev/null || { echo "mesh did not come up; agent a log:"; cat "$dir/a/agent.log"; exit 1; }
# shellcheck disable=SC2086
java $flags -XX:DumpLoadedClassList="$dir/status.classlist" -jar "$jar" status --socket "$dir/a/ctl.sock" >/dev/null || true
for p in "${agents[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
sed -e 's|^interface = .*|interface = "amclkernel0"|' -e '1i wireguard_backend = "kernel"' "$dir/a/config.toml" > "$dir/kernel.toml"
# shellcheck disable=SC2086
ip netns exec ${tag}a java $flags -XX:DumpLoadedClassList="$dir/kernel.classlist" -jar "$jar" run "$dir/kernel.toml" \
  >"$dir/kernel.log" 2>&1 & k=$!; pids+=($k)
for _ in $(seq 100); do grep -q WireGuard "$dir/kernel.log" && break; sleep 0.1; done
kill $k 2>/dev/null || true; wait $k 2>/dev/null || true
# shellcheck disable=SC2086
java $flags -XX:DumpLoadedClassList="$dir/check.classlist" -jar "$jar" check config.toml.example >/dev/null
# shellcheck disable=SC2086
java $flags -XX:DumpLoadedClassList="$dir/help.classlist" -jar "$jar" --help >/dev/null
{ echo "# Classes a real agent loads (packaging/make-classlist.sh, $(java -version 2>&1 | head -1)); the"
  echo "# install-time class-data-sharing archive is built from this list. Generated: do not edit."
  cat "$dir"/a.classlist "$dir"/b.classlist "$dir"/kernel.classlist "$dir"/check.classlist "$dir"/status.classlist \
    "$dir"/help.classlist | grep -v '^#' | awk '!seen[$0]++'; } > "$out"
echo "$out: $(grep -vc '^#' "$out") entries, $(grep -c '^dev/automesh/' "$out") of them automesh classes"
