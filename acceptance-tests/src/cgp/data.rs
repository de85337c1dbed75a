//! The CommuniGate Pro text data format (cgp-interface.md §4, from CGP's "Data Formats" page
//! Data.html, S2, and the parsers of the official Perl client CLI.pm, S7, and of
//! rhruiz/pyCommuniGateCLI, S13): a parser for every object kind and the printer the simulator
//! answers with.
//!
//! Stored form, the simulator's choice: a settings dictionary is kept as an ordered list of
//! `key → raw value text`, the value exactly as the client wrote it (trimmed), so a value a client
//! sends comes back byte for byte and a client that re-quotes or reformats a value it does not own
//! is caught by the tests instead of being hidden by re-printing. The one normalisation is a
//! value written as adjacent quoted strings or data blocks (`"a" "b"`, `[..] [..]`): S7 `readWord`
//! joins them, so the server holds one string, and we store its canonical print. A real server
//! re-prints every value in its own canonical form (it stores objects, not text, S2: "it converts
//! the provided textual representation into an internal object"); for values in that form (what a
//! Get returns) both choices agree, which is the case a careful client relies on.

use std::fmt::Write as _;

use base64::Engine as _;

/// One parsed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// A string (atom or quoted, escapes resolved).
    Str(String),
    /// `[base64]`, decoded.
    Data(Vec<u8>),
    /// `#123`, `#-5` (S11 grammar also `#0x..`, kept as the text after `#`).
    Number(String),
    /// `#T22-10-2009[_15:24:45]`, `#TPAST`, `#TFUTURE`: the text after `#T`.
    Timestamp(String),
    /// `#I[10.0.44.55]:25`: the address and the optional port.
    Ip(String, Option<u16>),
    /// `#NULL#`.
    Null,
    Array(Vec<Object>),
    /// Keys in the order written.
    Dict(Vec<(String, Object)>),
    /// `<...>` XML object, kept as written (rarely used, S11).
    Xml(String),
}

/// Where and why a text is not a CGP object; the words go into the server's error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Which white space separates tokens: a single-line text (a CLI command, an INLINE reply) allows
/// only the space character, a multi-line one also tab, CR and LF (S2 v6.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Parses one whole object; anything but white space after it is an error.
pub fn parse(text: &str, lines: Lines) -> Result<Object, ParseError> {
    let mut p = Parser::new(text, lines);
    let o = p.object()?;
    p.ws();
    if p.pos < p.s.len() {
        return Err(p.err("unexpected text after the object"));
    }
    Ok(o)
}

/// Parses a dictionary into `key → raw value text` in the written order (see the module docs for
/// what "raw" keeps). A key given twice keeps its last value at its first place.
pub fn parse_stored_dict(text: &str, lines: Lines) -> Result<StoredDict, ParseError> {
    let mut p = Parser::new(text, lines);
    p.ws();
    p.expect(b'{', "a dictionary must start with '{'")?;
    let mut dict = StoredDict::default();
    loop {
        p.ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string("a dictionary key")?;
        p.ws();
        p.expect(b'=', "'=' expected after a dictionary key")?;
        p.ws();
        let start = p.pos;
        let joins = p.joins;
        let value = p.object()?;
        let raw = if p.joins != joins {
            print_compact(&value)
        } else {
            text[start..p.pos].to_string()
        };
        p.ws();
        p.expect(b';', "';' expected after a dictionary value")?;
        dict.set(&key, &raw);
    }
    p.ws();
    if p.pos < p.s.len() {
        return Err(p.err("unexpected text after the dictionary"));
    }
    Ok(dict)
}

/// A settings dictionary as the simulator stores it: ordered `key → raw value text`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredDict {
    entries: Vec<(String, String)>,
}

