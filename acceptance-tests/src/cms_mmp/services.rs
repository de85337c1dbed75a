//! The MMP service commands of the Web Admin, the Call Bridge, the XMPP server and the Web
//! Bridge, their per-node state, and the [`NodeControl`] accessors tests use to read and change
//! it behind terraform's back.
//!
//! Sources:
//! - Cisco Meeting Server "Single Combined Server Deployment Guide", sections 3.3 "Configuring
//!   the Web Admin interface for HTTPS access", 3.4 "Configuring the Call Bridge", 3.5
//!   "Configuring the XMPP server", 3.6 "Configuring the Web Bridge": the command families
//!   `webadmin|callbridge|xmpp|webbridge listen|certs|...`, `... enable`, `callbridge restart`.
//! - Seed `cms-failover-cluster-part2a.txt`: `webadmin certs`, `callbridge listen a`,
//!   `callbridge certs <key> <cert> <bundle>`, `callbridge trust cluster <bundle>`, then
//!   `callbridge restart` (the Call Bridge applies its configuration only when restarted);
//!   `SUCCESS: Key and certificate pair match`.
//! - <https://cmslab.ciscolive.com/pod2/cms/webbridge>: `webbridge certs <key> <cert> <bundle>`,
//!   `webbridge listen a:443`, `webbridge trust <bundle>`, `webbridge http-redirect enable` (which
//!   fails when the Web Admin already redirects port 80: one service only), and the output of
//!   `webbridge enable`: `SUCCESS: Key and certificate pair match`, `SUCCESS: certificate
//!   verified against CA bundle`, `SUCCESS: Webbridge enabled`. The same page configures the Web
//!   Admin on port 8443 to leave 443 to the Web Bridge.
//! - Cisco TAC 213479 "Configure XMPP Resiliency": `xmpp domain`, `xmpp listen`, `xmpp certs`,
//!   `xmpp cluster trust <bundle>`, `xmpp enable`.
//!
//! The status layouts (`webadmin`, `callbridge`, `xmpp`, `webbridge` on their own) are the
//! provider's wire contract: one `Label : value` line per field, the label padded to
//! [`LABEL_WIDTH`] columns (a longer label is followed by ` : `), `none` for an unset value. The
//! labels follow the MMP's; the padding, and every `FAILURE: ...`/`Usage: ...` text not quoted
//! above, are [GUESS]. Commands that change a setting print nothing [GUESS: the real MMP is
//! silent on success for the documented ones].
//!
//! Any file a command names must be an uploaded file (`FAILURE: <name>: file not found`); key
//! and certificate contents are checked at `enable` / `restart` ([`super::certs`]).
//!
//! | command | output |
//! |---|---|
//! | `webadmin` | [`NodeControl::webadmin_config`] as Enabled / TLS listening interface and port / HTTP redirect / Key file / Certificate file / CA Bundle file |
//! | `webadmin listen <a-d> <1-65535>` \| `none` | nothing |
//! | `webadmin certs <key> <cert> [<bundle>]` \| `none` | nothing |
//! | `webadmin http-redirect enable\|disable` | nothing; enable fails when the Web Bridge redirects port 80 [GUESS: the converse of cmslab's rule] |
//! | `webadmin enable` | the key checks, then `SUCCESS: Webadmin enabled` [GUESS: wording]; starts the REST API listener ([`super::rest::server`]) |
//! | `webadmin disable` | nothing; closes the REST API listener |
//! | `webadmin restart` | nothing, after [`WEBADMIN_RESTART_DELAY`] [GUESS]; an enabled Web Admin's API listener starts again, its files read again |
//! | `callbridge` | Listening interfaces / Preferred interface / Key file / Certificate file / Address / CA Bundle file / Callbridge trust / Callbridge cluster trust / Callbridge xmpp trust |
//! | `callbridge listen <a-d>...` \| `none` | nothing (applied at the next restart) |
//! | `callbridge certs <key> <cert> [<bundle>]` \| `none` | nothing (applied at the next restart) |
//! | `callbridge trust cluster <bundle>` \| `none` | nothing (applied at the next restart) |
//! | `callbridge restart` | after [`CALLBRIDGE_RESTART_DELAY`]: the key checks (when certs are set), then `SUCCESS: Callbridge restarted` [GUESS: wording] |
//! | `xmpp` | Enabled / Clustered / Domain / Listening interfaces / Key file / Certificate file / CA Bundle file / Cluster trust / STATUS |
//! | `xmpp listen <a-d>...` \| `none`, `xmpp domain <dns name>`, `xmpp certs ...` \| `none`, `xmpp cluster trust <bundle>` \| `none` | nothing |
//! | `xmpp cluster enable\|disable\|initialize\|join\|remove\|status`, `xmpp reset` | see [`super::xmpp_cluster`] (`Clustered` follows `xmpp cluster enable\|disable`) |
//! | `xmpp enable` | the key checks, then `SUCCESS: XMPP server enabled` [GUESS: wording] |
//! | `xmpp disable` | nothing |
//! | `webbridge` | Enabled / Listening interfaces / Key file / Certificate file / CA Bundle file / Trust bundle / HTTP redirect |
//! | `webbridge listen <a-d>:<port>...` \| `none`, `webbridge certs ...` \| `none`, `webbridge trust <bundle>` \| `none`, `webbridge http-redirect enable\|disable` | nothing |
//! | `webbridge enable` | the key checks, then `SUCCESS: Webbridge enabled` (cmslab) |
//! | `webbridge disable` | nothing |
//!
//! The key checks: `SUCCESS: Key and certificate pair match` or `FAILURE: Key and certificate
//! pair do not match`, then, with a CA bundle, `SUCCESS: certificate verified against CA bundle`
//! or `FAILURE: certificate not verified against CA bundle`. A failure stops the command: the
//! service keeps its previous enabled flag (the Call Bridge its previous running configuration).
//! `enable` first wants a listening interface (`FAILURE: listening interface not configured`),
//! the XMPP server a domain (`FAILURE: domain not configured`), and a key and certificate
//! (`FAILURE: key and certificate not configured`) [GUESS: texts].
//!
//! Not simulated [GUESS]: the Call Bridge's `Preferred interface`, `Address`, `Callbridge
//! trust` and `Callbridge xmpp trust` (always `none`), port clashes between services (the Web
//! Admin and the Web Bridge may both listen on `a:443`), settings taking effect only at a
//! restart for anything but the Call Bridge.

