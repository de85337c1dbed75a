//! The one table of IM&P database names that no public document gives, each with how sure we
//! are and where it comes from (imp-interface.md §1, §3, §6). No public API creates, lists or
//! deletes an intercluster peer, and the table that holds peers is not published; the names
//! below marked unconfirmed are placeholders the lab simulator also uses. A site with a real
//! IM&P confirms them with the `imp_database_tables` data source (Informix's `systables`) and
//! replaces any of them with the provider's `sql_overrides`, without a release.

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Read in a Cisco document or TAC capture.
    Confirmed,
    /// Several public sources agree.
    Likely,
    /// Our placeholder, to be settled on a live IM&P.
    Unconfirmed,
}

/// Stable ids: what `sql_overrides` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Id {
    PeerTable,
    PeerAddress,
    PeerUsername,
    PeerPassword,
    PeerProtocol,
    CertificateTable,
    CertificateServer,
    CertificateSerial,
    CertificateRole,
    UserTable,
    UserHome,
}

#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub id: Id,
    pub stable_id: &'static str,
    pub name: &'static str,
    pub status: Status,
    pub source: &'static str,
}

const fn entry(
    id: Id,
    stable_id: &'static str,
    name: &'static str,
    status: Status,
    source: &'static str,
) -> Entry {
    Entry {
        id,
        stable_id,
        name,
        status,
        source,
    }
}

use Status::{Confirmed, Likely, Unconfirmed};

pub const TABLE: [Entry; 11] = [
    entry(Id::PeerTable, "peer_table", "cupsinterclusterpeers", Unconfirmed, "the label `file build log deployment info` prints for the peer count [CLI15]; that it is a table is a guess"),
    entry(Id::PeerAddress, "peer_address_column", "peeraddress", Unconfirmed, "placeholder: the GUI's Peer Address field"),
    entry(Id::PeerUsername, "peer_username_column", "axlusername", Unconfirmed, "placeholder: the GUI's AXL Username field"),
    entry(Id::PeerPassword, "peer_password_column", "axlpassword", Unconfirmed, "placeholder: the GUI's AXL Password field (a real IM&P may keep it encrypted)"),
    entry(Id::PeerProtocol, "peer_protocol_column", "protocol", Unconfirmed, "placeholder: the GUI's Protocol (TCP or TLS)"),
    entry(Id::CertificateTable, "certificate_table", "certificate", Likely, "the CUCM/IM&P platform database's certificate table (public scripts)"),
    entry(Id::CertificateServer, "certificate_server_column", "servername", Likely, "the certificate table's server column (public scripts)"),
    entry(Id::CertificateSerial, "certificate_serial_column", "serialnumber", Likely, "the certificate table's serial column (public scripts)"),
    entry(Id::CertificateRole, "certificate_role_column", "trustrole", Unconfirmed, "placeholder: `tomcat` for a node's own Tomcat certificate, `tomcat-trust` for one trusted from a peer"),
    entry(Id::UserTable, "user_table", "enduser", Confirmed, "[MIG], [CLI15]: users synced from peers are rows of enduser (LIKELY)"),
    entry(Id::UserHome, "user_home_column", "homecluster", Unconfirmed, "placeholder: empty for the cluster's own users, the peer's address for users synced from it"),
];

pub fn by_stable_id(id: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.stable_id == id)
}

/// An Informix identifier: a letter or `_`, then letters, digits, `_`; at most 128.
pub fn check_identifier(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    match first_ok && name.len() <= 128 && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        true => Ok(()),
        false => Err(format!(
            "{name:?} is not a table or column name (a letter or _, then letters, digits, _)"
        )),
    }
}

/// `<stable id>=<name>`, as `sql_overrides` writes one.
pub fn check_override(v: &str) -> Result<(), String> {
    let (id, name) = v
        .split_once('=')
        .ok_or_else(|| format!("{v:?} is not <id>=<name>"))?;
    if by_stable_id(id.trim()).is_none() {
        let ids: Vec<&str> = TABLE.iter().map(|e| e.stable_id).collect();
        return Err(format!(
            "{:?} is not an entry of the table ({})",
            id.trim(),
            ids.join(", ")
        ));
    }
    check_identifier(name.trim())
}

/// The names in use: the table's, with a site's overrides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    overrides: BTreeMap<Id, String>,
}

impl Names {
    /// From `<stable id>=<name>` entries (each checked by [`check_override`]).
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Names, String> {
        let mut overrides = BTreeMap::new();
        for e in entries {
            check_override(e)?;
            let (id, name) = e.split_once('=').unwrap_or_default();
            let entry = by_stable_id(id.trim()).ok_or("checked above")?;
            if overrides
                .insert(entry.id, name.trim().to_ascii_lowercase())
                .is_some()
            {
                return Err(format!("{} is overridden twice", entry.stable_id));
            }
        }
        Ok(Names { overrides })
    }

    pub fn name(&self, id: Id) -> &str {
        self.overrides
            .get(&id)
            .map(String::as_str)
            .unwrap_or_else(|| entry_of(id).name)
    }

    /// The unconfirmed entries of `used` this site did not override.
    pub fn unconfirmed_in_use(&self, used: &[Id]) -> Vec<&'static Entry> {
        used.iter()
            .map(|&id| entry_of(id))
            .filter(|e| e.status == Status::Unconfirmed && !self.overrides.contains_key(&e.id))
            .collect()
    }
}

fn entry_of(id: Id) -> &'static Entry {
    TABLE.iter().find(|e| e.id == id).unwrap_or(&TABLE[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_one_entry() {
        for (i, e) in TABLE.iter().enumerate() {
            assert_eq!(entry_of(e.id).stable_id, e.stable_id);
            assert!(check_identifier(e.name).is_ok(), "{}", e.name);
            assert!(TABLE[i + 1..].iter().all(|o| o.stable_id != e.stable_id));
        }
    }

    #[test]
    fn overrides_replace_names_and_are_checked() {
        let names = Names::new([
            "peer_table=InterClusterPeer",
            " peer_address_column = address ",
        ])
        .unwrap();
        assert_eq!(names.name(Id::PeerTable), "interclusterpeer");
        assert_eq!(names.name(Id::PeerAddress), "address");
        assert_eq!(names.name(Id::PeerUsername), "axlusername");
        let left = names.unconfirmed_in_use(&[Id::PeerTable, Id::PeerUsername, Id::UserTable]);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].id, Id::PeerUsername);
        assert!(Names::new(["nope=x"]).unwrap_err().contains("peer_table"));
        assert!(Names::new(["peer_table=x; drop"]).is_err());
        assert!(Names::new(["peer_table=a", "peer_table=b"]).is_err());
    }
}
