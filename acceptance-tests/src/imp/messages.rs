//! Every text, code and placeholder of the IM&P simulator in one table, each with its source
//! (the short IDs of `/work/shared/reference/imp-interface.md`: [AXLDG], [AXLWSDL], [CCSWSDL],
//! [TAC217581], [DEP91], [ICP], [CERT], [CLI15]) and its confidence: `Confirmed` (a primary
//! source shows it), `Likely` (several third-party sources), `Guess` (our inference) or
//! `Placeholder` (our own invention, shared with the provider through the lab contract
//! `/work/notes/imp-contract.md`; the first lab session with a real IM&P must replace it).

/// How sure we are of a text or a shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    Confirmed,
    Likely,
    Guess,
    Placeholder,
}

/// One code and text; `{0}`/`{1}` in the text are replaced by arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    pub code: i64,
    pub text: &'static str,
    pub confidence: Confidence,
    pub source: &'static str,
}

impl Text {
    /// The text with `{0}`, `{1}` replaced by `args`.
    pub fn with(&self, args: &[&str]) -> String {
        let mut s = self.text.to_string();
        for (i, a) in args.iter().enumerate() {
            s = s.replace(&format!("{{{i}}}"), a);
        }
        s
    }
}

use Confidence::*;

const fn text(code: i64, text: &'static str, confidence: Confidence, source: &'static str) -> Text {
    Text {
        code,
        text,
        confidence,
        source,
    }
}

// ---- AXL (/axl/) ----

/// The page a GET on /axl/ answers.
pub const AXL_INFO_PAGE: Text = text(
    200,
    "<html><head><title>Cisco CallManager: AXL Web Service</title></head><body><h1>Cisco CallManager: AXL Web Service</h1><p>The AXL Web Service is working and accepting requests. Use HTTP POST to send a request.</p></body></html>",
    Likely,
    "[AXLDG] §5: several public tools check this string; the HTML around it is ours",
);
/// Bad credentials (or the refused-login fault): HTTP 401 with an HTML body.
pub const UNAUTHORIZED: Text = text(
    401,
    "<html><head><title>401 Unauthorized</title></head><body><h1>HTTP Status 401 - Unauthorized</h1></body></html>",
    Likely,
    "[AXLDG] §5 (401 bad credentials); the Tomcat-style body is GUESS",
);
/// A user without the role (AXL or serviceability): HTTP 403.
pub const FORBIDDEN: Text = text(
    403,
    "<html><head><title>403 Forbidden</title></head><body><h1>HTTP Status 403 - Forbidden</h1></body></html>",
    Likely,
    "[AXLDG] §5 (403 no AXL role); body GUESS",
);
/// An AXL schema version this IM&P does not serve: HTTP 599, no SOAP body.
pub const SCHEMA_NOT_SUPPORTED: Text = text(
    599,
    "",
    Likely,
    "§5: sy9/go-axl README, the Nielsen client, DN Scout changelog",
);
/// SOAPAction and body namespace name different versions.
pub const VERSION_MISMATCH: Text = text(
    5000,
    "The AXL version in the SOAPAction header ({0}) does not match the request namespace version ({1})",
    Guess,
    "[AXLDG] says they must match; code and wording GUESS (contract)",
);
/// An operation this simulator does not serve (only executeSQLQuery/executeSQLUpdate).
pub const UNKNOWN_OPERATION: Text = text(
    5007,
    "Unsupported operation {0}",
    Guess,
    "code 5007 'item not valid' [AXLDG]; use for an unknown op is GUESS",
);
/// A body that is not a SOAP envelope with one operation element.
pub const BAD_ENVELOPE: Text = text(
    5000,
    "Unable to parse the request: {0}",
    Guess,
    "GUESS (no source shows a broken envelope's answer)",
);
/// Informix syntax error (anything outside the contract's SQL subset).
pub const SQL_SYNTAX: Text = text(
    -201,
    "A syntax error has occurred.",
    Likely,
    "§6 item 1 (-201, from earlier research, not re-verified)",
);
/// Unknown table.
pub const SQL_NO_TABLE: Text = text(
    -206,
    "The specified table ({0}) is not in the database.",
    Likely,
    "Informix message text; contract",
);
/// Unknown column.
pub const SQL_NO_COLUMN: Text = text(
    -217,
    "Column ({0}) not found in any table in the query (or SLV is undefined).",
    Likely,
    "Informix message text; contract",
);
/// Duplicate in a unique index.
pub const SQL_DUPLICATE: Text = text(
    -239,
    "Could not insert new row - duplicate value in a UNIQUE INDEX column (Unique Index:{0}).",
    Confirmed,
    "[AXLDG] + public traces (faultcode Client)",
);
/// A value the column's check constraint refuses (protocol other than tcp/tls).
pub const SQL_CHECK: Text = text(
    -530,
    "Check constraint ({0}) failed.",
    Guess,
    "Informix -530 text; that the peer table has such a constraint is PLACEHOLDER",
);
/// A statement sent to the wrong operation (an UPDATE to executeSQLQuery, a SELECT to
/// executeSQLUpdate).
pub const SQL_WRONG_OPERATION: Text = text(
    -201,
    "A syntax error has occurred.",
    Guess,
    "GUESS: real AXL's answer to a write in executeSQLQuery is not in the sources",
);
/// The write throttle: HTTP 503.
pub const WRITES_THROTTLED: Text = text(
    503,
    "Service Unavailable",
    Confirmed,
    "[AXLDG] throttling: writes rejected with 503 when the DB queue is large",
);
/// The concurrent-read throttle (axlcode -1, faultcode soapenv:Server).
pub const MEMORY_THROTTLE: Text = text(
    -1,
    "Maximum AXL Memory Allocation Consumed. Please retry once requests in progress have completed",
    Confirmed,
    "[AXLDG] throttling",
);
/// A reply above the read limit (8 MB on a real server; the limit is a test knob here).
pub const TOO_LARGE: Text = text(
    -1,
    "Query request too large. Total rows matched: {0} rows. Suggestive Row Fetch: less than {1} rows",
    Confirmed,
    "[AXLDG] throttling",
);