impl StoredDict {
    /// From `(key, raw value text)` pairs; each value must be a valid single-line object.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> StoredDict {
        let mut d = StoredDict::default();
        for (k, v) in pairs {
            debug_assert!(parse(v, Lines::Single).is_ok(), "seed value {v:?}");
            d.set(k, v);
        }
        d
    }

    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }

    /// The raw text of `key`'s value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` to a raw value text (in place when present, else at the end).
    pub fn set(&mut self, key: &str, raw: &str) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(e) => e.1 = raw.to_string(),
            None => self.entries.push((key.to_string(), raw.to_string())),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    /// The INLINE (one line) form: `{Key=value;Key2=value2;}`, compact like the live-server reply
    /// S12 records (`201 {MaxAccountSize=50M;Password=wakka;...}`, cgp-interface.md §5).
    pub fn print_inline(&self) -> String {
        let mut out = String::from("{");
        for (k, v) in &self.entries {
            let _ = write!(out, "{}={};", print_string(k), v);
        }
        out.push('}');
        out
    }

    /// The multi-line form after `200 data follow`: one key per line with one space of indent and
    /// ` = `, nested values on their line, as CGP's own settings files are laid out (S10
    /// `Main.settings`: ` AccountCacheSize = 100;`, ` ExternalAUTH = {Enabled=NO;LogLevel=3;};`).
    /// Lines end with CRLF (S1: the server ends lines with CRLF); the last has no line end (the
    /// caller ends it).
    pub fn print_multiline(&self) -> String {
        let mut out = String::from("{\r\n");
        for (k, v) in &self.entries {
            let _ = write!(out, " {} = {};\r\n", print_string(k), v);
        }
        out.push('}');
        out
    }
}

/// Whether the server prints `s` as an atom (unquoted). Data.html's rule is letters and digits
/// (S2); servers also leave `.`, `@` and an inner `-` unquoted (S10 `DomainName =
/// cpanel.communigate.com;`, `DefaultWebPage = default.html;`; S12 `phpunit@null.com`), and quote a
/// leading `-` (S10 `AGradeLimit = "-1";`) [LIKELY].
pub fn is_atom(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphanumeric() => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-'))
}

/// A string as the server prints it: an atom bare, anything else quoted with `\"`, `\\`, `\e` for
/// a line end, `\r`, `\t` and `\nnn` (3-digit decimal, S2) for other control characters.
pub fn print_string(s: &str) -> String {
    if is_atom(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\{:03}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An object in the one-line compact form (S12's INLINE shape: no spaces, `;` after every pair,
/// `,` between array elements).
pub fn print_compact(o: &Object) -> String {
    let mut out = String::new();
    write_compact(&mut out, o);
    out
}

fn write_compact(out: &mut String, o: &Object) {
    match o {
        Object::Str(s) => out.push_str(&print_string(s)),
        Object::Data(d) => {
            out.push('[');
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(d));
            out.push(']');
        }
        Object::Number(n) => {
            out.push('#');
            out.push_str(n);
        }
        Object::Timestamp(t) => {
            out.push_str("#T");
            out.push_str(t);
        }
        Object::Ip(a, port) => {
            let _ = write!(out, "#I[{a}]");
            if let Some(p) = port {
                let _ = write!(out, ":{p}");
            }
        }
        Object::Null => out.push_str("#NULL#"),
        Object::Array(items) => {
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(out, item);
            }
            out.push(')');
        }
        Object::Dict(pairs) => {
            out.push('{');
            for (k, v) in pairs {
                out.push_str(&print_string(k));
                out.push('=');
                write_compact(out, v);
                out.push(';');
            }
            out.push('}');
        }
        Object::Xml(x) => out.push_str(x),
    }
}

struct Parser<'a> {
    text: &'a str,
    s: &'a [u8],
    pos: usize,
    lines: Lines,
    /// Adjacent strings or data blocks joined so far (see [`parse_stored_dict`]).
    joins: usize,
    depth: usize,
}

/// Nesting deeper than this is refused, so a hostile line cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