use std::time::Duration;

use super::certs::{self, PairCheck};
use super::rest;
use super::shell::Reply;
use super::state::{lock, NodeControl};

/// How long `callbridge restart` takes before it answers (the lab's; a real Call Bridge takes
/// seconds) [GUESS].
pub const CALLBRIDGE_RESTART_DELAY: Duration = Duration::from_secs(1);
/// How long `webadmin restart` takes before it answers [GUESS].
pub const WEBADMIN_RESTART_DELAY: Duration = Duration::from_secs(1);

/// Status labels are padded to this many columns (wire contract with the provider).
pub const LABEL_WIDTH: usize = 24;

/// `Label                   : value`; a label longer than [`LABEL_WIDTH`] is followed by ` : `.
pub fn status_field(label: &str, value: &str) -> String {
    if label.len() > LABEL_WIDTH {
        format!("{label} : {value}")
    } else {
        format!("{label:<LABEL_WIDTH$}: {value}")
    }
}

/// Printed by `webadmin enable` on success [GUESS: wording].
pub const WEBADMIN_ENABLED: &str = "SUCCESS: Webadmin enabled";
/// Printed by `callbridge restart` on success [GUESS: wording].
pub const CALLBRIDGE_RESTARTED: &str = "SUCCESS: Callbridge restarted";
/// Printed by `xmpp enable` on success [GUESS: wording].
pub const XMPP_ENABLED: &str = "SUCCESS: XMPP server enabled";
/// Printed by `webbridge enable` on success (cmslab.ciscolive.com/pod2/cms/webbridge).
pub const WEBBRIDGE_ENABLED: &str = "SUCCESS: Webbridge enabled";
/// `webbridge http-redirect enable` while the Web Admin redirects port 80 (cmslab: you must
/// choose one service; wording [GUESS]).
pub const REDIRECTED_TO_WEBADMIN: &str = "FAILURE: port 80 is already redirected to webadmin";
/// `webadmin http-redirect enable` while the Web Bridge redirects port 80 [GUESS].
pub const REDIRECTED_TO_WEBBRIDGE: &str = "FAILURE: port 80 is already redirected to webbridge";
/// `enable` with no listening interface [GUESS].
pub const NO_LISTEN: &str = "FAILURE: listening interface not configured";
/// `enable` with no key and certificate [GUESS].
pub const NO_CERTS: &str = "FAILURE: key and certificate not configured";
/// `xmpp enable` with no domain [GUESS].
pub const NO_DOMAIN: &str = "FAILURE: domain not configured";

