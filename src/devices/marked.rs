//! Named regions of a text file that uccluster owns: a `BEGIN <name>` line, the region's lines,
//! an `END <name>` line, every other byte of the file kept exactly as it was.
//!
//! Vendor-neutral: HAProxy's `haproxy.cfg` (`devices/lb/haproxy/config.rs`) and keepalived's
//! `keepalived.conf` (`devices/lb/keepalived`) use it; `devices/xop/my_cnf.rs` has one unnamed
//! region and could move onto it. Line based: a marker is a whole line (surrounding blanks and
//! a CR before the LF ignored), so a marker quoted inside another line is not one. The file's
//! structure is checked as a whole: a region that is not closed, closed under another name,
//! nested in another, or present twice is an error naming its line, and nothing is spliced
//! into a file whose regions cannot be told apart.

/// The first words of a region's first and last line; the region's name follows after a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Markers {
    pub begin: &'static str,
    pub end: &'static str,
}

impl Markers {
    pub fn begin_line(&self, name: &str) -> String {
        format!("{} {name}", self.begin)
    }

    pub fn end_line(&self, name: &str) -> String {
        format!("{} {name}", self.end)
    }
}

/// One region as the file has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    /// 1-based line numbers of the BEGIN and END lines.
    pub begin_line: usize,
    pub end_line: usize,
    /// Byte range in the file: from the start of the BEGIN line to the end of the END line,
    /// its line break included.
    pub start: usize,
    pub end: usize,
    /// The lines strictly between the markers: (1-based line number, text without its line break).
    pub body: Vec<(usize, String)>,
}

impl Region {
    /// The region with its markers as `markers` writes them and `\n` line breaks: what a
    /// renderer's text is compared with (blanks around a marker and a CRLF file's CRs do not
    /// count as edits).
    pub fn text(&self, markers: &Markers) -> String {
        let mut text = markers.begin_line(&self.name);
        text.push('\n');
        for (_, line) in &self.body {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&markers.end_line(&self.name));
        text.push('\n');
        text
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Marker<'a> {
    Begin(&'a str),
    End(&'a str),
}

/// A line without its line break (LF, or CRLF).
fn content(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

fn marker<'a>(
    markers: &Markers,
    line: &'a str,
    number: usize,
) -> Result<Option<Marker<'a>>, String> {
    let text = content(line).trim();
    for (prefix, make) in [
        (markers.begin, Marker::Begin as fn(&'a str) -> Marker<'a>),
        (markers.end, Marker::End),
    ] {
        let Some(rest) = text.strip_prefix(prefix) else {
            continue;
        };
        if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
            continue; // another word that starts like the marker
        }
        let name = rest.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!(
                "line {number}: {text:?} is a uccluster marker without a one-word name"
            ));
        }
        return Ok(Some(make(name)));
    }
    Ok(None)
}

/// Every region of `text`, in file order; an error names the line that breaks the structure.
pub fn regions(text: &str, markers: &Markers) -> Result<Vec<Region>, String> {
    let mut found: Vec<Region> = Vec::new();
    let mut open: Option<Region> = None;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let number = i + 1;
        let at = offset;
        offset += line.len();
        match (marker(markers, line, number)?, open.as_mut()) {
            (Some(Marker::Begin(name)), None) => {
                if let Some(first) = found.iter().find(|r| r.name == name) {
                    return Err(format!(
                        "line {number}: a second `{}` (the first is on line {})",
                        markers.begin_line(name),
                        first.begin_line
                    ));
                }
                open = Some(Region {
                    name: name.to_string(),
                    begin_line: number,
                    end_line: 0,
                    start: at,
                    end: 0,
                    body: Vec::new(),
                });
            }
            (Some(Marker::Begin(name)), Some(region)) => {
                return Err(format!(
                    "line {number}: `{}` inside the region `{}` opened on line {}, which has no `{}` before it",
                    markers.begin_line(name),
                    region.name,
                    region.begin_line,
                    markers.end_line(&region.name)
                ))
            }
            (Some(Marker::End(name)), Some(region)) if name == region.name => {
                region.end_line = number;
                region.end = offset;
                found.extend(open.take());
            }
            (Some(Marker::End(name)), Some(region)) => {
                return Err(format!(
                    "line {number}: `{}` closes the region `{}` opened on line {}",
                    markers.end_line(name),
                    region.name,
                    region.begin_line
                ))
            }
            (Some(Marker::End(name)), None) => {
                return Err(format!(
                    "line {number}: `{}` without its `{}`",
                    markers.end_line(name),
                    markers.begin_line(name)
                ))
            }
            (None, Some(region)) => region.body.push((number, content(line).to_string())),
            (None, None) => {}
        }
    }
    match open {
        Some(region) => Err(format!(
            "line {}: `{}` has no `{}` after it",
            region.begin_line,
            markers.begin_line(&region.name),
            markers.end_line(&region.name)
        )),
        None => Ok(found),
    }
}

