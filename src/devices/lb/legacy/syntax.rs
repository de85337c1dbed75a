//! Every keyword the legacy renderers write, with where it was seen. `seed` is the
//! communigate-cluster-sip-farm-lb document (CommuniGate Pro 5.4 guide, "SIP Farm" load-balancer
//! examples); `unconfirmed` marks syntax no vendor document at hand shows, for a human to check
//! before pasting (the docs list these).

pub struct Keyword {
    pub vendor: &'static str,
    pub text: &'static str,
    pub source: &'static str,
}

pub const UNCONFIRMED: &str = "unconfirmed";
pub const SEED: &str = "seed";

pub const KEYWORDS: &[Keyword] = &[
    kw("serveriron", "server real <name> <ip> / port <p> / port <p> keepalive", SEED),
    kw("serveriron", "server virtual <name> <vip> / predictor round-robin / port <p> / port <p> dsr / bind <p> <real> <p> ...", SEED),
    kw("serveriron", "predictor least-conn", UNCONFIRMED),
    kw("serveriron", "port <p> sticky", UNCONFIRMED),
    kw("alteon", "/c/slb on; /c/slb/real <n> ena rip <ip> addport <p> submac ena", SEED),
    kw("alteon", "/c/slb/group <n> add <real> name \"<name>\"", SEED),
    kw("alteon", "/c/slb/virt <n> ena vip <vip>; /c/slb/virt <n>/service <p> group <g> udp enabled udp stateless nonat ena", SEED),
    kw("alteon", "/c/slb/group <n> metric leastconns", UNCONFIRMED),
    kw("alteon", "/c/slb/real <n> weight <w>", UNCONFIRMED),
    kw("alteon", "/c/slb/real <n> dis", UNCONFIRMED),
    kw("alteon", "/c/slb/virt <n>/service <p> pbind clientip", UNCONFIRMED),
    kw("f5_tmsh", "monitor <name> { defaults from smtp dest *:smtp debug \"no\" }", SEED),
    kw("f5_tmsh", "profile fastL4 <name> { defaults from fastL4 idle timeout <s> tcp handshake timeout <s> tcp close timeout <s> loose initiation enable|disable loose close enable|disable software syncookie enable|disable }", SEED),
    kw("f5_tmsh", "pool <name> { monitor all <a> and <b> members <ip>:<port|any> ... }", SEED),
    kw("f5_tmsh", "virtual address <vip> { floating disable unit 0 }", SEED),
    kw("f5_tmsh", "virtual <name> { translate address disable pool <pool> destination <vip>:<port|any> profiles <profile> }", SEED),
    kw("f5_tmsh", "floating enable unit 1", UNCONFIRMED),
    kw("f5_tmsh", "lb method least conn", UNCONFIRMED),
    kw("f5_tmsh", "members <ip>:<port> ratio <w>", UNCONFIRMED),
    kw("f5_tmsh", "ip protocol tcp|udp", UNCONFIRMED),
    kw("f5_tmsh", "profile udp <name> { defaults from udp datagram lb enable }", UNCONFIRMED),
    kw("f5_tmsh", "persist source_addr", UNCONFIRMED),
];

const fn kw(vendor: &'static str, text: &'static str, source: &'static str) -> Keyword {
    Keyword {
        vendor,
        text,
        source,
    }
}
