//! The shell scripts an XOP appliance of the lab carries in `<dir>/bin`:
//! `mysqld-restart` (restart MariaDB after a my.cnf change), and stand-ins for
//! `iptables`, `service` (`service iptables save`) and XOP's `sysconf` that act
//! on files in the appliance dir.
//! POSIX `sh` (dash), absolute paths only: they run over SSH with a bare PATH.

use std::path::Path;

use crate::process::shell_quote;

fn q(p: &Path) -> String {
    shell_quote(&p.to_string_lossy())
}

/// What `mysqld-restart` needs to know about its instance.
pub(crate) struct RestartScript<'a> {
    pub name: &'a str,
    pub mariadbd: &'a Path,
    pub mariadb: &'a Path,
    pub my_cnf: &'a Path,
    pub admin_cnf: &'a Path,
    pub pid_file: &'a Path,
    pub error_log: &'a Path,
    pub stdout_log: &'a Path,
    pub as_root: bool,
}

/// `mysqld-restart`: stop (pid-file, SIGTERM, ≤10 s, then SIGKILL), start
/// mariadbd with the appliance's my.cnf (nohup, stdio redirected), wait ≤30 s
/// for `SELECT 1` as the admin. Exit 0 when it answers; 1 with the tail of
/// error.log otherwise.
pub(crate) fn restart_script(s: &RestartScript<'_>) -> String {
    let user_arg = if s.as_root { " --user=root" } else { "" };
    format!(
        r#"#!/bin/sh
# mysqld-restart: restarts the MariaDB server of XOP appliance "{name}" (uccluster lab).
# Stops the running instance (pid-file, SIGTERM, up to 10 s, then SIGKILL), starts mariadbd
# with the appliance's my.cnf and waits until the admin account gets an answer to SELECT 1.
set -u
MARIADBD={mariadbd}
MARIADB={mariadb}
CNF={cnf}
ADMIN_CNF={admin_cnf}
PID_FILE={pid_file}
ERROR_LOG={error_log}
STDOUT_LOG={stdout_log}

alive() {{
  [ -r "/proc/$1/stat" ] || return 1
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}}
ours() {{
  tr '\000' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "--defaults-file=$CNF"
}}
fail() {{
  echo "mysqld-restart: $*" >&2
  if [ -f "$ERROR_LOG" ]; then
    echo "--- last lines of $ERROR_LOG:" >&2
    tail -n 20 "$ERROR_LOG" >&2
  fi
  exit 1
}}

if [ -f "$PID_FILE" ]; then
  pid=$(tr -cd '0-9' <"$PID_FILE")
  if [ -n "$pid" ] && alive "$pid" && ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    i=0
    while alive "$pid" && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null
      i=0
      while alive "$pid" && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
      alive "$pid" && fail "mariadbd (pid $pid) did not stop"
    fi
  fi
  rm -f "$PID_FILE"
fi

nohup "$MARIADBD" --defaults-file="$CNF"{user_arg} </dev/null >>"$STDOUT_LOG" 2>&1 &
pid=$!
i=0
while [ "$i" -lt 300 ]; do
  if "$MARIADB" --defaults-file="$ADMIN_CNF" --connect-timeout=2 -e 'select 1' >/dev/null 2>&1; then
    exit 0
  fi
  alive "$pid" || fail "mariadbd exited during start (see $ERROR_LOG)"
  sleep 0.1
  i=$((i + 1))
done
fail "mariadbd did not answer within 30 s"
"#,
        name = s.name,
        mariadbd = q(s.mariadbd),
        mariadb = q(s.mariadb),
        cnf = q(s.my_cnf),
        admin_cnf = q(s.admin_cnf),
        pid_file = q(s.pid_file),
        error_log = q(s.error_log),
        stdout_log = q(s.stdout_log),
    )
}

