//! Byte-for-byte editing of a settings dictionary: the provider changes only the keys it owns
//! and sends every other entry back exactly as the server wrote it (issue 13: "re-emitting
//! every other key exactly as read"; cgp-interface.md §7: keep each token's original text,
//! atom or quoted, and the key order).
//!
//! `Set*` commands replace the whole dictionary (S9 reads `GetNetwork`, changes two keys and
//! sends the whole dictionary back with `SetNetwork`), so what is sent must be everything read.

use super::data::{encode_into, encode_string, Form, ParseError, Parser, Value};
use std::ops::Range;

/// One entry of a dictionary and where it sits in the text it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEntry {
    pub key: String,
    pub value: Value,
    /// From the first byte of the key to the end of the value.
    pub key_span: Range<usize>,
    pub value_span: Range<usize>,
    /// From the end of the previous entry (or the `{`) to just after this entry's `;`: what
    /// goes when the entry is removed, its leading white space included.
    pub entry_span: Range<usize>,
}

/// A dictionary with every entry's source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawDict<'a> {
    pub text: &'a str,
    pub entries: Vec<RawEntry>,
    /// The offset of the closing `}`.
    pub close: usize,
}

impl<'a> RawDict<'a> {
    /// Reads a dictionary filling `text` (white space around it allowed).
    pub fn parse(text: &'a str) -> Result<RawDict<'a>, ParseError> {
        let mut p = Parser::new(text, Form::MultiLine);
        p.skip_ws();
        if p.peek() != Some(b'{') {
            return Err(p.error("a dictionary"));
        }
        let mut entries = Vec::new();
        let mut previous_end = p.pos + 1;
        p.dictionary_entries(|key, value, [key_start, value_start, value_end, end]| {
            entries.push(RawEntry {
                key,
                value,
                key_span: key_start..value_end,
                value_span: value_start..value_end,
                entry_span: previous_end..end,
            });
            previous_end = end;
        })?;
        let close = p.pos - 1;
        p.skip_ws();
        if p.pos != text.len() {
            return Err(p.error("the end of the text after the dictionary"));
        }
        Ok(RawDict {
            text,
            entries,
            close,
        })
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.value)
    }

    /// The value as a plain [`Value::Dictionary`].
    pub fn value(&self) -> Value {
        Value::Dictionary(
            self.entries
                .iter()
                .map(|e| (e.key.clone(), e.value.clone()))
                .collect(),
        )
    }
}

/// The text of `dict_text` with `changes` made: `(key, Some(value))` sets the key (its value
/// freshly encoded where the key was, or a new entry appended after the last one), `(key,
/// None)` removes it. Every other byte is copied as read, in its order. A key listed twice in
/// `changes` takes its last change. A key the text holds twice (CGP never writes that) gets
/// the change at every occurrence.
///
/// A new entry copies the last entry's layout (its leading white space and the text around
/// its `=`), so a one-line INLINE dictionary stays on one line.
pub fn edit(dict_text: &str, changes: &[(&str, Option<Value>)]) -> Result<String, ParseError> {
    let dict = RawDict::parse(dict_text)?;
    let change = |key: &str| {
        changes
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    };
    let mut out = String::with_capacity(dict_text.len() + 64);
    let mut copied = 0;
    for entry in &dict.entries {
        match change(&entry.key) {
            None => {}
            Some(None) => {
                out.push_str(&dict_text[copied..entry.entry_span.start]);
                copied = entry.entry_span.end;
            }
            Some(Some(value)) => {
                out.push_str(&dict_text[copied..entry.value_span.start]);
                encode_into(value, &mut out);
                copied = entry.value_span.end;
            }
        }
    }
    let last_end = dict.entries.last().map_or(dict.close, |e| e.entry_span.end);
    out.push_str(&dict_text[copied..last_end.max(copied)]);
    let (lead, around_eq) = match dict.entries.last() {
        Some(e) => {
            let lead_end = e.key_span.start;
            let key_text_end = key_end(dict_text, e);
            (
                &dict_text[e.entry_span.start..lead_end],
                &dict_text[key_text_end..e.value_span.start],
            )
        }
        None => ("", "="),
    };
    let mut added: Vec<&str> = Vec::new();
    for (key, _) in changes {
        if added.contains(key) || dict.entries.iter().any(|e| e.key == *key) {
            continue;
        }
        added.push(key);
        // The key's last change decides (it may be a removal: nothing to add).
        if let Some(Some(value)) = change(key) {
            out.push_str(lead);
            encode_string(key, &mut out);
            out.push_str(around_eq);
            encode_into(value, &mut out);
            out.push(';');
        }
    }
    out.push_str(&dict_text[last_end.max(copied)..]);
    Ok(out)
}

/// Where the key's own text ends (an atom's last byte or a quoted string's closing quote).
fn key_end(text: &str, entry: &RawEntry) -> usize {
    let from = entry.key_span.start;
    let region = &text[from..entry.value_span.start];
    // The `=` is the last one before the value (a quoted key may itself hold `=`).
    let eq = region.rfind('=').unwrap_or(region.len());
    from + region[..eq].trim_end_matches([' ', '\t', '\r', '\n']).len()
}
