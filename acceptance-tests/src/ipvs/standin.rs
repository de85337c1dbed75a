//! The `ipvsadm` stand-in the IPVS lab host carries in `<dir>/bin/ipvsadm`: this kernel has no
//! IPVS (../shared/reference/real-components.md: `ip_vs` is not available), so the rules live
//! in a file and the script answers as ipvsadm 1.31 does. POSIX `sh`, absolute paths only: it
//! runs over SSH with a bare PATH.
//!
//! Followed from ipvsadm's source (ipvsadm.c `process_options`, `print_service_entry`;
//! libipvs/libipvs.c `ipvs_strerror`) and checked against the strings of Debian's
//! ipvsadm 1:1.31-1+b1 binary:
//! - save format (`-S`): `-A -t|-u <addr>:<port> -s <sched>[ -p <timeout>][ -M <mask>][ ops]`,
//!   then `-a -t|-u <addr>:<port> -r <addr>:<port> -g|-m|-i -w <weight>` per real server
//!   (1.31 writes one-packet scheduling as ` ops`, not `-o`);
//! - kernel refusals print `ipvs_strerror`'s text on stderr and exit 255 (`process_options`
//!   returns -1): "Service already exists", "No such service", "Service not defined",
//!   "Destination already exists", "No such destination", "Scheduler not found";
//! - option errors exit 2 (`fail(2, ...)`): "One-Packet Scheduling is only for UDP virtual
//!   services", "Zero port specified for non-persistent service", "You need to supply the
//!   'service-address' option for the '<command>' command", "invalid option `<opt>'";
//! - the default scheduler is `wlc`, the default weight 1, the default forwarding `-g`; with
//!   `-g` or `-i` the real server's port is the service's (direct routing cannot translate);
//!   `-p` without a value is 360 seconds (libipvs.h `IPVS_SVC_PERSISTENT_TIMEOUT`, 6*60).
//!
//! Unlike the real one: services and real servers are listed in the order they were added
//! (ipvsadm sorts them), `-L` and names without `-n` are not supported (the stand-in always
//! writes numbers), and IPv6 and firewall marks are refused.

use std::path::Path;

use crate::process::shell_quote;

/// The script, keeping its rules in `rules`.
pub(crate) fn ipvsadm_script(rules: &Path) -> String {
    let rules = shell_quote(&rules.to_string_lossy());
    format!(
        r#"#!/bin/sh
# ipvsadm stand-in of the uccluster lab (ipvsadm 1.31's arguments, errors and save format).
set -u
RULES={rules}
[ -f "$RULES" ] || : >"$RULES"
cmd=""; cmdname=""; proto=""; svc=""; sched=""; persist=""; mask=""; ops=""; rs=""
fwd="-g"; weight=1

set_cmd() {{
  [ -z "$cmd" ] || {{ echo "multiple commands specified" >&2; exit 2; }}
  cmd=$1; cmdname=$2
}}
need() {{ [ $# -ge 2 ] || {{ echo "$1: missing argument" >&2; exit 2; }}; }}
refuse() {{ echo "$1" >&2; exit 255; }}

while [ $# -gt 0 ]; do
  case "$1" in
    -A|--add-service) set_cmd A add-service ;;
    -E|--edit-service) set_cmd E edit-service ;;
    -D|--delete-service) set_cmd D delete-service ;;
    -a|--add-server) set_cmd a add-server ;;
    -e|--edit-server) set_cmd e edit-server ;;
    -d|--delete-server) set_cmd d delete-server ;;
    -C|--clear) set_cmd C clear ;;
    -S|--save) set_cmd S save ;;
    -t|--tcp-service) need "$@"; proto=-t; svc=$2; shift ;;
    -u|--udp-service) need "$@"; proto=-u; svc=$2; shift ;;
    -s|--scheduler) need "$@"; sched=$2; shift ;;
    -p|--persistent)
      persist=360
      case "${{2:-}}" in [0-9]*) persist=$2; shift ;; esac ;;
    -M|--netmask) need "$@"; mask=$2; shift ;;
    -o|--ops) ops=1 ;;
    -r|--real-server) need "$@"; rs=$2; shift ;;
    -g|--gatewaying) fwd=-g ;;
    -m|--masquerading) fwd=-m ;;
    -i|--ipip) fwd=-i ;;
    -w|--weight)
      need "$@"
      case "$2" in ''|*[!0-9]*) echo "illegal weight specified" >&2; exit 2 ;; esac
      weight=$2; shift ;;
    -n|--numeric) ;;
    *) echo "invalid option \`$1'" >&2; exit 2 ;;
  esac
  shift
