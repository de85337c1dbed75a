//! AXL's SQL operations on an IM&P publisher (imp-interface.md §5).
//!
//! [AXLDG]: `POST /axl/` (the slash is required), `SOAPAction: "CUCM:DB ver=<v> <operation>"`
//! and the body namespace `http://www.cisco.com/AXL/API/<v>`, which must name the same version;
//! HTTP 500 with a SOAP fault for AXL and SQL errors; 503 when writes are throttled. [AXLWSDL]:
//! `executeSQLQuery` answers `<return><row><column>value</column>...</row>...</return>`,
//! `executeSQLUpdate` answers `<return><rowsUpdated>n</rowsUpdated></return>`, and every request
//! may carry a `sequence` that the response echoes. [TAC217581]: `count(*)` comes back as
//! `<count>`. HTTP 599 means the schema version is not supported (LIKELY, public clients).

use super::soap::{self, Body};
use crate::client::{HttpsReply, HttpsRequest, Method};
use crate::transport::https::BusyAnswer;
use std::collections::BTreeMap;

pub const PATH: &str = "/axl/";

/// One row of a query, by lower-case column name.
pub type Row = BTreeMap<String, String>;

/// `major.minor`, e.g. `12.5` (the schema the provider asks for).
pub fn check_version(v: &str) -> Result<(), String> {
    let ok = v.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.len() <= 3
            && b.len() <= 2
            && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
    });
    match ok {
        true => Ok(()),
        false => Err(format!(
            "{v:?} is not an AXL schema version (major.minor, e.g. 12.5)"
        )),
    }
}

fn namespace(version: &str) -> String {
    format!("http://www.cisco.com/AXL/API/{version}")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Query,
    Update,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Query => "executeSQLQuery",
            Operation::Update => "executeSQLUpdate",
        }
    }
}

/// The request for `sql`; SOAPAction and namespace name the same `version`.
pub fn request(version: &str, op: Operation, sql: &str, sequence: u64) -> HttpsRequest {
    let name = op.name();
    let body = format!(
        "<ns:{name} sequence=\"{sequence}\"><sql>{}</sql></ns:{name}>",
        soap::escape(sql)
    );
    HttpsRequest {
        method: Method::POST,
        path: PATH.to_string(),
        headers: vec![
            ("Content-Type", "text/xml; charset=utf-8".to_string()),
            ("Accept", "text/xml".to_string()),
            ("SOAPAction", format!("\"CUCM:DB ver={version} {name}\"")),
        ],
        body: soap::envelope("ns", &namespace(version), &body).into_bytes(),
    }
}

/// Why an AXL request did not give an answer, in the device's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AxlError {
    /// A SOAP fault: an AXL or SQL error (the Informix code in `axlcode`).
    Fault(soap::Fault),
    /// HTTP 599: the server does not serve this schema version.
    Version(String),
    /// Another HTTP status, with the start of its body.
    Http { status: u16, text: String },
    /// A 200 whose body is not the answer to the request.
    Malformed(String),
}

impl AxlError {
    /// The Informix or AXL code of a fault.
    pub fn code(&self) -> Option<i64> {
        match self {
            AxlError::Fault(f) => f.axl.as_ref().and_then(|a| a.code),
            _ => None,
        }
    }
}

impl std::fmt::Display for AxlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AxlError::Fault(fault) => write!(f, "{fault}"),
            AxlError::Version(v) => write!(
                f,
                "HTTP 599: the server does not support AXL schema {v} (set the provider's axl_version to one it serves)"
            ),
            AxlError::Http { status, text } if text.is_empty() => write!(f, "HTTP {status}"),
            AxlError::Http { status, text } => write!(f, "HTTP {status}: {text}"),
            AxlError::Malformed(e) => write!(f, "unexpected answer: {e}"),
        }
    }
}

