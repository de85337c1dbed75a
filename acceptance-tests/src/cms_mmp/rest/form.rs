//! The body of a POST or PUT: `application/x-www-form-urlencoded` (devices.md 1.3: the API takes
//! form parameters; the seed's "set the correct encoding" in Postman), decoded as the WHATWG URL
//! standard's `application/x-www-form-urlencoded` parser does: pairs split at `&`, name and value
//! at the first `=`, `+` is a space, `%XX` a byte. Works on bytes, so any body is read without a
//! panic.
//!
//! Stricter than a browser [simulator choice]: a `%` not followed by two hex digits, or a value
//! whose bytes are not UTF-8, is a bad value (the API answers `invalidValue` for that parameter)
//! rather than being passed through or replaced.

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// The parameter's name is not UTF-8 text (shown lossily): no parameter has that name.
    BadName(String),
    /// The value of this parameter is a bad escape or not UTF-8.
    BadValue(String),
}

/// `+` to space, `%XX` to its byte; `None` on a bad escape.
fn decode(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// The parameters in body order (a name given twice is there twice).
pub fn parse(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let mut out = Vec::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let name = match decode(name).map(String::from_utf8) {
            Some(Ok(name)) => name,
            _ => {
                return Err(FormError::BadName(
                    String::from_utf8_lossy(name).into_owned(),
                ))
            }
        };
        let Some(Ok(value)) = decode(value).map(String::from_utf8) else {
            return Err(FormError::BadValue(name));
        };
        out.push((name, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn decodes_plus_escapes_and_empty_values() {
        assert_eq!(
            parse(b"name=a+b%26c%3D&address=https%3A%2F%2F10.0.0.2%3A445&sipDomain=&flag"),
            Ok(pairs(&[
                ("name", "a b&c="),
                ("address", "https://10.0.0.2:445"),
                ("sipDomain", ""),
                ("flag", "")
            ]))
        );
        assert_eq!(parse(b""), Ok(vec![]));
        assert_eq!(parse(b"&&a=1&"), Ok(pairs(&[("a", "1")])));
        assert_eq!(parse(b"a=%C3%A9%2b"), Ok(pairs(&[("a", "é+")])));
        assert_eq!(parse(b"a=x=y"), Ok(pairs(&[("a", "x=y")])));
    }

    #[test]
    fn bad_bytes_are_errors_not_panics() {
        assert_eq!(parse(b"a=%ff"), Err(FormError::BadValue("a".into())));
        assert_eq!(parse(b"a=\xff"), Err(FormError::BadValue("a".into())));
        assert_eq!(parse(b"a=%4"), Err(FormError::BadValue("a".into())));
        assert_eq!(parse(b"a=%+1"), Err(FormError::BadValue("a".into())));
        assert_eq!(parse(b"a=%\xc3\xa9"), Err(FormError::BadValue("a".into())));
        assert_eq!(
            parse(b"%ffname=1"),
            Err(FormError::BadName("%ffname".into()))
        );
        assert_eq!(
            parse(b"\xffn=1"),
            Err(FormError::BadName("\u{fffd}n".into()))
        );
    }
}