/// A service's key, certificate and optional CA bundle file names (as typed in `... certs`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsFiles {
    pub key: String,
    pub certificate: String,
    pub bundle: Option<String>,
}

impl TlsFiles {
    /// Key and certificate, no bundle.
    pub fn new(key: &str, certificate: &str) -> TlsFiles {
        TlsFiles {
            key: key.to_string(),
            certificate: certificate.to_string(),
            bundle: None,
        }
    }

    /// The same with a CA bundle.
    pub fn with_bundle(mut self, bundle: &str) -> TlsFiles {
        self.bundle = Some(bundle.to_string());
        self
    }
}

/// The Web Admin's configuration (`webadmin`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebAdminConfig {
    pub enabled: bool,
    /// `(interface, port)`, e.g. `("a", 8443)`.
    pub listen: Option<(String, u16)>,
    pub tls: Option<TlsFiles>,
    pub http_redirect: bool,
}

/// The Call Bridge's configuration (`callbridge`): both what is configured and, as
/// [`NodeControl::callbridge_running_config`], what the last `callbridge restart` applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallBridgeConfig {
    /// Interfaces, e.g. `["a"]`.
    pub listen: Vec<String>,
    pub tls: Option<TlsFiles>,
    /// `callbridge trust cluster <bundle>`.
    pub cluster_trust: Option<String>,
}

/// The XMPP server's configuration (`xmpp`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XmppConfig {
    pub enabled: bool,
    /// `xmpp cluster enable|disable` ([`super::xmpp_cluster`]).
    pub clustered: bool,
    /// Initially the node's [`super::CmsNodeConfig::xmpp_domain`].
    pub domain: Option<String>,
    pub listen: Vec<String>,
    pub tls: Option<TlsFiles>,
    /// `xmpp cluster trust <bundle>`.
    pub cluster_trust: Option<String>,
}

/// The Web Bridge's configuration (`webbridge`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebBridgeConfig {
    pub enabled: bool,
    /// `(interface, port)` pairs, e.g. `[("a", 443)]`.
    pub listen: Vec<(String, u16)>,
    pub tls: Option<TlsFiles>,
    /// `webbridge trust <bundle>`.
    pub trust: Option<String>,
    pub http_redirect: bool,
}

/// The services with an enabled flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    WebAdmin,
    Xmpp,
    WebBridge,
}

/// Everything the service commands keep per node.
#[derive(Debug, Clone, Default)]
pub(crate) struct Services {
    pub webadmin: WebAdminConfig,
    pub webadmin_restarts: u32,
    pub callbridge: CallBridgeConfig,
    /// What the last successful `callbridge restart` applied (a fresh node runs the empty
    /// configuration).
    pub callbridge_running: CallBridgeConfig,
    pub callbridge_restarts: u32,
    pub xmpp: XmppConfig,
    pub webbridge: WebBridgeConfig,
}

impl Services {
    /// A fresh node: everything unset and disabled, the XMPP domain `xmpp_domain` (none when
    /// empty).
    pub fn new(xmpp_domain: &str) -> Services {
        let mut s = Services::default();
        if !xmpp_domain.is_empty() {
            s.xmpp.domain = Some(xmpp_domain.to_string());
        }
        s
    }
}

fn one(line: impl Into<String>) -> Reply {
    Reply::Lines(vec![line.into()])
}

fn nothing() -> Reply {
    Reply::Lines(Vec::new())
}

fn or_none(v: Option<&str>) -> &str {
    v.unwrap_or("none")
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(" ")
    }
}

fn true_false(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn enabled_disabled(b: bool) -> &'static str {
    if b {
        "Enabled"
    } else {
        "Disabled"
    }
}

/// Key file / Certificate file / CA Bundle file.
fn tls_fields(tls: Option<&TlsFiles>) -> [String; 3] {
    [
        status_field("Key file", or_none(tls.map(|t| t.key.as_str()))),
        status_field(
            "Certificate file",
            or_none(tls.map(|t| t.certificate.as_str())),
        ),
        status_field(
            "CA Bundle file",
            or_none(tls.and_then(|t| t.bundle.as_deref())),
        ),
    ]
}

/// MMP interfaces `a`..`d` (devices.md 1.4; TAC 210530 `database cluster localnode a`).
pub fn valid_interface(iface: &str) -> bool {
    matches!(iface, "a" | "b" | "c" | "d")
}

fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse::<u16>().ok().filter(|p| *p > 0)
}

/// A DNS name: dot-separated labels of letters, digits and `-` (not at either end), 1-63
/// characters each, 253 in all [GUESS: what `xmpp domain` accepts is not documented].
pub fn valid_domain(d: &str) -> bool {
    (1..=253).contains(&d.len())
        && d.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn invalid_interface(iface: &str) -> Reply {
    one(format!("FAILURE: invalid interface {iface}"))
}

/// Any file a command names must be uploaded.
fn require_file(node: &NodeControl, name: &str) -> Result<(), Reply> {
    match node.file(name) {
        Some(_) => Ok(()),
        None => Err(one(certs::file_not_found(name))),
    }
}

/// `<svc> certs <key> <cert> [<bundle>]` / `<svc> certs none`.
fn parse_certs(node: &NodeControl, svc: &str, args: &[&str]) -> Result<Option<TlsFiles>, Reply> {
    match args {
        ["none"] => Ok(None),
        [key, cert, bundle @ ..] if bundle.len() <= 1 => {
            for name in args {
                require_file(node, name)?;
            }
            Ok(Some(TlsFiles {
                key: key.to_string(),
                certificate: cert.to_string(),
                bundle: bundle.first().map(|b| b.to_string()),
            }))
        }
        _ => Err(one(format!(
            "Usage: {svc} certs <keyfile> <certificatefile> [<cert-bundle>]|none"
        ))),
    }
}

/// `<bundle>` / `none` for the trust commands.
fn parse_trust(node: &NodeControl, usage: &str, args: &[&str]) -> Result<Option<String>, Reply> {
    match args {
        ["none"] => Ok(None),
        [bundle] => {
            require_file(node, bundle)?;
            Ok(Some(bundle.to_string()))
        }
        _ => Err(one(usage)),
    }
}

/// `<a-d>...` / `none`.
fn parse_interfaces(usage: &str, args: &[&str]) -> Result<Vec<String>, Reply> {
    match args {
        [] => Err(one(usage)),
        ["none"] => Ok(Vec::new()),
        _ => {
            if let Some(bad) = args.iter().find(|i| !valid_interface(i)) {
                return Err(invalid_interface(bad));
            }
            Ok(args.iter().map(|i| i.to_string()).collect())
        }
    }
}

/// `<a-d>:<port>...` / `none` (cmslab: `webbridge listen a:443`).
fn parse_interface_ports(usage: &str, args: &[&str]) -> Result<Vec<(String, u16)>, Reply> {
    match args {
        [] => Err(one(usage)),
        ["none"] => Ok(Vec::new()),
        _ => args
            .iter()
            .map(|a| {
                let Some((iface, port)) = a.split_once(':') else {
                    return Err(one(format!("FAILURE: invalid listening address {a}")));
                };
                if !valid_interface(iface) {
                    return Err(invalid_interface(iface));
                }
                let Some(port) = parse_port(port) else {
                    return Err(one(format!("FAILURE: invalid port {port}")));
                };
                Ok((iface.to_string(), port))
            })
            .collect(),
    }
}

/// The key checks of `enable` / `restart` (see [`super::certs`]): the lines to print, and
/// whether every check passed.
pub(crate) fn check_tls(node: &NodeControl, tls: &TlsFiles) -> (Vec<String>, bool) {
    let Some(key) = node.file(&tls.key) else {
        return (vec![certs::file_not_found(&tls.key)], false);
    };
    let Some(cert) = node.file(&tls.certificate) else {
        return (vec![certs::file_not_found(&tls.certificate)], false);
    };
    let mut lines = Vec::new();
    match certs::check_pair(&key, &cert) {
        PairCheck::Match => lines.push(certs::PAIR_MATCH.to_string()),
        PairCheck::Mismatch => return (vec![certs::PAIR_MISMATCH.to_string()], false),
        PairCheck::BadKey => return (vec![certs::not_a_key(&tls.key)], false),
        PairCheck::BadCertificate => {
            return (vec![certs::not_a_certificate(&tls.certificate)], false)
        }
    }
    if let Some(bundle_name) = &tls.bundle {
        let Some(bundle) = node.file(bundle_name) else {
            lines.push(certs::file_not_found(bundle_name));
            return (lines, false);
        };
        match certs::verify_against_bundle(&cert, &bundle) {
            Some(true) => lines.push(certs::BUNDLE_VERIFIED.to_string()),
            Some(false) => {
                lines.push(certs::BUNDLE_NOT_VERIFIED.to_string());
                return (lines, false);
            }
            None => {
                lines.push(certs::not_a_certificate(bundle_name));
                return (lines, false);
            }
        }
    }
    (lines, true)
}

/// `enable`: the configuration checks, the key checks, then `success` and the flag set by
/// `set`.
fn enable(
    node: &NodeControl,
    missing: Option<&'static str>,
    tls: Option<TlsFiles>,
    success: &str,
    set: impl FnOnce(&mut Services),
) -> (Reply, bool) {
    if let Some(missing) = missing {
        return (one(missing), false);
    }
    let Some(tls) = tls else {
        return (one(NO_CERTS), false);
    };
    let (mut lines, ok) = check_tls(node, &tls);
    if ok {
        node.with_services(set);
        lines.push(success.to_string());
    }
    (Reply::Lines(lines), ok)
}

/// Runs a service command (`webadmin ...`, `callbridge ...`, `webbridge ...`, or `xmpp ...`
/// other than `xmpp callbridge ...` / `xmpp status`); `None` when the words are not one.
pub fn run(node: &NodeControl, words: &[&str]) -> Option<Reply> {
    let reply = match words {
        ["webadmin", args @ ..] => webadmin(node, args)?,
        ["callbridge", args @ ..] => callbridge(node, args)?,
        ["xmpp", args @ ..] => xmpp(node, args)?,
        ["webbridge", args @ ..] => webbridge(node, args)?,
        _ => return None,
    };
    Some(match (words, reply) {
        ([service], Reply::Lines(lines)) => Reply::Lines(node.relabelled(service, lines)),
        (_, reply) => reply,
    })
}

/// Turns a parse result into a reply: the error, or `apply` and no output.
fn apply<T>(
    node: &NodeControl,
    parsed: Result<T, Reply>,
    f: impl FnOnce(&mut Services, T),
) -> Reply {
    match parsed {
        Ok(v) => {
            node.with_services(|s| f(s, v));
            nothing()
        }
        Err(r) => r,
    }
}

fn webadmin(node: &NodeControl, args: &[&str]) -> Option<Reply> {
    Some(match args {
        [] => {
            let w = node.webadmin_config();
            let listen = w.listen.as_ref().map(|(i, p)| format!("{i} {p}"));
            let mut lines = vec![
                status_field("Enabled", true_false(w.enabled)),
                status_field(
                    "TLS listening interface and port",
                    or_none(listen.as_deref()),
                ),
                status_field("HTTP redirect", enabled_disabled(w.http_redirect)),
            ];
            lines.extend(tls_fields(w.tls.as_ref()));
            Reply::Lines(lines)
        }
        // Deployment guide 3.3: `webadmin listen a 443`; cmslab: port 8443.
        ["listen", rest @ ..] => {
            let parsed = match rest {
                ["none"] => Ok(None),
                [iface, port] => {
                    if !valid_interface(iface) {
                        return Some(invalid_interface(iface));
                    }
                    match parse_port(port) {
                        Some(p) => Ok(Some((iface.to_string(), p))),
                        None => Err(one(format!("FAILURE: invalid port {port}"))),
                    }
                }
                _ => Err(one("Usage: webadmin listen <interface> <port>|none")),
            };
            apply(node, parsed, |s, v| s.webadmin.listen = v)
        }
        // Deployment guide 3.3 / seed: `webadmin certs <key> <cert> [<bundle>]`.
        ["certs", rest @ ..] => apply(node, parse_certs(node, "webadmin", rest), |s, v| {
            s.webadmin.tls = v
        }),
        // MMP reference `webadmin http-redirect enable|disable`; one service per port 80 (cmslab).
        ["http-redirect", rest @ ..] => match rest {
            ["enable"] => node.with_services(|s| {
                if s.webbridge.http_redirect {
                    one(REDIRECTED_TO_WEBBRIDGE)
                } else {
                    s.webadmin.http_redirect = true;
                    nothing()
                }
            }),
            ["disable"] => {
                node.with_services(|s| s.webadmin.http_redirect = false);
                nothing()
            }
            _ => one("Usage: webadmin http-redirect enable|disable"),
        },
        ["enable", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: webadmin enable"));
            }
            let w = node.webadmin_config();
            let (reply, enabled) = enable(
                node,
                w.listen.is_none().then_some(NO_LISTEN),
                w.tls,
                WEBADMIN_ENABLED,
                |s| s.webadmin.enabled = true,
            );
            if enabled {
                // The Web Admin (and its API) now serves what is configured.
                rest::server::start(node);
            }
            reply
        }
        ["disable", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: webadmin disable"));
            }
            node.with_services(|s| s.webadmin.enabled = false);
            rest::server::stop(node);
            nothing()
        }
        ["restart", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: webadmin restart"));
            }
            node.with_services(|s| s.webadmin_restarts += 1);
            if node.service_enabled(Service::WebAdmin) {
                // Serves the configuration (and certificate files) as they are now.
                rest::server::start(node);
            }
            Reply::Wait {
                delay: WEBADMIN_RESTART_DELAY,
                lines: Vec::new(),
            }
        }
        _ => return None,
    })
}