/// `iptables` stand-in. Rules live in `rules_file`, one per line in
/// iptables-save form (`-A INPUT -s 10.0.0.2/32 -p tcp -m tcp --dport 3306 -j ACCEPT`).
///
/// Commands: `-A|-I|-D|-C <chain> <rule-spec>`, `-I <chain> <n> <rule-spec>`,
/// `-D <chain> <n>`, `-S [<chain>]`; a leading `-w [secs]` is ignored.
/// Chains: INPUT, FORWARD, OUTPUT, RH-Firewall-1-INPUT (the seed's chain).
/// Rule spec (any order): `-p|--protocol tcp|udp|icmp|all`, `-s|--source A[/n]`,
/// `-d|--destination A[/n]`, `-i|--in-interface IF`, `-m|--match tcp|udp|state`,
/// `--state S`, `--dport|--destination-port N`, `--sport|--source-port N`
/// (both need `-p tcp|udp`), `-j|--jump ACCEPT|DROP|REJECT|LOG|RETURN|<chain>`.
/// Messages and exit statuses as iptables 1.4.7 (CentOS 6, the XOP base):
/// usage/parameter errors exit 2, "Bad rule"/"No chain" errors exit 1.
pub(crate) fn iptables_script(name: &str, rules_file: &Path) -> String {
    r#"#!/bin/sh
# iptables stand-in of XOP appliance "@NAME@" (uccluster lab). Keeps the rules in
# $RULES, one per line in iptables-save form.
set -u
RULES=@RULES_FILE@
V='iptables v1.4.7'
touch "$RULES"

usage_error() {
  echo "$V: $*" >&2
  echo "Try \`iptables -h' or 'iptables --help' for more information." >&2
  exit 2
}
bad_rule() { echo 'iptables: Bad rule (does a matching rule exist in that chain?).' >&2; exit 1; }
no_chain() { echo 'iptables: No chain/target/match by that name.' >&2; exit 1; }

# address[/mask] -> network/mask (iptables-save form), empty when invalid
norm_addr() {
  printf '%s\n' "$1" | awk -F/ '
    function octets(s, o,   n, i) {
      n = split(s, o, ".")
      if (n != 4) return 0
      for (i = 1; i <= 4; i++) if (o[i] !~ /^[0-9]+$/ || o[i] + 0 > 255 || length(o[i]) > 3) return 0
      return 1
    }
    {
      if (NF > 2 || !octets($1, o)) exit
      m = 32
      if (NF == 2) { if ($2 !~ /^[0-9]+$/ || $2 + 0 > 32) exit; m = $2 + 0 }
      ip = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]
      size = 2 ^ (32 - m)
      ip = ip - ip % size
      printf "%d.%d.%d.%d/%d\n", int(ip / 16777216) % 256, int(ip / 65536) % 256, int(ip / 256) % 256, ip % 256, m
    }'
}

known_chain() {
  case "$1" in INPUT|FORWARD|OUTPUT|RH-Firewall-1-INPUT) return 0 ;; *) return 1 ;; esac
}
is_number() {
  case "$1" in ''|*[!0-9]*) return 1 ;; *) return 0 ;; esac
}
chain_count() {
  awk -v c="$1" '$1 == "-A" && $2 == c { n++ } END { print n + 0 }' "$RULES"
}
save_rules() {
  tmp="$RULES.tmp.$$"
  cat >"$tmp" && mv -f "$tmp" "$RULES"
}

if [ "${1:-}" = -w ] || [ "${1:-}" = --wait ]; then
  shift
  if [ $# -gt 0 ] && is_number "$1"; then shift; fi
fi
[ $# -gt 0 ] || usage_error 'no command specified'

cmd=$1
shift
case "$cmd" in
  -A|--append) op=append ;;
  -I|--insert) op=insert ;;
  -D|--delete) op=delete ;;
  -C|--check) op=check ;;
  -S|--list-rules) op=list ;;
  *) usage_error "unknown option \"$cmd\"" ;;
esac

if [ "$op" = list ]; then
  [ $# -le 1 ] || usage_error "unknown arguments found on commandline"
  chain=${1:-}
  if [ -n "$chain" ]; then
    known_chain "$chain" || no_chain
    case "$chain" in
      RH-Firewall-1-INPUT) echo "-N $chain" ;;
      *) echo "-P $chain ACCEPT" ;;
    esac
    awk -v c="$chain" '$1 == "-A" && $2 == c' "$RULES"
  else
    printf '%s\n' '-P INPUT ACCEPT' '-P FORWARD ACCEPT' '-P OUTPUT ACCEPT' '-N RH-Firewall-1-INPUT'
    cat "$RULES"
  fi
  exit 0