/// The AXL schema versions served (8.0 is what ICSA itself sends [TAC217581]).
pub const AXL_VERSIONS: &[&str] = &[
    "8.0", "10.0", "10.5", "11.0", "11.5", "12.0", "12.5", "14.0",
];
/// The version applied to a request with no SOAPAction and namespace `.../AXL/API/1.0`: the
/// oldest supported [AXLDG] (Confirmed for CUCM).
pub const OLDEST_AXL_VERSION: &str = "8.0";

// ---- ControlCenterServices ----

/// Success: ReturnCode 0 and ReasonCode -1 (also every item's ReasonCode on success).
pub const CCS_OK: Text = text(
    -1,
    "",
    Likely,
    "§4: public Perl and Python clients treat ReturnCode 0 + ReasonCode -1 as success",
);
pub const CCS_NOT_ACTIVATED: Text = text(-1068, "Service Not Activated", Likely, "§4");
pub const CCS_ALREADY_STARTED: Text = text(
    -1039,
    "Service already started",
    Likely,
    "§4 (code); wording GUESS",
);
pub const CCS_ALREADY_STOPPED: Text = text(
    -1040,
    "Service already stopped",
    Likely,
    "§4 (code); wording GUESS",
);
pub const CCS_NOT_SUPPORTED: Text = text(
    -1045,
    "Service control not supported",
    Likely,
    "§4: -1045 'not supported'; Tomcat cannot be controlled (PresidioCode/ciscoucserviceability)",
);
pub const CCS_UNKNOWN_SERVICE: Text = text(
    -1000,
    "Service Not Found",
    Guess,
    "GUESS: a code of the -1000..-1075 range; the real one for an unknown name is not in the sources",
);
/// The rate throttle's SOAP fault (faultcode soapenv:Server).
pub const CCS_RATE_LIMIT: Text = text(
    0,
    "Exceeded allowed rate for Control Center Services. Current allowed rate is 10 requests per minute.",
    Likely,
    "§3/§4: 'Exceeded allowed rate' (perfmon's wording seen in public clients); the rest GUESS",
);
/// A request that is not one of the two operations served.
pub const CCS_UNKNOWN_OPERATION: Text = text(0, "Unsupported operation {0}", Guess, "GUESS");

