#!/usr/bin/python3
# keepalived stand-in of the uccluster lab: what a keepalived 2.2.7 reload (SIGHUP) does to the
# IPVS table, written into the ipvsadm stand-in's rules file (this kernel has no IPVS). The
# sources of each behaviour are cited in acceptance-tests/src/ipvs/keepalived.rs and below.
#   keepalived-reload            reload: read the configuration, program the table, count it
#   keepalived-reload --recheck  the checkers' verdicts changed (keepalived.down): re-apply the
#                                running configuration, as the checker process does, no reload
import json
import os
import sys

CONF = "@CONF@"
RULES = "@RULES@"
RUNNING = "@RUNNING@"
DOWN = "@DOWN@"
RELOADS = "@RELOADS@"

# keepalived.conf(5), real_server: "healthcheckers. Can be multiple of each type".
CHECKERS = {"HTTP_GET", "SSL_GET", "TCP_CHECK", "SMTP_CHECK", "DNS_CHECK", "MISC_CHECK",
            "BFD_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK"}
# keepalived.conf(5): lvs_sched rr|wrr|lc|wlc|lblc|sh|mh|dh|fo|ovf|lblcr|sed|nq|twos
SCHEDULERS = {"rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed",
              "nq", "twos"}
# ipvsadm's forwarding flags (ipvsadm(8): -g gatewaying = DR, -m masquerading = NAT, -i ipip).
METHODS = {"NAT": "-m", "DR": "-g", "TUN": "-i"}


class ConfigError(Exception):
    pass


def words(line):
    """The words of a line: comments start with '#' or '!' anywhere in a line (keepalived.conf(5)
    DESCRIPTION), a double-quoted string is one word, '{' and '}' are words of their own."""
    out, cur, quoted, i = [], "", False, 0
    while i < len(line):
        c = line[i]
        if quoted:
            if c == '"':
                quoted = False
            else:
                cur += c
        elif c == '"':
            quoted = True
        elif c in "#!":
            break
        elif c.isspace() or c in "{}":
            if cur:
                out.append(cur)
            cur = ""
            if c in "{}":
                out.append(c)
        else:
            cur += c
        i += 1
    if cur:
        out.append(cur)
    return out


def parse(text):
    """The configuration as a tree: [(line number, keyword, args, children or None)]. Blocks are
    delimited by '{' and '}' pairs (keepalived.conf(5) DESCRIPTION); a '{' alone on a line opens
    the block of the statement above it."""
    root = []
    stack = [root]
    for n, line in enumerate(text.splitlines(), 1):
        pending = []

        def flush():
            if pending:
                stack[-1].append([n, pending[0], pending[1:], None])
                pending.clear()

        for w in words(line):
            if w == "{":
                if pending:
                    flush()
                if not stack[-1] or stack[-1][-1][3] is not None:
                    raise ConfigError("(Line %d) '{' opens no block" % n)
                stack[-1][-1][3] = []
                stack.append(stack[-1][-1][3])
            elif w == "}":
                flush()
                if len(stack) == 1:
                    raise ConfigError("(Line %d) extra '}'" % n)
                stack.pop()
            else:
                pending.append(w)
        flush()
    if len(stack) > 1:
        # keepalived 2.2.7 -t says "There are N missing '}'s or extra '{'s".
        raise ConfigError("There are %d missing '}'s or extra '{'s" % (len(stack) - 1))
    for n, key, _, _ in root:
        if key.startswith("include"):
            raise ConfigError("(Line %d) %s: not supported by the lab's stand-in" % (n, key))
    return root


def boolean(args, n):
    """An optional <BOOL> argument, present alone meaning true (keepalived.conf(5): real_server's
    `inhibit_on_failure <BOOL>` next to the virtual server's bare `inhibit_on_failure`)."""
    if not args:
        return True
    v = args[0].lower()
    if v in ("true", "on", "yes"):
        return True
    if v in ("false", "off", "no"):
        return False
    raise ConfigError("(Line %d) invalid boolean %r" % (n, args[0]))


def number(args, n, what):
    if len(args) != 1 or not args[0].isdigit():
        raise ConfigError("(Line %d) %s needs a number" % (n, what))
    return int(args[0])


