//! The objects the simulated API keeps, their parameters and what each parameter accepts.
//!
//! Per node: the Call Bridge identity (`/system/configuration/cluster`, [`ApiClusterConfig`])
//! and the Call Bridge's XMPP connection (`/system/configuration/xmpp`, [`ApiXmppConfig`]). In
//! the Call Bridge's database ([`ApiDatabase`], shared by a database cluster, see
//! [`super::super::fabric`]): the clustered Call Bridges (`/callBridges`, [`ApiCallBridge`]) and
//! the Web Bridges (`/webBridges`, [`ApiWebBridge`]), each in creation order.
//!
//! Parameter names: devices.md 1.3 (TAC 212298 for `name`/`address`/`sipDomain`; the Java
//! client model `ConfigurationCluster` for the seven cluster fields); the Web Bridge ones and
//! their defaults from the API Reference, "Web Bridge related methods"; the XMPP ones from the
//! Web Admin's Configuration > General page (devices.md 1.2). What each accepts is [GUESS] unless
//! said: the API Reference types them (text, number, `true|false`, an enumeration) but does not
//! give the limits the simulator uses ([`Kind`]).

use super::super::services::valid_domain;

/// What a parameter's value may be. An empty value always passes: it clears the parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any text without control characters [GUESS].
    Text,
    /// Text without white space or control characters: addresses, URLs [GUESS].
    Token,
    /// A DNS name (the MMP's `xmpp domain` rule, [`valid_domain`]) [GUESS].
    Domain,
    /// A non-negative decimal integer (64 bits).
    Number,
    /// A number of basis points, 0 to 10000 (API Reference: 1/100ths of a percent).
    BasisPoints,
    /// `true` or `false` (the API Reference's booleans).
    Boolean,
    /// One of these words.
    OneOf(&'static [&'static str]),
}

/// A decoded, checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Number(u64),
    Boolean(bool),
}

impl Value {
    fn text(self) -> Option<String> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    fn number(self) -> Option<u64> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    fn boolean(self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(b),
            _ => None,
        }
    }
}

/// A value a parameter does not accept (the API's `invalidValue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidValue;

impl Kind {
    /// The value of `raw`: `Ok(None)` for the empty text (clear it), [`InvalidValue`] when this
    /// kind does not accept it.
    pub fn parse(self, raw: &str) -> Result<Option<Value>, InvalidValue> {
        if raw.is_empty() {
            return Ok(None);
        }
        let control = raw.chars().any(char::is_control);
        let checked = match self {
            Kind::Text if !control => Value::Text(raw.to_string()),
            Kind::Token if !control && !raw.chars().any(char::is_whitespace) => {
                Value::Text(raw.to_string())
            }
            Kind::Domain if valid_domain(raw) => Value::Text(raw.to_string()),
            Kind::Number | Kind::BasisPoints => {
                if !raw.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(InvalidValue);
                }
                let n: u64 = raw.parse().map_err(|_| InvalidValue)?;
                if self == Kind::BasisPoints && n > 10_000 {
                    return Err(InvalidValue);
                }
                Value::Number(n)
            }
            Kind::Boolean => match raw {
                "true" => Value::Boolean(true),
                "false" => Value::Boolean(false),
                _ => return Err(InvalidValue),
            },
            Kind::OneOf(words) if words.contains(&raw) => Value::Text(raw.to_string()),
            _ => return Err(InvalidValue),
        };
        Ok(Some(checked))
    }
}

/// One parameter of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    /// Must be given (non-empty) at creation and cannot be cleared.
    pub required: bool,
}

const fn param(name: &'static str, kind: Kind) -> Param {
    Param {
        name,
        kind,
        required: false,
    }
}

const fn required(name: &'static str, kind: Kind) -> Param {
    Param {
        name,
        kind,
        required: true,
    }
}