/// The line break the file uses (CRLF when its first line ends with one).
fn line_break(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// `text` with the region `name` replaced by `region` (a region's text with LF line breaks,
/// written with the file's own line breaks), appended at the end after a blank line when there
/// is none, or removed (`None`) with the blank line directly before it (the one appending
/// wrote). Every other byte is kept; a file that does not end with a line break gets one before
/// an appended region.
pub fn splice(
    text: &str,
    markers: &Markers,
    name: &str,
    region: Option<&str>,
) -> Result<String, String> {
    let existing = regions(text, markers)?;
    let eol = line_break(text);
    let replacement = match region {
        Some(r) => {
            check_region_text(r, markers, name)?;
            Some(match eol {
                "\n" => r.to_string(),
                _ => r.replace('\n', eol),
            })
        }
        None => None,
    };
    let current = existing.iter().find(|r| r.name == name);
    Ok(match (current, replacement) {
        (Some(r), Some(new)) => format!("{}{new}{}", &text[..r.start], &text[r.end..]),
        (Some(r), None) => {
            let before = &text[..r.start];
            let before = before
                .strip_suffix(eol)
                .filter(|b| b.is_empty() || b.ends_with('\n'))
                .unwrap_or(before);
            format!("{before}{}", &text[r.end..])
        }
        (None, Some(new)) if text.is_empty() => new,
        (None, Some(new)) if text.ends_with('\n') => format!("{text}{eol}{new}"),
        (None, Some(new)) => format!("{text}{eol}{eol}{new}"),
        (None, None) => text.to_string(),
    })
}

/// `region` must be exactly one region named `name`, ending with its line break.
fn check_region_text(region: &str, markers: &Markers, name: &str) -> Result<(), String> {
    let found = regions(region, markers)?;
    let whole = !region.contains('\r')
        && found.len() == 1
        && found[0].name == name
        && found[0].start == 0
        && found[0].end == region.len()
        && region.ends_with('\n');
    match whole {
        true => Ok(()),
        false => Err(format!(
            "refusing to splice: the text is not exactly one region from `{}` to `{}`",
            markers.begin_line(name),
            markers.end_line(name)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Markers = Markers {
        begin: "# BEGIN x",
        end: "# END x",
    };

    fn region(name: &str, body: &str) -> String {
        format!("# BEGIN x {name}\n{body}# END x {name}\n")
    }

    #[test]
    fn replace_append_remove_keep_every_other_byte() {
        let file = "a\n  b \n\n# comment\n";
        let one = splice(file, &M, "one", Some(&region("one", "1\n"))).unwrap();
        assert_eq!(one, format!("{file}\n{}", region("one", "1\n")));
        let two = splice(&one, &M, "two", Some(&region("two", "2\n"))).unwrap();
        let changed = splice(&two, &M, "one", Some(&region("one", "1b\n1c\n"))).unwrap();
        assert_eq!(
            changed,
            format!(
                "{file}\n{}\n{}",
                region("one", "1b\n1c\n"),
                region("two", "2\n")
            )
        );
        assert_eq!(
            splice(&changed, &M, "one", None).unwrap(),
            format!("{file}\n{}", region("two", "2\n"))
        );
        let none = splice(&splice(&changed, &M, "one", None).unwrap(), &M, "two", None).unwrap();
        assert_eq!(none, file);
        assert_eq!(splice(file, &M, "absent", None).unwrap(), file);
        assert_eq!(
            splice("", &M, "one", Some(&region("one", ""))).unwrap(),
            region("one", "")
        );
    }

    #[test]
    fn a_file_without_a_final_line_break_and_a_crlf_file() {
        let appended = splice("a\nb", &M, "one", Some(&region("one", "1\n"))).unwrap();
        assert_eq!(appended, format!("a\nb\n\n{}", region("one", "1\n")));
        assert_eq!(splice(&appended, &M, "one", None).unwrap(), "a\nb\n");
        // A region last in a file that lost its final line break.
        let cut = appended.strip_suffix('\n').unwrap();
        let replaced = splice(cut, &M, "one", Some(&region("one", "2\n"))).unwrap();
        assert_eq!(replaced, format!("a\nb\n\n{}", region("one", "2\n")));

        let crlf = "global\r\n    x\r\n";
        let with = splice(crlf, &M, "one", Some(&region("one", "1\n"))).unwrap();
        assert_eq!(
            with,
            "global\r\n    x\r\n\r\n# BEGIN x one\r\n1\r\n# END x one\r\n"
        );
        let r = &regions(&with, &M).unwrap()[0];
        assert_eq!((r.begin_line, r.end_line), (4, 6));
        assert_eq!(r.body, vec![(5, "1".to_string())]);
        assert_eq!(splice(&with, &M, "one", None).unwrap(), crlf);
    }

    #[test]
    fn broken_structure_is_an_error_naming_the_line() {
        let cases = [
            (
                "a\n# BEGIN x one\nb\n",
                "line 2: `# BEGIN x one` has no `# END x one`",
            ),
            (
                "# END x one\n",
                "line 1: `# END x one` without its `# BEGIN x one`",
            ),
            (
                "# BEGIN x one\n# BEGIN x two\n# END x two\n# END x one\n",
                "line 2: `# BEGIN x two` inside the region `one` opened on line 1",
            ),
            (
                "# BEGIN x one\n# END x two\n",
                "line 2: `# END x two` closes the region `one`",
            ),
            (
                "# BEGIN x one\n# END x one\n\n# BEGIN x one\n# END x one\n",
                "line 4: a second `# BEGIN x one` (the first is on line 1)",
            ),
            (
                "# BEGIN x\n",
                "line 1: \"# BEGIN x\" is a uccluster marker without a one-word name",
            ),
            ("# BEGIN x a b\n", "line 1:"),
        ];
        for (text, error) in cases {
            let e = regions(text, &M).unwrap_err();
            assert!(e.starts_with(error), "{text:?}: {e}");
            assert_eq!(
                splice(text, &M, "one", Some(&region("one", ""))).unwrap_err(),
                e
            );
        }
        // Words that only start like a marker are not markers.
        assert_eq!(
            regions("# BEGIN xy one\n# END xylophone\n", &M).unwrap(),
            vec![]
        );
    }

    #[test]
    fn the_spliced_text_must_be_one_region_of_that_name() {
        for bad in [
            region("two", ""),
            format!("{}x\n", region("one", "")),
            region("one", "").trim_end().to_string(),
            format!("{}{}", region("one", ""), region("one", "")),
            "# BEGIN x one\n".into(),
        ] {
            let e = splice("a\n", &M, "one", Some(&bad)).unwrap_err();
            assert!(
                e.starts_with("refusing to splice") || e.starts_with("line "),
                "{bad:?}: {e}"
            );
        }
    }
}
