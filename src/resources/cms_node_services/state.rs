//! The state of `cms_node_services` and how each service block maps to the MMP's settings: what
//! a block asks for ([`Settings`], [`Pems`]) and the block the device's status describes.

use crate::devices::cms::services::{Field, Service, ServiceStatus};
use crate::resources::values::{known, text};
use crate::timeouts::Timeouts;
use serde::{Deserialize, Serialize};
use tf_provider::value::{self, Value, ValueBool, ValueList, ValueNumber, ValueString};
use tf_provider::AttributePath;

pub const CERTS_CURRENT: &str = "current";
pub const CERTS_OUTDATED: &str = "outdated";
pub const CERTS_OTHER: &str = "other";
pub const CERTS_NONE: &str = "none";

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct NodeServicesState<'a> {
    pub id: ValueString<'a>,
    pub address: ValueString<'a>,
    pub ssh_port: ValueNumber,
    pub username: ValueString<'a>,
    pub password: ValueString<'a>,
    pub host_key_fingerprint: ValueString<'a>,
    #[serde(with = "value::serde_as_vec")]
    pub webadmin: Value<WebAdmin<'a>>,
    #[serde(with = "value::serde_as_vec")]
    pub callbridge: Value<CallBridge<'a>>,
    #[serde(with = "value::serde_as_vec")]
    pub xmpp: Value<Xmpp<'a>>,
    #[serde(with = "value::serde_as_vec")]
    pub webbridge: Value<WebBridge<'a>>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct WebAdmin<'a> {
    pub interface: ValueString<'a>,
    pub port: ValueNumber,
    pub key: ValueString<'a>,
    pub certificate: ValueString<'a>,
    pub ca_bundle: ValueString<'a>,
    pub http_redirect: ValueBool,
    pub enabled: ValueBool,
    pub certificates: ValueString<'a>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct CallBridge<'a> {
    pub interfaces: ValueList<ValueString<'a>>,
    pub key: ValueString<'a>,
    pub certificate: ValueString<'a>,
    pub ca_bundle: ValueString<'a>,
    pub cluster_trust_bundle: ValueString<'a>,
    pub certificates: ValueString<'a>,
    pub restart_pending: ValueBool,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Xmpp<'a> {
    pub interfaces: ValueList<ValueString<'a>>,
    pub domain: ValueString<'a>,
    pub key: ValueString<'a>,
    pub certificate: ValueString<'a>,
    pub ca_bundle: ValueString<'a>,
    pub enabled: ValueBool,
    pub certificates: ValueString<'a>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct WebBridge<'a> {
    pub listen: ValueList<ValueString<'a>>,
    pub key: ValueString<'a>,
    pub certificate: ValueString<'a>,
    pub ca_bundle: ValueString<'a>,
    pub trust_bundle: ValueString<'a>,
    pub http_redirect: ValueBool,
    pub enabled: ValueBool,
    pub certificates: ValueString<'a>,
}

/// What a block sets through commands (everything but the files).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// The words after `<service> listen` (`a 445`, `a b`, `a:443`).
    pub listen: Vec<String>,
    pub domain: Option<String>,
    pub http_redirect: Option<bool>,
    pub enabled: Option<bool>,
}

impl Settings {
    /// The settings `status` shows for `service`.
    pub fn from_status(service: Service, status: &ServiceStatus) -> Settings {
        Settings {
            listen: status.listen_words(),
            domain: status.get(Field::Domain).map(str::to_string),
            http_redirect: matches!(service, Service::WebAdmin | Service::WebBridge)
                .then(|| status.flag(Field::HttpRedirect)),
            enabled: service.has_enable().then(|| status.flag(Field::Enabled)),
        }
    }
}

/// The configuration values (PEM text or a path) of the files a block uploads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pems<'a> {
    pub key: ValueString<'a>,
    pub certificate: ValueString<'a>,
    pub ca_bundle: ValueString<'a>,
    /// The trust bundle (`callbridge trust cluster`, `webbridge trust`); null for the others.
    pub trust: ValueString<'a>,
}

/// The PEM attributes' names: key, certificate, CA bundle and the service's trust bundle.
pub fn pem_attributes(service: Service) -> [Option<&'static str>; 4] {
    let trust = match service {
        Service::CallBridge => Some("cluster_trust_bundle"),
        Service::WebBridge => Some("trust_bundle"),
        _ => None,
    };
    [Some("key"), Some("certificate"), Some("ca_bundle"), trust]
}

