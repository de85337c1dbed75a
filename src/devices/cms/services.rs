//! MMP commands for the per-node services of a Meeting Server (Web Admin, Call Bridge, XMPP
//! server, Web Bridge) and the status each prints when given no arguments.
//!
//! Sources: seed cms-failover-cluster-part2a ("Web Admin Service", "Call Bridge Cluster",
//! "XMPP Cluster", "Web Bridge"): `webadmin listen a 445`, `webadmin certs <key> <cert>
//! <bundle>`, `webadmin enable`; `callbridge certs <key> <cert> [<bundle>]`, `callbridge listen
//! a`, `callbridge trust cluster <bundle>`, `callbridge restart`; `xmpp certs`, `xmpp listen a`,
//! `xmpp domain <domain>`, `xmpp enable`; `webbridge listen a:443`, `webbridge certs`,
//! `webbridge http-redirect enable`, `webbridge trust <bundle>`. The Cisco Live CMS lab
//! (cmslab.ciscolive.com/pod2/cms/webbridge) shows `webbridge enable` answering `SUCCESS: Key
//! and certificate pair match`, `SUCCESS: certificate verified against CA bundle`.
//!
//! What is not documented (the status labels, how a setting is cleared) is in [`STATUS_LABELS`]
//! and [`CLEAR_WORD`], each marked; parsing is by label, case-insensitive, split at the first
//! colon, so column alignment does not matter.

use super::facts::Facts;
use std::collections::BTreeMap;

/// One of the four services the MMP configures per node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    WebAdmin,
    CallBridge,
    Xmpp,
    WebBridge,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::WebAdmin,
        Service::CallBridge,
        Service::Xmpp,
        Service::WebBridge,
    ];

    /// The MMP command word, also the status command.
    pub fn word(self) -> &'static str {
        match self {
            Service::WebAdmin => "webadmin",
            Service::CallBridge => "callbridge",
            Service::Xmpp => "xmpp",
            Service::WebBridge => "webbridge",
        }
    }

    /// Whether the service is switched on with `enable` (the Call Bridge always runs; its
    /// changes take effect at `callbridge restart`).
    pub fn has_enable(self) -> bool {
        self != Service::CallBridge
    }

    /// The stable names of the files uploaded for this service: key, certificate, bundle.
    pub fn cert_files(self) -> [String; 3] {
        let w = self.word();
        [
            format!("uccluster-{w}.key"),
            format!("uccluster-{w}.crt"),
            format!("uccluster-{w}-bundle.crt"),
        ]
    }

    /// The stable name of the service's trust bundle file (Call Bridge cluster trust, Web
    /// Bridge trust).
    pub fn trust_file(self) -> String {
        format!("uccluster-{}-trust.crt", self.word())
    }
}

/// A field of a status read-back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Enabled,
    /// Web Admin: `<interface> <port>`; the others: the interfaces (Web Bridge `if:port`).
    Listen,
    KeyFile,
    CertificateFile,
    BundleFile,
    /// Call Bridge cluster trust, Web Bridge trust.
    TrustFile,
    HttpRedirect,
    Domain,
    /// XMPP: cluster mode on (`xmpp cluster enable`).
    Clustered,
    /// XMPP: the cluster trust bundle (`xmpp cluster trust`), `cms_xmpp_cluster`'s.
    ClusterTrustFile,
}

impl Field {
    /// The field's name in a `fact_overrides` id (`webadmin.listen`).
    pub fn id(self) -> &'static str {
        match self {
            Field::Enabled => "enabled",
            Field::Listen => "listen",
            Field::KeyFile => "key_file",
            Field::CertificateFile => "certificate_file",
            Field::BundleFile => "bundle_file",
            Field::TrustFile => "trust_file",
            Field::HttpRedirect => "http_redirect",
            Field::Domain => "domain",
            Field::Clustered => "clustered",
            Field::ClusterTrustFile => "cluster_trust_file",
        }
    }
}

/// Whether a device fact was read in a Cisco document or chosen without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confidence {
    Confirmed(&'static str),
    Unconfirmed,
}

