//! `uccluster-docs [--check] [--root DIR]`: render docs/ from the provider schemas, examples/
//! and templates/ (see `uccluster::docs`). With `--check`, write nothing and exit 1 when any
//! page is missing, stale or no longer generated.

use std::path::PathBuf;
use std::process::ExitCode;
use uccluster::docs::{apply_changes, generate, pending_changes};

const USAGE: &str = "usage: uccluster-docs [--check] [--root DIR]

Renders docs/ from the provider schemas, examples/ and templates/ under DIR (default: the
current directory). --check writes nothing and exits 1 if docs/ is out of date.";

struct Args {
    check: bool,
    root: PathBuf,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        check: false,
        root: PathBuf::from("."),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--check" => args.check = true,
            "--root" => {
                args.root = it
                    .next()
                    .map(PathBuf::from)
                    .ok_or("--root needs a directory")?
            }
            "-h" | "--help" => return Ok(None),
            other => match other.strip_prefix("--root=") {
                Some(dir) => args.root = PathBuf::from(dir),
                None => return Err(format!("unknown argument {other:?}")),
            },
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("uccluster-docs: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = generate(&args.root).and_then(|generated| {
        let changes = pending_changes(&args.root, &generated)?;
        if !args.check {
            apply_changes(&args.root, &generated, &changes)?;
        }
        Ok(changes)
    });
    match result {
        Err(e) => {
            eprintln!("uccluster-docs: {e:#}");
            ExitCode::from(2)
        }
        Ok(changes) if args.check => {
            if changes.is_empty() {
                return ExitCode::SUCCESS;
            }
            eprintln!("uccluster-docs: docs/ is out of date; run `make docs`. Would:");
            for change in &changes {
                eprintln!("  {change}");
            }
            ExitCode::from(1)
        }
        Ok(changes) => {
            for change in &changes {
                println!("{change}");
            }
            ExitCode::SUCCESS
        }
    }
}
