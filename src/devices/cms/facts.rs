//! The Meeting Server facts no public document settles that a site may need to replace without
//! a release: each status label the MMP services print ([`STATUS_LABELS`]), the word that clears
//! a setting ([`CLEAR_WORD`]), and the alarm type the REST API lists while a Call Bridge cannot
//! reach XMPP ([`XMPP_ALARM`]). The provider's `fact_overrides` gives `<id>=<value>` entries;
//! [`Facts`] is the tables with those applied.

use super::rest::XMPP_ALARM;
use super::services::{Field, Service, CLEAR_WORD, STATUS_LABELS};
use std::collections::BTreeMap;

/// The id `fact_overrides` names the clear word by.
const CLEAR_WORD_ID: &str = "clear_word";
/// The id `fact_overrides` names the XMPP alarm type by.
const XMPP_ALARM_ID: &str = "xmpp_alarm";

/// The id of a status label: `<service>.<field>`, e.g. `webadmin.listen`.
pub fn label_id(service: Service, field: Field) -> String {
    format!("{}.{}", service.word(), field.id())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Label(Service, Field),
    ClearWord,
    XmppAlarm,
}

fn key_of(id: &str) -> Option<Key> {
    match id {
        CLEAR_WORD_ID => Some(Key::ClearWord),
        XMPP_ALARM_ID => Some(Key::XmppAlarm),
        _ => STATUS_LABELS
            .iter()
            .find(|(s, f, _, _)| label_id(*s, *f) == id)
            .map(|(s, f, _, _)| Key::Label(*s, *f)),
    }
}

/// Whether `value` can stand for the entry: a label is read before the first colon of a line,
/// so it has none; the clear word becomes part of an MMP command and the alarm type is matched
/// as a word, so both are letters, digits, `-` and `_` only.
fn check_value(key: Key, value: &str) -> Result<(), String> {
    let bad = match key {
        _ if value.is_empty() => Some("it is empty"),
        _ if value.len() > 100 => Some("it is longer than 100 characters"),
        Key::Label(..) if value.contains(':') => {
            Some("a status label has no colon (the value follows the first one)")
        }
        Key::Label(..) if value.chars().any(char::is_control) => {
            Some("a status label has no control characters")
        }
        Key::ClearWord | Key::XmppAlarm
            if !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            Some("it is one word of letters, digits, - and _")
        }
        _ => None,
    };
    match bad {
        Some(why) => Err(format!("{value:?}: {why}")),
        None => Ok(()),
    }
}

/// One `fact_overrides` entry, `<id>=<value>`, split and checked.
fn parse_entry(entry: &str) -> Result<(Key, String), String> {
    let (id, value) = entry
        .split_once('=')
        .ok_or_else(|| format!("{entry:?} is not <id>=<value>"))?;
    let (id, value) = (id.trim(), value.trim());
    let key = key_of(id).ok_or_else(|| {
        format!("{id:?} is not an entry of the Meeting Server fact table: see the provider docs for the ids (e.g. webadmin.listen, clear_word, xmpp_alarm)")
    })?;
    check_value(key, value).map_err(|why| format!("{id}: {why}"))?;
    Ok((key, value.to_string()))
}

/// The fact tables with a site's overrides applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    overrides: BTreeMap<Key, String>,
}

impl Facts {
    /// The tables as built in, no overrides.
    pub const DEFAULT: Facts = Facts {
        overrides: BTreeMap::new(),
    };

    /// From `fact_overrides` entries; an entry given twice is refused.
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Facts, String> {
        let mut overrides = BTreeMap::new();
        for entry in entries {
            let (key, value) = parse_entry(entry)?;
            if overrides.insert(key, value).is_some() {
                let id = entry
                    .split_once('=')
                    .map(|(id, _)| id.trim())
                    .unwrap_or(entry);
                return Err(format!("{id} is overridden twice"));
            }
        }
        let facts = Facts { overrides };
        // Two fields of one status under one label could not be told apart.
        for service in Service::ALL {
            let labels: Vec<(Field, &str)> = facts.labels(service).collect();
            for (i, (field, label)) in labels.iter().enumerate() {
                if let Some((other, _)) = labels[i + 1..]
                    .iter()
                    .find(|(_, l)| l.eq_ignore_ascii_case(label))
                {
                    return Err(format!(
                        "{} and {} would both be {label:?}: the status of {} names each field once",
                        label_id(service, *field),
                        label_id(service, *other),
                        service.word()
                    ));
                }
            }
        }
        Ok(facts)
    }

    fn get(&self, key: Key) -> Option<&str> {
        self.overrides.get(&key).map(String::as_str)
    }

    /// The label `service` prints for `field` (`None`: the service has no such field).
    pub fn label(&self, service: Service, field: Field) -> Option<&str> {
        self.get(Key::Label(service, field)).or_else(|| {
            STATUS_LABELS
                .iter()
                .find(|(s, f, _, _)| *s == service && *f == field)
                .map(|(_, _, label, _)| *label)
        })
    }

    /// The fields `service` prints, each with its label.
    pub fn labels(&self, service: Service) -> impl Iterator<Item = (Field, &str)> {
        STATUS_LABELS
            .iter()
            .filter(move |(s, _, _, _)| *s == service)
            .map(move |(s, f, label, _)| (*f, self.get(Key::Label(*s, *f)).unwrap_or(label)))
    }