/// The status label of each field, per service: the one table of unpublished MMP labels (a site
/// replaces any of them with the provider's `fact_overrides`, [`super::facts`]).
pub const STATUS_LABELS: &[(Service, Field, &str, Confidence)] = &[
    (
        Service::WebAdmin,
        Field::Enabled,
        "Enabled",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebAdmin,
        Field::Listen,
        "TLS listening interface and port",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebAdmin,
        Field::HttpRedirect,
        "HTTP redirect",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebAdmin,
        Field::KeyFile,
        "Key file",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebAdmin,
        Field::CertificateFile,
        "Certificate file",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebAdmin,
        Field::BundleFile,
        "CA Bundle file",
        Confidence::Unconfirmed,
    ),
    (
        Service::CallBridge,
        Field::Listen,
        "Listening interfaces",
        Confidence::Unconfirmed,
    ),
    (
        Service::CallBridge,
        Field::KeyFile,
        "Key file",
        Confidence::Unconfirmed,
    ),
    (
        Service::CallBridge,
        Field::CertificateFile,
        "Certificate file",
        Confidence::Unconfirmed,
    ),
    (
        Service::CallBridge,
        Field::BundleFile,
        "CA Bundle file",
        Confidence::Unconfirmed,
    ),
    (
        Service::CallBridge,
        Field::TrustFile,
        "Callbridge cluster trust",
        Confidence::Unconfirmed,
    ),
    (
        Service::Xmpp,
        Field::Enabled,
        "Enabled",
        Confidence::Unconfirmed,
    ),
    (
        Service::Xmpp,
        Field::Clustered,
        "Clustered",
        Confidence::Unconfirmed,
    ),
    (
        Service::Xmpp,
        Field::ClusterTrustFile,
        "Cluster trust",
        Confidence::Unconfirmed,
    ),
    (
        Service::Xmpp,
        Field::Domain,
        "Domain",
        Confidence::Unconfirmed,
    ),
    (
        Service::Xmpp,
        Field::Listen,
        "Listening interfaces",
        Confidence::Unconfirmed,
    ),
    (
        Service::Xmpp,
        Field::KeyFile,
        "Key file",
        Confidence::Unconfirmed,
    ),
    (
        Service::Xmpp,
        Field::CertificateFile,
        "Certificate file",
        Confidence::Unconfirmed,
    ),
    (
        Service::Xmpp,
        Field::BundleFile,
        "CA Bundle file",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebBridge,
        Field::Enabled,
        "Enabled",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebBridge,
        Field::Listen,
        "Listening interfaces",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebBridge,
        Field::KeyFile,
        "Key file",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebBridge,
        Field::CertificateFile,
        "Certificate file",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebBridge,
        Field::BundleFile,
        "CA Bundle file",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebBridge,
        Field::TrustFile,
        "Trust bundle",
        Confidence::Unconfirmed,
    ),
    (
        Service::WebBridge,
        Field::HttpRedirect,
        "HTTP redirect",
        Confidence::Unconfirmed,
    ),
];

/// The argument that clears a setting (`callbridge listen none`) [unconfirmed: the MMP
/// reference's wording for unsetting is not in the documents we have; `fact_overrides`
/// `clear_word` replaces it].
pub const CLEAR_WORD: &str = "none";

/// A service's status read-back, by field; `None` for a field the device shows as `none` or
/// does not show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceStatus {
    pub values: BTreeMap<Field, String>,
}

impl ServiceStatus {
    pub fn get(&self, field: Field) -> Option<&str> {
        self.values.get(&field).map(String::as_str)
    }

    /// A yes/no field: `true`, `yes`, `enabled` and `on` are on.
    pub fn flag(&self, field: Field) -> bool {
        self.get(field).is_some_and(|v| {
            matches!(
                v.to_ascii_lowercase().as_str(),
                "true" | "yes" | "enabled" | "on"
            )
        })
    }

    /// The listen setting as words (`a 445`, `a b`, `a:443`).
    pub fn listen_words(&self) -> Vec<String> {
        self.get(Field::Listen)
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }
}

/// Parse the status `service` prints: `Label : value` lines, labels from [`STATUS_LABELS`] as
/// `facts` overrides them.
/// Lines with other labels are ignored (releases add fields); an output with none of the
/// service's labels is an error, so a failure text is never read as "nothing configured".
pub fn parse_status(
    facts: &Facts,
    service: Service,
    output: &str,
) -> Result<ServiceStatus, String> {
    let mut status = ServiceStatus::default();
    let mut recognised = 0;
    for line in output.lines() {
        let Some((label, value)) = line.split_once(':') else {
            continue;
        };
        let label = label.trim();
        let Some((field, _)) = facts
            .labels(service)
            .find(|(_, l)| l.eq_ignore_ascii_case(label))
        else {
            continue;
        };
        recognised += 1;
        let value = value.trim();
        if !value.is_empty() && !value.eq_ignore_ascii_case(facts.clear_word()) {
            status.values.insert(field, value.to_string());
        }
    }
    match recognised {
        0 => Err(format!(
            "`{}` printed none of its status fields",
            service.word()
        )),
        _ => Ok(status),
    }
}

