#!/usr/bin/env bash
# make demo: a real automesh mesh in network namespaces on this machine (see Demo.java).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)" != Linux ]; then echo "make demo: needs Linux (network namespaces)" >&2; exit 1; fi
if [ "$(id -u)" != 0 ]; then echo "make demo: needs root for network namespaces and WireGuard; try: sudo make demo" >&2; exit 1; fi
for c in ip nft wireguard-go wg unshare java; do
  command -v "$c" >/dev/null 2>&1 || { echo "make demo: '$c' is missing; run: sudo make deps" >&2; exit 1; }
done
[ -f target/automesh.jar ] && [ -d target/test-classes ] || { echo "make demo: build first: make build" >&2; exit 1; }
exec java -cp target/test-classes:target/automesh.jar dev.automesh.testbed.Demo "$@"
