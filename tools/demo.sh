#!/usr/bin/env bash
# `make demo`: start a simulated three-node Cisco Meeting Server lab on loopback, apply the demo
# site with the real Terraform CLI and the installed providers, show the result, stop the lab.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
terraform="${TERRAFORM:-$root/.tools/bin/terraform}"
lab_bin="$root/target/release/uccluster-lab"
work="$root/lab-out/demo"

rm -rf "$work"
mkdir -p "$work"
# Terraform runs in a copy, so the repository's examples stay free of state files.
cp -r "$root/examples" "$work/examples"
site="$work/examples/sites/demo"

# The lab runs until its standard input closes: a pipe held open by this script.
coproc LAB { exec "$lab_bin" --cms-nodes 3 --out "$work/lab" --stop-on-stdin-eof; }
lab_pid=$LAB_PID
stop_lab() {
  eval "exec ${LAB[1]}>&-" 2>/dev/null || true
  wait "$lab_pid" 2>/dev/null || true
}
trap stop_lab EXIT

while IFS= read -r line <&"${LAB[0]}"; do
  [ "$line" = READY ] && break
  echo "lab: $line"
done
cp "$work/lab/lab.auto.tfvars.json" "$site/"

# Keys and certificates for the database cluster (the simulator checks their PEM form; a real
# deployment uses certificates from its CA, the client one with CN=postgres).
pki="$work/pki"
mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=uccluster demo CA" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
for who in server:cms.example.com client:postgres; do
  name=${who%%:*} cn=${who#*:}
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$cn" \
    -keyout "$pki/db$name.key" -out "$pki/db$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/db$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
    -out "$pki/db$name.crt" 2>/dev/null
done
printf '{"pki_dir": "%s"}\n' "$pki" > "$site/pki.auto.tfvars.json"

export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 RUST_LIB_BACKTRACE=0
cd "$site"
echo "== terraform init"
"$terraform" init -input=false -no-color
echo "== terraform apply"
"$terraform" apply -auto-approve -input=false -no-color
echo "== terraform state list"
"$terraform" state list -no-color
echo "== terraform plan (expect no changes)"
"$terraform" plan -input=false -no-color -detailed-exitcode
echo "demo OK: state in $site"