fi

[ $# -gt 0 ] || usage_error "option \"$cmd\" requires an argument"
chain=$1
shift
case "$chain" in -*) usage_error "option \"$cmd\" requires an argument" ;; esac

num=''
if { [ "$op" = insert ] || [ "$op" = delete ]; } && [ $# -gt 0 ] && is_number "$1"; then
  num=$1
  shift
  [ "$num" -ge 1 ] || usage_error "Invalid rule number \`$num'"
  if [ "$op" = delete ] && [ $# -gt 0 ]; then usage_error "unknown arguments found on commandline"; fi
fi

proto='' src='' dst='' iface='' state='' dport='' sport='' target='' mstate='' mproto=''
while [ $# -gt 0 ]; do
  opt=$1
  shift
  case "$opt" in
    -p|--protocol|-s|--source|-d|--destination|-i|--in-interface|-m|--match|--state|--dport|--destination-port|--sport|--source-port|-j|--jump)
      [ $# -gt 0 ] || usage_error "option \"$opt\" requires an argument"
      val=$1
      shift ;;
    *) usage_error "unknown option \"$opt\"" ;;
  esac
  case "$opt" in
    -p|--protocol)
      case "$val" in
        tcp|udp|icmp|all) proto=$val ;;
        *) usage_error "unknown protocol \`$val' specified" ;;
      esac ;;
    -s|--source)
      src=$(norm_addr "$val")
      [ -n "$src" ] || usage_error "host/network \`$val' not found" ;;
    -d|--destination)
      dst=$(norm_addr "$val")
      [ -n "$dst" ] || usage_error "host/network \`$val' not found" ;;
    -i|--in-interface) iface=$val ;;
    -m|--match)
      case "$val" in
        state) mstate=1 ;;
        tcp|udp)
          [ "$val" = "$proto" ] || usage_error "Couldn't load match \`$val':No such file or directory"
          mproto=1 ;;
        *) usage_error "Couldn't load match \`$val':No such file or directory" ;;
      esac ;;
    --state)
      [ -n "$mstate" ] || usage_error "unknown option \"--state\""
      case "$val" in
        *[!A-Z,]*|'') usage_error "Bad state \`$val'" ;;
      esac
      state=$val ;;
    --dport|--destination-port|--sport|--source-port)
      case "$proto" in tcp|udp) ;; *) usage_error "unknown option \"$opt\"" ;; esac
      if ! is_number "$val" || [ "$val" -lt 1 ] || [ "$val" -gt 65535 ]; then
        usage_error "invalid port/service \`$val' specified"
      fi
      val=$((val + 0))
      case "$opt" in --dport|--destination-port) dport=$val ;; *) sport=$val ;; esac ;;
    -j|--jump)
      case "$val" in
        ACCEPT|DROP|REJECT|LOG|RETURN) target=$val ;;
        *) known_chain "$val" || no_chain; target=$val ;;
      esac ;;
  esac
done

known_chain "$chain" || no_chain

if [ -z "$num" ] || [ "$op" = insert ]; then
  rule="-A $chain"
  [ -n "$src" ] && rule="$rule -s $src"
  [ -n "$dst" ] && rule="$rule -d $dst"
  [ -n "$iface" ] && rule="$rule -i $iface"
  [ -n "$proto" ] && rule="$rule -p $proto"
  [ -n "$state" ] && rule="$rule -m state --state $state"
  if [ -n "$dport$sport$mproto" ]; then
    rule="$rule -m $proto"
    [ -n "$sport" ] && rule="$rule --sport $sport"
    [ -n "$dport" ] && rule="$rule --dport $dport"
  fi
  [ -n "$target" ] && rule="$rule -j $target"
fi

exec 9>"$RULES.lock"
command -v flock >/dev/null 2>&1 && flock 9