/// `<service> listen <words>`, or `<service> listen none` for no words.
pub fn listen_command(facts: &Facts, service: Service, words: &[String]) -> String {
    match words.is_empty() {
        true => format!("{} listen {}", service.word(), facts.clear_word()),
        false => format!("{} listen {}", service.word(), words.join(" ")),
    }
}

/// `<service> certs <key> <cert> [<bundle>]`, or `<service> certs none`.
pub fn certs_command(
    facts: &Facts,
    service: Service,
    files: Option<(&str, &str, Option<&str>)>,
) -> String {
    match files {
        None => format!("{} certs {}", service.word(), facts.clear_word()),
        Some((key, cert, bundle)) => {
            let bundle = bundle.map(|b| format!(" {b}")).unwrap_or_default();
            format!("{} certs {key} {cert}{bundle}", service.word())
        }
    }
}

/// `callbridge trust cluster <bundle>` / `webbridge trust <bundle>` (`none` clears).
pub fn trust_command(facts: &Facts, service: Service, file: Option<&str>) -> String {
    let file = file.unwrap_or(facts.clear_word());
    match service {
        Service::CallBridge => format!("callbridge trust cluster {file}"),
        _ => format!("{} trust {file}", service.word()),
    }
}

/// `<service> enable` / `<service> disable`.
pub fn enable_command(service: Service, on: bool) -> String {
    format!(
        "{} {}",
        service.word(),
        if on { "enable" } else { "disable" }
    )
}

/// `<service> http-redirect enable|disable`.
pub fn http_redirect_command(service: Service, on: bool) -> String {
    format!(
        "{} http-redirect {}",
        service.word(),
        if on { "enable" } else { "disable" }
    )
}

/// `xmpp domain <domain>`.
pub fn domain_command(domain: &str) -> String {
    format!("xmpp domain {domain}")
}

/// `callbridge restart`: the Call Bridge applies its listen, certificate and trust settings.
pub const CALLBRIDGE_RESTART: &str = "callbridge restart";

/// What makes a running service take new settings: `webadmin restart` (MMP reference), `xmpp
/// disable` / `xmpp enable` (TAC 213479 turns the XMPP server off and on around its cluster
/// changes), `webbridge disable` / `webbridge enable` [unconfirmed: the Web Bridge's own
/// restart word], `callbridge restart` (seed).
pub fn restart_commands(service: Service) -> Vec<String> {
    match service {
        Service::WebAdmin => vec!["webadmin restart".to_string()],
        Service::CallBridge => vec![CALLBRIDGE_RESTART.to_string()],
        Service::Xmpp | Service::WebBridge => {
            vec![
                enable_command(service, false),
                enable_command(service, true),
            ]
        }
    }
}

/// An MMP interface name: `a` to `d`.
pub fn validate_interface(name: &str) -> Result<(), String> {
    match name {
        "a" | "b" | "c" | "d" => Ok(()),
        _ => Err(format!(
            "{name:?} is not an MMP interface; use a, b, c or d"
        )),
    }
}

/// An XMPP domain (`xmpp domain conf.example.com`): a DNS name of letters, digits, `-` and
/// dots, so it is one word on the command line.
pub fn validate_domain(domain: &str) -> Result<(), String> {
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    match (1..=253).contains(&domain.len()) && domain.split('.').all(label_ok) {
        true => Ok(()),
        false => Err(format!(
            "{domain:?} is not a DNS domain name (letters, digits and `-` in dot-separated labels)"
        )),
    }
}

