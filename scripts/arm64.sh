#!/usr/bin/env bash
# qemu user mode for arm64, without installing anything system-wide: the Debian packages of
# qemu-user-static and the aarch64 C runtime are downloaded and unpacked into the git-ignored
# .tools/arm64, once. `sam build` makes arm64 bootstraps (Architectures: [arm64]); this runs them
# here, e.g. as the handler of the Lambda runtime interface emulator:
#   aws-lambda-rie … "$QEMU_AARCH64" .aws-sam/build/IngestEventsFunction/bootstrap
# Source it: it exports QEMU_AARCH64 (the emulator) and QEMU_LD_PREFIX (the aarch64 sysroot,
# read by qemu to find the dynamic loader and libc).
set -euo pipefail
arm64_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arm64_dir="$arm64_root/.tools/arm64"
arm64_packages=(qemu-user-static libc6-arm64-cross libgcc-s1-arm64-cross)
arm64_stamp="$arm64_dir/.stamp-$(IFS=-; echo "${arm64_packages[*]}")"

if [[ ! -f "$arm64_stamp" ]]; then
  echo "tools: unpacking ${arm64_packages[*]} into $arm64_dir" >&2
  arm64_debs="$(mktemp -d)"
  # apt-get download needs the package lists; a fresh machine may not have them yet.
  if ! (cd "$arm64_debs" && apt-get download -qq "${arm64_packages[@]}" >/dev/null 2>&1); then
    apt-get update -qq
    (cd "$arm64_debs" && apt-get download -qq "${arm64_packages[@]}")
  fi
  rm -rf "$arm64_dir"
  mkdir -p "$arm64_dir"
  for deb in "$arm64_debs"/*.deb; do
    dpkg -x "$deb" "$arm64_dir"
  done
  rm -rf "$arm64_debs"
  touch "$arm64_stamp"
fi

export QEMU_AARCH64="$arm64_dir/usr/bin/qemu-aarch64-static"
export QEMU_LD_PREFIX="$arm64_dir/usr/aarch64-linux-gnu"
if ! "$QEMU_AARCH64" --version >/dev/null; then
  echo "tools: $QEMU_AARCH64 does not run (delete $arm64_dir to reinstall)" >&2
  exit 1
fi
if [[ ! -e "$QEMU_LD_PREFIX/lib/ld-linux-aarch64.so.1" ]]; then
  echo "tools: no aarch64 dynamic loader under $QEMU_LD_PREFIX (delete $arm64_dir to reinstall)" >&2
  exit 1
fi
