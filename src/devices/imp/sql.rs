//! Every statement the IM&P resources send through AXL, built from values: strings are
//! Informix literals (`'` doubled), names come from the checked facts table, so no configured
//! value can end a literal or add a statement.

use super::facts::{Id, Names};

/// A value as an Informix string literal; control characters are refused (Informix strings
/// hold no newlines by default, and no attribute needs one).
pub fn literal(value: &str) -> Result<String, String> {
    if value.chars().any(char::is_control) {
        return Err("contains a control character".to_string());
    }
    Ok(format!("'{}'", value.replace('\'', "''")))
}

/// ICSA's own connectivity query, verbatim from the Sync Agent's log [TAC217581]: the GUI's
/// Peer Connectivity Test.
pub const CONNECTIVITY: &str =
    "SELECT count(*) from processnode WHERE systemnode='f' and tknodeusage= 0";

/// The database publisher's node name: processnode rows with `tknodeusage` 0 (CUCM's
/// typenodeusage, 0 = publisher: LIKELY, imp-interface.md §1).
pub const PUBLISHER: &str =
    "SELECT name FROM processnode WHERE systemnode = 'f' AND tknodeusage = 0";

/// Every node's name (a remote cluster's, for the names of its Tomcat certificates).
pub const NODES: &str = "SELECT name FROM processnode WHERE systemnode = 'f' ORDER BY name";

/// Informix's catalog: the tables whose names match `pattern` (`%`, `_`).
pub fn tables_like(pattern: &str) -> Result<String, String> {
    Ok(format!(
        "SELECT tabname FROM systables WHERE tabname LIKE {} ORDER BY tabname",
        literal(pattern)?
    ))
}

/// The peer as the table holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerRow {
    pub address: String,
    pub username: String,
    pub password: String,
    pub protocol: String,
}

pub fn peers(n: &Names) -> String {
    format!(
        "SELECT {}, {}, {}, {} FROM {} ORDER BY {}",
        n.name(Id::PeerAddress),
        n.name(Id::PeerUsername),
        n.name(Id::PeerPassword),
        n.name(Id::PeerProtocol),
        n.name(Id::PeerTable),
        n.name(Id::PeerAddress)
    )
}

/// The rows of [`peers`]' answer; a row without the address column is an error naming it.
pub fn peer_rows(n: &Names, rows: &[super::axl::Row]) -> Result<Vec<PeerRow>, String> {
    let col = |row: &super::axl::Row, id: Id| -> Result<String, String> {
        row.get(n.name(id))
            .cloned()
            .ok_or_else(|| format!("the answer has no column {}", n.name(id)))
    };
    rows.iter()
        .map(|r| {
            Ok(PeerRow {
                address: col(r, Id::PeerAddress)?,
                username: col(r, Id::PeerUsername)?,
                password: col(r, Id::PeerPassword)?,
                protocol: col(r, Id::PeerProtocol)?.to_ascii_lowercase(),
            })
        })
        .collect()
}

pub fn insert_peer(n: &Names, p: &PeerRow) -> Result<String, String> {
    Ok(format!(
        "INSERT INTO {} ({}, {}, {}, {}) VALUES ({}, {}, {}, {})",
        n.name(Id::PeerTable),
        n.name(Id::PeerAddress),
        n.name(Id::PeerUsername),
        n.name(Id::PeerPassword),
        n.name(Id::PeerProtocol),
        literal(&p.address)?,
        literal(&p.username)?,
        literal(&p.password)?,
        literal(&p.protocol)?
    ))
}

pub fn update_peer(n: &Names, p: &PeerRow) -> Result<String, String> {
    Ok(format!(
        "UPDATE {} SET {} = {}, {} = {}, {} = {} WHERE {} = {}",
        n.name(Id::PeerTable),
        n.name(Id::PeerUsername),
        literal(&p.username)?,
        n.name(Id::PeerPassword),
        literal(&p.password)?,
        n.name(Id::PeerProtocol),
        literal(&p.protocol)?,
        n.name(Id::PeerAddress),
        literal(&p.address)?
    ))
}

pub fn delete_peer(n: &Names, address: &str) -> Result<String, String> {
    Ok(format!(
        "DELETE FROM {} WHERE {} = {}",
        n.name(Id::PeerTable),
        n.name(Id::PeerAddress),
        literal(address)?
    ))
}

/// Users whose home is `home` (`""`: the cluster's own).
pub fn users_of(n: &Names, home: &str) -> Result<String, String> {
    Ok(format!(
        "SELECT count(*) FROM {} WHERE {} = {}",
        n.name(Id::UserTable),
        n.name(Id::UserHome),
        literal(home)?
    ))
}

/// Serial numbers of the certificates of `role` (`tomcat`, `tomcat-trust`) for the servers named.
pub fn certificates(n: &Names, role: &str, servers: &[&str]) -> Result<String, String> {
    let names = servers
        .iter()
        .map(|s| literal(s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(format!(
        "SELECT {}, {} FROM {} WHERE {} = {} AND {} IN ({}) ORDER BY {}",
        n.name(Id::CertificateServer),
        n.name(Id::CertificateSerial),
        n.name(Id::CertificateTable),
        n.name(Id::CertificateRole),
        literal(role)?,
        n.name(Id::CertificateServer),
        names.join(", "),
        n.name(Id::CertificateSerial)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_inside_their_literal() {
        assert_eq!(literal("o'brien").unwrap(), "'o''brien'");
        assert_eq!(
            literal("a'; DELETE FROM x; --").unwrap(),
            "'a''; DELETE FROM x; --'"
        );
        assert!(literal("a\nb").is_err());
    }

    #[test]
    fn statements_use_the_table_names() {
        let n = Names::default();
        let p = PeerRow {
            address: "imp2-pub.lab.example".into(),
            username: "icsa".into(),
            password: "p'w".into(),
            protocol: "tls".into(),
        };
        assert_eq!(
            insert_peer(&n, &p).unwrap(),
            "INSERT INTO cupsinterclusterpeers (peeraddress, axlusername, axlpassword, protocol) VALUES ('imp2-pub.lab.example', 'icsa', 'p''w', 'tls')"
        );
        assert_eq!(
            update_peer(&n, &p).unwrap(),
            "UPDATE cupsinterclusterpeers SET axlusername = 'icsa', axlpassword = 'p''w', protocol = 'tls' WHERE peeraddress = 'imp2-pub.lab.example'"
        );
        assert_eq!(
            delete_peer(&n, "x").unwrap(),
            "DELETE FROM cupsinterclusterpeers WHERE peeraddress = 'x'"
        );
        let names = Names::new(["peer_table=icp"]).unwrap();
        assert!(peers(&names).contains("FROM icp ORDER BY peeraddress"));
        assert_eq!(
            certificates(&n, "tomcat", &["a", "b"]).unwrap(),
            "SELECT servername, serialnumber FROM certificate WHERE trustrole = 'tomcat' AND servername IN ('a', 'b') ORDER BY serialnumber"
        );
        assert_eq!(
            tables_like("%peer%").unwrap(),
            "SELECT tabname FROM systables WHERE tabname LIKE '%peer%' ORDER BY tabname"
        );
    }

    #[test]
    fn peer_rows_name_a_missing_column() {
        let n = Names::default();
        let row: super::super::axl::Row = [("peeraddress".to_string(), "a".to_string())].into();
        assert!(peer_rows(&n, &[row]).unwrap_err().contains("axlusername"));
    }
}
