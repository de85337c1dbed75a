//! `uccluster-lab`: starts a lab of simulated devices and real components on loopback.
//!
//! ```text
//! uccluster-lab [--cms-nodes N] [--xop-servers N] ... [--spec spec.json] [--out DIR] [--stop-on-stdin-eof]
//! ```
//! One `--<family> N` flag per device family of the registry (`uccluster_lab::cli`). Writes
//! `lab.json`, `known_hosts`, `lab-ca.pem` and `lab.auto.tfvars.json` into DIR (default
//! `./lab-out`), prints the endpoints JSON on one line, then `READY`, and runs until
//! SIGINT/SIGTERM (or stdin EOF with `--stop-on-stdin-eof`). Without `--spec`, starts N
//! devices of each family flag given (`cms1..cmsN`, `xop1..xopN`), or one CMS node when no
//! flag is given. Exit status 2 on errors.

use std::io::Write;

use uccluster_lab::cli::{self, Command};
use uccluster_lab::lab::Lab;
use uccluster_lab::registry::FAMILIES;

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
    let args = match cli::parse(FAMILIES, std::env::args().skip(1))? {
        Command::Run(args) => args,
        Command::Help => {
            print!("{}", cli::usage(FAMILIES));
            return Ok(());
        }
    };
    let spec = args.lab_spec(FAMILIES)?;
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