/// A Web Bridge listen entry: `<interface>:<port>` (seed: `webbridge listen a:443`).
pub fn validate_interface_port(entry: &str) -> Result<(), String> {
    let (interface, port) = entry
        .split_once(':')
        .ok_or_else(|| format!("{entry:?}: expected <interface>:<port>, e.g. a:443"))?;
    validate_interface(interface)?;
    let port: i64 = port
        .parse()
        .map_err(|_| format!("{entry:?}: the port {port:?} is not a number"))?;
    crate::grammar::check_port(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &Facts = &Facts::DEFAULT;

    #[test]
    fn commands_are_the_seeds() {
        assert_eq!(
            listen_command(F, Service::WebAdmin, &["a".into(), "445".into()]),
            "webadmin listen a 445"
        );
        assert_eq!(
            listen_command(F, Service::WebBridge, &["a:443".into()]),
            "webbridge listen a:443"
        );
        assert_eq!(listen_command(F, Service::Xmpp, &[]), "xmpp listen none");
        assert_eq!(
            certs_command(F, Service::CallBridge, Some(("k.key", "c.crt", None))),
            "callbridge certs k.key c.crt"
        );
        assert_eq!(
            certs_command(F, Service::WebAdmin, Some(("k", "c", Some("b")))),
            "webadmin certs k c b"
        );
        assert_eq!(
            trust_command(F, Service::CallBridge, Some("t.crt")),
            "callbridge trust cluster t.crt"
        );
        assert_eq!(
            trust_command(F, Service::WebBridge, None),
            "webbridge trust none"
        );
        assert_eq!(
            http_redirect_command(Service::WebBridge, true),
            "webbridge http-redirect enable"
        );
        assert_eq!(enable_command(Service::Xmpp, false), "xmpp disable");
        assert_eq!(
            domain_command("conf.example.com"),
            "xmpp domain conf.example.com"
        );
    }

    #[test]
    fn status_by_label_in_any_alignment() {
        let out = "Enabled                 : true\r\nTLS listening interface and port : a 445\nHTTP redirect : Disabled\nKey file                : uccluster-webadmin.key\nCertificate file: uccluster-webadmin.crt\nCA Bundle file          : none\nSomething new           : x\n";
        let s = parse_status(F, Service::WebAdmin, out).unwrap();
        assert!(s.flag(Field::Enabled));
        assert!(!s.flag(Field::HttpRedirect));
        assert_eq!(s.listen_words(), vec!["a", "445"]);
        assert_eq!(s.get(Field::KeyFile), Some("uccluster-webadmin.key"));
        assert_eq!(s.get(Field::BundleFile), None);
        assert!(parse_status(F, Service::WebAdmin, "Unknown command: webadmin").is_err());
        let cb = parse_status(
            F,
            Service::CallBridge,
            "Listening interfaces    : a b\nCallbridge cluster trust: uccluster-callbridge-trust.crt\n",
        )
        .unwrap();
        assert_eq!(cb.listen_words(), vec!["a", "b"]);
        assert_eq!(
            cb.get(Field::TrustFile),
            Some("uccluster-callbridge-trust.crt")
        );
    }

    #[test]
    fn listen_grammar() {
        assert!(validate_interface("a").is_ok());
        assert!(validate_interface("e").is_err());
        assert!(validate_interface("a b").is_err());
        assert!(validate_interface_port("a:443").is_ok());
        assert!(validate_domain("conf.example.com").is_ok());
        for bad in ["", "conf example.com", "a..b", "-a.b", "x\nxmpp disable"] {
            assert!(validate_domain(bad).is_err(), "{bad}");
        }
        for bad in ["a", "a:0", "e:443", "a:44x", "a:443;reboot"] {
            assert!(validate_interface_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_service_has_its_labels() {
        for service in Service::ALL {
            for field in [Field::Listen, Field::KeyFile, Field::CertificateFile] {
                assert!(
                    STATUS_LABELS
                        .iter()
                        .any(|(s, f, _, _)| *s == service && *f == field),
                    "{service:?} {field:?}"
                );
            }
            assert_eq!(
                service.has_enable(),
                STATUS_LABELS
                    .iter()
                    .any(|(s, f, _, _)| *s == service && *f == Field::Enabled)
            );
        }
    }

    #[test]
    fn overridden_labels_and_clear_word_are_the_ones_read_and_sent() {
        let facts = Facts::new(["webadmin.listen=Listening on", "clear_word=unset"]).unwrap();
        let out = "Enabled : true\nListening on : a 445\nKey file : unset\n";
        let s = parse_status(&facts, Service::WebAdmin, out).unwrap();
        assert_eq!(s.listen_words(), vec!["a", "445"]);
        assert_eq!(
            s.get(Field::KeyFile),
            None,
            "the clear word reads as not set"
        );
        // The built-in label is no longer read for that field.
        let old = parse_status(
            &facts,
            Service::WebAdmin,
            "Enabled : true\nTLS listening interface and port : a 445\n",
        )
        .unwrap();
        assert!(old.listen_words().is_empty());
        assert_eq!(
            listen_command(&facts, Service::Xmpp, &[]),
            "xmpp listen unset"
        );
        assert_eq!(
            certs_command(&facts, Service::Xmpp, None),
            "xmpp certs unset"
        );
        assert_eq!(
            trust_command(&facts, Service::WebBridge, None),
            "webbridge trust unset"
        );
    }
}