def ipv4(text, n):
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        # virtual_server fwmark/group and IPv6 exist in keepalived, not in the ipvsadm stand-in.
        raise ConfigError("(Line %d) %r: the lab's stand-in takes IPv4 addresses only"
                          " (no fwmark, group or IPv6)" % (n, text))
    return text


def address(args, n, what):
    """`<IPADDR> [<PORT>]` (keepalived.conf(5) virtual_server and real_server)."""
    if not 1 <= len(args) <= 2:
        raise ConfigError("(Line %d) %s needs <IPADDR> [<PORT>]" % (n, what))
    port = number(args[1:], n, what + " port") if len(args) == 2 else 0
    if port > 65535:
        raise ConfigError("(Line %d) %s port %d out of range" % (n, what, port))
    return ipv4(args[0], n), port


def service(n, args, body):
    addr, port = address(args, n, "virtual_server")
    vs = {"addr": addr, "port": port, "proto": "TCP", "sched": "wlc", "method": "NAT",
          "persist": None, "mask": None, "ops": False, "inhibit": False, "reals": []}
    # Defaults: TCP and wlc are keepalived's (IPVS_DEF_SCHED "wlc" in keepalived/include/
    # ipvswrapper.h; the man page names no default protocol: an assumption), NAT is
    # keepalived.conf(5)'s "Override default LVS forwarding method (default is NAT)".
    for m, key, a, children in body:
        # lb_algo and lb_kind are the older names of lvs_sched and lvs_method, still what the
        # samples (doc/samples/keepalived.conf.*) use and what keepalived 2.2.7 -t accepts.
        if key in ("lvs_sched", "lb_algo"):
            if len(a) != 1 or a[0] not in SCHEDULERS:
                raise ConfigError("(Line %d) unknown scheduler %s" % (m, " ".join(a)))
            vs["sched"] = a[0]
        elif key in ("lvs_method", "lb_kind"):
            if not a or a[0] not in METHODS:
                raise ConfigError("(Line %d) %s NAT|DR|TUN" % (m, key))
            vs["method"] = a[0]
        elif key == "protocol":
            if a not in (["TCP"], ["UDP"]):
                raise ConfigError("(Line %d) protocol TCP|UDP (SCTP: not in the stand-in)" % m)
            vs["proto"] = a[0]
        elif key == "persistence_timeout":
            # "LVS persistence timeout in seconds, default 6 minutes"
            vs["persist"] = number(a, m, key) if a else 360
        elif key == "persistence_granularity":
            vs["mask"] = a[0] if a else None
        elif key == "ops":
            vs["ops"] = True
        elif key == "inhibit_on_failure":
            vs["inhibit"] = boolean(a, m)
        elif key == "real_server":
            vs["reals"].append(real(m, a, children or []))
        # Anything else (delay_loop, quorum, sorry_server, alpha, ...) has no part in the table
        # the stand-in writes: ignored, as keepalived ignores (and logs) unknown keywords.
    if vs["ops"] and vs["proto"] != "UDP":
        # keepalived.conf(5): "Enable One-Packet-Scheduling for UDP"; the kernel refuses it on
        # TCP (ipvsadm: "One-Packet Scheduling is only for UDP virtual services").
        raise ConfigError("(Line %d) ops is for UDP virtual servers only" % n)
    if vs["port"] == 0 and vs["persist"] is None:
        raise ConfigError("(Line %d) a virtual_server without a port needs persistence" % n)
    return vs


def real(n, args, body):
    addr, port = address(args, n, "real_server")
    rs = {"addr": addr, "port": port, "weight": 1, "method": None, "inhibit": None,
          "checkers": 0}
    for m, key, a, _children in body:
        if key == "weight":
            rs["weight"] = number(a, m, key)  # "relative weight to use, default: 1"
        elif key == "lvs_method":
            if not a or a[0] not in METHODS:
                raise ConfigError("(Line %d) lvs_method NAT|DR|TUN" % m)
            rs["method"] = a[0]
        elif key == "inhibit_on_failure":
            rs["inhibit"] = boolean(a, m)
        elif key in CHECKERS:
            rs["checkers"] += 1
    return rs


