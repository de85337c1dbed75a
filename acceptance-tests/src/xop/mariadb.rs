//! MariaDB pieces of the XOP lab: the binaries, the per-process template data
//! directory (`mariadb-install-db` runs once per process), the lab part of an
//! appliance's my.cnf, TLS files (certificates from the lab CA), and
//! running SQL over TCP (plain or TLS) as a given account.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use mysql_async::prelude::Queryable;
use tokio::sync::OnceCell;

use crate::lab_ca::LabCa;
use crate::process::{self, require_program};

/// Absolute paths of the MariaDB programs the lab runs.
#[derive(Debug, Clone)]
pub(crate) struct MariaDbBinaries {
    pub mariadbd: PathBuf,
    pub install_db: PathBuf,
    pub client: PathBuf,
    pub dump: PathBuf,
}

impl MariaDbBinaries {
    pub(crate) fn find() -> anyhow::Result<MariaDbBinaries> {
        Ok(MariaDbBinaries {
            mariadbd: require_program("mariadbd", "mariadb-server")?,
            install_db: require_program("mariadb-install-db", "mariadb-server")?,
            client: require_program("mariadb", "mariadb-client")?,
            dump: require_program("mariadb-dump", "mariadb-client")?,
        })
    }
}

/// The pristine data directory every instance of this process starts from.
pub(crate) struct Template {
    pub binaries: Arc<MariaDbBinaries>,
    /// `<template>/data`
    pub datadir: PathBuf,
    /// How long `mariadb-install-db` took.
    pub install_time: Duration,
}

static TEMPLATE: OnceCell<Template> = OnceCell::const_new();

/// Template directories live here, one per lab process: `uccluster-xop-template-<pid>`.
const TEMPLATE_PREFIX: &str = "uccluster-xop-template-";

/// The template, made on first use (`mariadb-install-db
/// --auth-root-authentication-method=normal --skip-test-db`: root@localhost,
/// root@127.0.0.1, root@::1 with an empty password; the first instance start
/// sets the passwords).
pub(crate) async fn template() -> anyhow::Result<&'static Template> {
    TEMPLATE.get_or_try_init(make_template).await
}