fn bool_value(b: Option<bool>) -> ValueBool {
    b.map(Value::Value).unwrap_or(Value::Null)
}

fn text_list<'a>(words: &[String]) -> ValueList<ValueString<'a>> {
    Value::Value(words.iter().map(|w| known(w.clone())).collect())
}

fn words(list: &ValueList<ValueString<'_>>) -> Vec<String> {
    list.as_ref_option()
        .map(|l| l.iter().filter_map(text).collect())
        .unwrap_or_default()
}

fn opt_text<'a>(v: Option<String>) -> ValueString<'a> {
    v.map(known).unwrap_or(Value::Null)
}

/// One service block of the resource, in the shape every step works with.
pub trait ServiceBlock<'a>: Clone + Default {
    const SERVICE: Service;

    fn pems(&self) -> Pems<'a>;
    fn settings(&self) -> Settings;
    /// This block with the settings the device reports (the files stay as configured).
    fn with_settings(&self, seen: &Settings) -> Self;
    fn with_pems(self, pems: Pems<'a>) -> Self;
    /// The attribute listing the service's interfaces (none for the Web Admin's one).
    fn listen_list(&self) -> Option<(&'static str, &ValueList<ValueString<'a>>)> {
        None
    }
    fn with_certificates(self, certificates: &str) -> Self;
    /// The Call Bridge's settings wait for a `callbridge restart` (the others apply at once).
    fn with_restart_pending(self, _pending: bool) -> Self {
        self
    }

    fn path() -> AttributePath {
        AttributePath::new(Self::SERVICE.word()).index(0)
    }
}

impl<'a> ServiceBlock<'a> for WebAdmin<'a> {
    const SERVICE: Service = Service::WebAdmin;

    fn pems(&self) -> Pems<'a> {
        Pems {
            key: self.key.clone(),
            certificate: self.certificate.clone(),
            ca_bundle: self.ca_bundle.clone(),
            trust: Value::Null,
        }
    }
    fn settings(&self) -> Settings {
        let listen = match (text(&self.interface), self.port.as_ref_option()) {
            (Some(i), Some(p)) => vec![i, p.to_string()],
            _ => vec![],
        };
        Settings {
            listen,
            domain: None,
            http_redirect: self.http_redirect.as_ref_option().copied(),
            enabled: self.enabled.as_ref_option().copied(),
        }
    }
    fn with_settings(&self, seen: &Settings) -> Self {
        let (interface, port) = match seen.listen.as_slice() {
            [i, p] => (
                known(i.clone()),
                p.parse().map(Value::Value).unwrap_or(Value::Null),
            ),
            _ => (Value::Null, Value::Null),
        };
        WebAdmin {
            interface,
            port,
            http_redirect: bool_value(seen.http_redirect),
            enabled: bool_value(seen.enabled),
            ..self.clone()
        }
    }
    fn with_pems(self, p: Pems<'a>) -> Self {
        WebAdmin {
            key: p.key,
            certificate: p.certificate,
            ca_bundle: p.ca_bundle,
            ..self
        }
    }
    fn with_certificates(self, c: &str) -> Self {
        WebAdmin {
            certificates: known(c),
            ..self
        }
    }
}

impl<'a> ServiceBlock<'a> for CallBridge<'a> {
    const SERVICE: Service = Service::CallBridge;

    fn listen_list(&self) -> Option<(&'static str, &ValueList<ValueString<'a>>)> {
        Some(("interfaces", &self.interfaces))
    }

    fn pems(&self) -> Pems<'a> {
        Pems {
            key: self.key.clone(),
            certificate: self.certificate.clone(),
            ca_bundle: self.ca_bundle.clone(),
            trust: self.cluster_trust_bundle.clone(),
        }
    }
    fn settings(&self) -> Settings {
        Settings {
            listen: words(&self.interfaces),
            ..Default::default()
        }
    }
    fn with_settings(&self, seen: &Settings) -> Self {
        CallBridge {
            interfaces: text_list(&seen.listen),
            ..self.clone()
        }
    }
    fn with_pems(self, p: Pems<'a>) -> Self {
        CallBridge {
            key: p.key,
            certificate: p.certificate,
            ca_bundle: p.ca_bundle,
            cluster_trust_bundle: p.trust,
            ..self
        }
    }
    fn with_certificates(self, c: &str) -> Self {
        CallBridge {
            certificates: known(c),
            ..self
        }
    }
    fn with_restart_pending(self, pending: bool) -> Self {
        CallBridge {
            restart_pending: Value::Value(pending),
            ..self
        }
    }
}