fn callbridge(node: &NodeControl, args: &[&str]) -> Option<Reply> {
    Some(match args {
        [] => {
            let c = node.callbridge_config();
            let mut lines = vec![
                status_field("Listening interfaces", &list_or_none(&c.listen)),
                status_field("Preferred interface", "none"),
            ];
            let [key, cert, bundle] = tls_fields(c.tls.as_ref());
            lines.extend([
                key,
                cert,
                status_field("Address", "none"),
                bundle,
                status_field("Callbridge trust", "none"),
                status_field(
                    "Callbridge cluster trust",
                    or_none(c.cluster_trust.as_deref()),
                ),
                status_field("Callbridge xmpp trust", "none"),
            ]);
            Reply::Lines(lines)
        }
        // Seed: `callbridge listen a`.
        ["listen", rest @ ..] => apply(
            node,
            parse_interfaces("Usage: callbridge listen <interface>...|none", rest),
            |s, v| s.callbridge.listen = v,
        ),
        // Seed: `callbridge certs <key> <cert> <bundle>`.
        ["certs", rest @ ..] => apply(node, parse_certs(node, "callbridge", rest), |s, v| {
            s.callbridge.tls = v
        }),
        // Seed: `callbridge trust cluster <bundle>`.
        ["trust", "cluster", rest @ ..] => apply(
            node,
            parse_trust(node, "Usage: callbridge trust cluster <bundle>|none", rest),
            |s, v| s.callbridge.cluster_trust = v,
        ),
        // Seed: `callbridge restart` applies the configuration.
        ["restart", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: callbridge restart"));
            }
            let configured = node.callbridge_config();
            let (mut lines, ok) = match &configured.tls {
                Some(tls) => check_tls(node, tls),
                None => (Vec::new(), true),
            };
            if ok {
                node.with_services(|s| {
                    s.callbridge_running = configured;
                    s.callbridge_restarts += 1;
                });
                lines.push(CALLBRIDGE_RESTARTED.to_string());
            }
            Reply::Wait {
                delay: CALLBRIDGE_RESTART_DELAY,
                lines,
            }
        }
        _ => return None,
    })
}