done

[ -n "$cmd" ] || {{ echo "Try \`ipvsadm -h' or 'ipvsadm --help' for more information." >&2; exit 2; }}

# host:port of a service or real server, IPv4 only; prints "addr port".
split() {{
  case "$1" in
    *:*) a=${{1%:*}}; p=${{1##*:}} ;;
    *) a=$1; p="" ;;
  esac
  case "$a" in *[!0-9.]*|'') echo "illegal $2 address[:port] specified" >&2; exit 2 ;; esac
  case "$p" in *[!0-9]*) echo "illegal $2 address[:port] specified" >&2; exit 2 ;; esac
  echo "$a ${{p:-0}}"
}}

# Whether a line of the rules starts with $1 (fixed text, not a pattern).
starts() {{ awk -v k="$1" 'index($0, k) == 1 {{ f = 1 }} END {{ exit !f }}' "$RULES"; }}
has_service() {{ starts "-A $proto $key -s "; }}
# Replace the file with stdin (never half-written).
put() {{ cat >"$RULES.new" && mv -f "$RULES.new" "$RULES"; }}

case "$cmd" in
  C) : >"$RULES"; exit 0 ;;
  S) cat "$RULES"; exit 0 ;;
esac

[ -n "$svc" ] || {{ echo "You need to supply the 'service-address' option for the '$cmdname' command" >&2; exit 2; }}
set -- $(split "$svc" "virtual server")
vaddr=$1; vport=$2; key="$vaddr:$vport"

case "$cmd" in
  A|E)
    if [ "$vport" = 0 ] && [ -z "$persist" ]; then
      echo "Zero port specified for non-persistent service" >&2; exit 2
    fi
    if [ -n "$ops" ] && [ "$proto" != -u ]; then
      echo "One-Packet Scheduling is only for UDP virtual services" >&2; exit 2
    fi
    sched=${{sched:-wlc}}
    case "$sched" in
      rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh) ;;
      *) refuse "Scheduler not found" ;;
    esac
    line="-A $proto $key -s $sched"
    [ -z "$persist" ] || line="$line -p $persist"
    [ -z "$mask" ] || line="$line -M $mask"
    [ -z "$ops" ] || line="$line ops"
    if [ "$cmd" = A ]; then
      has_service && refuse "Service already exists"
      {{ cat "$RULES"; echo "$line"; }} | put
    else
      has_service || refuse "No such service"
      awk -v k="-A $proto $key -s " -v l="$line" 'index($0, k) == 1 {{ print l; next }} {{ print }}' "$RULES" | put
    fi ;;
  D)
    has_service || refuse "No such service"
    awk -v s="-A $proto $key -s " -v d="-a $proto $key -r " 'index($0, s) != 1 && index($0, d) != 1' "$RULES" | put ;;
  a|e|d)
    has_service || refuse "Service not defined"
    [ -n "$rs" ] || {{ echo "You need to supply the 'real-server' option for the '$cmdname' command" >&2; exit 2; }}
    set -- $(split "$rs" "real server")
    raddr=$1; rport=$2
    # Direct routing and tunnelling keep the destination port (ipvsadm.c process_options).
    if [ "$fwd" != -m ] || [ "$rport" = 0 ]; then rport=$vport; fi
    dest="-a $proto $key -r $raddr:$rport "
    exists=""
    starts "$dest" && exists=1
    line="$dest$fwd -w $weight"
    case "$cmd" in
      a)
        [ -z "$exists" ] || refuse "Destination already exists"
        {{ cat "$RULES"; echo "$line"; }} | put ;;
      e)
        [ -n "$exists" ] || refuse "No such destination"
        awk -v k="$dest" -v l="$line" 'index($0, k) == 1 {{ print l; next }} {{ print }}' "$RULES" | put ;;
      d)
        [ -n "$exists" ] || refuse "No such destination"
        awk -v k="$dest" 'index($0, k) != 1' "$RULES" | put ;;
    esac ;;
esac
exit 0
"#
    )
}