async fn make_template() -> anyhow::Result<Template> {
    let binaries = Arc::new(MariaDbBinaries::find()?);
    let tmp = std::env::temp_dir();
    remove_stale_templates(&tmp);
    let root = tmp.join(format!("{TEMPLATE_PREFIX}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    if TEMPLATE_ROOT.set(root.clone()).is_ok() {
        // SAFETY: registers a plain extern "C" fn without arguments.
        unsafe {
            libc::atexit(remove_template_at_exit);
        }
    }
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let datadir = root.join("data");
    let cnf = root.join("my.cnf");
    // Own tmpdir: bootstraps running side by side in a shared /tmp broke each
    // other's temporary tables ("Unknown table 'mysql.tmp_proxies_priv'").
    std::fs::create_dir_all(root.join("tmp"))?;
    std::fs::write(
        &cnf,
        format!(
            "[mariadbd]\ndatadir={}\ntmpdir={}\nlog-error={}\n{TUNING}",
            datadir.display(),
            root.join("tmp").display(),
            root.join("install.err").display()
        ),
    )?;
    let started = Instant::now();
    let out = tokio::process::Command::new(&binaries.install_db)
        .arg(format!("--defaults-file={}", cnf.display()))
        .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {}", binaries.install_db.display()))?;
    if !out.status.success() {
        bail!(
            "mariadb-install-db failed ({}):\n{}{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            process::tail(&root.join("install.err"), 20)
        );
    }
    Ok(Template {
        binaries,
        datadir,
        install_time: started.elapsed(),
    })
}

static TEMPLATE_ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The template is not needed after the process (instances have their own copies).
extern "C" fn remove_template_at_exit() {
    if let Some(root) = TEMPLATE_ROOT.get() {
        let _ = std::fs::remove_dir_all(root);
    }
}

/// Removes template dirs whose process is gone (one that died without exiting normally).
fn remove_stale_templates(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(TEMPLATE_PREFIX) {
            if pid.parse::<u32>().is_ok() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// Test sizing (≈100 MB RSS per instance): the same in the template and every instance.
const TUNING: &str =
    "innodb_buffer_pool_size=32M\ninnodb_log_file_size=16M\nperformance_schema=OFF\n";

/// Where an instance keeps its files.
#[derive(Debug, Clone)]
pub(crate) struct InstancePaths {
    pub datadir: PathBuf,
    pub tmpdir: PathBuf,
    pub socket: PathBuf,
    pub pid_file: PathBuf,
    pub error_log: PathBuf,
}

/// The appliance's my.cnf as created: the lab-only lines, nothing about
/// replication (the provider appends its own managed section).
pub(crate) fn lab_my_cnf(
    paths: &InstancePaths,
    address: Ipv4Addr,
    port: u16,
    as_root: bool,
) -> String {
    let mut s = String::from("# XOP appliance my.cnf (uccluster lab)\n[mariadbd]\n");
    s += &format!("datadir={}\n", paths.datadir.display());
    s += &format!("tmpdir={}\n", paths.tmpdir.display());
    s += &format!("socket={}\n", paths.socket.display());
    s += &format!("pid-file={}\n", paths.pid_file.display());
    s += &format!("log-error={}\n", paths.error_log.display());
    s += &format!("bind-address={address}\n");
    s += &format!("port={port}\n");
    if as_root {
        s += "user=root\n";
    }
    s += "skip-name-resolve\n";
    s += TUNING;
    s
}

/// First lines of the managed section a provider splices into my.cnf
/// (`# BEGIN uccluster <resource> ...` / `# END uccluster <resource>`).
const MANAGED_BEGIN: &str = "# BEGIN uccluster";
const MANAGED_END: &str = "# END uccluster";

/// `cnf` with the value of every `bind-address` (or `bind_address`) line
/// outside the managed section set to `address`; every other byte, the
/// managed section included, stays as it was. Error when there is no such
/// line: without one mariadbd listens on every address, so there is nothing
/// to move.
pub(crate) fn set_bind_address(cnf: &str, address: Ipv4Addr) -> anyhow::Result<String> {
    let mut out = String::with_capacity(cnf.len() + 16);
    let mut managed = false;
    let mut found = 0;
    for line in cnf.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with(MANAGED_BEGIN) {
            managed = true;
        }
        if managed {
            managed = !trimmed.starts_with(MANAGED_END);
            out += line;
            continue;
        }
        let Some(value_start) = bind_address_value_start(line) else {
            out += line;
            continue;
        };
        found += 1;
        let body = line.trim_end_matches(['\n', '\r']);
        out += &line[..value_start];
        out += &address.to_string();
        out += &line[body.len()..];
    }
    anyhow::ensure!(
        found > 0,
        "my.cnf has no bind-address line outside the uccluster section"
    );
    Ok(out)
}

/// Byte offset of the value in a `bind-address = value` option line.
fn bind_address_value_start(line: &str) -> Option<usize> {
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    let key_len = ["bind-address", "bind_address"]
        .iter()
        .find(|k| rest.starts_with(**k))?
        .len();
    let after_key = &rest[key_len..];
    let eq = after_key.trim_start_matches([' ', '\t']);
    if !eq.starts_with('=') {
        return None;
    }
    let value = eq[1..].trim_start_matches([' ', '\t']);
    Some(line.len() - value.len())
}

/// The server options [`set_tls_options`] writes, in this order.
const TLS_KEYS: [&str; 3] = ["ssl-ca", "ssl-cert", "ssl-key"];

/// `cnf` with `ssl-ca`, `ssl-cert` and `ssl-key` set to the given files in the
/// first server group outside the managed section (`[mysqld]`, `[mariadbd]`,
/// `[mariadb]` or `[server]`; the lab's file has `[mariadbd]`), right after
/// its header; earlier lines of those options (either spelling, `_` or `-`)
/// in server groups outside the managed section are dropped. Every other byte, the managed section
/// included, stays as it was. Error when there is no such group.
pub(crate) fn set_tls_options(
    cnf: &str,
    ca: &Path,
    cert: &Path,
    key: &Path,
) -> anyhow::Result<String> {
    let eol = if cnf.contains("\r\n") { "\r\n" } else { "\n" };
    let values = [ca, cert, key];
    let mut out = String::with_capacity(cnf.len() + 256);
    let mut managed = false;
    let mut inserted = false;
    let mut server_group = false;
    for line in cnf.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with(MANAGED_BEGIN) {
            managed = true;
        }
        if managed {
            managed = !trimmed.starts_with(MANAGED_END);
            out += line;
            continue;
        }
        if let Some(group) = trimmed.strip_prefix('[').and_then(|g| g.strip_suffix(']')) {
            let group = group.trim().to_ascii_lowercase();
            server_group = ["mysqld", "mariadbd", "mariadb", "server"].contains(&group.as_str());
            out += line;
            if server_group && !inserted {
                if !line.ends_with('\n') {
                    out += eol;
                }
                for (k, v) in TLS_KEYS.iter().zip(values) {
                    out += &format!("{k}={}{eol}", v.display());
                }
                inserted = true;
            }
            continue;
        }
        let key = trimmed
            .split('=')
            .next()
            .unwrap_or_default()
            .trim()
            .replace('_', "-");
        if server_group && TLS_KEYS.contains(&key.as_str()) {
            continue;
        }
        out += line;
    }
    anyhow::ensure!(
        inserted,
        "my.cnf has no [mysqld] or [mariadbd] group outside the uccluster section"
    );
    Ok(out)
}

/// The TLS files of an appliance: the lab CA's certificate, a server certificate it issued,
/// and an unrelated CA (see [`crate::lab_ca`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The CA that signed the server certificate (PEM).
    pub ca: PathBuf,
    /// The server certificate (PEM; subjectAltName: the addresses it was issued for).
    pub cert: PathBuf,
    /// The server certificate's private key (PKCS#8 PEM, 0600).
    pub key: PathBuf,
    /// A second CA that signed nothing here: verifying the server with it must fail.
    pub other_ca: PathBuf,
}

