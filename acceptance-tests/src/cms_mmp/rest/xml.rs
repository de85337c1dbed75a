//! The XML the CMS API answers with: `<?xml version="1.0"?>` then one element, no white space
//! between elements (the layout of the replies in Cisco TAC 212298's API trace), text and
//! attribute values escaped.
//!
//! An element with no content is written as a start and an end tag (`<sipDomain></sipDomain>`,
//! as TAC 212298 shows it); the failure reasons inside `failureDetails` are empty-element tags
//! with a space before the slash (`<callBridgeDoesNotExist />`, the API Reference's "Failure
//! reasons" examples as devices.md 1.3 quotes the pattern).

/// The first line of every XML reply.
pub const DECLARATION: &str = "<?xml version=\"1.0\"?>";

/// Text and attribute values are escaped by [`crate::xml_text::escape`]; the API refuses control
/// characters as input, so only a value set behind the API's back could hold one.
pub use crate::xml_text::escape;

/// An XML document being written, the declaration first.
pub struct Xml {
    text: String,
}

impl Default for Xml {
    fn default() -> Self {
        Xml::new()
    }
}

impl Xml {
    pub fn new() -> Xml {
        Xml {
            text: DECLARATION.to_string(),
        }
    }

    fn tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.text.push('<');
        self.text.push_str(name);
        for (attr, value) in attrs {
            self.text
                .push_str(&format!(" {attr}=\"{}\"", escape(value)));
        }
    }

    /// `<name attr="value"...>`.
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Xml {
        self.tag(name, attrs);
        self.text.push('>');
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Xml {
        self.text.push_str(&format!("</{name}>"));
        self
    }

    /// `<name>text</name>`.
    pub fn element(&mut self, name: &str, text: &str) -> &mut Xml {
        self.open(name, &[]);
        self.text.push_str(&escape(text));
        self.close(name)
    }

    /// `<name>text</name>` when there is a text; nothing otherwise.
    pub fn optional(&mut self, name: &str, text: Option<&str>) -> &mut Xml {
        if let Some(text) = text {
            self.element(name, text);
        }
        self
    }

    /// `<name attr="value" />`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Xml {
        self.tag(name, attrs);
        self.text.push_str(" />");
        self
    }

    /// The document's bytes.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.text).into_bytes()
    }
}

/// `true` / `false`, the API's booleans.
pub fn boolean(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_elements() {
        let mut x = Xml::new();
        x.open("callBridge", &[("id", "a\"b")])
            .element("name", "x&y")
            .element("sipDomain", "")
            .optional("address", None)
            .close("callBridge");
        assert_eq!(
            String::from_utf8(x.finish()).unwrap(),
            "<?xml version=\"1.0\"?><callBridge id=\"a&quot;b\"><name>x&amp;y</name>\
             <sipDomain></sipDomain></callBridge>"
        );
        let mut x = Xml::new();
        x.open("failureDetails", &[])
            .empty(
                "parameterError",
                &[("parameter", "n"), ("error", "unrecognised")],
            )
            .close("failureDetails");
        assert_eq!(
            String::from_utf8(x.finish()).unwrap(),
            "<?xml version=\"1.0\"?><failureDetails><parameterError parameter=\"n\" \
             error=\"unrecognised\" /></failureDetails>"
        );
    }
}
