//! A declared virtual server (the resource's state, or an `lb_config` block) as the model of
//! `devices::lb::virtual_server`, read from its serde image by attribute name, so the resource
//! and the data source share one conversion. Defaults must already be filled in.

use crate::devices::lb::virtual_server::{
    word, F5Options, Member, VirtualServer, FORWARDINGS, METHODS, MONITORS, PERSISTENCES, PROTOCOLS,
};
use crate::resources::image::field;
use tf_provider::value::ValueAny;
use tf_provider::{AttributePath, Diagnostics};

/// Why a declared virtual server is not (yet) a model.
pub enum NotYet {
    /// A value is unknown until apply: nothing can be said now.
    Unknown,
    /// A value is not what its declaration allows (reported at its path).
    Invalid,
}

fn known(v: &ValueAny) -> Result<&ValueAny, NotYet> {
    match v {
        ValueAny::Unknown => Err(NotYet::Unknown),
        v => Ok(v),
    }
}

fn optional_text(image: &ValueAny, name: &str) -> Result<Option<String>, NotYet> {
    match known(field(image, name))? {
        ValueAny::String(s) => Ok(Some(s.clone())),
        _ => Ok(None),
    }
}

struct Reader<'d> {
    diags: &'d mut Diagnostics,
}

impl Reader<'_> {
    fn invalid(&mut self, at: AttributePath, detail: String) -> NotYet {
        self.diags.error("Invalid virtual server", detail, at);
        NotYet::Invalid
    }

    fn text(
        &mut self,
        image: &ValueAny,
        name: &'static str,
        at: &AttributePath,
    ) -> Result<String, NotYet> {
        match known(field(image, name))? {
            ValueAny::String(s) => Ok(s.clone()),
            _ => Err(self.invalid(at.clone().attribute(name), format!("{name} is required"))),
        }
    }

    fn number<T: TryFrom<i64>>(
        &mut self,
        image: &ValueAny,
        name: &'static str,
        at: &AttributePath,
    ) -> Result<Option<T>, NotYet> {
        match known(field(image, name))? {
            ValueAny::Null => Ok(None),
            ValueAny::Number(n) => T::try_from(*n).map(Some).map_err(|_| {
                self.invalid(at.clone().attribute(name), format!("{n} is out of range"))
            }),
            _ => Err(self.invalid(at.clone().attribute(name), "not a number".into())),
        }
    }

    fn flag(&self, image: &ValueAny, name: &str) -> Result<Option<bool>, NotYet> {
        match known(field(image, name))? {
            ValueAny::Bool(b) => Ok(Some(*b)),
            _ => Ok(None),
        }
    }

    fn word<T: Copy>(
        &mut self,
        table: &[(&str, T)],
        image: &ValueAny,
        name: &'static str,
        at: &AttributePath,
    ) -> Result<T, NotYet> {
        let text = self.text(image, name, at)?;
        word(table, &text).map_err(|e| self.invalid(at.clone().attribute(name), e))
    }

    fn address(
        &mut self,
        image: &ValueAny,
        at: &AttributePath,
    ) -> Result<std::net::IpAddr, NotYet> {
        let text = self.text(image, "address", at)?;
        text.parse().map_err(|_| {
            self.invalid(
                at.clone().attribute("address"),
                format!("{text:?} is not an IP address"),
            )
        })
    }

    fn list<'v>(&self, image: &'v ValueAny, name: &str) -> Result<&'v [ValueAny], NotYet> {
        match known(field(image, name))? {
            ValueAny::List(items) => Ok(items),
            _ => Ok(&[]),
        }
    }
}

/// The model of the virtual server whose image is `image` (attributes at `at`); an invalid
/// value is reported in `diags`.
pub fn virtual_server(
    image: &ValueAny,
    at: &AttributePath,
    diags: &mut Diagnostics,
) -> Result<VirtualServer, NotYet> {
    let mut r = Reader { diags };
    let mut monitors = Vec::new();
    for (i, m) in r.list(image, "monitors")?.iter().enumerate() {
        let at = at.clone().attribute("monitors").index(i as i64);
        monitors.push(match known(m)? {
            ValueAny::String(s) => word(MONITORS, s).map_err(|e| r.invalid(at, e))?,
            _ => return Err(r.invalid(at, "not a monitor name".into())),
        });
    }
    let mut members = Vec::new();
    for (i, m) in r.list(image, "member")?.iter().enumerate() {
        let at = at.clone().attribute("member").index(i as i64);
        members.push(Member {
            name: r.text(m, "name", &at)?,
            address: r.address(m, &at)?,
            port: r.number(m, "port", &at)?,
            weight: r.number(m, "weight", &at)?.unwrap_or(1),
            enabled: r.flag(m, "enabled")?.unwrap_or(true),
        });
    }
    let f5 = match r.list(image, "f5")?.first() {
        None => F5Options::default(),
        Some(f) => {
            let at = at.clone().attribute("f5").index(0);
            F5Options {
                pool: optional_text(f, "pool")?,
                profile: optional_text(f, "profile")?,
                smtp_monitor: optional_text(f, "smtp_monitor")?,
                idle_timeout: r.number(f, "idle_timeout", &at)?,
                tcp_handshake_timeout: r.number(f, "tcp_handshake_timeout", &at)?,
                tcp_close_timeout: r.number(f, "tcp_close_timeout", &at)?,
                loose_initiation: r.flag(f, "loose_initiation")?,
                loose_close: r.flag(f, "loose_close")?,
                software_syncookie: r.flag(f, "software_syncookie")?,
                floating: r.flag(f, "floating")?.unwrap_or(false),
            }
        }
    };
    Ok(VirtualServer {
        name: r.text(image, "name", at)?,
        address: r.address(image, at)?,
        port: r.number(image, "port", at)?,
        protocol: r.word(PROTOCOLS, image, "protocol", at)?,
        method: r.word(METHODS, image, "method", at)?,
        forwarding: r.word(FORWARDINGS, image, "forwarding", at)?,
        persistence: r.word(PERSISTENCES, image, "persistence", at)?,
        monitors,
        members,
        f5,
    })
}
