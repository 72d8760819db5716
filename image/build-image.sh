#!/bin/bash
# Builds the bm-agent PXE image; run by `make image` (as root), from the repository root.
#   build-image.sh base      mkosi: Debian root as zstd cpio + the kernel  → dist/image/.base/
#   build-image.sh assemble  base cpio + bm-agent cpio → dist/image/initrd.zst, vmlinuz, boot.ipxe
#   build-image.sh report    sizes (zstd and unpacked) → stdout and dist/image/size-report.txt
# The agent goes in as a second, concatenated cpio (the kernel unpacks both), so an
# agent change re-packs in seconds instead of re-running mkosi.
set -euo pipefail

out=${IMAGE_OUT:-$PWD/dist/image}
base=$out/.base
agent=${AGENT_BINARY:-$PWD/dist/bm-agent}
budget_mib=${INITRD_BUDGET_MIB:-150}

die() { echo "build-image: $*" >&2; exit 1; }

build_base() {
  [ "$(id -u)" = 0 ] || die "mkosi needs root (debootstrap, systemd-nspawn): run make image as root"
  command -v mkosi >/dev/null || die "mkosi is not installed: apt-get install mkosi debian-archive-keyring cpio zstd"
  rm -rf "$base.new" && mkdir -p "$base.new" "$out/.cache"
  local started=$SECONDS
  # The package cache survives rebuilds; mkosi's mirror stays its default.
  (cd image && mkosi --force --cache="$out/.cache" --output-dir="$base.new" --output="$base.new/root.cpio.zst" build)
  # mkosi 14 hands mkosi.finalize an OUTPUTDIR with a per-distribution sub-directory.
  local kernel
  kernel=$(find "$base.new" -name vmlinuz -type f | head -n1)
  [ -n "$kernel" ] || die "mkosi.finalize did not export the kernel"
  mv "$kernel" "$(dirname "$kernel")/kernel-version" "$base.new/"
  rm -rf "$base" && mv "$base.new" "$base"
  echo "build-image: base image built in $((SECONDS - started)) s"
}

assemble() {
  [ -s "$base/root.cpio.zst" ] || die "no base image: run build-image.sh base"
  [ -x "$agent" ] || die "no agent binary at $agent: run make build"
  local stage
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' RETURN
  install -d -m 0755 "$stage/usr" "$stage/usr/local" "$stage/usr/local/sbin"
  install -m 0755 "$agent" "$stage/usr/local/sbin/bm-agent"
  (cd "$stage" && find usr | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0 --reproducible) \
    | zstd -q -T0 -15 > "$out/.agent.cpio.zst.new"
  cat "$base/root.cpio.zst" "$out/.agent.cpio.zst.new" > "$out/initrd.zst.new"
  install -m 0644 "$base/vmlinuz" "$out/vmlinuz"
  install -m 0644 image/boot.ipxe "$out/boot.ipxe"
  mv "$out/.agent.cpio.zst.new" "$out/.agent.cpio.zst"
  mv "$out/initrd.zst.new" "$out/initrd.zst"
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

report() {
  local initrd=$out/initrd.zst zst unpacked base_zst agent_zst kernel
  zst=$(stat -c %s "$initrd")
  unpacked=$(zstd -dc "$initrd" | wc -c)
  base_zst=$(stat -c %s "$base/root.cpio.zst")
  agent_zst=$(stat -c %s "$out/.agent.cpio.zst")
  kernel=$(stat -c %s "$out/vmlinuz")
  {
    echo "dist/image/vmlinuz      $(mib "$kernel") MiB  (kernel $(cat "$base/kernel-version"))"
    echo "dist/image/initrd.zst   $(mib "$zst") MiB zstd, $(mib "$unpacked") MiB unpacked (budget $budget_mib MiB zstd)"
    echo "  of which Debian root  $(mib "$base_zst") MiB zstd"
    echo "  of which bm-agent     $(mib "$agent_zst") MiB zstd"
    echo "RAM: the unpacked root lives in a tmpfs capped at 50 % of RAM: boot with >= $(( (unpacked * 2 / 1048576 + 255) / 256 * 256 )) MiB (2 GiB recommended)"
  } | tee "$out/size-report.txt"
  if [ "$zst" -gt $((budget_mib * 1048576)) ]; then die "initrd.zst is over the $budget_mib MiB budget"; fi
}

case ${1:-} in
  base) build_base ;;
  assemble) assemble ;;
  report) report ;;
  *) die "usage: build-image.sh base|assemble|report" ;;
esac