/// An object the API changes parameter by parameter.
pub trait Parameters {
    /// Its parameters, in the order a GET shows them.
    const PARAMS: &'static [Param];
    /// Sets `name` (one of [`Parameters::PARAMS`]) to `value`; `None` clears it (a boolean goes
    /// back to its default).
    fn set(&mut self, name: &str, value: Option<Value>);
}

/// A fresh object id: a random (version 4) UUID in lower-case hex, 8-4-4-4-12, the form the
/// API's ids have (TAC 212298's trace).
pub fn new_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// This Call Bridge's identity in a Call Bridge cluster (`/system/configuration/cluster`, Web
/// Admin Configuration > Cluster: "Call Bridge identity"). Per node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiClusterConfig {
    pub unique_name: Option<String>,
    pub peer_link_bit_rate: Option<u64>,
    pub participant_limit: Option<u64>,
    pub load_limit: Option<u64>,
    pub new_conference_load_limit_basis_points: Option<u64>,
    pub existing_conference_load_limit_basis_points: Option<u64>,
    pub max_peer_video_streams: Option<u64>,
}

impl ApiClusterConfig {
    /// The numeric parameters with their values, in [`Parameters::PARAMS`] order.
    pub fn numbers(&self) -> [(&'static str, Option<u64>); 6] {
        [
            ("peerLinkBitRate", self.peer_link_bit_rate),
            ("participantLimit", self.participant_limit),
            ("loadLimit", self.load_limit),
            (
                "newConferenceLoadLimitBasisPoints",
                self.new_conference_load_limit_basis_points,
            ),
            (
                "existingConferenceLoadLimitBasisPoints",
                self.existing_conference_load_limit_basis_points,
            ),
            ("maxPeerVideoStreams", self.max_peer_video_streams),
        ]
    }
}

impl Parameters for ApiClusterConfig {
    const PARAMS: &'static [Param] = &[
        param("uniqueName", Kind::Text),
        param("peerLinkBitRate", Kind::Number),
        param("participantLimit", Kind::Number),
        param("loadLimit", Kind::Number),
        param("newConferenceLoadLimitBasisPoints", Kind::BasisPoints),
        param("existingConferenceLoadLimitBasisPoints", Kind::BasisPoints),
        param("maxPeerVideoStreams", Kind::Number),
    ];

    fn set(&mut self, name: &str, value: Option<Value>) {
        let number = || value.clone().and_then(Value::number);
        match name {
            "uniqueName" => self.unique_name = value.and_then(Value::text),
            "peerLinkBitRate" => self.peer_link_bit_rate = number(),
            "participantLimit" => self.participant_limit = number(),
            "loadLimit" => self.load_limit = number(),
            "newConferenceLoadLimitBasisPoints" => {
                self.new_conference_load_limit_basis_points = number()
            }
            "existingConferenceLoadLimitBasisPoints" => {
                self.existing_conference_load_limit_basis_points = number()
            }
            "maxPeerVideoStreams" => self.max_peer_video_streams = number(),
            _ => {}
        }
    }
}

/// The Call Bridge's connection to the XMPP server (`/system/configuration/xmpp`, Web Admin
/// Configuration > General: unique name, domain, shared secret, optional server address;
/// devices.md 1.2). Per node. Its `Debug` masks the shared secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ApiXmppConfig {
    /// The Call Bridge's name on the XMPP server (`xmpp callbridge add <name>`).
    pub unique_name: Option<String>,
    pub domain: Option<String>,
    /// Write-only over the API [GUESS: like a password, never returned].
    pub shared_secret: Option<String>,
    /// `host[:port]` of the XMPP server; unset: found by the domain's DNS SRV record.
    pub server_address: Option<String>,
}

impl std::fmt::Debug for ApiXmppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiXmppConfig")
            .field("unique_name", &self.unique_name)
            .field("domain", &self.domain)
            .field("shared_secret", &self.shared_secret.as_ref().map(|_| "***"))
            .field("server_address", &self.server_address)
            .finish()
    }
}