/// Writes `ca` and a fresh unrelated CA into `dir` (created if missing, files replaced).
/// `label` goes into the unrelated CA's common name.
pub(crate) fn write_test_cas(dir: &Path, ca: &LabCa, label: &str) -> anyhow::Result<TlsFiles> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = TlsFiles {
        ca: dir.join("ca.pem"),
        cert: dir.join("server-cert.pem"),
        key: dir.join("server-key.pem"),
        other_ca: dir.join("other-ca.pem"),
    };
    ca.write_cert(&files.ca)?;
    LabCa::new(&format!("uccluster lab other CA {label}"))?.write_cert(&files.other_ca)?;
    Ok(files)
}

/// Issues `files.cert`/`files.key` (replacing them) signed by `ca`, for the IP addresses
/// `ips` (subjectAltName; the first is also the CN).
pub(crate) fn issue_server_cert(
    ca: &LabCa,
    files: &TlsFiles,
    ips: &[Ipv4Addr],
) -> anyhow::Result<()> {
    let ips: Vec<IpAddr> = ips.iter().copied().map(IpAddr::V4).collect();
    ca.issue_server_cert(&ips)?.write(&files.cert, &files.key)
}

/// One MySQL account reachable over TCP at `host:port`.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub host: Ipv4Addr,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// Connect over TLS and verify the server against this CA only; `None`: plain TCP.
    pub tls_ca: Option<PathBuf>,
}

impl Account {
    fn opts(&self) -> mysql_async::Opts {
        let mut opts = mysql_async::OptsBuilder::default()
            .ip_or_hostname(self.host.to_string())
            .tcp_port(self.port)
            .user(Some(self.user.clone()))
            .pass(Some(self.password.clone()))
            .prefer_socket(false);
        if let Some(ca) = &self.tls_ca {
            opts = opts.ssl_opts(
                mysql_async::SslOpts::default()
                    .with_root_certs(vec![ca.clone().into()])
                    .with_disable_built_in_roots(true),
            );
        }
        opts.into()
    }

    pub(crate) async fn connect(&self) -> anyhow::Result<mysql_async::Conn> {
        let conn =
            tokio::time::timeout(Duration::from_secs(10), mysql_async::Conn::new(self.opts()))
                .await
                .with_context(|| format!("connecting to {}:{}: timed out", self.host, self.port))?
                .with_context(|| {
                    format!("connecting to {}:{} as {}", self.host, self.port, self.user)
                })?;
        Ok(conn)
    }

    /// Runs `sql` (one or more `;`-separated statements, text protocol) and
    /// returns the rows of every result set in order; NULL is `None`, every
    /// other value its text form.
    pub(crate) async fn query(&self, sql: &str) -> anyhow::Result<Vec<Vec<Option<String>>>> {
        let mut conn = self.connect().await?;
        let result = run_query(&mut conn, sql).await;
        let _ = conn.disconnect().await;
        result.with_context(|| format!("on {}:{}", self.host, self.port))
    }
}

async fn run_query(
    conn: &mut mysql_async::Conn,
    sql: &str,
) -> anyhow::Result<Vec<Vec<Option<String>>>> {
    let mut rows = Vec::new();
    let mut result = conn.query_iter(sql).await?;
    loop {
        let set: Vec<mysql_async::Row> = result.collect().await?;
        rows.extend(set.into_iter().map(|row| {
            row.unwrap_raw()
                .into_iter()
                .map(|v| v.and_then(value_text))
                .collect()
        }));
        if result.is_empty() {
            break;
        }
    }
    // Whatever the loop did not read (and its errors).
    result.drop_result().await?;
    Ok(rows)
}

