//! Files, programs and Unix sockets on the machine the provider runs on: a balancer managed from
//! its own host (HAProxy's configuration file, `haproxy -c`, its master CLI socket). The local
//! counterparts of an SSH exec channel, with the same errors.

use super::exec::ExecOutput;
use super::TransportError;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

fn endpoint(path: &str) -> String {
    format!("localhost:{path}")
}

fn file_error(path: &str, message: impl std::fmt::Display) -> TransportError {
    TransportError::FileTransfer {
        endpoint: "localhost".into(),
        file: path.to_string(),
        message: message.to_string(),
    }
}

/// The text of `path`.
pub async fn read_file(path: &str) -> Result<String, TransportError> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| file_error(path, e))?;
    String::from_utf8(bytes).map_err(|_| file_error(path, "the file is not UTF-8 text"))
}

/// Replace `path` with `contents` atomically (a sibling written, synced, then renamed), keeping
/// the file's permissions, so a reader never sees half a file.
pub async fn replace_file(path: &str, contents: &str) -> Result<(), TransportError> {
    let sibling = format!("{path}.uccluster-new");
    let mode = tokio::fs::metadata(path)
        .await
        .ok()
        .map(|m| m.permissions());
    let written = async {
        let mut file = tokio::fs::File::create(&sibling).await?;
        file.write_all(contents.as_bytes()).await?;
        file.sync_all().await?;
        if let Some(mode) = mode {
            tokio::fs::set_permissions(&sibling, mode).await?;
        }
        tokio::fs::rename(&sibling, path).await
    };
    written.await.map_err(|e| {
        let _ = std::fs::remove_file(&sibling);
        file_error(path, e)
    })
}

/// Write `contents` to a new file `path` (a candidate to check before it replaces the real one).
pub async fn write_file(path: &str, contents: &str) -> Result<(), TransportError> {
    tokio::fs::write(path, contents)
        .await
        .map_err(|e| file_error(path, e))
}

pub async fn remove_file(path: &str) {
    let _ = tokio::fs::remove_file(path).await;
}

/// Run `program` with `args` (no shell), within `timeout`.
pub async fn run(
    program: &str,
    args: &[&str],
    timeout: Duration,
) -> Result<ExecOutput, TransportError> {
    let command = std::iter::once(program)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null());
    match tokio::time::timeout(timeout, cmd.output()).await {
        Err(_) => Err(TransportError::Timeout {
            endpoint: "localhost".into(),
            command,
            after: timeout,
            last_output: String::new(),
        }),
        Ok(Err(e)) => Err(TransportError::Connect {
            endpoint: "localhost".into(),
            message: format!("cannot run {program}: {e}"),
        }),
        Ok(Ok(out)) => Ok(ExecOutput {
            status: out.status.code().map_or(255, |c| c as u32),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }),
    }
}

/// One request on the Unix socket `path` and the whole answer (the server closes after it).
/// A refused connection is tried again until `timeout`: a HAProxy master re-executes itself
/// on a reload, and its socket is briefly away.
pub async fn unix_request(
    path: &str,
    request: &str,
    timeout: Duration,
) -> Result<String, TransportError> {
    let deadline = Instant::now() + timeout;
    let mut stream = loop {
        match tokio::net::UnixStream::connect(Path::new(path)).await {
            Ok(stream) => break stream,
            Err(e) if Instant::now() >= deadline => {
                return Err(TransportError::Connect {
                    endpoint: endpoint(path),
                    message: e.to_string(),
                })
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let lost = || TransportError::ConnectionLost {
        endpoint: endpoint(path),
        command: request.to_string(),
    };
    let exchange = async {
        stream.write_all(format!("{request}\n").as_bytes()).await?;
        // The end of our side tells the CLI the request is complete.
        stream.shutdown().await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    match tokio::time::timeout_at(
        deadline.max(Instant::now() + Duration::from_secs(1)),
        exchange,
    )
    .await
    {
        Err(_) => Err(TransportError::Timeout {
            endpoint: endpoint(path),
            command: request.to_string(),
            after: timeout,
            last_output: String::new(),
        }),
        Ok(Err(_)) => Err(lost()),
        Ok(Ok(answer)) => Ok(String::from_utf8_lossy(&answer).into_owned()),
    }
}
