//! The command line of `uccluster-lab`: one `--<family> N` flag per device family of the
//! registry (`--cms-nodes N`, `--xop-servers N`: the family's spec key with dashes), plus
//! `--spec spec.json`, `--out DIR` and `--stop-on-stdin-eof`. Values go after a space or an
//! `=`.

use std::path::PathBuf;

use anyhow::{bail, Context};

use crate::device::Family;
use crate::lab::LabSpec;

/// What the command line asks for.
pub struct LabArgs {
    /// `N` of each family flag given, in command-line order.
    pub counts: Vec<(&'static Family, usize)>,
    pub spec: Option<PathBuf>,
    pub out: PathBuf,
    pub stop_on_stdin_eof: bool,
}

/// A parsed command line.
pub enum Command {
    Run(LabArgs),
    /// `-h` / `--help`: print [`usage`].
    Help,
}

/// The usage text, one line per family flag.
pub fn usage(families: &[Family]) -> String {
    let flags: String = families
        .iter()
        .map(|f| format!("[{} N] ", f.flag()))
        .collect();
    let mut text = format!(
        "usage: uccluster-lab {flags}[--spec spec.json] [--out DIR] [--stop-on-stdin-eof]\n"
    );
    for f in families {
        text += &format!("  {} N: N {}\n", f.flag(), f.description);
    }
    text
}

/// Parses the arguments (without the program name).
pub fn parse(
    families: &'static [Family],
    args: impl IntoIterator<Item = String>,
) -> anyhow::Result<Command> {
    let mut parsed = LabArgs {
        counts: Vec::new(),
        spec: None,
        out: PathBuf::from("lab-out"),
        stop_on_stdin_eof: false,
    };
    let usage = usage(families);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = || -> anyhow::Result<String> {
            match inline.clone().or_else(|| it.next()) {
                Some(v) => Ok(v),
                None => bail!("{flag} needs a value\n{usage}"),
            }
        };
        match flag.as_str() {
            "--spec" => parsed.spec = Some(PathBuf::from(value()?)),
            "--out" => parsed.out = PathBuf::from(value()?),
            "--stop-on-stdin-eof" => parsed.stop_on_stdin_eof = true,
            "-h" | "--help" => return Ok(Command::Help),
            other => {
                let Some(family) = families.iter().find(|f| f.flag() == other) else {
                    bail!("unknown argument {other:?}\n{usage}");
                };
                let v = value()?;
                let n = v.parse().with_context(|| format!("{other} {v:?}"))?;
                parsed.counts.retain(|(f, _)| f.key != family.key);
                parsed.counts.push((family, n));
            }
        }
    }
    Ok(Command::Run(parsed))
}

impl LabArgs {
    /// What to start: the `--spec` file, whose device counts must agree with the flags given;
    /// without one, `N` devices with default names per flag, or one device of the registry's
    /// first family when no flag is given.
    pub fn lab_spec(&self, families: &'static [Family]) -> anyhow::Result<LabSpec> {
        let Some(path) = &self.spec else {
            let counts = if self.counts.is_empty() {
                families.first().map(|f| (f, 1)).into_iter().collect()
            } else {
                self.counts.clone()
            };
            return Ok(counts
                .into_iter()
                .fold(LabSpec::default(), |spec, (f, n)| spec.with_numbered(f, n)));
        };
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let spec: LabSpec =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        for (family, n) in &self.counts {
            let part = spec
                .part(family.key)
                .cloned()
                .unwrap_or_else(|| family.numbered(0));
            let have = family.check(&part)?.len();
            if have != *n {
                bail!(
                    "{} {n} disagrees with {have} {} in the spec",
                    family.flag(),
                    family.description
                );
            }
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests;
