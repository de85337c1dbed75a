#!/usr/bin/env bash
# `make demo`: start a lab on loopback (three simulated Cisco Meeting Server nodes and three XOP
# Networks appliances: real MariaDB servers behind a real sshd; a real HAProxy with three TCP
# member servers and a simulated F5 BIG-IP; four simulated CommuniGate Pro cluster members; two
# simulated Cisco IM and Presence clusters of two nodes), apply
# the demo site with the real Terraform CLI and the installed providers, show the XOP cluster
# replicating a row, connections through the HAProxy VIP, the CGP members' SIP farm modes behind
# the BIG-IP's SIP VIP, the IM&P peers' checks both ways, and the empty re-plan, stop the lab.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The newest Terraform found whose SHA256 is pinned in tools/terraforms: the machine image's
# `terraform` on the PATH (1.11.4) when it is the pinned one, else TERRAFORM (1.0.3, `make tools`).
terraform="${TERRAFORM:-$root/.tools/bin/terraform}"
while IFS=$'\t' read -r version sha source; do
  case "$version" in '' | '#'*) continue ;; esac
  case "$source" in
    path) candidate=$(command -v terraform 2>/dev/null || true) ;;
    *) candidate="${TERRAFORM:-$root/.tools/bin/terraform}" ;;
  esac
  if [ -n "$candidate" ] && [ -x "$candidate" ] && [ "$(sha256sum "$candidate" | cut -d' ' -f1)" = "$sha" ]; then
    terraform=$candidate # the list is oldest first: the last one found is the newest
  fi
done <"$root/tools/terraforms"
lab_bin="$root/target/release/uccluster-lab"
work="$root/lab-out/demo"

rm -rf "$work"
mkdir -p "$work"
# Terraform runs in a copy, so the repository's examples stay free of state files.
cp -r "$root/examples" "$work/examples"
site="$work/examples/sites/demo"

# The lab runs until its standard input closes: a pipe held open by this script.
coproc LAB { exec "$lab_bin" --cms-nodes 3 --xop-servers 3 --f5-devices 1 --haproxy-balancers 1 --cgp-members 4 --imp-clusters 2 --out "$work/lab" --stop-on-stdin-eof; }
lab_pid=$LAB_PID
stop_lab() {
  eval "exec ${LAB[1]}>&-" 2>/dev/null || true
  wait "$lab_pid" 2>/dev/null || true
}
trap stop_lab EXIT

echo "== starting the lab (MariaDB servers take a few seconds)"
while IFS= read -r line <&"${LAB[0]}"; do
  [ "$line" = READY ] && break
  # The endpoints (one long JSON line, with passwords) are in lab.json; say what is running.
  case "$line" in
    '{'*) ;;
    *) echo "lab: $line" ;;
  esac
done
python3 - "$work/lab/lab.json" <<'PY'
import json, sys
lab = json.load(open(sys.argv[1]))
for n in lab["cms_nodes"]:
    print(f"lab: CMS node {n['name']}: MMP over SSH at {n['address']}:{n['port']} (simulated)")
for x in lab.get("xop_servers", []):
    print(f"lab: XOP server {x['name']}: MariaDB at {x['mysql']['host']}:{x['mysql']['port']}, "
          f"shell over sshd at {x['ssh']['host']}:{x['ssh']['port']}")
for h in lab.get("haproxy_balancers", []):
    print(f"lab: HAProxy {h['name']}: {h['config_path']}, runtime API {h['runtime_address']}, "
          f"members " + ", ".join(f"{m['name']} {m['address']}:{m['port']}" for m in h["members"]))
for f in lab.get("f5_devices", []):
    print(f"lab: BIG-IP {f['name']}: iControl REST at https://{f['host']}:{f['port']} (simulated)")
for c in lab.get("cgp_members", []):
    print(f"lab: CGP member {c['name']} ({c['role']}): CLI at {c['host']}:{c['port']} (STLS), "
          f"TLS at {c['host']}:{c['tls_port']} (simulated)")
for c in lab.get("imp_clusters", []):
    print(f"lab: IM&P cluster {c['name']}: " + ", ".join(
        f"{n['name']} https://{n['endpoint']}" for n in c["nodes"]) + " (AXL, ControlCenterServices; simulated)")
PY
cp "$work/lab/lab.auto.tfvars.json" "$site/"
# The XOP replication account's password: made here, like the certificates below.
printf '{"xop_replication_password": "%s"}\n' "$(openssl rand -hex 16)" > "$site/xop.auto.tfvars.json"
# The Meeting Server REST API user's password, made the same way.
printf '{"cms_api_password": "%s"}\n' "$(openssl rand -hex 16)" > "$site/cms.auto.tfvars.json"

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
# One key and certificate per node for its Web Admin, Call Bridge, XMPP server and Web Bridge
# (subjectAltName: the node's address), and the cluster trust bundle of them all (the seed's
# "file containing all your servers' certificates").
: >"$pki/cluster-trust.crt"
while read -r name address; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name.example.com" \
    -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:%s.example.com,IP:%s\n' "$name" "$address" >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
    -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  cat "$pki/$name.crt" >>"$pki/cluster-trust.crt"