/// The first line of a body that is not SOAP (an HTML error page), tags removed, bounded.
fn gist(body: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag && !c.is_control() => out.push(c),
            _ if !in_tag => out.push(' '),
            _ => {}
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let mut text = words.join(" ");
    if text.len() > 200 {
        let cut = (0..=200)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

/// The response element of `op`, checked: a fault is an error, as is a sequence not echoed.
fn answer<T>(
    version: &str,
    reply: &HttpsReply,
    op: Operation,
    sequence: u64,
    read: impl FnOnce(roxmltree::Node<'_, '_>) -> Result<T, String>,
) -> Result<T, AxlError> {
    if reply.status == 599 {
        return Err(AxlError::Version(version.to_string()));
    }
    let body = String::from_utf8_lossy(&reply.body);
    let doc = match soap::parse(&body) {
        Ok(doc) => doc,
        Err(_) if reply.status != 200 => {
            return Err(AxlError::Http {
                status: reply.status,
                text: gist(&body),
            })
        }
        Err(e) => return Err(AxlError::Malformed(e)),
    };
    let element = match soap::body(&doc).map_err(AxlError::Malformed)? {
        Body::Fault(fault) => return Err(AxlError::Fault(fault)),
        Body::Element(e) if reply.status != 200 => {
            return Err(AxlError::Http {
                status: reply.status,
                text: format!("<{}>", e.tag_name().name()),
            })
        }
        Body::Element(e) => e,
    };
    let wanted = format!("{}Response", op.name());
    if element.tag_name().name() != wanted {
        return Err(AxlError::Malformed(format!(
            "<{}> where <{wanted}> was expected",
            element.tag_name().name()
        )));
    }
    if let Some(echo) = element.attribute("sequence") {
        if echo.trim() != sequence.to_string() {
            return Err(AxlError::Malformed(format!(
                "the answer is to request {echo}, not {sequence}"
            )));
        }
    }
    let ret = soap::child(element, "return");
    match ret {
        Some(ret) => read(ret).map_err(AxlError::Malformed),
        None => read(element).map_err(AxlError::Malformed),
    }
}

/// The rows of an `executeSQLQuery` answer (none for `<return/>`).
pub fn rows(version: &str, reply: &HttpsReply, sequence: u64) -> Result<Vec<Row>, AxlError> {
    answer(version, reply, Operation::Query, sequence, |ret| {
        Ok(soap::children(ret, "row")
            .map(|row| {
                row.children()
                    .filter(|c| c.is_element())
                    .map(|c| (c.tag_name().name().to_ascii_lowercase(), soap::text_of(c)))
                    .collect()
            })
            .collect())
    })
}

/// The `rowsUpdated` of an `executeSQLUpdate` answer.
pub fn rows_updated(version: &str, reply: &HttpsReply, sequence: u64) -> Result<u64, AxlError> {
    answer(version, reply, Operation::Update, sequence, |ret| {
        let n = soap::child_text(ret, "rowsUpdated").ok_or("no rowsUpdated in the answer")?;
        n.trim()
            .parse()
            .map_err(|_| format!("rowsUpdated {n:?} is not a count"))
    })
}

/// AXL's read throttle [AXLDG]: a fault "Maximum AXL Memory Allocation Consumed. Please retry
/// once requests in progress have completed" (axlcode -1). The write throttle is HTTP 503,
/// which the transport asks again by itself. "Query request too large" is not busy: the same
/// query would be refused again.
pub struct AxlBusy;

pub const MEMORY_THROTTLE: &str = "Maximum AXL Memory Allocation Consumed";

impl BusyAnswer for AxlBusy {
    fn is_busy(&self, reply: &HttpsReply) -> bool {
        reply.status == 500 && String::from_utf8_lossy(&reply.body).contains(MEMORY_THROTTLE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::HttpsReply;

    fn reply(status: u16, body: &str) -> HttpsReply {
        HttpsReply {
            status,
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_request_names_one_version_twice_and_escapes_the_sql() {
        let r = request(
            "12.5",
            Operation::Query,
            "SELECT name FROM t WHERE a = 'x<y'",
            7,
        );
        assert_eq!(r.path, "/axl/");
        let action = r.headers.iter().find(|(h, _)| *h == "SOAPAction").unwrap();
        assert_eq!(action.1, "\"CUCM:DB ver=12.5 executeSQLQuery\"");
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.contains("xmlns:ns=\"http://www.cisco.com/AXL/API/12.5\""));
        assert!(body.contains("<ns:executeSQLQuery sequence=\"7\"><sql>SELECT name FROM t WHERE a = &apos;x&lt;y&apos;</sql></ns:executeSQLQuery>"));
    }

    /// The response logged by the remote IM&P in TAC217581, byte for byte.
    const TAC217581: &str = "<?xml version='1.0' encoding='utf-8'?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ns:executeSQLQueryResponse sequence=\"1563080407841\" xmlns:ns=\"http://www.cisco.com/AXL/API/8.0\"><return><row><count>2</count></row></return></ns:executeSQLQueryResponse></soapenv:Body></soapenv:Envelope>";

    #[test]
    fn reads_the_rows_of_the_captured_answer() {
        let rows = rows("8.0", &reply(200, TAC217581), 1563080407841).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["count"], "2");
        let err = super::rows("8.0", &reply(200, TAC217581), 5).unwrap_err();
        assert!(err.to_string().contains("not 5"), "{err}");
    }

    #[test]
    fn an_empty_return_is_no_rows_and_empty_columns_are_empty_text() {
        let empty = "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ns:executeSQLQueryResponse xmlns:ns=\"http://www.cisco.com/AXL/API/12.5\"><return/></ns:executeSQLQueryResponse></soapenv:Body></soapenv:Envelope>";
        assert!(rows("12.5", &reply(200, empty), 1).unwrap().is_empty());
        let one = empty.replace(
            "<return/>",
            "<return><row><Name>a&amp;b</Name><x/></row></return>",
        );
        let r = rows("12.5", &reply(200, &one), 1).unwrap();
        assert_eq!(r[0]["name"], "a&b");
        assert_eq!(r[0]["x"], "");
    }

    #[test]
    fn reads_rows_updated() {
        let body = "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ns:executeSQLUpdateResponse sequence=\"3\" xmlns:ns=\"http://www.cisco.com/AXL/API/12.5\"><return><rowsUpdated>1</rowsUpdated></return></ns:executeSQLUpdateResponse></soapenv:Body></soapenv:Envelope>";
        assert_eq!(rows_updated("12.5", &reply(200, body), 3), Ok(1));
        assert!(
            rows("12.5", &reply(200, body), 3).is_err(),
            "not a query answer"
        );
    }

    #[test]
    fn faults_carry_the_informix_words() {
        let body = "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>Could not insert new row - duplicate value in a UNIQUE INDEX column (Unique Index:x).</faultstring><detail><axlError><axlcode>-239</axlcode><axlmessage>Could not insert new row - duplicate value in a UNIQUE INDEX column (Unique Index:x).</axlmessage><request>executeSQLUpdate</request></axlError></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>";
        let err = rows_updated("12.5", &reply(500, body), 1).unwrap_err();
        assert_eq!(err.code(), Some(-239));
        assert!(err.to_string().starts_with("Could not insert new row"));
    }

    #[test]
    fn other_statuses_keep_the_device_words() {
        assert!(matches!(
            rows("15.9", &reply(599, ""), 1),
            Err(AxlError::Version(v)) if v == "15.9"
        ));
        let e = rows(
            "12.5",
            &reply(404, "<html><body><h1>Not Found</h1>\n</body></html>"),
            1,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "HTTP 404: Not Found");
    }

    #[test]
    fn only_the_memory_fault_is_busy() {
        let busy = reply(
            500,
            "<x>Maximum AXL Memory Allocation Consumed. Please retry</x>",
        );
        assert!(AxlBusy.is_busy(&busy));
        assert!(!AxlBusy.is_busy(&reply(500, "Query request too large. Total rows matched")));
    }

    #[test]
    fn versions_are_major_dot_minor() {
        assert!(check_version("12.5").is_ok());
        assert!(check_version("8.0").is_ok());
        for bad in ["12", "12.5.1", "x.5", "12.", "1234.5"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }
}
