#!/usr/bin/env bash
# Installs what the build, the real-component tests and the demo need, on Debian/Ubuntu, as root.
# Idempotent and quiet when everything is present. Not root: says what is missing and exits 0, so
# `make test` still runs (real-component tests then print SKIPPED; under CI=true they fail).
set -euo pipefail
PKGS=(maven openjdk-17-jdk-headless iproute2 util-linux wireguard-go wireguard-tools nftables conntrack
      iputils-ping iperf3 curl tcpdump miniupnpd miniupnpd-nftables miniupnpc qemu-system-x86 busybox-static kmod
      cpio xz-utils zstd linux-libc-dev nix-bin systemd)
KERNEL_PKG=linux-image-6.12-amd64

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
need_kernel=0
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || need_kernel=1

if [ ${#missing[@]} -eq 0 ] && [ $need_kernel -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: not root; missing Debian packages: ${missing[*]} $([ $need_kernel = 1 ] && echo $KERNEL_PKG)" >&2
  echo "install-deps: run 'sudo make deps' to install them; tests that need them will print SKIPPED" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]} $([ $need_kernel = 1 ] && echo $KERNEL_PKG)" >&2
apt-get update -q >/dev/null
if [ ${#missing[@]} -gt 0 ]; then
  # miniupnpd's postinst may try to start a daemon; policy-rc.d keeps it from doing so.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi
if [ $need_kernel -eq 1 ]; then
  # INITRD=No: the guest boots with our own tiny initramfs, Debian's is not needed (saves ~30 s).
  INITRD=No apt-get install -y -q --no-install-recommends "$KERNEL_PKG" >/dev/null
fi