fn value_text(v: mysql_async::Value) -> Option<String> {
    use mysql_async::Value;
    Some(match v {
        Value::NULL => return None,
        Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Date(y, mo, d, h, mi, s, us) => {
            let mut t = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
            if us > 0 {
                t += &format!(".{us:06}");
            }
            t
        }
        Value::Time(neg, d, h, mi, s, us) => {
            let hours = d * 24 + u32::from(h);
            let mut t = format!("{}{hours:02}:{mi:02}:{s:02}", if neg { "-" } else { "" });
            if us > 0 {
                t += &format!(".{us:06}");
            }
            t
        }
    })
}

/// Why a start attempt did not answer.
pub(crate) enum NotReady {
    /// The port was taken (error.log "Address already in use" / errno 98): retry elsewhere.
    PortInUse,
    Failed(anyhow::Error),
}

/// Polls `account` until our server answers (its `@@socket` is `socket`), `exited()`
/// says it died, or `timeout` passes; errors carry the tail of `error_log`.
///
/// Another lab server that took the port first (parallel tests can be handed the same
/// free port) may answer before ours fails to bind: it is recognised by its socket, and
/// the start counts as a port clash once our server has exited.
pub(crate) async fn wait_ready(
    account: &Account,
    socket: &Path,
    error_log: &Path,
    timeout: Duration,
    exited: impl Fn() -> bool,
) -> Result<(), NotReady> {
    let deadline = Instant::now() + timeout;
    let ours = socket.to_string_lossy().into_owned();
    loop {
        let last_err = match account.query("SELECT @@socket").await {
            Ok(rows)
                if rows.first().and_then(|r| r.first()).cloned().flatten()
                    == Some(ours.clone()) =>
            {
                return Ok(())
            }
            Ok(rows) => anyhow::anyhow!("another server answered on this port (socket {rows:?})"),
            Err(e) => e,
        };
        if exited() {
            let log = process::tail(error_log, 30);
            if log.contains("Address already in use") || log.contains("error: 98") {
                return Err(NotReady::PortInUse);
            }
            return Err(NotReady::Failed(anyhow::anyhow!(
                "mariadbd exited during start; {}:\n{log}",
                error_log.display()
            )));
        }
        if Instant::now() >= deadline {
            return Err(NotReady::Failed(anyhow::anyhow!(
                "mariadbd on {}:{} did not answer SELECT 1 within {timeout:?} ({:#}); {}:\n{}",
                account.host,
                account.port,
                last_err,
                error_log.display(),
                process::tail(error_log, 30)
            )));
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// The schema an XOP box ships with (tables named in the seed), and its
/// per-box settings: `xopdb.system_parms(name, value)`, `xopdb.call_log(id, v)`,
/// `xopdb.sessions(id, started, caller)`, `xopdb.{session_keys, session_parms,
/// ports, circuit_groups}`, `xopdb_local.settings(k, v)`; `hostname` rows in
/// `system_parms` and `settings`.
pub(crate) fn xop_schema_sql(name: &str) -> String {
    let name = name.replace('\'', "''");
    format!(
        "CREATE DATABASE IF NOT EXISTS xopdb;
CREATE DATABASE IF NOT EXISTS xopdb_local;
USE xopdb;
CREATE TABLE IF NOT EXISTS system_parms (name VARCHAR(64) PRIMARY KEY, value VARCHAR(255));
CREATE TABLE IF NOT EXISTS sessions (id INT AUTO_INCREMENT PRIMARY KEY, started DATETIME, caller VARCHAR(64));
CREATE TABLE IF NOT EXISTS session_keys (id INT AUTO_INCREMENT PRIMARY KEY, session_id INT, k VARCHAR(64));
CREATE TABLE IF NOT EXISTS session_parms (id INT AUTO_INCREMENT PRIMARY KEY, session_id INT, name VARCHAR(64), value VARCHAR(255));
CREATE TABLE IF NOT EXISTS ports (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64), state VARCHAR(16));
CREATE TABLE IF NOT EXISTS circuit_groups (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64));
CREATE TABLE IF NOT EXISTS call_log (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64));
INSERT INTO system_parms (name, value) VALUES ('hostname', '{name}') ON DUPLICATE KEY UPDATE value = VALUES(value);
USE xopdb_local;
CREATE TABLE IF NOT EXISTS settings (k VARCHAR(64) PRIMARY KEY, v VARCHAR(255));
INSERT INTO settings (k, v) VALUES ('hostname', '{name}') ON DUPLICATE KEY UPDATE v = VALUES(v);"
    )
}
