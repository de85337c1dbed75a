//! The one import-ID grammar every resource uses:
//!
//! ```text
//! id       = [ name "@" ] node { "," node } { ";" setting }
//! node     = [ label "=" ] endpoint          endpoint = host | host ":" port | "[" ipv6 "]" ":" port
//! setting  = path "=" value                  (path: an attribute path such as host.my_cnf_path)
//! ```
//!
//! Each resource says which parts it takes ([`ImportShape`]): `cms_xmpp_callbridge` a name and
//! unlabelled nodes, `cms_database_cluster` labelled nodes, `xop_replication_member` a name, one
//! node and settings. Credentials are never part of an ID.

use crate::grammar::parse_endpoint;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportNode {
    pub label: Option<String>,
    pub address: String,
    pub port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportId {
    pub name: Option<String>,
    pub nodes: Vec<ImportNode>,
    pub settings: Vec<(String, String)>,
}

/// A check of one word of an ID (a name or a label), saying what is wrong.
pub type WordCheck = fn(&str) -> Result<(), String>;

/// What a resource's import ID consists of; parsing checks the ID against it.
pub struct ImportShape {
    /// `name@` first (checked with `check_name`).
    pub name: Option<WordCheck>,
    /// Every node carries `label=` (checked with this function), or none does.
    pub labels: Option<WordCheck>,
    pub min_nodes: usize,
    pub max_nodes: usize,
    /// The setting paths the ID may carry.
    pub settings: &'static [&'static str],
    /// The form, with an example, for error messages.
    pub usage: &'static str,
}

impl ImportShape {
    pub fn parse(&self, id: &str) -> Result<ImportId, String> {
        let fail = |what: String| format!("import ID {id:?}: {what}; expected {}", self.usage);
        let mut parts = id.split(';');
        let head = parts.next().unwrap_or_default();
        let (name, nodes) = match (self.name, head.split_once('@')) {
            (Some(check), Some((name, nodes))) => {
                check(name).map_err(|e| fail(format!("name {e}")))?;
                (Some(name.to_string()), nodes)
            }
            (Some(_), None) => return Err(fail("no '@' after the name".into())),
            (None, Some(_)) => return Err(fail("'@' has no place in this ID".into())),
            (None, None) => (None, head),
        };
        let mut parsed = Vec::new();
        for node in nodes.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let (label, endpoint) = match (self.labels, node.split_once('=')) {
                (Some(check), Some((label, endpoint))) => {
                    check(label).map_err(&fail)?;
                    (Some(label.to_string()), endpoint)
                }
                (Some(_), None) => return Err(fail(format!("{node:?} has no '='"))),
                (None, _) => (None, node),
            };
            let (address, port) = parse_endpoint(endpoint).map_err(&fail)?;
            parsed.push(ImportNode {
                label,
                address,
                port,
            });
        }
        if parsed.len() < self.min_nodes || parsed.len() > self.max_nodes {
            let count = match (self.min_nodes, self.max_nodes) {
                (1, 1) => "one node".to_string(),
                (min, usize::MAX) => format!("at least {min} nodes"),
                (min, max) => format!("{min} to {max} nodes"),
            };
            return Err(fail(format!(
                "it names {} node(s), not {count}",
                parsed.len()
            )));
        }
        let mut settings = Vec::new();
        for part in parts.filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| fail(format!("{part:?} is not <setting>=<value>")))?;
            if !self.settings.contains(&key) {
                return Err(match self.settings {
                    [] => fail("this ID takes no settings".into()),
                    known => fail(format!(
                        "{key:?} cannot be set in an import ID (passwords come from the provider block); settings: {}",
                        known.join(", ")
                    )),
                });
            }
            settings.push((key.to_string(), value.to_string()));
        }
        Ok(ImportId {
            name,
            nodes: parsed,
            settings,
        })
    }
}

impl ImportNode {
    /// The node as an import ID writes it (brackets around an IPv6 address with a port).
    pub fn endpoint(&self) -> String {
        match (self.port, self.address.contains(':')) {
            (Some(p), true) => format!("[{}]:{p}", self.address),
            (Some(p), false) => format!("{}:{p}", self.address),
            (None, _) => self.address.clone(),
        }
    }
}

impl std::fmt::Display for ImportId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(name) = &self.name {
            write!(f, "{name}@")?;
        }
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|n| match &n.label {
                Some(label) => format!("{label}={}", n.endpoint()),
                None => n.endpoint(),
            })
            .collect();
        f.write_str(&nodes.join(","))?;
        for (key, value) in &self.settings {
            write!(f, ";{key}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(s: &str) -> Result<(), String> {
        crate::grammar::check_word(s, 63)
    }

    const NAMED: ImportShape = ImportShape {
        name: Some(word),
        labels: None,
        min_nodes: 1,
        max_nodes: usize::MAX,
        settings: &[],
        usage: "<name>@<node>[,<node>...]",
    };
    const LABELLED: ImportShape = ImportShape {
        name: None,
        labels: Some(word),
        min_nodes: 2,
        max_nodes: usize::MAX,
        settings: &[],
        usage: "<label>=<node>,...",
    };
    const ONE_WITH_SETTINGS: ImportShape = ImportShape {
        name: Some(word),
        labels: None,
        min_nodes: 1,
        max_nodes: 1,
        settings: &["host.my_cnf_path", "mysql.port"],
        usage: "<name>@<node>[;<setting>=<value>...]",
    };

    #[test]
    fn every_part_parses_and_prints_back() {
        for (shape, id) in [
            (&NAMED, "cb1@10.0.0.1,cms2.example.com:2222,[::1]:2200"),
            (&LABELLED, "cms1=10.0.0.1,cms2=[fd00::2]:2222"),
            (
                &ONE_WITH_SETTINGS,
                "xop1@10.0.0.1:2222;host.my_cnf_path=/srv/my.cnf;mysql.port=3307",
            ),
        ] {
            let parsed = shape.parse(id).unwrap();
            assert_eq!(parsed.to_string(), id);
        }
        let parsed = NAMED.parse("cb1@[::1]:2200").unwrap();
        assert_eq!(
            parsed.nodes,
            vec![ImportNode {
                label: None,
                address: "::1".into(),
                port: Some(2200)
            }]
        );
    }

    #[test]
    fn ids_of_the_wrong_shape_say_what_is_wrong() {
        for (shape, id, says) in [
            (&NAMED, "cb1", "no '@'"),
            (&NAMED, "bad name@10.0.0.1", "name"),
            (&NAMED, "cb1@10.0.0.1:0", "invalid port"),
            (&NAMED, "cb1@not a host", "neither an IP address"),
            (&NAMED, "cb1@10.0.0.1;mysql.port=1", "takes no settings"),
            (&LABELLED, "cms1=10.0.0.1", "not at least 2 nodes"),
            (&LABELLED, "cms1,cms2", "has no '='"),
            (
                &LABELLED,
                "x@cms1=10.0.0.1,cms2=10.0.0.2",
                "'@' has no place",
            ),
            (&ONE_WITH_SETTINGS, "x@h1,h2", "not one node"),
            (
                &ONE_WITH_SETTINGS,
                "x@h;mysql.admin_password=p",
                "cannot be set",
            ),
            (
                &ONE_WITH_SETTINGS,
                "x@h;mysql.port",
                "not <setting>=<value>",
            ),
        ] {
            let e = shape.parse(id).unwrap_err();
            assert!(e.contains(says), "{id}: {e}");
            assert!(e.contains(shape.usage), "{id}: {e}");
        }
    }
}