def load(text):
    services, seen = [], set()
    for n, kw, a, c in parse(text):
        if kw == "virtual_server":
            vs = service(n, a, c or [])
            if key(vs) in seen:
                # Assumption (the man page does not say): one block per service.
                raise ConfigError("(Line %d) virtual_server %s defined twice" % (n, key(vs)))
            seen.add(key(vs))
            services.append(vs)
    return services


def down_reals():
    try:
        with open(DOWN) as f:
            return {l.strip() for l in f if l.strip() and not l.startswith("#")}
    except FileNotFoundError:
        return set()


def key(vs):
    return "%s %s:%d" % ("-t" if vs["proto"] == "TCP" else "-u", vs["addr"], vs["port"])


def lines(vs, down):
    """The service as the ipvsadm stand-in saves it (standin.rs: `-A ... -s <sched>[ -p <t>]
    [ -M <mask>][ ops]`, then `-a ... -r <addr>:<port> -g|-m|-i -w <weight>`)."""
    k = key(vs)
    out = ["-A %s -s %s" % (k, vs["sched"])
           + (" -p %d" % vs["persist"] if vs["persist"] is not None else "")
           + (" -M %s" % vs["mask"] if vs["mask"] else "")
           + (" ops" if vs["ops"] else "")]
    for rs in vs["reals"]:
        port = rs["port"] or vs["port"]
        weight = rs["weight"]
        # software_design.rst (Checkers): a checker's "binary decision: remove or add realserver
        # from/into the LVS topology"; keepalived.conf(5) inhibit_on_failure: "Set weight to 0
        # when healthchecker detects failure". A real server without a checker has nothing that
        # can fail it.
        if rs["checkers"] and "%s:%d" % (rs["addr"], port) in down:
            inhibit = rs["inhibit"] if rs["inhibit"] is not None else vs["inhibit"]
            if not inhibit:
                continue
            weight = 0
        flag = METHODS[rs["method"] or vs["method"]]
        # Direct routing and tunnelling cannot translate the port: the table shows the
        # service's, as the ipvsadm stand-in does (standin.rs, from ipvsadm.c).
        if flag != "-m":
            port = vs["port"]
        out.append("-a %s -r %s:%d %s -w %d" % (k, rs["addr"], port, flag, weight))
    return out


def program(previous, services):
    """Makes the table hold `services`: those of `previous` (what keepalived programmed before)
    that are gone are deleted; services keepalived never programmed are left alone; a configured
    service keeps its place in the table (new ones go at the end), its real servers under it."""
    try:
        with open(RULES) as f:
            table = f.read().splitlines()
    except FileNotFoundError:
        table = []
    down = down_reals()
    mine = {key(vs) for vs in previous} | {key(vs) for vs in services}
    wanted = {key(vs): lines(vs, down) for vs in services}
    out, placed = [], set()
    for line in table:
        w = line.split()
        k = " ".join(w[1:3]) if len(w) >= 3 and w[0] in ("-A", "-a") else None
        if k not in mine:
            out.append(line)
        elif w[0] == "-A" and k in wanted and k not in placed:
            out.extend(wanted[k])
            placed.add(k)
    for vs in services:
        if key(vs) not in placed:
            out.extend(wanted[key(vs)])
    write(RULES, "".join(l + "\n" for l in out))


def write(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


def running():
    try:
        with open(RUNNING) as f:
            return json.load(f)
    except FileNotFoundError:
        return []


def main():
    if sys.argv[1:] == ["--recheck"]:
        services = running()
        program(services, services)
        return 0
    if sys.argv[1:]:
        print("usage: keepalived-reload [--recheck]", file=sys.stderr)
        return 2
    try:
        with open(RELOADS) as f:
            count = int(f.read().strip() or 0)
    except (FileNotFoundError, ValueError):
        count = 0
    write(RELOADS, "%d\n" % (count + 1))
    try:
        with open(CONF) as f:
            services = load(f.read())
    except (OSError, ConfigError) as e:
        # keepalived.conf(5) reload_check_config (set in the lab's global_defs): keepalived
        # "will attempt to validate the configuration before initiating a reload, and only
        # initiate the reload if the configuration is valid": the running one stays.
        print("keepalived-reload: %s: %s; the running configuration is kept" % (CONF, e),
              file=sys.stderr)
        return 1
    program(running(), services)
    write(RUNNING, json.dumps(services))
    return 0


sys.exit(main())