impl Parameters for ApiXmppConfig {
    const PARAMS: &'static [Param] = &[
        param("uniqueName", Kind::Text),
        param("domain", Kind::Domain),
        param("sharedSecret", Kind::Text),
        param("serverAddress", Kind::Token),
    ];

    fn set(&mut self, name: &str, value: Option<Value>) {
        let text = value.and_then(Value::text);
        match name {
            "uniqueName" => self.unique_name = text,
            "domain" => self.domain = text,
            "sharedSecret" => self.shared_secret = text,
            "serverAddress" => self.server_address = text,
            _ => {}
        }
    }
}

/// One clustered Call Bridge (`/callBridges/<id>`; TAC 212298).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiCallBridge {
    pub id: String,
    pub name: String,
    /// The peer's Web Admin URL, e.g. `https://10.0.0.2:445`.
    pub address: String,
    /// The peer link SIP domain.
    pub sip_domain: Option<String>,
}

impl Parameters for ApiCallBridge {
    const PARAMS: &'static [Param] = &[
        required("name", Kind::Text),
        required("address", Kind::Token),
        param("sipDomain", Kind::Token),
    ];

    fn set(&mut self, name: &str, value: Option<Value>) {
        let text = value.and_then(Value::text);
        match name {
            "name" => self.name = text.unwrap_or_default(),
            "address" => self.address = text.unwrap_or_default(),
            "sipDomain" => self.sip_domain = text,
            _ => {}
        }
    }
}

/// `idEntryMode` (API Reference, "Web Bridge related methods").
pub const ID_ENTRY_MODES: &[&str] = &["disabled", "secure", "legacy"];

/// One Web Bridge (`/webBridges/<id>`; API Reference, "Web Bridge related methods").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiWebBridge {
    pub id: String,
    pub url: String,
    pub resource_archive: Option<String>,
    /// `None` until set (the GET omits it).
    pub id_entry_mode: Option<String>,
    pub allow_weblink_access: bool,
    pub show_sign_in: bool,
    pub resolve_cospace_call_ids: bool,
    pub resolve_lync_conference_ids: bool,
}

impl Default for ApiWebBridge {
    /// The defaults on create (API Reference, "Web Bridge related methods").
    fn default() -> Self {
        ApiWebBridge {
            id: String::new(),
            url: String::new(),
            resource_archive: None,
            id_entry_mode: None,
            allow_weblink_access: true,
            show_sign_in: true,
            resolve_cospace_call_ids: true,
            resolve_lync_conference_ids: false,
        }
    }
}

impl ApiWebBridge {
    /// The boolean parameters with their values, in [`Parameters::PARAMS`] order.
    pub fn booleans(&self) -> [(&'static str, bool); 4] {
        [
            ("allowWeblinkAccess", self.allow_weblink_access),
            ("showSignIn", self.show_sign_in),
            ("resolveCoSpaceCallIds", self.resolve_cospace_call_ids),
            ("resolveLyncConferenceIds", self.resolve_lync_conference_ids),
        ]
    }
}

impl Parameters for ApiWebBridge {
    const PARAMS: &'static [Param] = &[
        required("url", Kind::Token),
        param("resourceArchive", Kind::Token),
        param("idEntryMode", Kind::OneOf(ID_ENTRY_MODES)),
        param("allowWeblinkAccess", Kind::Boolean),
        param("showSignIn", Kind::Boolean),
        param("resolveCoSpaceCallIds", Kind::Boolean),
        param("resolveLyncConferenceIds", Kind::Boolean),
    ];