count=$(chain_count "$chain")
case "$op" in
  append)
    { cat "$RULES"; printf '%s\n' "$rule"; } | save_rules ;;
  insert)
    n=${num:-1}
    [ "$n" -le $((count + 1)) ] || { echo 'iptables: Index of insertion too big.' >&2; exit 1; }
    awk -v c="$chain" -v n="$n" -v r="$rule" '
      !done && $1 == "-A" && $2 == c { k++; if (k == n) { print r; done = 1 } }
      { print }
      END { if (!done) print r }' "$RULES" | save_rules ;;
  delete)
    if [ -n "$num" ]; then
      [ "$num" -le "$count" ] || { echo 'iptables: Index of deletion too big.' >&2; exit 1; }
      awk -v c="$chain" -v n="$num" '$1 == "-A" && $2 == c { k++; if (k == n) next } { print }' "$RULES" | save_rules
    else
      grep -qxF -- "$rule" "$RULES" || bad_rule
      awk -v r="$rule" '!done && $0 == r { done = 1; next } { print }' "$RULES" | save_rules
    fi ;;
  check)
    grep -qxF -- "$rule" "$RULES" || bad_rule ;;
esac
exit 0
"#
    .replace("@NAME@", name)
    .replace("@RULES_FILE@", &q(rules_file))
}

/// `sysconf` stand-in: validates the seed's forms, appends each accepted call
/// (its arguments joined by one space) to `log_file`, and keeps
/// `addhost`/`delhost` entries in `hosts_file` (`<ip> <name>` lines).
///
/// Accepted: `member <new_ip> <old_ip>`, `addhost <ip> <name>`,
/// `delhost <ip> [<ip>...]`, `net <hostname> <ip> <netmask> <gateway>`,
/// `net2 <ip> <netmask> <gateway>`, `dns <dns1> [<dns2>]`. Unknown command:
/// exit 2, `sysconf: unknown command: <cmd>`; bad arguments: exit 2,
/// `sysconf: usage: ...` or `sysconf: invalid IP address: <arg>`. Rejected
/// calls are not logged.
pub(crate) fn sysconf_script(name: &str, log_file: &Path, hosts_file: &Path) -> String {
    r#"#!/bin/sh
# sysconf stand-in of XOP appliance "@NAME@" (uccluster lab): validates the arguments,
# records each accepted call in $LOG and keeps addhost/delhost entries in $HOSTS.
set -u
LOG=@LOG_FILE@
HOSTS=@HOSTS_FILE@

usage() { echo "sysconf: usage: sysconf $*" >&2; exit 2; }
is_ipv4() {
  printf '%s\n' "$1" | awk -F. '
    NF != 4 { exit 1 }
    { for (i = 1; i <= 4; i++) if ($i !~ /^[0-9]+$/ || $i + 0 > 255 || length($i) > 3) exit 1 }'
}
need_ip() { is_ipv4 "$1" || { echo "sysconf: invalid IP address: $1" >&2; exit 2; }; }
need_name() {
  printf '%s\n' "$1" | grep -Eqx '[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?' ||
    { echo "sysconf: invalid host name: $1" >&2; exit 2; }
}

[ $# -gt 0 ] || usage '<command> [<args>...]   (commands: net net2 dns addhost delhost member)'
cmd=$1
case "$cmd" in
  member)
    [ $# -eq 3 ] || usage 'member <new_ip> <old_ip>'
    need_ip "$2"; need_ip "$3" ;;
  addhost)
    [ $# -eq 3 ] || usage 'addhost <ip> <name>'
    need_ip "$2"; need_name "$3" ;;
  delhost)
    [ $# -ge 2 ] || usage 'delhost <ip> [<ip>...]'
    shift
    for ip in "$@"; do need_ip "$ip"; done
    set -- delhost "$@" ;;
  net)
    [ $# -eq 5 ] || usage 'net <hostname> <ip> <netmask> <gateway>'
    need_name "$2"; need_ip "$3"; need_ip "$4"; need_ip "$5" ;;
  net2)
    [ $# -eq 4 ] || usage 'net2 <ip> <netmask> <gateway>'
    need_ip "$2"; need_ip "$3"; need_ip "$4" ;;
  dns)
    [ $# -eq 2 ] || [ $# -eq 3 ] || usage 'dns <dns1> [<dns2>]'
    need_ip "$2"
    [ $# -eq 3 ] && need_ip "$3" ;;
  *)
    echo "sysconf: unknown command: $cmd" >&2
    exit 2 ;;
esac

touch "$HOSTS"
case "$cmd" in
  addhost)
    { awk -v ip="$2" '$1 != ip' "$HOSTS"; printf '%s %s\n' "$2" "$3"; } >"$HOSTS.tmp.$$" &&
      mv -f "$HOSTS.tmp.$$" "$HOSTS" ;;
  delhost)
    shift
    for ip in "$@"; do
      awk -v ip="$ip" '$1 != ip' "$HOSTS" >"$HOSTS.tmp.$$" && mv -f "$HOSTS.tmp.$$" "$HOSTS"
    done
    set -- delhost "$@" ;;
