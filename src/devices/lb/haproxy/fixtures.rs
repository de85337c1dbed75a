//! Replies captured from HAProxy 2.6.12 (Debian 2.6.12-1+deb12u4) on 127.0.0.1, byte for byte:
//! a master-worker instance (`haproxy -W -S master.sock -f haproxy.cfg`) with the lab's base
//! configuration (`stats socket ipv4@127.0.0.1:<port> level admin`, `stats timeout 30s`) and
//! the sections `section` renders for [`super::tests::captured_site`], its runtime API asked over
//! TCP and its master CLI over the Unix socket.

/// `show servers state` after, on the running instance: `set server pop3/fe8 state drain`,
/// `set server smtp/fe6 state maint`, `set server smtp/fe7 state ready` (disabled in the
/// file), `set server plain/c health stopping`, `add server pop3/fe9 127.0.0.1:18114 weight 4
/// check` + `enable health pop3/fe9` + `set server pop3/fe9 state ready`, `add server
/// pop3/fe10 127.0.0.1:18111 weight 1` (left as added), `set server plain/a weight 0`; pop3/fe7
/// and plain/b point at a closed port. 1151 bytes.
pub const SERVERS_STATE: &str = "1\n\
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n\
3 pop3 1 fe5 127.0.0.1 2 0 1 1 28 6 3 4 6 0 0 0 - 18111 - 0 0 - - 0\n\
3 pop3 2 fe6 127.0.0.1 0 5 2 2 28 1 0 0 14 0 0 0 - 18112 - 0 0 - - 0\n\
3 pop3 3 fe7 127.0.0.1 0 0 1 1 27 8 2 0 6 0 0 0 - 18119 - 0 0 - - 0\n\
3 pop3 4 fe8 127.0.0.1 2 8 1 1 24 6 3 4 6 0 0 0 - 18114 - 0 0 - - 0\n\
3 pop3 5 fe9 127.0.0.1 2 0 4 4 12 6 3 4 6 0 0 0 - 18114 - 0 0 - - 0\n\
3 pop3 6 fe10 127.0.0.1 0 1 1 1 10 1 0 0 0 0 0 0 - 18111 - 0 0 - - 0\n\
5 smtp 1 fe5 127.0.0.1 2 0 1 1 28 15 3 4 6 0 0 0 - 18111 - 0 0 - - 0\n\
5 smtp 2 fe6 127.0.0.1 0 1 1 1 22 15 3 0 14 0 0 0 - 18112 - 0 0 - - 0\n\
5 smtp 3 fe7 127.0.0.1 2 4 1 1 20 15 3 4 6 0 0 0 - 18114 - 0 0 - - 0\n\
7 plain 1 a 127.0.0.1 2 0 0 1 28 1 0 2 0 0 0 0 - 18111 - 0 0 - - 0\n\
7 plain 2 b ::1 2 0 1 1 28 1 0 2 0 0 0 0 - 18119 - 0 0 - - 0\n\
7 plain 3 c 127.0.0.1 3 0 1 1 18 1 0 4 0 0 0 0 - 18112 - 0 0 - - 0\n\
\n";

/// `show stat`'s `pxname svname status` columns at the same moment (the status words
/// `member_report` must give).
pub const SHOW_STAT_STATUS: &[(&str, &str, &str)] = &[
    ("pop3", "fe5", "UP"),
    ("pop3", "fe6", "MAINT"),
    ("pop3", "fe7", "DOWN"),
    ("pop3", "fe8", "DRAIN"),
    ("pop3", "fe9", "UP"),
    ("pop3", "fe10", "MAINT"),
    ("smtp", "fe5", "UP"),
    ("smtp", "fe6", "MAINT"),
    ("smtp", "fe7", "UP"),
    ("plain", "a", "no check"),
    ("plain", "b", "no check"),
    ("plain", "c", "NOLB"),
];

/// `show servers state nosuch` (non-interactive).
pub const SERVERS_STATE_NO_BACKEND: &str = "Can't find backend.\n\n";

/// One interactive connection: `prompt`, `show cli level`, `set server pop3/fe5 weight 1`,
/// `del server pop3/fe5` (not in maintenance), `add server nosuch/x 127.0.0.1:1`, `set server
/// pop3/fe5 weight 300`, `set server pop3/fe10 state maint`, `del server pop3/fe10`, `quit`,
/// sent at once; every byte HAProxy sent back until it closed.
pub const INTERACTIVE_SESSION: &str = "\n\
> admin\n\
\n\
> \n\
> Only servers in maintenance mode can be deleted.\n\
> No such backend.\n\
> Absolute weight can only be between 0 and 256 inclusive.\n\
\n\
> \n\
> Server deleted.\n\
> ";

/// Non-interactive replies (one command per connection, closed after the reply): the command
/// and every byte of its reply.
pub const REPLIES: &[(&str, &str)] = &[
    ("set server pop3/fe5 state drain", "\n"),
    ("set server pop3/fe5 state ready", "\n"),
    ("set server pop3/fe5 weight 7", "\n"),
    ("enable health pop3/fe8", "\n"),
    ("shutdown sessions server pop3/fe7", "\n"),
    (
        "add server pop3/fe8 127.0.0.1:18114 weight 3 check",
        "New server registered.\n\n",
    ),
    ("del server pop3/fe7", "Server deleted.\n"),
];