    pub fn clear_word(&self) -> &str {
        self.get(Key::ClearWord).unwrap_or(CLEAR_WORD)
    }

    pub fn xmpp_alarm(&self) -> &str {
        self.get(Key::XmppAlarm).unwrap_or(XMPP_ALARM)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::cms::rest::XMPP_ALARM;
    use crate::devices::cms::services::{Confidence, CLEAR_WORD};

    /// One entry a site may override: its id, the value built in, and whether a Cisco document
    /// gives it.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Fact {
        pub id: String,
        pub value: &'static str,
        pub confirmed: bool,
        pub what: String,
    }

    /// Every entry `fact_overrides` can name, in the order the docs list them.
    fn table() -> Vec<Fact> {
        let labels = STATUS_LABELS.iter().map(|(s, f, label, c)| Fact {
            id: label_id(*s, *f),
            value: label,
            confirmed: matches!(c, Confidence::Confirmed(_)),
            what: format!(
                "the label of `{}` in the status `{}` prints",
                f.id(),
                s.word()
            ),
        });
        labels
            .chain([
                Fact {
                    id: CLEAR_WORD_ID.into(),
                    value: CLEAR_WORD,
                    confirmed: false,
                    what: "the argument that clears an MMP setting (`callbridge listen none`), also read as \"not set\" in a status".into(),
                },
                Fact {
                    id: XMPP_ALARM_ID.into(),
                    value: XMPP_ALARM,
                    confirmed: false,
                    what: "the type of the alarm `/api/v1/system/alarms` lists while the Call Bridge is not connected to XMPP".into(),
                },
            ])
            .collect()
    }

    /// The table as the provider's documentation lists it (templates/cms/index.md.tmpl).
    fn markdown_rows() -> Vec<String> {
        table()
            .iter()
            .map(|f| {
                let status = match f.confirmed {
                    true => "confirmed",
                    false => "unconfirmed",
                };
                format!("| `{}` | `{}` | {status} | {} |", f.id, f.value, f.what)
            })
            .collect()
    }

    #[test]
    fn the_provider_docs_list_the_table() {
        let page = include_str!("../../../templates/cms/index.md.tmpl");
        let missing: Vec<String> = markdown_rows()
            .into_iter()
            .filter(|row| !page.contains(row.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "templates/cms/index.md.tmpl lacks these rows:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn no_overrides_are_the_tables() {
        let f = Facts::default();
        assert_eq!(
            f.label(Service::WebAdmin, Field::Listen),
            Some("TLS listening interface and port")
        );
        assert_eq!(f.label(Service::CallBridge, Field::Domain), None);
        assert_eq!(f.clear_word(), "none");
        assert_eq!(f.xmpp_alarm(), "xmppConnectionFailure");
    }

    #[test]
    fn overrides_replace_one_entry_each() {
        let f = Facts::new([
            "webadmin.listen = Listening on",
            "clear_word=unset",
            "xmpp_alarm=xmppLost",
        ])
        .unwrap();
        assert_eq!(
            f.label(Service::WebAdmin, Field::Listen),
            Some("Listening on")
        );
        // The same field of another service keeps its own label.
        assert_eq!(
            f.label(Service::Xmpp, Field::Listen),
            Some("Listening interfaces")
        );
        assert_eq!(f.clear_word(), "unset");
        assert_eq!(f.xmpp_alarm(), "xmppLost");
        let labels: Vec<_> = f.labels(Service::WebAdmin).collect();
        assert!(labels.contains(&(Field::Listen, "Listening on")));
        assert!(labels.contains(&(Field::Enabled, "Enabled")));
    }

    #[test]
    fn bad_entries_are_refused_naming_the_id() {
        for (entry, says) in [
            ("webadmin.listen", "is not <id>=<value>"),
            ("webadmin.domain=Domain", "not an entry"),
            ("nope=x", "not an entry"),
            ("webadmin.listen=", "webadmin.listen: \"\": it is empty"),
            (
                "xmpp.domain=Domain: x",
                "xmpp.domain: \"Domain: x\": a status label has no colon",
            ),
            (
                "clear_word=none; shutdown",
                "clear_word: \"none; shutdown\": it is one word",
            ),
            ("clear_word=a b", "clear_word: \"a b\": it is one word"),
            ("xmpp_alarm=a\nb", "xmpp_alarm"),
        ] {
            let e = parse_entry(entry).unwrap_err();
            assert!(e.contains(says), "{entry:?}: {e}");
            assert!(Facts::new([entry]).is_err());
        }
        let twice = Facts::new(["clear_word=x", "clear_word = y"]).unwrap_err();
        assert_eq!(twice, "clear_word is overridden twice");
        let same = Facts::new(["webadmin.listen=enabled"]).unwrap_err();
        assert!(
            same.contains("webadmin.enabled and webadmin.listen would both be"),
            "{same}"
        );
        // One label in two services is fine: each status is read on its own.
        assert!(Facts::new(["webadmin.listen=Listening interfaces"]).is_ok());
    }

    #[test]
    fn every_label_and_word_has_an_id_in_the_table() {
        let t = table();
        assert_eq!(t.len(), STATUS_LABELS.len() + 2);
        for fact in &t {
            assert!(key_of(&fact.id).is_some(), "{}", fact.id);
            assert!(check_value(key_of(&fact.id).unwrap(), fact.value).is_ok());
        }
        let mut ids: Vec<_> = t.iter().map(|f| f.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), t.len(), "ids are unique");
    }
}
