//! The CommuniGate Pro text data format: the dictionaries, arrays and strings that CLI
//! commands take and return (cgp-interface.md §4).
//!
//! Sources, cited at each rule below:
//! - S2, CGP "Data Formats" (v5.1, v6.0): strings, escapes, data blocks, white space.
//! - S7, the official Perl client CLI.pm 2.8.3 (communigate/communigate-cpanel-adaptor,
//!   `library/CLI.pm`): `readWord`, `readArray`, `readDictionary`, `convertOutput`: what a
//!   client written by CommuniGate Systems accepts and sends.
//! - S11, the C# client's ANTLR grammar (webnames-ca/CGProCLIStandard, `CGProCLI.g4`), "based
//!   on" the MailSPEC "formal syntax rules" page: numbers, timestamps, IPs, null, `\u'..'`.
//! - S13, the Python client's parser tests (rhruiz/pyCommuniGateCLI,
//!   `test/cli_parse_cgp_test.py`).
//!
//! Pure: text in, values out. Byte-for-byte editing of dictionaries is in [`super::edit`].

use base64::Engine;
use std::fmt;

pub use super::encode::{encode, encode_into, encode_string, is_plain_atom};

/// One CGP object. Settings values are strings even when they look like numbers
/// (`LogLevel = 3;`, `AGradeLimit = "-1";`, S10), so most of what a settings dictionary holds
/// is [`Value::String`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An atom or a quoted string, decoded (escapes resolved, adjacent quoted parts joined).
    String(String),
    /// `[base64]`, decoded (adjacent blocks joined, S7 `readWord`).
    DataBlock(Vec<u8>),
    /// `#-12` (S11, S13); `#0x..`, `#0o..`, `#0b..` read too (S11), written in decimal.
    Number(i64),
    /// `#T<text>`: the text after `#T`, e.g. `22-10-2009_15:24:45`, `PAST`, `FUTURE` (S11, S13).
    Timestamp(String),
    /// `#I[address]` or `#I[address]:port` (S13: `#I[10.0.44.55]:25`, IPv6 inside brackets).
    Ip { address: String, port: Option<u16> },
    /// `#NULL#` (S11; S7 writes it for `undef`).
    Null,
    /// `(a, b, ...)`.
    Array(Vec<Value>),
    /// `{key = value; ...}`, in the order read.
    Dictionary(Vec<(String, Value)>),
    /// An object this codec keeps as its source text: XML (`<...>`, "rarely used", S11) and
    /// S7's "unknown data" `#(...)`, or any other `#` word. Written back as read.
    Raw(String),
}

impl Value {
    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A dictionary's value for `key` (the first, if a key were repeated).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dictionary(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
}

/// Where and why a text is not CGP data. `excerpt` is a few characters from `offset` on;
/// settings may hold secrets, so callers mask the message like any device output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub expected: &'static str,
    pub excerpt: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CommuniGate Pro data: expected {} at byte {}, found {:?}",
            self.expected, self.offset, self.excerpt
        )
    }
}

impl std::error::Error for ParseError {}

/// How many characters of the text an error shows.
const EXCERPT_CHARS: usize = 24;

/// Which white space separates tokens. S2 (v6.0): in single-line texts (a CLI command, an
/// INLINE reply) only the space character; in multi-line texts also tabs and line breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    SingleLine,
    MultiLine,
}

/// Parses one object filling all of `text` (white space around it allowed), in the
/// multi-line form (which accepts the single-line form too).
pub fn parse(text: &str) -> Result<Value, ParseError> {
    parse_form(text, Form::MultiLine)
}

/// Parses one object in the given form, filling all of `text`.
pub fn parse_form(text: &str, form: Form) -> Result<Value, ParseError> {
    let mut p = Parser::new(text, form);
    p.skip_ws();
    let value = p.value()?;
    p.skip_ws();
    if p.pos != text.len() {
        return Err(p.error("the end of the text"));
    }
    Ok(value)
}

/// The characters S7's `readWord` accepts inside an atom: `[-a-zA-Z0-9\x80-\xff_.@!#%\]:]`.
/// The doc's rule for writing an atom is narrower (letters and digits, [`is_plain_atom`]), but
/// servers emit e.g. `DomainName = cpanel.communigate.com;` and `MaxWebSize = 100M;` (S10), and
/// `phpunit@null.com` unquoted (S12).
fn is_atom_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || b >= 0x80
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'@' | b'!' | b'#' | b'%' | b']' | b':'
        )
}

pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    bytes: &'a [u8],
    pub(super) pos: usize,
    form: Form,
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str, form: Form) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            form,
        }
    }

    pub(super) fn error(&self, expected: &'static str) -> ParseError {
        let mut start = self.pos.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        ParseError {
            offset: self.pos,
            expected,
            excerpt: self.text[start..].chars().take(EXCERPT_CHARS).collect(),
        }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.bytes[self.pos..].starts_with(s.as_bytes())
    }

    fn is_ws(&self, b: u8) -> bool {
        match self.form {
            Form::SingleLine => b == b' ',
            Form::MultiLine => matches!(b, b' ' | b'\t' | b'\r' | b'\n'),
        }
    }

    pub(super) fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| self.is_ws(b)) {
            self.pos += 1;
        }
    }

    pub(super) fn expect(&mut self, b: u8, expected: &'static str) -> Result<(), ParseError> {
        match self.peek() == Some(b) {
            true => {
                self.pos += 1;
                Ok(())
            }
            false => Err(self.error(expected)),
        }
    }

    /// One object at the current position (no white space skipped before it).
    pub(super) fn value(&mut self) -> Result<Value, ParseError> {
        match self.peek() {
            Some(b'{') => self.dictionary(),
            Some(b'(') => self.array(),
            Some(b'[') => self.datablock(),
            Some(b'<') => self.xml(),
            Some(b'#') => self.hash_object(),
            Some(b'"') => self.quoted().map(Value::String),
            Some(b) if is_atom_byte(b) => Ok(Value::String(self.atom().to_string())),
            _ => Err(self.error("an object")),
        }
    }

    /// A dictionary key or string: an atom or (adjacent) quoted strings.
    pub(super) fn string(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b) if is_atom_byte(b) && b != b'#' => Ok(self.atom().to_string()),
            _ => Err(self.error("a string")),
        }
    }

    fn atom(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_atom_byte) {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    /// `"..."`, then any further quoted strings after white space, joined (S7 `readWord`:
    /// after a closing quote it skips spaces and continues at another `"`).
    fn quoted(&mut self) -> Result<String, ParseError> {
        let mut out = Vec::new();
        loop {
            self.expect(b'"', "a quoted string")?;
            self.quoted_body(&mut out)?;
            let after = self.pos;
            self.skip_ws();
            if self.peek() != Some(b'"') {
                self.pos = after;
                break;
            }
        }
        // The escapes are byte codes (S2: `\nnn`), so the bytes are decoded once at the end.
        Ok(match String::from_utf8(out) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The characters of one quoted string up to and including its closing quote.
    fn quoted_body(&mut self, out: &mut Vec<u8>) -> Result<(), ParseError> {
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error("the closing quote"));
            };
            self.pos += 1;
            match b {
                b'"' => return Ok(()),
                b'\\' => self.escape(out)?,
                _ => out.push(b),
            }
        }
    }

    /// After a backslash. S2: `\"`, `\\`, `\r`, `\n`, `\e` (the system-independent end of
    /// line), `\t`, `\nnn` (a decimal byte code); S11 adds `\u'hex'`. Any other character
    /// after a backslash is kept with its backslash, as S7's `readWord` does.
    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), ParseError> {
        let Some(b) = self.peek() else {
            return Err(self.error("an escape after the backslash"));
        };
        let digits = &self.bytes[self.pos..];
        if digits.len() >= 3 && digits[..3].iter().all(u8::is_ascii_digit) {
            let code = digits[..3]
                .iter()
                .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
            let code = u8::try_from(code).map_err(|_| self.error("a byte code \\000 to \\255"))?;
            out.push(code);
            self.pos += 3;
            return Ok(());
        }
        if b == b'u' && self.bytes.get(self.pos + 1) == Some(&b'\'') {
            let start = self.pos + 2;
            let len = self.bytes[start..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            if len == 0 || self.bytes.get(start + len) != Some(&b'\'') {
                return Err(self.error("\\u'hex'"));
            }
            let ch = u32::from_str_radix(&self.text[start..start + len], 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| self.error("a Unicode code point in \\u'hex'"))?;
            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
            self.pos = start + len + 1;
            return Ok(());
        }
        self.pos += 1;
        match b {
            b'"' => out.push(b'"'),
            b'\\' => out.push(b'\\'),
            b'r' => out.push(b'\r'),
            b'n' | b'e' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
        Ok(())
    }

    /// `[base64]`, adjacent blocks joined (S7 `readWord`). Line breaks inside a block of a
    /// multi-line text are not part of the data.
    fn datablock(&mut self) -> Result<Value, ParseError> {
        let mut encoded = String::new();
        loop {
            self.expect(b'[', "a data block")?;
            let start = self.pos;
            let Some(len) = self.bytes[start..].iter().position(|&b| b == b']') else {
                return Err(self.error("the closing ] of the data block"));
            };
            encoded.extend(
                self.text[start..start + len]
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace()),
            );
            self.pos = start + len + 1;
            let after = self.pos;
            self.skip_ws();
            if self.peek() != Some(b'[') {
                self.pos = after;
                break;
            }
        }
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .map(Value::DataBlock)
            .map_err(|_| self.error("base64 inside the data block"))
    }

    /// `#NULL#`, `#T...`, `#I[...]`, `#number`, else a `#` word kept as read (S7 reads `#(...)`
    /// as "unknown data" and other `#` words as atoms).
    fn hash_object(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        if self.starts_with("#NULL#") {
            self.pos += 6;
            return Ok(Value::Null);
        }
        if self.starts_with("#I[") {
            self.pos += 3;
            let Some(len) = self.bytes[self.pos..].iter().position(|&b| b == b']') else {
                return Err(self.error("the closing ] of the IP address"));
            };
            let address = self.text[self.pos..self.pos + len].to_string();
            if address.is_empty()
                || !address
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
            {
                return Err(self.error("an IP address inside #I[...]"));
            }
            self.pos += len + 1;
            let mut port = None;
            if self.peek() == Some(b':') {
                self.pos += 1;
                let digits = self.bytes[self.pos..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                port = Some(
                    self.text[self.pos..self.pos + digits]
                        .parse::<u16>()
                        .map_err(|_| self.error("a port number after #I[...]:"))?,
                );
                self.pos += digits;
            }
            return Ok(Value::Ip { address, port });
        }
        if self.starts_with("#(") {
            let Some(len) = self.bytes[self.pos..].iter().position(|&b| b == b')') else {
                return Err(self.error("the closing ) of #(...)"));
            };
            self.pos += len + 1;
            return Ok(Value::Raw(self.text[start..self.pos].to_string()));
        }
        self.pos += 1;
        let word = self.atom();
        if let Some(stamp) = word.strip_prefix('T') {
            if is_timestamp(stamp) {
                return Ok(Value::Timestamp(stamp.to_string()));
            }
        }
        if let Some(n) = number(word) {
            return Ok(Value::Number(n));
        }
        if word.is_empty() {
            self.pos = start;
            return Err(self.error("an object after #"));
        }
        Ok(Value::Raw(self.text[start..self.pos].to_string()))
    }

    fn array(&mut self) -> Result<Value, ParseError> {
        self.expect(b'(', "an array")?;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(b')') {
                self.pos += 1;
                return Ok(Value::Array(items));
            }
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {}
                _ => return Err(self.error("',' or ')' in the array")),
            }
        }
    }

    fn dictionary(&mut self) -> Result<Value, ParseError> {
        let mut entries = Vec::new();
        self.dictionary_entries(|key, value, _| entries.push((key, value)))?;
        Ok(Value::Dictionary(entries))
    }

    /// `{ key = value; ... }`: every pair ends with `;` (S2; S7 `readDictionary` refuses a
    /// missing `;`). Calls `each` with each entry and its spans (key start, value start,
    /// value end, end after the `;`).
    pub(super) fn dictionary_entries(
        &mut self,
        mut each: impl FnMut(String, Value, [usize; 4]),
    ) -> Result<(), ParseError> {
        self.expect(b'{', "a dictionary")?;
        loop {
            self.skip_ws();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(());
            }
            let key_start = self.pos;
            let key = self.string()?;
            self.skip_ws();
            self.expect(b'=', "'=' after the dictionary key")?;
            self.skip_ws();
            let value_start = self.pos;
            let value = self.value()?;
            let value_end = self.pos;
            self.skip_ws();
            self.expect(b';', "';' after the dictionary value")?;
            each(key, value, [key_start, value_start, value_end, self.pos]);
        }
    }

    /// An XML object kept as text: from `<` to the end of its outermost element (S7
    /// `readXML`: nested elements, `<.../>`, and `<?`/`<!` that open nothing).
    fn xml(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        let mut depth = 0usize;
        loop {
            let Some(open) = self.bytes[self.pos..].iter().position(|&b| b == b'<') else {
                return Err(self.error("the end of the XML element"));
            };
            let tag_start = self.pos + open;
            let Some(close) = self.bytes[tag_start..].iter().position(|&b| b == b'>') else {
                self.pos = tag_start;
                return Err(self.error("'>' closing the XML tag"));
            };
            let tag = &self.bytes[tag_start..tag_start + close + 1];
            self.pos = tag_start + close + 1;
            if tag.starts_with(b"</") {
                depth = depth.saturating_sub(1);
            } else if !(tag.ends_with(b"/>") || tag.starts_with(b"<?") || tag.starts_with(b"<!")) {
                depth += 1;
            }
            if depth == 0 {
                return Ok(Value::Raw(self.text[start..self.pos].to_string()));
            }
        }
    }
}

/// `DD-MM-YYYY[_HH:MM:SS]`, `PAST`, `FUTURE` (S11's CLITimeStamp; S13 `#T22-10-2009`,
/// `#T22-10-2009_15:24:45`; S10 `#T07-11-2011_16:53:05`).
fn is_timestamp(s: &str) -> bool {
    if s == "PAST" || s == "FUTURE" {
        return true;
    }
    let (date, time) = match s.split_once('_') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let digits = |part: &str, sep: char| {
        let parts: Vec<&str> = part.split(sep).collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    digits(date, '-') && time.is_none_or(|t| digits(t, ':'))
}

/// `-?digits`, or S11's `0x..`, `0o..`, `0b..`.
fn number(word: &str) -> Option<i64> {
    let (negative, digits) = match word.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let (radix, digits) = match digits.get(..2) {
        Some("0x") => (16, &digits[2..]),
        Some("0o") => (8, &digits[2..]),
        Some("0b") => (2, &digits[2..]),
        _ => (10, digits),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = i64::from_str_radix(digits, radix).ok()?;
    Some(if negative { -n } else { n })
}
