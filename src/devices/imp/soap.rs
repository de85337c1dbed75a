//! SOAP 1.1 envelopes and replies, shared by AXL and ControlCenterServices.
//!
//! Replies are read by local name: Cisco's services answer with qualified or unqualified
//! children depending on the release (imp-interface.md §4, §5), so a namespace prefix never
//! decides what an element is.

use roxmltree::{Document, Node};

pub const ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// `text` safe inside an element or a double-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// An envelope whose body is `body`, with the service's namespace bound to `prefix`.
pub fn envelope(prefix: &str, namespace: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"{ENVELOPE_NS}\" xmlns:{prefix}=\"{}\">\
         <soapenv:Header/><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>",
        escape(namespace)
    )
}

/// A SOAP fault, in the device's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// `soapenv:Client` or `soapenv:Server`.
    pub code: String,
    pub string: String,
    /// AXL's `detail/axlError`: `axlcode`, `axlmessage`, `request` ([AXLDG]).
    pub axl: Option<AxlError>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxlError {
    pub code: Option<i64>,
    pub message: String,
    pub request: String,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.axl {
            Some(AxlError { code, message, .. }) if !message.is_empty() => match code {
                Some(code) => write!(f, "{message} (axlcode {code})"),
                None => write!(f, "{message}"),
            },
            _ if self.string.is_empty() => write!(f, "SOAP fault {}", self.code),
            _ => write!(f, "{}", self.string),
        }
    }
}

/// What a reply body is, once parsed.
pub enum Body<'a, 'input> {
    /// The body's first element.
    Element(Node<'a, 'input>),
    Fault(Fault),
}

/// The first child element named `name` (by local name).
pub fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// Every child element named `name`.
pub fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The text of an element (its text children joined; empty for `<x/>`).
pub fn text_of(node: Node<'_, '_>) -> String {
    node.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect()
}

/// The text of the child `name`, if there is one.
pub fn child_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).map(text_of)
}

/// Parses a reply body (a document whose root is `Envelope`).
pub fn parse(body: &str) -> Result<Document<'_>, String> {
    let doc = Document::parse(body).map_err(|e| format!("the reply is not XML: {e}"))?;
    if doc.root_element().tag_name().name() != "Envelope" {
        return Err(format!(
            "the reply is not a SOAP envelope (its root is <{}>)",
            doc.root_element().tag_name().name()
        ));
    }
    Ok(doc)
}

/// The body's first element, or the fault it carries.
pub fn body<'a, 'i>(doc: &'a Document<'i>) -> Result<Body<'a, 'i>, String> {
    let body = child(doc.root_element(), "Body").ok_or("the SOAP envelope has no Body")?;
    let first = body
        .children()
        .find(|c| c.is_element())
        .ok_or("the SOAP Body is empty")?;
    if first.tag_name().name() != "Fault" {
        return Ok(Body::Element(first));
    }
    let axl = child(first, "detail")
        .and_then(|d| child(d, "axlError"))
        .map(|e| AxlError {
            code: child_text(e, "axlcode").and_then(|c| c.trim().parse().ok()),
            message: child_text(e, "axlmessage").unwrap_or_default(),
            request: child_text(e, "request").unwrap_or_default(),
        });
    Ok(Body::Fault(Fault {
        code: child_text(first, "faultcode").unwrap_or_default(),
        string: child_text(first, "faultstring").unwrap_or_default(),
        axl,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
    }

    #[test]
    fn reads_a_fault_with_a_qualified_axl_error() {
        let body = r#"<?xml version='1.0' encoding='utf-8'?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>Maximum AXL Memory Allocation Consumed. Please retry once requests in progress have completed</faultstring><detail><ns2:axlError xmlns:ns2="http://www.cisco.com/AXL/API/11.5"><axlcode>-1</axlcode><axlmessage>Maximum AXL Memory Allocation Consumed. Please retry once requests in progress have completed</axlmessage><request>executeSQLQuery</request></ns2:axlError></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
        let doc = parse(body).unwrap();
        let Body::Fault(fault) = body_of(&doc) else {
            panic!("a fault")
        };
        assert_eq!(fault.code, "soapenv:Server");
        let axl = fault.axl.clone().unwrap();
        assert_eq!(axl.code, Some(-1));
        assert_eq!(axl.request, "executeSQLQuery");
        assert!(fault.to_string().ends_with("(axlcode -1)"));
    }

    fn body_of<'a, 'i>(doc: &'a Document<'i>) -> Body<'a, 'i> {
        body(doc).unwrap()
    }

    #[test]
    fn refuses_what_is_not_an_envelope() {
        assert!(parse("<html><body>Unauthorized</body></html>")
            .err()
            .unwrap()
            .contains("<html>"));
        assert!(parse("not xml").is_err());
    }
}