impl<'a> Parser<'a> {
    fn new(text: &'a str, lines: Lines) -> Parser<'a> {
        Parser {
            text,
            s: text.as_bytes(),
            pos: 0,
            lines,
            joins: 0,
            depth: 0,
        }
    }

    fn err(&self, message: &str) -> ParseError {
        ParseError {
            offset: self.pos,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, b: u8, message: &str) -> Result<(), ParseError> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.err(message))
        }
    }

    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            let space = match self.lines {
                Lines::Single => c == b' ',
                Lines::Multi => matches!(c, b' ' | b'\t' | b'\r' | b'\n'),
            };
            if !space {
                break;
            }
            self.pos += 1;
        }
    }

    fn object(&mut self) -> Result<Object, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("objects nested too deep"));
        }
        let o = self.object_inner();
        self.depth -= 1;
        o
    }

    fn object_inner(&mut self) -> Result<Object, ParseError> {
        match self.peek() {
            None => Err(self.err("an object expected, the text ended")),
            Some(b'{') => self.dict(),
            Some(b'(') => self.array(),
            Some(b'[') => self.datablock(),
            Some(b'#') => self.hash(),
            Some(b'<') => self.xml(),
            Some(_) => Ok(Object::Str(self.string("an object")?)),
        }
    }

    fn dict(&mut self) -> Result<Object, ParseError> {
        self.pos += 1;
        let mut pairs: Vec<(String, Object)> = Vec::new();
        loop {
            self.ws();
            if self.eat(b'}') {
                return Ok(Object::Dict(pairs));
            }
            let key = self.string("a dictionary key")?;
            self.ws();
            self.expect(b'=', "'=' expected after a dictionary key")?;
            self.ws();
            let value = self.object()?;
            self.ws();
            // Every pair ends with ';' (S2, S7 readDictionary).
            self.expect(b';', "';' expected after a dictionary value")?;
            pairs.push((key, value));
        }
    }

    fn array(&mut self) -> Result<Object, ParseError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.eat(b')') {
            return Ok(Object::Array(items));
        }
        loop {
            self.ws();
            items.push(self.object()?);
            self.ws();
            if self.eat(b')') {
                return Ok(Object::Array(items));
            }
            self.expect(b',', "',' or ')' expected in an array")?;
        }
    }

    /// `[base64]`, adjacent blocks joined (S7 readWord).
    fn datablock(&mut self) -> Result<Object, ParseError> {
        let mut data = Vec::new();
        let mut first = true;
        loop {
            self.pos += 1;
            let start = self.pos;
            while let Some(c) = self.peek() {
                if c == b']' {
                    break;
                }
                self.pos += 1;
            }
            if self.peek() != Some(b']') {
                return Err(self.err("']' expected to end a data block"));
            }
            let b64: String = self.text[start..self.pos]
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.as_bytes())
                .map_err(|_| self.err("a data block is not base64"))?;
            data.extend(bytes);
            self.pos += 1;
            if !first {
                self.joins += 1;
            }
            first = false;
            let save = self.pos;
            self.ws();
            if self.peek() != Some(b'[') {
                self.pos = save;
                return Ok(Object::Data(data));
            }
        }
    }

    /// `#NULL#`, `#T...`, `#I[...]`, `#number` (S11 grammar, S13 tests).
    fn hash(&mut self) -> Result<Object, ParseError> {
        let rest = &self.text[self.pos..];
        if rest.starts_with("#NULL#") {
            self.pos += 6;
            return Ok(Object::Null);
        }
        if let Some(after) = rest.strip_prefix("#I[") {
            let Some(end) = after.find(']') else {
                return Err(self.err("']' expected to end an IP address"));
            };
            let addr = after[..end].to_string();
            if addr.parse::<std::net::IpAddr>().is_err() {
                return Err(self.err("not an IP address"));
            }
            self.pos += 3 + end + 1;
            let mut port = None;
            if self.peek() == Some(b':') {
                self.pos += 1;
                let digits = self.take_while(|c| c.is_ascii_digit());
                port = Some(
                    digits
                        .parse::<u16>()
                        .map_err(|_| self.err("not a port number"))?,
                );
            }
            return Ok(Object::Ip(addr, port));
        }
        if let Some(after) = rest.strip_prefix("#T") {
            for word in ["PAST", "FUTURE"] {
                if after.starts_with(word) {
                    self.pos += 2 + word.len();
                    return Ok(Object::Timestamp(word.to_string()));
                }
            }
            self.pos += 2;
            let t = self.take_while(|c| c.is_ascii_digit() || matches!(c, b'-' | b'_' | b':'));
            if !valid_timestamp(&t) {
                return Err(self.err("a timestamp must be #TDD-MM-YYYY[_HH:MM:SS]"));
            }
            return Ok(Object::Timestamp(t));
        }
        self.pos += 1;
        let n = self.take_while(|c| c.is_ascii_alphanumeric() || c == b'-');
        let digits = n.strip_prefix('-').unwrap_or(&n);
        let ok = if let Some(h) = digits.strip_prefix("0x") {
            !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit())
        } else {
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
        };
        if !ok {
            return Err(self.err("a number must be #[-]digits"));
        }
        Ok(Object::Number(n))
    }

    fn xml(&mut self) -> Result<Object, ParseError> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut in_quote: Option<u8> = None;
        let mut first_tag_done = false;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match (in_quote, c) {
                (Some(q), c) if c == q => in_quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => in_quote = Some(c),
                (None, b'<') => depth += 1,
                (None, b'>') => {
                    depth = depth.saturating_sub(1);
                    let text = &self.text[start..self.pos];
                    // `<a/>` ends at its first tag; `<a>..</a>` after its closing tag.
                    let self_closing = !first_tag_done && text.ends_with("/>");
                    if depth == 0 && (self_closing || closes_first_tag(text)) {
                        return Ok(Object::Xml(text.to_string()));
                    }
                    first_tag_done = true;
                }
                _ => {}
            }
        }
        Err(self.err("an XML object is not closed"))
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> String {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        self.text[start..self.pos].to_string()
    }

    /// An atom or one or more adjacent quoted strings (joined, S7 readWord).
    fn string(&mut self, what: &str) -> Result<String, ParseError> {
        if self.peek() != Some(b'"') {
            // Readers accept more than letters and digits in atoms (S7: `-.\w@!#%]:` and bytes
            // >= 0x80); the doc rule (S2) is letters and digits.
            let atom = self.take_while(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, b'-' | b'.' | b'_' | b'@' | b'!' | b'%' | b':')
                    || c >= 0x80
            });
            if atom.is_empty() {
                return Err(self.err(&format!("{what} expected")));
            }
            return Ok(atom);
        }
        let mut out = String::new();
        let mut first = true;
        loop {
            self.quoted(&mut out)?;
            if !first {
                self.joins += 1;
            }
            first = false;
            let save = self.pos;
            self.ws();
            if self.peek() != Some(b'"') {
                self.pos = save;
                return Ok(out);
            }
        }
    }

    /// One quoted string with Data.html's escapes (S2) and S11's `\u'hex'`.
    fn quoted(&mut self, out: &mut String) -> Result<(), ParseError> {
        self.pos += 1;
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("'\"' expected to end a quoted string"));
            };
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.err("an escape expected after '\\'"));
                    };
                    self.pos += 1;
                    match e {
                        b'"' => bytes.push(b'"'),
                        b'\\' => bytes.push(b'\\'),
                        b'r' => bytes.push(b'\r'),
                        b'n' | b'e' => bytes.push(b'\n'),
                        b't' => bytes.push(b'\t'),
                        b'0'..=b'9' => {
                            let digits = &self.text[self.pos - 1..];
                            let d = digits
                                .get(..3)
                                .filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
                            let Some(code) = d.and_then(|d| d.parse::<u8>().ok()) else {
                                return Err(self.err("'\\' must be followed by 3 decimal digits"));
                            };
                            self.pos += 2;
                            bytes.push(code);
                        }
                        b'u' if self.peek() == Some(b'\'') => {
                            self.pos += 1;
                            let hex = self.take_while(|c| c.is_ascii_hexdigit());
                            let ch = u32::from_str_radix(&hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.err("a bad \\u'..' escape"))?;
                            self.expect(b'\'', "'\\'' expected to end a \\u escape")?;
                            let mut buf = [0u8; 4];
                            bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.err("an unknown escape after '\\'")),
                    }
                }
                b'\r' | b'\n' => {
                    return Err(self.err("a line end inside a quoted string"));
                }
                c => bytes.push(c),
            }
        }
        out.push_str(&String::from_utf8_lossy(&bytes));
        Ok(())
    }
}

fn closes_first_tag(text: &str) -> bool {
    let name: String = text[1..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
        .collect();
    text.ends_with(&format!("</{name}>"))
}

/// `DD-MM-YYYY` with an optional `_HH:MM:SS` (S11 grammar, S13 tests).
fn valid_timestamp(t: &str) -> bool {
    let (date, time) = match t.split_once('_') {
        Some((d, tm)) => (d, Some(tm)),
        None => (t, None),
    };
    let shape = |s: &str, sep: char, widths: &[usize]| {
        let parts: Vec<&str> = s.split(sep).collect();
        parts.len() == widths.len()
            && parts
                .iter()
                .zip(widths)
                .all(|(p, w)| p.len() == *w && p.bytes().all(|b| b.is_ascii_digit()))
    };
    shape(date, '-', &[2, 2, 4]) && time.is_none_or(|tm| shape(tm, ':', &[2, 2, 2]))
}

#[cfg(test)]
#[path = "data_tests.rs"]
mod tests;