    fn set(&mut self, name: &str, value: Option<Value>) {
        let defaults = ApiWebBridge::default();
        let boolean = |d: bool| value.clone().and_then(Value::boolean).unwrap_or(d);
        match name {
            "url" => self.url = value.and_then(Value::text).unwrap_or_default(),
            "resourceArchive" => self.resource_archive = value.and_then(Value::text),
            "idEntryMode" => self.id_entry_mode = value.and_then(Value::text),
            "allowWeblinkAccess" => {
                self.allow_weblink_access = boolean(defaults.allow_weblink_access)
            }
            "showSignIn" => self.show_sign_in = boolean(defaults.show_sign_in),
            "resolveCoSpaceCallIds" => {
                self.resolve_cospace_call_ids = boolean(defaults.resolve_cospace_call_ids)
            }
            "resolveLyncConferenceIds" => {
                self.resolve_lync_conference_ids = boolean(defaults.resolve_lync_conference_ids)
            }
            _ => {}
        }
    }
}

/// What the Call Bridge's database holds of the API's objects: one per standalone node, one per
/// database cluster ([`super::super::fabric`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiDatabase {
    pub call_bridges: Vec<ApiCallBridge>,
    pub web_bridges: Vec<ApiWebBridge>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(Kind::Text.parse(""), Ok(None));
        assert_eq!(
            Kind::Text.parse("a b&<'\""),
            Ok(Some(Value::Text("a b&<'\"".into())))
        );
        assert_eq!(Kind::Text.parse("a\nb"), Err(InvalidValue));
        assert_eq!(Kind::Token.parse("a b"), Err(InvalidValue));
        assert_eq!(Kind::Token.parse("a\u{a0}b"), Err(InvalidValue));
        assert_eq!(
            Kind::Token.parse("https://10.0.0.2:445"),
            Ok(Some(Value::Text("https://10.0.0.2:445".into())))
        );
        assert_eq!(Kind::Number.parse("0"), Ok(Some(Value::Number(0))));
        assert!(Kind::Number.parse("18446744073709551615").is_ok());
        for bad in ["-1", "+1", "1.5", " 1", "18446744073709551616", "x"] {
            assert_eq!(Kind::Number.parse(bad), Err(InvalidValue), "{bad}");
        }
        assert_eq!(
            Kind::BasisPoints.parse("10000"),
            Ok(Some(Value::Number(10_000)))
        );
        assert_eq!(Kind::BasisPoints.parse("10001"), Err(InvalidValue));
        assert_eq!(Kind::Boolean.parse("true"), Ok(Some(Value::Boolean(true))));
        assert_eq!(Kind::Boolean.parse("TRUE"), Err(InvalidValue));
        assert_eq!(Kind::Boolean.parse("1"), Err(InvalidValue));
        assert!(Kind::OneOf(ID_ENTRY_MODES).parse("secure").is_ok());
        assert_eq!(
            Kind::OneOf(ID_ENTRY_MODES).parse("Secure"),
            Err(InvalidValue)
        );
        assert!(Kind::Domain.parse("conf.example.com").is_ok());
        assert_eq!(Kind::Domain.parse("conf..example"), Err(InvalidValue));
    }

    #[test]
    fn ids_are_version_4_uuids() {
        let a = new_id();
        assert_ne!(a, new_id());
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(a
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert!(groups[2].starts_with('4'));
        assert!(matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn the_shared_secret_is_not_debug_printed() {
        let x = ApiXmppConfig {
            shared_secret: Some("s3cret".into()),
            ..ApiXmppConfig::default()
        };
        let shown = format!("{x:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("***"),
            "{shown}"
        );
    }

    #[test]
    fn clearing_a_boolean_restores_its_default() {
        let mut w = ApiWebBridge::default();
        w.set("showSignIn", Some(Value::Boolean(false)));
        w.set("resolveLyncConferenceIds", Some(Value::Boolean(true)));
        assert!(!w.show_sign_in && w.resolve_lync_conference_ids);
        w.set("showSignIn", None);
        w.set("resolveLyncConferenceIds", None);
        assert_eq!(w, ApiWebBridge::default());
    }
}
