//! `uccluster-lab`: starts a lab of simulated devices (and real XOP servers) on loopback.
//!
//! ```text
//! uccluster-lab [--cms-nodes N] [--xop-servers N] [--spec spec.json] [--out DIR] [--stop-on-stdin-eof]
//! ```
//! Writes `lab.json`, `known_hosts` and `lab.auto.tfvars.json` into DIR
//! (default `./lab-out`), prints the endpoints JSON on one line, then `READY`,
//! and runs until SIGINT/SIGTERM (or stdin EOF with `--stop-on-stdin-eof`).
//! Without `--spec`, starts `cms1..cmsN` (N defaults to 1, or to 0 when
//! `--xop-servers` is given) and `xop1..xopN` (server ids 1..N; real MariaDB
//! servers and one sshd, see `uccluster_lab::xop`). Exit status 2 on errors.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use uccluster_lab::lab::{Lab, LabSpec};

const USAGE: &str = "usage: uccluster-lab [--cms-nodes N] [--xop-servers N] [--spec spec.json] [--out DIR] [--stop-on-stdin-eof]";

struct Args {
    cms_nodes: Option<usize>,
    xop_servers: Option<usize>,
    spec: Option<PathBuf>,
    out: PathBuf,
    stop_on_stdin_eof: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        cms_nodes: None,
        xop_servers: None,
        spec: None,
        out: PathBuf::from("lab-out"),
        stop_on_stdin_eof: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| -> anyhow::Result<String> {
            match inline.clone().or_else(|| it.next()) {
                Some(v) => Ok(v),
                None => bail!("{name} needs a value\n{USAGE}"),
            }
        };
        match flag.as_str() {
            "--cms-nodes" => {
                let v = value("--cms-nodes")?;
                args.cms_nodes = Some(v.parse().with_context(|| format!("--cms-nodes {v:?}"))?);
            }
            "--xop-servers" => {
                let v = value("--xop-servers")?;
                args.xop_servers = Some(v.parse().with_context(|| format!("--xop-servers {v:?}"))?);
            }
            "--spec" => args.spec = Some(PathBuf::from(value("--spec")?)),
            "--out" => args.out = PathBuf::from(value("--out")?),
            "--stop-on-stdin-eof" => args.stop_on_stdin_eof = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    Ok(args)
}

async fn wait_for_stop(stop_on_stdin_eof: bool) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("installing SIGTERM handler");
    let stdin_eof = if stop_on_stdin_eof {
        let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
        // Blocking reads on a plain thread; it ends with the process.
        std::thread::spawn(move || {
            use std::io::Read;
            let mut stdin = std::io::stdin();
            let mut buf = [0u8; 1024];
            while let Ok(n) = stdin.read(&mut buf) {
                if n == 0 {
                    break;
                }
            }
            let _ = eof_tx.send(());
        });
        Some(eof_rx)
    } else {
        None
    };
    let stdin_eof = async move {
        match stdin_eof {
            Some(rx) => {
                let _ = rx.await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = stdin_eof => {}
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uccluster-lab: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let args = parse_args()?;
    let spec = match &args.spec {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let spec: LabSpec = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", path.display()))?;
            if let Some(n) = args.cms_nodes {
                if n != spec.cms_nodes.len() {
                    bail!(
                        "--cms-nodes {n} disagrees with {} nodes in the spec",
                        spec.cms_nodes.len()
                    );
                }
            }
            if let Some(n) = args.xop_servers {
                if n != spec.xop_servers.len() {
                    bail!(
                        "--xop-servers {n} disagrees with {} XOP servers in the spec",
                        spec.xop_servers.len()
                    );
                }
            }
            spec
        }
        None => {
            let cms_default = if args.xop_servers.is_some() { 0 } else { 1 };
            LabSpec::with_cms_nodes(args.cms_nodes.unwrap_or(cms_default))
                .with_xop_servers(args.xop_servers.unwrap_or(0))
        }
    };
    let lab = Lab::start(&spec, &args.out).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", serde_json::to_string(&lab.endpoints())?)?;
        writeln!(out, "READY")?;
        out.flush()?;
    }
    wait_for_stop(args.stop_on_stdin_eof).await;
    lab.stop().await;
    Ok(())
}