esac
echo "$*" >>"$LOG"
exit 0
"#
    .replace("@NAME@", name)
    .replace("@LOG_FILE@", &q(log_file))
    .replace("@HOSTS_FILE@", &q(hosts_file))
}

/// `service` stand-in (CentOS 6 `/sbin/service` with the `iptables` init
/// script): `service iptables save` writes the `iptables` stand-in's rules
/// (`rules_file`) to `saved_file` in iptables-save form (built-in chains, then
/// `RH-Firewall-1-INPUT`, each chain's rules in order, mode 0600, replaced
/// atomically) and prints `iptables: Saving firewall rules to
/// /etc/sysconfig/iptables:[  OK  ]`, exit 0. Another `iptables` action: the
/// init script's usage line on stdout, exit 2. Another service:
/// `<name>: unrecognized service` on stderr, exit 1; no arguments: `service`'s
/// usage on stderr, exit 1.
pub(crate) fn service_script(name: &str, rules_file: &Path, saved_file: &Path) -> String {
    // r##: the script has `"#` in it.
    r##"#!/bin/sh
# service stand-in of XOP appliance "@NAME@" (uccluster lab). Knows one service, iptables,
# and of its actions only save: the iptables stand-in's rules ($RULES) go to $SAVED, the
# lab's /etc/sysconfig/iptables.
set -u
RULES=@RULES_FILE@
SAVED=@SAVED_FILE@
# What the appliance prints: the init script names the box's own path.
SHOWN=/etc/sysconfig/iptables

if [ $# -eq 0 ]; then
  echo 'Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]' >&2
  exit 1
fi
svc=$1
shift
case "$svc" in
  iptables) ;;
  *) echo "$svc: unrecognized service" >&2; exit 1 ;;
esac
if [ $# -ne 1 ] || [ "$1" != save ]; then
  echo 'Usage: iptables {start|stop|restart|condrestart|status|panic|save}'
  exit 2
fi

# iptables-save order: INPUT, FORWARD, OUTPUT, then the user chains; rules of a chain in
# the order iptables keeps them. One read of $RULES: the stand-in replaces it by rename.
now=$(LC_ALL=C date '+%a %b %e %H:%M:%S %Y')
tmp="$SAVED.tmp.$$"
if mkdir -p "${SAVED%/*}" &&
  { cat "$RULES" 2>/dev/null || true; } | awk -v now="$now" '
    $1 == "-A" { r[$2] = r[$2] $0 "\n" }
    END {
      printf "# Generated by iptables-save v1.4.7 on %s\n*filter\n", now
      printf ":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      printf ":RH-Firewall-1-INPUT - [0:0]\n"
      printf "%s%s%s%s", r["INPUT"], r["FORWARD"], r["OUTPUT"], r["RH-Firewall-1-INPUT"]
      printf "COMMIT\n# Completed on %s\n", now
    }' >"$tmp" &&
  chmod 600 "$tmp" && mv -f "$tmp" "$SAVED"; then
  echo "iptables: Saving firewall rules to $SHOWN:[  OK  ]"
  exit 0
fi
rm -f "$tmp"
echo "iptables: Saving firewall rules to $SHOWN:[FAILED]"
exit 1
"##
    .replace("@NAME@", name)
    .replace("@RULES_FILE@", &q(rules_file))
    .replace("@SAVED_FILE@", &q(saved_file))
}