/// Non-interactive error replies: the command and every byte of its reply.
pub const ERRORS: &[(&str, &str)] = &[
    (
        "set server pop3/fe5 state bogus",
        "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n",
    ),
    (
        "set server pop3/fe5 weight 300",
        "Absolute weight can only be between 0 and 256 inclusive.\n\n",
    ),
    ("set server pop3/nosuch weight 7", "No such server.\n\n"),
    ("set server nosuch/fe5 weight 7", "No such backend.\n\n"),
    (
        "add server pop3/fe8 127.0.0.1:18114 weight 3",
        "Already exists a server with the same name in backend.\n\n",
    ),
    (
        "add server pop3/fe9 127.0.0.1:18114 weight 300",
        "weight of server fe9 is not within 0 and 256 (300)..\n\n",
    ),
    (
        "add server pop3/fe9 127.0.0.1:18114 bogus",
        "unknown keyword 'bogus'.\n\n",
    ),
    (
        "add server pop3/fe9 nonsense:x",
        "invalid character 'x' in port number 'x' in 'nonsense:x'\n\n\n",
    ),
    (
        "add server nosuch/fe9 127.0.0.1:18114",
        "No such backend.\n",
    ),
    (
        "add server src/b 127.0.0.1:2",
        "Backend must use a dynamic load balancing to support dynamic servers.\n",
    ),
    (
        "del server pop3/fe8",
        "Only servers in maintenance mode can be deleted.\n",
    ),
    (
        "del server pop3/fe7",
        "Server still has connections attached to it, cannot remove it.\n",
    ),
    ("del server pop3/nosuch", "No such server.\n"),
    ("del server nosuch/fe8", "No such backend.\n"),
    (
        "enable health smtp/fe6",
        "Health check was not configured on this server, cannot enable.\n\n",
    ),
    ("enable health pop3/nosuch", "No such server.\n\n"),
    // After `operator` (or `user`) lowered the session's level.
    ("set server pop3/fe5 state ready", "Permission denied\n\n"),
];

/// A name with `;` splits the line into two commands (non-interactive reply, cut after its
/// first line of help).
pub const SEMICOLON_SPLITS: (&str, &str) = (
    "add server pop3/fe;9 127.0.0.1:18114",
    "'server' expects <name> and <addr>[:<port>] as arguments.\n\nUnknown command, but maybe one of the following ones is a better match:\n",
);

/// `show info`'s first lines.
pub const SHOW_INFO_HEAD: &str = "Name: HAProxy\n\
Version: 2.6.12-1+deb12u4\n\
Release_date: 2026/10/17\n\
Nbthread: 2\n\
Nbproc: 1\n\
Process_num: 1\n\
Pid: 28612\n\
Uptime: 0d 0h00m38s\n\
Uptime_sec: 38\n";

/// `show proc` (master CLI, non-interactive) just after the start.
pub const SHOW_PROC_START: &str =
    "#<PID>          <type>          <reloads>       <uptime>        <version>      \n\
28609           master          0 [failed: 0]   0d00h00m39s     2.6.12-1+deb12u4\n\
# workers\n\
28612           worker          0               0d00h00m39s     2.6.12-1+deb12u4\n\
# programs\n\
\n";

/// After a second accepted reload while a client still held a connection to the first worker.
pub const SHOW_PROC_OLD_WORKER: &str =
    "#<PID>          <type>          <reloads>       <uptime>        <version>      \n\
12361           master          2 [failed: 0]   0d00h02m06s     2.6.12-1+deb12u4\n\
# workers\n\
14314           worker          0               0d00h00m01s     2.6.12-1+deb12u4\n\
# old workers\n\
14166           worker          1               0d00h00m07s     2.6.12-1+deb12u4\n\
# programs\n\
\n";

/// After the next reload, refused (`unknown keyword 'no-such-keyword' in 'backend' section`,
/// `Loading failure!` in the master's log): the same worker serves on.
pub const SHOW_PROC_REFUSED: &str =
    "#<PID>          <type>          <reloads>       <uptime>        <version>      \n\
12361           master          3 [failed: 1]   0d00h02m14s     2.6.12-1+deb12u4\n\
# workers\n\
14314           worker          1               0d00h00m09s     2.6.12-1+deb12u4\n\
# programs\n\
\n";

/// After an accepted reload (`4 [failed: 0]`) and two more refused ones.
pub const SHOW_PROC_REFUSED_TWICE_MORE: &str =
    "#<PID>          <type>          <reloads>       <uptime>        <version>      \n\
12361           master          6 [failed: 2]   0d00h02m30s     2.6.12-1+deb12u4\n\
# workers\n\
14653           worker          2               0d00h00m11s     2.6.12-1+deb12u4\n\
# programs\n\
\n";

/// After the next reload, accepted: the failures are forgotten.
pub const SHOW_PROC_ACCEPTED_AFTER_REFUSAL: &str =
    "#<PID>          <type>          <reloads>       <uptime>        <version>      \n\
12361           master          7 [failed: 0]   0d00h02m31s     2.6.12-1+deb12u4\n\
# workers\n\
14999           worker          0               0d00h00m01s     2.6.12-1+deb12u4\n\
# programs\n\
\n";

/// The master CLI in interactive mode on one connection: `prompt`, `show proc`, `show version`.
pub const MASTER_INTERACTIVE: &str =
    "master> #<PID>          <type>          <reloads>       <uptime>        <version>      \n\
12361           master          7 [failed: 0]   0d00h04m55s     2.6.12-1+deb12u4\n\
# workers\n\
14999           worker          0               0d00h02m25s     2.6.12-1+deb12u4\n\
# programs\n\
\n\
master> 2.6.12-1+deb12u4\n\
\n\
master> ";

/// The master's interactive prompt after a refused reload.
pub const MASTER_PROMPT_RELOAD_FAILED: &str = "master[ReloadFailed]> ";
