#!/usr/bin/env bash
# Measures the resident memory of a JVM running the agent's workload (FootprintProbe: netty UDP and
# gossip crypto, no WireGuard, no root) with the default flags and with the unit's flags.
# Usage: packaging/measure-footprint.sh [SECONDS]  (after `mvn test-compile`)
# The real agent: packaging/measure-agent-footprint.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
unit_flags=$(sed -n 's|^ExecStart=/usr/bin/java \(.*\) -jar .*|\1|p' packaging/systemd/automesh.service | sed 's| \$AUTOMESH_CDS||')
cp=$(mvn -o -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=runtime)
target=(-cp "target/test-classes:$cp" dev.automesh.packaging.FootprintProbe)
measure() {
  local label=$1; shift
  java "$@" "${target[@]}" >/dev/null 2>&1 &
  local pid=$! peak=0
  for _ in $(seq "$secs"); do
    sleep 1
    r=$(awk '/^VmRSS/{print $2}' "/proc/$pid/status")
    [ "$r" -gt "$peak" ] && peak=$r
  done
  local hwm; hwm=$(awk '/^VmHWM/{print $2}' "/proc/$pid/status")
  st() { awk -v k="^$1:" '$0 ~ k {print $2}' "/proc/$pid/status"; }
  printf '%-8s after %ss: VmRSS %6d KiB (anon %6d, file %6d)  VmHWM %6d KiB  threads %s\n' "$label" "$secs" \
    "$(st VmRSS)" "$(st RssAnon)" "$(st RssFile)" "$hwm" "$(st Threads)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
measure default
# shellcheck disable=SC2086
measure unit $unit_flags
