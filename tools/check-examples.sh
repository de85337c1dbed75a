#!/usr/bin/env bash
# Checks every Terraform example under examples/ with the real Terraform CLI:
#   1. `terraform fmt -check -recursive -diff examples`;
#   2. `terraform init -backend=false` + `terraform validate` for each example directory
#      (examples/provider/*, examples/resources/*, examples/data-sources/*, examples/sites/*, ...), in a temporary copy,
#      against the provider binaries of this build served from a local filesystem mirror.
# examples/modules/* are not validated on their own: the sites that use them validate them.
#
# Needs the debug binaries: cargo build --bins -p uccluster
# Environment: TERRAFORM (default .tools/bin/terraform), PROVIDER_BIN_DIR (default
# ${CARGO_TARGET_DIR:-target}/debug).
# Prints one line per example; stops at the first failure with Terraform's output, exit 1.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
terraform=${TERRAFORM:-$root/.tools/bin/terraform}
bin_dir=${PROVIDER_BIN_DIR:-${CARGO_TARGET_DIR:-$root/target}/debug}
provider_types=(cms xop imp cgp lb)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)

fail() { printf 'check-examples: %s\n' "$*" >&2; exit 1; }

[ -x "$terraform" ] || fail "no Terraform at $terraform (run: make tools, or set TERRAFORM)"
[ -n "$version" ] || fail "cannot read the package version from Cargo.toml"

# A clean Terraform environment: nothing from the caller's shell changes what is checked.
unset TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_WORKSPACE TF_CLI_ARGS TF_CLI_ARGS_init \
  TF_CLI_ARGS_validate TF_CLI_ARGS_fmt TF_LOG TF_LOG_PATH TF_LOG_PROVIDER
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 RUST_LIB_BACKTRACE=0 TF_INPUT=0

work=$(mktemp -d "${TMPDIR:-/tmp}/uccluster-check-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. Formatting.
if ! fmt_out=$(cd "$root" && "$terraform" fmt -no-color -check -recursive -diff examples 2>&1); then
  printf '%s\n' "$fmt_out" >&2
  fail "terraform fmt: the files above are not formatted (run: $terraform fmt -recursive examples)"
fi
echo "ok   terraform fmt -check -recursive examples"

# 2. A filesystem mirror with this build's providers (copies: Terraform hashes them).
mirror="$work/mirror"
for t in "${provider_types[@]}"; do
  src="$bin_dir/terraform-provider-$t"
  [ -x "$src" ] || fail "missing $src (run: cargo build --bins -p uccluster)"
  dest="$mirror/registry.terraform.io/uccluster/$t/$version/linux_amd64"
  mkdir -p "$dest"
  cp "$src" "$dest/terraform-provider-${t}_v$version"
done
export TF_CLI_CONFIG_FILE="$work/terraformrc"
cat >"$TF_CLI_CONFIG_FILE" <<CONFIG
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/uccluster/*"]
  }
  direct {
    exclude = ["registry.terraform.io/uccluster/*"]
  }
}
CONFIG

# The whole examples tree is copied once, so relative module sources (../../modules/x) resolve;
# anything a previous local run left behind is dropped from the copy.
cp -r "$root/examples" "$work/examples"
find "$work/examples" \( -name .terraform -o -name .terraform.lock.hcl -o -name '*.tfstate' \
  -o -name '*.tfstate.backup' \) -prune -exec rm -rf {} +

# Example directories: every directory with .tf files, except the modules.
mapfile -t example_dirs < <(
  cd "$work" && find examples -name '*.tf' -not -path 'examples/modules/*' -printf '%h\n' | sort -u
)
[ "${#example_dirs[@]}" -gt 0 ] || fail "no examples found under $root/examples"

for rel in "${example_dirs[@]}"; do
  dir="$work/$rel"
  # A resource or data source example (examples/resources/<type>/resource.tf,
  # examples/data-sources/<type>/data-source.tf) is a snippet for the docs, without a terraform
  # block; give it one naming the provider its type belongs to.
  if [[ "$rel" == examples/resources/* || "$rel" == examples/data-sources/* ]] &&
    ! grep -qs 'required_providers' "$dir"/*.tf; then
    resource_type=${rel#examples/*/}
    provider=${resource_type%%_*}
    cat >"$dir/zz_check_examples_providers.tf" <<TF
terraform {
  required_providers {
    $provider = {
      source = "uccluster/$provider"
    }
  }
}
TF
  fi
  if ! out=$(cd "$dir" && "$terraform" init -no-color -backend=false -input=false 2>&1); then
    printf '%s\n' "$out" >&2
    fail "terraform init failed in $rel"
  fi
  if ! out=$(cd "$dir" && "$terraform" validate -no-color 2>&1); then
    printf '%s\n' "$out" >&2
    fail "terraform validate failed in $rel"
  fi
  echo "ok   $rel"
done