done < <(python3 -c 'import json, sys
for n in json.load(open(sys.argv[1]))["cms_nodes"]: print(n["name"], n["address"])' "$work/lab/lab.json")
printf '{"pki_dir": "%s"}\n' "$pki" > "$site/pki.auto.tfvars.json"
# The HAProxy VIP: a free TCP port on a loopback address of its own.
web_vip_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0)); print(s.getsockname()[1])')
printf '{"web_vip": {"address": "127.0.0.2", "port": %s}}\n' "$web_vip_port" > "$site/lb.auto.tfvars.json"

export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 RUST_LIB_BACKTRACE=0
cd "$site"
echo "== $("$terraform" version | head -n1) ($terraform)"
echo "== terraform init"
"$terraform" init -input=false -no-color
echo "== terraform apply"
"$terraform" apply -auto-approve -input=false -no-color
echo "== terraform state list"
"$terraform" state list -no-color

# Replication at work: a row written on the primary, read back on each secondary with the
# MariaDB client (the lab's admin account; MYSQL_PWD keeps the password off the command line).
echo "== XOP replication: a row written on the primary, read on the secondaries"
primary=$("$terraform" output -raw -no-color xop_primary)
xop_mysql() { # name: client path, host, port, admin user and password, NUL-separated
  python3 - "$site/lab.auto.tfvars.json" "$1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
s = next(s for s in v["xop_servers"] if s["name"] == sys.argv[2])
print("\0".join([s["client_command"], s["mysql_host"], str(s["mysql_port"]),
                 v["xop_mysql_admin_user"], v["xop_mysql_admin_password"]]), end="")
PY
}
client() { # name client-options...: the MariaDB client on server `name`, in xopdb
  local conn
  mapfile -d '' -t conn < <(xop_mysql "$1")
  shift
  MYSQL_PWD=${conn[4]} "${conn[0]}" -h "${conn[1]}" -P "${conn[2]}" -u "${conn[3]}" -D xopdb "$@"
}
sql() { # name statement: prints the rows, tab-separated
  client "$1" --batch --skip-column-names -e "$2"
}
row="written on $primary by make demo"
# XOP's applications write with xopdb as the default database: binlog-do-db filters on it.
sql "$primary" "INSERT INTO call_log(v) VALUES ('$row')"
read -r binlog_file binlog_pos _ < <(sql "$primary" "SHOW MASTER STATUS")
echo "$primary (primary): inserted call_log row '$row'; binlog now at $binlog_file:$binlog_pos"
# The secondaries the module built (the keys of its replication output).
mapfile -t secondaries < <("$terraform" output -json -no-color xop_replication |
  python3 -c 'import json, sys; print(*json.load(sys.stdin), sep="\n")')
for s in "${secondaries[@]}"; do
  # Waits (at most 30 s) until the replica has executed the primary's binlog up to the insert.
  waited=$(sql "$s" "SELECT MASTER_POS_WAIT('$binlog_file', $binlog_pos, 30)")
  case "$waited" in
    '' | NULL | -1) echo "$s did not replicate the row (MASTER_POS_WAIT: $waited)" >&2; exit 1 ;;
  esac
  found=$(sql "$s" "SELECT COUNT(*) FROM call_log WHERE v = '$row'")
  [ "$found" = 1 ] || { echo "$s has $found copies of the row, expected 1" >&2; exit 1; }
  status=$(client "$s" --vertical -e "SHOW SLAVE STATUS" | awk -F': ' '
    $1 ~ /Slave_IO_Running$/ { io = $2 } $1 ~ /Slave_SQL_Running$/ { sql = $2 }
    $1 ~ /Seconds_Behind_Master$/ { lag = $2 }
    END { printf "Slave_IO_Running %s, Slave_SQL_Running %s, Seconds_Behind_Master %s", io, sql, lag }')
  echo "$s (secondary): has the row; $status"
done

# The HAProxy VIP at work: each member greets a connection with its name; round robin.
echo "== connections through the HAProxy VIP 127.0.0.2:$web_vip_port"
for i in 1 2 3; do
  exec {conn}<>"/dev/tcp/127.0.0.2/$web_vip_port"
  IFS= read -r -t 5 greeting <&"$conn" || { echo "no greeting through the VIP" >&2; exit 1; }
  exec {conn}>&-
  echo "connection $i reached: $greeting"
done
echo "== member health as the balancers report it"
"$terraform" output -no-color web_members
"$terraform" output -no-color sip_members

echo "== the CommuniGate Pro SIP farm: each member's modes as it reports them, the VIP in front"
"$terraform" output -no-color cgp_farm_modes
echo "SIP VIP: $("$terraform" output -raw -no-color cgp_sip_vip)"

echo "== the Meeting Server nodes' services and the XMPP cluster, as the nodes report them"
"$terraform" output -no-color cms_certificates
"$terraform" output -no-color xmpp_cluster

echo "== the IM&P intercluster peers, both directions, as the clusters report them"
"$terraform" output -no-color imp_peers

echo "== terraform plan (expect no changes; the refresh sees the binlog positions moved by that row)"
"$terraform" plan -input=false -no-color -detailed-exitcode
echo "demo OK: state in $site"