/// The services of every node [ICP][MIG][CERT] (names Confirmed); `Cisco Sync Agent` only on
/// the publisher (contract).
pub const SERVICES: &[&str] = &[
    "Cisco AXL Web Service",
    "Cisco Intercluster Sync Agent",
    "Cisco XCP Router",
    "Cisco XCP Connection Manager",
    "Cisco XCP Authentication Service",
    "Cisco XCP Config Manager",
    "Cisco Presence Engine",
    "Cisco SIP Proxy",
    "Cisco Tomcat",
];
pub const SYNC_AGENT: &str = "Cisco Sync Agent";
pub const ICSA: &str = "Cisco Intercluster Sync Agent";
pub const XCP_ROUTER: &str = "Cisco XCP Router";
pub const TOMCAT: &str = "Cisco Tomcat";
/// The XCP services the router's Restart/Stop reach [DEP91] (Confirmed semantics; which names
/// count as "XCP services" = the `Cisco XCP ` prefix is GUESS).
pub const XCP_PREFIX: &str = "Cisco XCP ";

// ---- the cluster database ----

/// One table of the simulated database, its columns and where they come from.
pub struct TableDef {
    pub name: &'static str,
    /// Columns; `true` = integer column.
    pub columns: &'static [(&'static str, bool)],
    /// A unique index: (index name, column).
    pub unique: Option<(&'static str, &'static str)>,
    pub confidence: Confidence,
    pub source: &'static str,
}

pub const TABLES: &[TableDef] = &[
    TableDef {
        name: "processnode",
        columns: &[("pkid", false), ("name", false), ("systemnode", false), ("tknodeusage", true)],
        unique: None,
        confidence: Likely,
        source: "[TAC217581] systemnode/tknodeusage Confirmed; name LIKELY [CLI15]; 0 = publisher LIKELY",
    },
    TableDef {
        name: "systables",
        columns: &[("tabname", false), ("tabid", true)],
        unique: None,
        confidence: Likely,
        source: "Informix system catalog (standard); GUESS that IM&P's AXL shows it",
    },
    TableDef {
        name: "enduser",
        columns: &[("pkid", false), ("userid", false), ("homecluster", false)],
        unique: None,
        confidence: Placeholder,
        source: "table Confirmed [MIG]; column homecluster PLACEHOLDER ('' own, the peer address for ICSA-synced users)",
    },
    TableDef {
        name: "cupsinterclusterpeers",
        columns: &[
            ("pkid", false),
            ("peeraddress", false),
            ("axlusername", false),
            ("axlpassword", false),
            ("protocol", false),
        ],
        unique: Some(("cupsinterclusterpeers_peeraddress", "peeraddress")),
        confidence: Placeholder,
        source: "PLACEHOLDER: name echoes [CLI15]'s label (GUESS), columns ours",
    },
    TableDef {
        name: "certificate",
        columns: &[("pkid", false), ("servername", false), ("serialnumber", false), ("trustrole", false)],
        unique: None,
        confidence: Placeholder,
        source: "PLACEHOLDER: 'tomcat' = own Tomcat cert (serial = the HTTPS leaf's), 'tomcat-trust' = from a peer",
    },
];

/// The peer table's protocol check constraint name (PLACEHOLDER).
pub const PROTOCOL_CHECK: &str = "cupsinterclusterpeers_protocol";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_names_a_source() {
        for t in [
            AXL_INFO_PAGE,
            UNAUTHORIZED,
            SQL_SYNTAX,
            SQL_DUPLICATE,
            CCS_UNKNOWN_SERVICE,
            MEMORY_THROTTLE,
        ] {
            assert!(!t.source.is_empty());
        }
        assert!(TABLES.iter().all(|t| !t.source.is_empty()));
        assert_eq!(
            SQL_NO_TABLE.with(&["x"]),
            "The specified table (x) is not in the database."
        );
    }
}