impl<'a> ServiceBlock<'a> for Xmpp<'a> {
    const SERVICE: Service = Service::Xmpp;

    fn listen_list(&self) -> Option<(&'static str, &ValueList<ValueString<'a>>)> {
        Some(("interfaces", &self.interfaces))
    }

    fn pems(&self) -> Pems<'a> {
        Pems {
            key: self.key.clone(),
            certificate: self.certificate.clone(),
            ca_bundle: self.ca_bundle.clone(),
            trust: Value::Null,
        }
    }
    fn settings(&self) -> Settings {
        Settings {
            listen: words(&self.interfaces),
            domain: text(&self.domain),
            http_redirect: None,
            enabled: self.enabled.as_ref_option().copied(),
        }
    }
    fn with_settings(&self, seen: &Settings) -> Self {
        Xmpp {
            interfaces: text_list(&seen.listen),
            domain: opt_text(seen.domain.clone()),
            enabled: bool_value(seen.enabled),
            ..self.clone()
        }
    }
    fn with_pems(self, p: Pems<'a>) -> Self {
        Xmpp {
            key: p.key,
            certificate: p.certificate,
            ca_bundle: p.ca_bundle,
            ..self
        }
    }
    fn with_certificates(self, c: &str) -> Self {
        Xmpp {
            certificates: known(c),
            ..self
        }
    }
}

impl<'a> ServiceBlock<'a> for WebBridge<'a> {
    const SERVICE: Service = Service::WebBridge;

    fn listen_list(&self) -> Option<(&'static str, &ValueList<ValueString<'a>>)> {
        Some(("listen", &self.listen))
    }

    fn pems(&self) -> Pems<'a> {
        Pems {
            key: self.key.clone(),
            certificate: self.certificate.clone(),
            ca_bundle: self.ca_bundle.clone(),
            trust: self.trust_bundle.clone(),
        }
    }
    fn settings(&self) -> Settings {
        Settings {
            listen: words(&self.listen),
            domain: None,
            http_redirect: self.http_redirect.as_ref_option().copied(),
            enabled: self.enabled.as_ref_option().copied(),
        }
    }
    fn with_settings(&self, seen: &Settings) -> Self {
        WebBridge {
            listen: text_list(&seen.listen),
            http_redirect: bool_value(seen.http_redirect),
            enabled: bool_value(seen.enabled),
            ..self.clone()
        }
    }
    fn with_pems(self, p: Pems<'a>) -> Self {
        WebBridge {
            key: p.key,
            certificate: p.certificate,
            ca_bundle: p.ca_bundle,
            trust_bundle: p.trust,
            ..self
        }
    }
    fn with_certificates(self, c: &str) -> Self {
        WebBridge {
            certificates: known(c),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::cms::facts::Facts;
    use crate::devices::cms::services::parse_status;

    #[test]
    fn webadmin_listen_is_interface_and_port() {
        let status = parse_status(
            &Facts::DEFAULT,
            Service::WebAdmin,
            "Enabled : true\nTLS listening interface and port : b 8443\nHTTP redirect : false\n",
        )
        .unwrap();
        let seen = Settings::from_status(Service::WebAdmin, &status);
        let block = WebAdmin::default().with_settings(&seen);
        assert_eq!(block.interface, known("b"));
        assert_eq!(block.port, Value::Value(8443));
        assert_eq!(block.enabled, Value::Value(true));
        assert_eq!(block.settings(), seen);
    }

    #[test]
    fn callbridge_has_no_enable_and_no_redirect() {
        let status = parse_status(
            &Facts::DEFAULT,
            Service::CallBridge,
            "Listening interfaces : a b\n",
        )
        .unwrap();
        let seen = Settings::from_status(Service::CallBridge, &status);
        assert_eq!((seen.enabled, seen.http_redirect), (None, None));
        assert_eq!(CallBridge::default().with_settings(&seen).settings(), seen);
    }
}