fn xmpp(node: &NodeControl, args: &[&str]) -> Option<Reply> {
    Some(match args {
        [] => {
            let x = node.xmpp_config();
            let mut lines = vec![
                status_field("Enabled", true_false(x.enabled)),
                status_field("Clustered", true_false(x.clustered)),
                status_field("Domain", or_none(x.domain.as_deref())),
                status_field("Listening interfaces", &list_or_none(&x.listen)),
            ];
            lines.extend(tls_fields(x.tls.as_ref()));
            lines.push(status_field(
                "Cluster trust",
                or_none(x.cluster_trust.as_deref()),
            ));
            lines.push(status_field(
                "STATUS",
                if x.enabled {
                    "XMPP server running"
                } else {
                    "XMPP server not running"
                },
            ));
            Reply::Lines(lines)
        }
        // TAC 213479: `xmpp listen a`.
        ["listen", rest @ ..] => apply(
            node,
            parse_interfaces("Usage: xmpp listen <interface>...|none", rest),
            |s, v| s.xmpp.listen = v,
        ),
        // TAC 213479: `xmpp domain <domain>`.
        ["domain", rest @ ..] => {
            let [domain] = rest else {
                return Some(one("Usage: xmpp domain <domain>"));
            };
            if !valid_domain(domain) {
                return Some(one(format!("FAILURE: invalid domain {domain}")));
            }
            node.with_services(|s| s.xmpp.domain = Some(domain.to_string()));
            nothing()
        }
        // TAC 213479: `xmpp certs <key> <cert> [<bundle>]`.
        ["certs", rest @ ..] => apply(node, parse_certs(node, "xmpp", rest), |s, v| s.xmpp.tls = v),
        // TAC 213479: `xmpp cluster trust <bundle>` (the rest of `xmpp cluster` is in
        // [`super::xmpp_cluster`]).
        ["cluster", "trust", rest @ ..] => apply(
            node,
            parse_trust(node, "Usage: xmpp cluster trust <bundle>|none", rest),
            |s, v| s.xmpp.cluster_trust = v,
        ),
        // TAC 213479: `xmpp enable`.
        ["enable", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: xmpp enable"));
            }
            let x = node.xmpp_config();
            let missing = if x.listen.is_empty() {
                Some(NO_LISTEN)
            } else if x.domain.is_none() {
                Some(NO_DOMAIN)
            } else {
                None
            };
            enable(node, missing, x.tls, XMPP_ENABLED, |s| {
                s.xmpp.enabled = true
            })
            .0
        }
        ["disable", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: xmpp disable"));
            }
            node.with_services(|s| s.xmpp.enabled = false);
            nothing()
        }
        _ => return None,
    })
}

fn webbridge(node: &NodeControl, args: &[&str]) -> Option<Reply> {
    Some(match args {
        [] => {
            let w = node.webbridge_config();
            let listen: Vec<String> = w.listen.iter().map(|(i, p)| format!("{i}:{p}")).collect();
            let mut lines = vec![
                status_field("Enabled", true_false(w.enabled)),
                status_field("Listening interfaces", &list_or_none(&listen)),
            ];
            lines.extend(tls_fields(w.tls.as_ref()));
            lines.push(status_field("Trust bundle", or_none(w.trust.as_deref())));
            lines.push(status_field(
                "HTTP redirect",
                enabled_disabled(w.http_redirect),
            ));
            Reply::Lines(lines)
        }
        // cmslab: `webbridge listen a:443`.
        ["listen", rest @ ..] => apply(
            node,
            parse_interface_ports("Usage: webbridge listen <interface:port>...|none", rest),
            |s, v| s.webbridge.listen = v,
        ),
        // cmslab: `webbridge certs <key> <cert> <bundle>`.
        ["certs", rest @ ..] => apply(node, parse_certs(node, "webbridge", rest), |s, v| {
            s.webbridge.tls = v
        }),
        // cmslab: `webbridge trust <bundle>`.
        ["trust", rest @ ..] => apply(
            node,
            parse_trust(node, "Usage: webbridge trust <bundle>|none", rest),
            |s, v| s.webbridge.trust = v,
        ),
        // cmslab: `webbridge http-redirect enable` fails when the Web Admin redirects port 80.
        ["http-redirect", rest @ ..] => match rest {
            ["enable"] => node.with_services(|s| {
                if s.webadmin.http_redirect {
                    one(REDIRECTED_TO_WEBADMIN)
                } else {
                    s.webbridge.http_redirect = true;
                    nothing()
                }
            }),
            ["disable"] => {
                node.with_services(|s| s.webbridge.http_redirect = false);
                nothing()
            }
            _ => one("Usage: webbridge http-redirect enable|disable"),
        },
        // cmslab: `webbridge enable` and its three SUCCESS lines.
        ["enable", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: webbridge enable"));
            }
            let w = node.webbridge_config();
            enable(
                node,
                w.listen.is_empty().then_some(NO_LISTEN),
                w.tls,
                WEBBRIDGE_ENABLED,
                |s| s.webbridge.enabled = true,
            )
            .0
        }
        ["disable", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: webbridge disable"));
            }
            node.with_services(|s| s.webbridge.enabled = false);
            nothing()
        }
        _ => return None,
    })
}

/// The service state of a node, for tests: read it, and change it behind terraform's back (a
/// file is replaced with [`NodeControl::put_file`]).
impl NodeControl {
    /// Runs `f` on the node's services. The XMPP cluster's elections depend on the XMPP
    /// server's flags: its state is brought up to now under the old flags first, and sees the
    /// new ones at once after ([`super::xmpp_cluster_state`]). Never call it inside
    /// [`NodeControl::xmpp_cluster`].
    pub(crate) fn with_services<R>(&self, f: impl FnOnce(&mut Services) -> R) -> R {
        let xmpp = self.inner.fabric.xmpp();
        xmpp.touch();
        let r = f(&mut lock(&self.inner.services));
        xmpp.touch();
        r
    }

    /// Plays a release that prints `label` where this simulator prints `built_in` in the
    /// status of `service` (`webadmin`, `callbridge`, `xmpp`, `webbridge`): the provider's
    /// `fact_overrides` is for such a release.
    pub fn rename_status_label(&self, service: &str, built_in: &str, label: &str) {
        lock(&self.inner.relabels).push((service.into(), built_in.into(), label.into()));
    }

    /// `lines` of `service`'s status with this node's labels.
    fn relabelled(&self, service: &str, lines: Vec<String>) -> Vec<String> {
        let relabels = lock(&self.inner.relabels);
        lines
            .into_iter()
            .map(|line| {
                let Some((label, value)) = line.split_once(':') else {
                    return line;
                };
                match relabels
                    .iter()
                    .find(|(s, from, _)| s == service && from == label.trim())
                {
                    Some((_, _, to)) => status_field(to, value.trim_start()),
                    None => line,
                }
            })
            .collect()
    }

    /// The Web Admin's configuration and enabled flag, as `webadmin` shows them.
    pub fn webadmin_config(&self) -> WebAdminConfig {
        self.with_services(|s| s.webadmin.clone())
    }

    /// Changes the Web Admin's configuration behind terraform's back.
    pub fn update_webadmin(&self, f: impl FnOnce(&mut WebAdminConfig)) {
        self.with_services(|s| f(&mut s.webadmin));
    }

    /// Number of `webadmin restart` commands run.
    pub fn webadmin_restarts(&self) -> u32 {
        self.with_services(|s| s.webadmin_restarts)
    }

    /// The Call Bridge's configured settings, as `callbridge` shows them (not necessarily in
    /// effect: see [`NodeControl::callbridge_running_config`]).
    pub fn callbridge_config(&self) -> CallBridgeConfig {
        self.with_services(|s| s.callbridge.clone())
    }

    /// Changes the Call Bridge's configured settings behind terraform's back (the running
    /// configuration changes only at the next `callbridge restart`).
    pub fn update_callbridge(&self, f: impl FnOnce(&mut CallBridgeConfig)) {
        self.with_services(|s| f(&mut s.callbridge));
    }

    /// What the last successful `callbridge restart` applied; the empty configuration on a
    /// node never restarted.
    pub fn callbridge_running_config(&self) -> CallBridgeConfig {
        self.with_services(|s| s.callbridge_running.clone())
    }

    /// Number of successful `callbridge restart`s (every attempt is in the command log).
    pub fn callbridge_restarts(&self) -> u32 {
        self.with_services(|s| s.callbridge_restarts)
    }

    /// The XMPP server's configuration and enabled flag, as `xmpp` shows them.
    pub fn xmpp_config(&self) -> XmppConfig {
        self.with_services(|s| s.xmpp.clone())
    }

    /// Changes the XMPP server's configuration behind terraform's back.
    pub fn update_xmpp(&self, f: impl FnOnce(&mut XmppConfig)) {
        self.with_services(|s| f(&mut s.xmpp));
    }

    /// The Web Bridge's configuration and enabled flag, as `webbridge` shows them.
    pub fn webbridge_config(&self) -> WebBridgeConfig {
        self.with_services(|s| s.webbridge.clone())
    }

    /// Changes the Web Bridge's configuration behind terraform's back.
    pub fn update_webbridge(&self, f: impl FnOnce(&mut WebBridgeConfig)) {
        self.with_services(|s| f(&mut s.webbridge));
    }

    /// A service's enabled flag.
    pub fn service_enabled(&self, service: Service) -> bool {
        self.with_services(|s| match service {
            Service::WebAdmin => s.webadmin.enabled,
            Service::Xmpp => s.xmpp.enabled,
            Service::WebBridge => s.webbridge.enabled,
        })
    }

    /// Sets a service's enabled flag behind terraform's back (no checks). The Web Admin's API
    /// listener follows: started (from the configuration as it is) or closed.
    pub fn set_service_enabled(&self, service: Service, enabled: bool) {
        self.with_services(|s| match service {
            Service::WebAdmin => s.webadmin.enabled = enabled,
            Service::Xmpp => s.xmpp.enabled = enabled,
            Service::WebBridge => s.webbridge.enabled = enabled,
        });
        match (service, enabled) {
            (Service::WebAdmin, true) => rest::server::start(self),
            (Service::WebAdmin, false) => rest::server::stop(self),
            _ => {}
        }
    }
}
