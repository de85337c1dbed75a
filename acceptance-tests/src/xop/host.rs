//! One XOP appliance: a real `mariadbd` on 127.0.0.1 (or another loopback
//! address after [`XopServer::rebind`]) laid out like the box (`/etc/my.cnf`, a
//! restart command, `iptables`, `service iptables save` and `sysconf`), reached
//! over the lab's shared [`Sshd`].
//!
//! Layout of `<dir>`:
//! ```text
//! etc/my.cnf          the appliance's "/etc/my.cnf" (lab lines only; the provider appends its section)
//! etc/admin.cnf       [client] options of the admin account (used by bin/mysqld-restart)
//! etc/hosts           entries kept by `sysconf addhost|delhost`
//! etc/sysconfig/iptables  rules saved by `service iptables save` (absent until then)
//! data/               datadir (a copy of the per-process template)
//! run/mysqld.pid      pid-file (socket too, unless the path would be too long for a unix socket)
//! log/error.log       mariadbd's log-error; log/mariadbd.out its stdout/stderr
//! tmp/                its tmpdir
//! tls/                CA, server certificate and key, another CA (after [`XopServer::enable_tls`])
//! bin/mysqld-restart  restart command; bin/iptables, bin/service, bin/sysconf stand-ins
//! iptables.rules      rules kept by bin/iptables (iptables-save form)
//! sysconf.log         accepted sysconf calls, one per line
//! ```

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::mariadb::{self, Account, InstancePaths, MariaDbBinaries, NotReady, TlsFiles};
use super::scripts;
use super::sshd::{SshEndpoint, Sshd};
use crate::lab_ca::LabCa;
use crate::process::{self, Daemon};

/// The admin account every appliance has (`'xopadmin'@'%'`, ALL PRIVILEGES WITH GRANT OPTION).
pub const XOP_ADMIN_USER: &str = "xopadmin";

/// One XOP appliance to start. JSON: `{"name":"xop1","server_id":1}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct XopServerSpec {
    pub name: String,
    /// The server-id the provider is expected to give this box (the lab does
    /// not set it: my.cnf starts without replication settings).
    pub server_id: u32,
}

impl XopServerSpec {
    /// The name names a directory: `[A-Za-z0-9][A-Za-z0-9._-]*`.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.name.starts_with(|c: char| c.is_ascii_alphanumeric())
                && self
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'),
            "XOP server name {:?} must match [A-Za-z0-9][A-Za-z0-9._-]* (it names a directory)",
            self.name
        );
        Ok(())
    }
}

/// A running appliance. Drop SIGKILLs its mariadbd (by pid-file); files stay
/// unless the directory is a temporary one owned by the server.
pub struct XopServer {
    name: String,
    server_id: u32,
    dir: PathBuf,
    address: Ipv4Addr,
    port: u16,
    admin_password: String,
    paths: InstancePaths,
    binaries: std::sync::Arc<MariaDbBinaries>,
    ssh: SshEndpoint,
    daemon: Mutex<Option<Daemon>>,
    start_time: Duration,
    /// Issues the server's certificates: the lab's CA, or the server's own when started alone.
    ca: Arc<LabCa>,
    /// Set by [`XopServer::enable_tls`]: the lab's own connections use TLS too.
    tls: Option<TlsFiles>,
    _temp: Option<tempfile::TempDir>,
}

/// Where MariaDB listens until [`XopServer::rebind`].
const FIRST_ADDRESS: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// Unix socket paths must stay below 108 bytes.
const MAX_SOCKET_PATH: usize = 100;

impl XopServer {
    /// Starts the appliance in `dir` (created if missing; files of an earlier
    /// appliance there are replaced) with a random admin password.
    pub async fn start(spec: &XopServerSpec, dir: &Path, sshd: &Sshd) -> anyhow::Result<XopServer> {
        Self::start_with_admin_password(spec, dir, sshd, &crate::secrets::random_password()).await
    }

    /// Like [`XopServer::start`] in a fresh temporary directory removed on drop.
    pub async fn start_in_temp_dir(spec: &XopServerSpec, sshd: &Sshd) -> anyhow::Result<XopServer> {
        let temp = tempfile::Builder::new().prefix("ucl-xop-").tempdir()?;
        let dir = temp.path().to_path_buf();
        let mut server =
            Self::start_with_admin_password(spec, &dir, sshd, &crate::secrets::random_password())
                .await?;
        server._temp = Some(temp);
        Ok(server)
    }

    /// Like [`XopServer::start`] with a given admin (and root) password, e.g.
    /// one shared by all appliances of a lab. Its certificates come from a CA of its own.
    pub async fn start_with_admin_password(
        spec: &XopServerSpec,
        dir: &Path,
        sshd: &Sshd,
        admin_password: &str,
    ) -> anyhow::Result<XopServer> {
        let ca = LabCa::new(&format!("uccluster lab CA {}", spec.name))?;
        Self::start_in_lab(spec, dir, sshd, admin_password, Arc::new(ca)).await
    }

    /// Like [`XopServer::start_with_admin_password`], its certificates issued by `ca` (the
    /// lab's).
    pub async fn start_in_lab(
        spec: &XopServerSpec,
        dir: &Path,
        sshd: &Sshd,
        admin_password: &str,
        ca: Arc<LabCa>,
    ) -> anyhow::Result<XopServer> {
        spec.validate()?;
        anyhow::ensure!(
            !admin_password.is_empty() && !admin_password.contains(['\n', '\r']),
            "the admin password must be one non-empty line"
        );
        let started = Instant::now();
        let template = mariadb::template().await?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = std::fs::canonicalize(dir)?;
        // A server left running there by an earlier lab (restarted by its script, so
        // not killed with that lab's process) goes first.
        let old_cnf = format!("--defaults-file={}", dir.join("etc/my.cnf").display());
        if let Some(pid) = process::owned_pid(&dir.join("run/mysqld.pid"), &old_cnf) {
            process::signal(pid, libc::SIGKILL);
            process::wait_gone(pid, Duration::from_secs(5)).await;
        }
        for sub in ["etc", "data", "run", "log", "bin", "tmp", "tls"] {
            let p = dir.join(sub);
            let _ = std::fs::remove_dir_all(&p);
            if sub != "data" && sub != "tls" {
                std::fs::create_dir_all(&p)?;
            }
        }
        for f in ["iptables.rules", "iptables.rules.lock", "sysconf.log"] {
            let _ = std::fs::remove_file(dir.join(f));
        }
        let mut cp = tokio::process::Command::new("cp");
        cp.arg("-a").arg(&template.datadir).arg(dir.join("data"));
        process::run_checked(cp, "copying the template datadir (cp -a)").await?;
        let mut socket = dir.join("run/mysqld.sock");
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            socket = std::env::temp_dir().join(format!(
                "ucl-{}-{}.sock",
                std::process::id(),
                random_name()
            ));
        }
        let paths = InstancePaths {
            datadir: dir.join("data"),
            tmpdir: dir.join("tmp"),
            socket,
            pid_file: dir.join("run/mysqld.pid"),
            error_log: dir.join("log/error.log"),
        };
        std::fs::write(dir.join("etc/hosts"), "")?;
        // The box has the directory; `service iptables save` writes into it.
        std::fs::create_dir_all(dir.join("etc/sysconfig"))?;

        let mut server = XopServer {
            name: spec.name.clone(),
            server_id: spec.server_id,
            dir,
            address: FIRST_ADDRESS,
            port: 0,
            admin_password: admin_password.to_string(),
            paths,
            binaries: template.binaries.clone(),
            ssh: sshd.endpoint(),
            daemon: Mutex::new(None),
            start_time: Duration::ZERO,
            ca,
            tls: None,
            _temp: None,
        };
        // First start: root has an empty password; pick a port, retry on a clash.
        let mut attempts = 0;
        loop {
            attempts += 1;
            server.port = process::free_port()?;
            std::fs::write(
                server.my_cnf_path(),
                mariadb::lab_my_cnf(
                    &server.paths,
                    server.address,
                    server.port,
                    process::is_root(),
                ),
            )?;
            let daemon = server.spawn_mariadbd()?;
            let root = Account {
                host: server.address,
                port: server.port,
                user: "root".into(),
                password: String::new(),
                tls_ca: None,
            };
            let exited = {
                let d = daemon.clone();
                move || d.has_exited()
            };
            *server.daemon.lock().unwrap() = Some(daemon);
            match mariadb::wait_ready(
                &root,
                &server.paths.socket,
                &server.paths.error_log,
                Duration::from_secs(30),
                exited,
            )
            .await
            {
                Ok(()) => break,
                Err(NotReady::PortInUse) if attempts < 5 => continue,
                Err(NotReady::PortInUse) => bail!("mariadbd found no free port in 5 attempts"),
                Err(NotReady::Failed(e)) => return Err(e),
            }
        }
        server.secure_and_provision(admin_password).await?;
        server.write_files()?;
        server.start_time = started.elapsed();
        Ok(server)
    }

    /// Root passwords, the admin account, the XOP schema.
    async fn secure_and_provision(&self, password: &str) -> anyhow::Result<()> {
        let root = Account {
            host: self.address,
            port: self.port,
            user: "root".into(),
            password: String::new(),
            tls_ca: None,
        };
        let password = crate::secrets::sql_string(password);
        let mut sql = format!(
            "CREATE USER '{XOP_ADMIN_USER}'@'%' IDENTIFIED BY {password};\n\
             GRANT ALL PRIVILEGES ON *.* TO '{XOP_ADMIN_USER}'@'%' WITH GRANT OPTION;\n"
        );
        sql += &mariadb::xop_schema_sql(&self.name);
        sql += "\n";
        // root@<hostname> exists too but is ignored under skip-name-resolve.
        for host in ["localhost", "127.0.0.1", "::1"] {
            sql += &format!("ALTER USER IF EXISTS 'root'@'{host}' IDENTIFIED BY {password};\n");
        }
        sql += "FLUSH PRIVILEGES;";
        root.query(&sql)
            .await
            .context("provisioning the appliance")?;
        self.admin()
            .query("SELECT 1")
            .await
            .context("admin login")?;
        Ok(())
    }

    /// `etc/admin.cnf`: the restart script's `SELECT 1` goes to `address`
    /// (over TLS, verifying the server, once [`XopServer::enable_tls`] ran).
    fn write_admin_cnf(&self, address: Ipv4Addr) -> anyhow::Result<()> {
        let tls = match &self.tls {
            Some(t) => format!("ssl-ca={}\nssl-verify-server-cert\n", t.ca.display()),
            None => String::new(),
        };
        process::write_private(
            &self.admin_cnf_path(),
            &format!(
                "# admin account of XOP appliance {} (uccluster lab)\n[client]\nhost={address}\nport={}\nuser={XOP_ADMIN_USER}\npassword={}\n{tls}",
                self.name,
                self.port,
                crate::secrets::option_file_value(&self.admin_password)
            ),
        )
    }

    fn admin_cnf_path(&self) -> PathBuf {
        self.dir.join("etc/admin.cnf")
    }

    fn write_files(&self) -> anyhow::Result<()> {
        self.write_admin_cnf(self.address)?;
        let restart = scripts::restart_script(&scripts::RestartScript {
            name: &self.name,
            mariadbd: &self.binaries.mariadbd,
            mariadb: &self.binaries.client,
            my_cnf: &self.my_cnf_path(),
            admin_cnf: &self.admin_cnf_path(),
            pid_file: &self.paths.pid_file,
            error_log: &self.paths.error_log,
            stdout_log: &self.dir.join("log/mariadbd.out"),
            as_root: process::is_root(),
        });
        process::write_executable(Path::new(&self.restart_command()), &restart)?;
        process::write_executable(
            Path::new(&self.iptables_command()),
            &scripts::iptables_script(&self.name, &self.iptables_rules_path()),
        )?;
        process::write_executable(
            &self.service_path(),
            &scripts::service_script(
                &self.name,
                &self.iptables_rules_path(),
                &self.saved_firewall_path(),
            ),
        )?;
        process::write_executable(
            Path::new(&self.sysconf_command()),
            &scripts::sysconf_script(&self.name, &self.sysconf_log_path(), &self.hosts_path()),
        )?;
        std::fs::write(self.iptables_rules_path(), "")?;
        Ok(())
    }

    fn spawn_mariadbd(&self) -> anyhow::Result<Daemon> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("log/mariadbd.out"))?;
        let mut cmd = std::process::Command::new(&self.binaries.mariadbd);
        cmd.arg(format!("--defaults-file={}", self.my_cnf_path().display()));
        if process::is_root() {
            cmd.arg("--user=root");
        }
        cmd.stdin(std::process::Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        Daemon::spawn(cmd)
    }

    fn admin(&self) -> Account {
        self.admin_at(self.address)
    }

    fn admin_at(&self, address: Ipv4Addr) -> Account {
        Account {
            host: address,
            port: self.port,
            user: XOP_ADMIN_USER.into(),
            password: self.admin_password.clone(),
            tls_ca: self.tls.as_ref().map(|t| t.ca.clone()),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn server_id(&self) -> u32 {
        self.server_id
    }

    /// MariaDB listens on `mysql_address()`:`mysql_port()`.
    pub fn mysql_port(&self) -> u16 {
        self.port
    }

    /// The address MariaDB listens on: "127.0.0.1", or the one of the last
    /// [`XopServer::rebind`].
    pub fn mysql_address(&self) -> String {
        self.address.to_string()
    }

    pub fn admin_user(&self) -> &str {
        XOP_ADMIN_USER
    }

    /// Password of the admin account (root@localhost/127.0.0.1/::1 have it too;
    /// connections to another loopback address also come from 127.0.0.1).
    pub fn admin_password(&self) -> &str {
        &self.admin_password
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The appliance's "/etc/my.cnf": `<dir>/etc/my.cnf`.
    pub fn my_cnf_path(&self) -> PathBuf {
        self.dir.join("etc/my.cnf")
    }

    /// The datadir (`/var/lib/mysql` on a real box): put `log-bin`/`relay-log` here or use relative names.
    pub fn datadir(&self) -> &Path {
        &self.paths.datadir
    }

    pub fn error_log_path(&self) -> &Path {
        &self.paths.error_log
    }

    pub fn pid_file_path(&self) -> &Path {
        &self.paths.pid_file
    }

    /// Absolute path of the `mariadb` client.
    pub fn mariadb_client_path(&self) -> &Path {
        &self.binaries.client
    }

    /// Absolute path of `mariadb-dump` (the seed's `mysqldump`, for resync).
    pub fn mariadb_dump_path(&self) -> &Path {
        &self.binaries.dump
    }

    /// How long [`XopServer::start`] took.
    pub fn start_time(&self) -> Duration {
        self.start_time
    }

    /// `<dir>/bin/mysqld-restart`: stop (pid-file, SIGTERM, ≤10 s, SIGKILL),
    /// start with the current my.cnf, wait for `SELECT 1` as the admin; exit 0,
    /// or 1 with the tail of error.log.
    pub fn restart_command(&self) -> String {
        self.dir
            .join("bin/mysqld-restart")
            .to_string_lossy()
            .into_owned()
    }

    /// `<dir>/bin/iptables` stand-in (see [`XopServer::iptables_rules`]).
    pub fn iptables_command(&self) -> String {
        self.dir.join("bin/iptables").to_string_lossy().into_owned()
    }

    /// `<dir>/bin/service iptables save`: writes the `iptables` stand-in's rules
    /// to `<dir>/etc/sysconfig/iptables` (iptables-save form) and prints
    /// `iptables: Saving firewall rules to /etc/sysconfig/iptables:[  OK  ]`
    /// (see [`XopServer::saved_firewall_rules`]).
    pub fn firewall_save_command(&self) -> String {
        format!("{} iptables save", shell_word(&self.service_path()))
    }

    fn service_path(&self) -> PathBuf {
        self.dir.join("bin/service")
    }

    /// The appliance's "/etc/sysconfig/iptables": `<dir>/etc/sysconfig/iptables`.
    pub fn saved_firewall_path(&self) -> PathBuf {
        self.dir.join("etc/sysconfig/iptables")
    }

    /// The `-A` lines of the saved firewall file, in file order; empty when
    /// nothing was saved yet.
    pub fn saved_firewall_rules(&self) -> Vec<String> {
        read_lines(&self.saved_firewall_path())
            .into_iter()
            .filter(|l| l.starts_with("-A "))
            .collect()
    }

    /// `<dir>/bin/sysconf` stand-in (see [`XopServer::sysconf_calls`]).
    pub fn sysconf_command(&self) -> String {
        self.dir.join("bin/sysconf").to_string_lossy().into_owned()
    }

    pub fn iptables_rules_path(&self) -> PathBuf {
        self.dir.join("iptables.rules")
    }

    pub fn sysconf_log_path(&self) -> PathBuf {
        self.dir.join("sysconf.log")
    }

    /// `<dir>/etc/hosts`: `<ip> <name>` lines kept by `sysconf addhost|delhost`.
    pub fn hosts_path(&self) -> PathBuf {
        self.dir.join("etc/hosts")
    }

    /// Current rules, iptables-save form: `-A INPUT -s 10.0.0.2/32 -p tcp -m tcp --dport 3306 -j ACCEPT`.
    pub fn iptables_rules(&self) -> Vec<String> {
        read_lines(&self.iptables_rules_path())
    }

    /// Accepted `sysconf` calls, arguments joined by one space: `member 10.0.0.3 10.0.0.2`.
    pub fn sysconf_calls(&self) -> Vec<String> {
        read_lines(&self.sysconf_log_path())
    }

    /// The SSH endpoint (the lab's shared sshd) this appliance is reached through.
    pub fn ssh(&self) -> &SshEndpoint {
        &self.ssh
    }

    /// Pid of the running mariadbd (from the pid-file), if any.
    pub fn mysql_pid(&self) -> Option<i32> {
        process::owned_pid(&self.paths.pid_file, &self.defaults_arg())
    }

    fn defaults_arg(&self) -> String {
        format!("--defaults-file={}", self.my_cnf_path().display())
    }

    /// `kill -9` of mariadbd ("primary down"); returns once it is gone.
    pub async fn stop_mysql(&self) {
        self.kill_mysql().await;
    }

    async fn kill_mysql(&self) {
        if let Some(pid) = self.mysql_pid() {
            process::signal(pid, libc::SIGKILL);
            process::wait_gone(pid, Duration::from_secs(5)).await;
        }
        let daemon = self.daemon.lock().unwrap().take();
        if let Some(d) = daemon {
            d.kill();
            d.wait_exit(Duration::from_secs(5)).await;
        }
        let _ = std::fs::remove_file(&self.paths.pid_file);
    }

    /// Starts mariadbd again with the current my.cnf (after [`XopServer::stop_mysql`]);
    /// panics with error.log when it does not answer.
    pub async fn start_mysql(&self) {
        if let Err(e) = self.try_start_mysql().await {
            panic!("starting MariaDB of XOP server {}: {e:#}", self.name);
        }
    }

    /// Like [`XopServer::start_mysql`], returning the error. A running instance is left alone.
    pub async fn try_start_mysql(&self) -> anyhow::Result<()> {
        if self.mysql_pid().is_some() {
            return Ok(());
        }
        let daemon = self.spawn_mariadbd()?;
        let exited = {
            let d = daemon.clone();
            move || d.has_exited()
        };
        *self.daemon.lock().unwrap() = Some(daemon);
        match mariadb::wait_ready(
            &self.admin(),
            &self.paths.socket,
            &self.paths.error_log,
            Duration::from_secs(30),
            exited,
        )
        .await
        {
            Ok(()) => Ok(()),
            Err(NotReady::PortInUse) => bail!(
                "port {} is taken; {}:\n{}",
                self.port,
                self.paths.error_log.display(),
                process::tail(&self.paths.error_log, 20)
            ),
            Err(NotReady::Failed(e)) => Err(e),
        }
    }

    /// Runs the restart command as the provider would (locally, not over SSH).
    pub async fn restart_mysql(&self) -> anyhow::Result<()> {
        let out = process::output_retrying_busy(|| {
            let mut cmd = tokio::process::Command::new(self.restart_command());
            cmd.stdin(std::process::Stdio::null());
            cmd
        })
        .await?;
        if !out.status.success() {
            bail!(
                "{} failed ({}): {}",
                self.restart_command(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Runs SQL as the admin over TCP (one or more `;`-separated statements
    /// in one session) and returns the rows of every result set, NULL as
    /// `None`, values as text. The session has no default database: start with
    /// `USE xopdb;` where binlog/replicate filters must see the database (they
    /// go by the default database under statement/MIXED logging; an
    /// `INSERT INTO xopdb.t` without it is not binlogged at all).
    pub async fn sql(&self, statement: &str) -> anyhow::Result<Vec<Vec<Option<String>>>> {
        self.admin().query(statement).await
    }

    /// `SHOW SLAVE STATUS` as column name → value (None when not a replica).
    pub async fn slave_status(&self) -> anyhow::Result<Option<Vec<(String, Option<String>)>>> {
        use mysql_async::prelude::Queryable;
        let mut conn = self.admin().connect().await?;
        let rows: Vec<mysql_async::Row> = conn.query("SHOW SLAVE STATUS").await?;
        let _ = conn.disconnect().await;
        Ok(rows.into_iter().next().map(|row| {
            let names: Vec<String> = row
                .columns_ref()
                .iter()
                .map(|c| c.name_str().into_owned())
                .collect();
            names
                .into_iter()
                .zip(row.unwrap_raw().into_iter().map(|v| match v {
                    Some(mysql_async::Value::Bytes(b)) => {
                        Some(String::from_utf8_lossy(&b).into_owned())
                    }
                    Some(mysql_async::Value::NULL) | None => None,
                    Some(other) => Some(other.as_sql(true)),
                }))
                .collect()
        }))
    }

    /// Moves MariaDB to `address` (127.0.0.0/8), as the seed's network change
    /// does for MySQL: sets `bind-address` in my.cnf (outside the uccluster
    /// section, which is kept byte for byte), runs the restart command and
    /// checks that the admin answers on `address`. On failure my.cnf and the
    /// address are put back (restarted on the old address) and the error says
    /// why. Accounts with host '%' (the admin, the seed's replication user)
    /// accept the connections there; root only has loopback hosts. With TLS
    /// on, the server gets a certificate that names `address` too.
    pub async fn rebind(&mut self, address: Ipv4Addr) -> anyhow::Result<()> {
        anyhow::ensure!(
            address.is_loopback(),
            "XOP server {}: {address} is not in 127.0.0.0/8 (the lab only has loopback addresses)",
            self.name
        );
        let cnf_path = self.my_cnf_path();
        let old_cnf = std::fs::read_to_string(&cnf_path)
            .with_context(|| format!("reading {}", cnf_path.display()))?;
        let new_cnf = mariadb::set_bind_address(&old_cnf, address)
            .with_context(|| format!("XOP server {}: {}", self.name, cnf_path.display()))?;
        if let Some(files) = &self.tls {
            // Names the old address too, so a failed move can go back.
            mariadb::issue_server_cert(&self.ca, files, &self.certificate_addresses(Some(address)))
                .with_context(|| {
                    format!("XOP server {}: issuing a server certificate", self.name)
                })?;
        }
        std::fs::write(&cnf_path, &new_cnf)?;
        self.write_admin_cnf(address)?;
        let moved = async {
            self.restart_mysql().await?;
            // The script's check went through admin.cnf; this one is the lab's own.
            self.admin_at(address)
                .query("SELECT 1")
                .await
                .with_context(|| format!("MariaDB does not answer on {address}"))
        }
        .await;
        match moved {
            Ok(_) => {
                self.address = address;
                Ok(())
            }
            Err(e) => {
                // Leave the appliance as it was, reachable where callers expect it.
                std::fs::write(&cnf_path, &old_cnf)?;
                self.write_admin_cnf(self.address)?;
                let e = e.context(format!(
                    "XOP server {}: moving MariaDB to {address}",
                    self.name
                ));
                match self.restart_mysql().await {
                    Ok(()) => Err(e),
                    Err(b) => Err(anyhow::anyhow!(
                        "{e:#}; restarting on {} afterwards failed too: {b:#}",
                        self.address
                    )),
                }
            }
        }
    }

    /// Turns TLS on as an operator would on the box: the CA's certificate, a
    /// server certificate it issued for 127.0.0.1 and the current address
    /// (subjectAltName IP entries) and an unrelated CA under `<dir>/tls/`
    /// (see [`crate::lab_ca`]), `ssl-ca`/`ssl-cert`/`ssl-key` in my.cnf's server group (outside
    /// the uccluster section, which is kept byte for byte), the restart
    /// command, a check that the admin's session is encrypted, then
    /// `ALTER USER xopadmin REQUIRE SSL`: from then on the admin account is
    /// refused over plain TCP (root, loopback only, is not). The lab's own
    /// admin connections ([`XopServer::sql`], the restart command's check)
    /// use TLS and verify the server against the CA from then on;
    /// [`XopServer::rebind`] issues a certificate for the new address.
    ///
    /// Calling it again issues a new server certificate from the same CA. On
    /// failure my.cnf is put back, MariaDB restarted and the error says why.
    pub async fn enable_tls(&mut self) -> anyhow::Result<TlsFiles> {
        let files = match &self.tls {
            Some(files) => files.clone(),
            None => {
                let dir = self.dir.join("tls");
                let _ = std::fs::remove_dir_all(&dir);
                mariadb::write_test_cas(&dir, &self.ca, &self.name)
                    .with_context(|| format!("XOP server {}: writing its CAs", self.name))?
            }
        };
        mariadb::issue_server_cert(&self.ca, &files, &self.certificate_addresses(None))
            .with_context(|| format!("XOP server {}: issuing a server certificate", self.name))?;
        let cnf_path = self.my_cnf_path();
        let old_cnf = std::fs::read_to_string(&cnf_path)
            .with_context(|| format!("reading {}", cnf_path.display()))?;
        let new_cnf = mariadb::set_tls_options(&old_cnf, &files.ca, &files.cert, &files.key)
            .with_context(|| format!("XOP server {}: {}", self.name, cnf_path.display()))?;
        std::fs::write(&cnf_path, &new_cnf)?;
        let previous = self.tls.replace(files.clone());
        self.write_admin_cnf(self.address)?;
        let enabled = async {
            self.restart_mysql().await?;
            let rows = self
                .admin()
                .query("SHOW SESSION STATUS LIKE 'Ssl_version'")
                .await?;
            let version = rows.first().and_then(|r| r.get(1).cloned().flatten());
            anyhow::ensure!(
                version.as_deref().is_some_and(|v| !v.is_empty()),
                "the admin session is not encrypted (Ssl_version: {version:?})"
            );
            self.admin()
                .query(&format!(
                    "ALTER USER '{XOP_ADMIN_USER}'@'%' REQUIRE SSL; FLUSH PRIVILEGES"
                ))
                .await?;
            Ok(())
        }
        .await;
        match enabled {
            Ok(()) => Ok(files),
            Err(e) => {
                std::fs::write(&cnf_path, &old_cnf)?;
                self.tls = previous;
                self.write_admin_cnf(self.address)?;
                let e = e.context(format!("XOP server {}: enabling TLS", self.name));
                match self.restart_mysql().await {
                    Ok(()) => Err(e),
                    Err(b) => Err(anyhow::anyhow!(
                        "{e:#}; restarting with the old my.cnf failed too: {b:#}"
                    )),
                }
            }
        }
    }

    /// 127.0.0.1, the current address and `next`, each once: what the server
    /// certificate names.
    fn certificate_addresses(&self, next: Option<Ipv4Addr>) -> Vec<Ipv4Addr> {
        let mut ips = vec![Ipv4Addr::LOCALHOST];
        for ip in [Some(self.address), next].into_iter().flatten() {
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
        ips
    }

    /// Refuses (`true`) or accepts again logins of the admin account, with MariaDB's own
    /// `ALTER USER .. ACCOUNT LOCK` (10.4+: "Access denied, this account is locked"); sessions
    /// already open stay, as on a device whose credentials were changed. Runs as root, which
    /// the lock leaves alone.
    pub async fn set_admin_login_refused(&self, refused: bool) -> anyhow::Result<()> {
        let lock = if refused { "LOCK" } else { "UNLOCK" };
        let root = Account {
            user: "root".into(),
            ..self.admin()
        };
        root.query(&format!("ALTER USER '{XOP_ADMIN_USER}'@'%' ACCOUNT {lock}"))
            .await
            .with_context(|| format!("XOP server {}: account {lock}", self.name))?;
        Ok(())
    }

    /// The CA certificate (PEM) a client needs to verify the server, once
    /// [`XopServer::enable_tls`] ran.
    pub fn tls_ca_pem(&self) -> Option<String> {
        self.tls.as_ref().map(|_| self.ca.cert_pem())
    }

    /// The TLS files, once [`XopServer::enable_tls`] ran.
    pub fn tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// The CA that signed the server's certificate (`<dir>/tls/ca.pem`), once
    /// [`XopServer::enable_tls`] ran: what `tls_ca_file` names.
    pub fn tls_ca_path(&self) -> Option<&Path> {
        self.tls.as_ref().map(|t| t.ca.as_path())
    }

    /// A CA that signed nothing of this server (`<dir>/tls/other-ca.pem`), once
    /// [`XopServer::enable_tls`] ran: verifying the server with it must fail.
    pub fn other_ca_path(&self) -> Option<&Path> {
        self.tls.as_ref().map(|t| t.other_ca.as_path())
    }

    /// SIGKILLs mariadbd and waits until it is gone.
    pub async fn stop(self) {
        self.kill_mysql().await;
    }
}

impl Drop for XopServer {
    fn drop(&mut self) {
        if let Some(pid) = self.mysql_pid() {
            process::signal(pid, libc::SIGKILL);
        }
        if let Some(d) = self.daemon.lock().ok().and_then(|mut d| d.take()) {
            d.kill();
        }
        if self.paths.socket.starts_with(std::env::temp_dir()) {
            let _ = std::fs::remove_file(&self.paths.socket);
        }
    }
}

/// `path` as one shell word: bare when that is safe (the usual lab path), quoted otherwise.
fn shell_word(path: &Path) -> String {
    let s = path.to_string_lossy();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,=".contains(c))
    {
        s.into_owned()
    } else {
        process::shell_quote(&s)
    }
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Random letters and digits for file names.
fn random_name() -> String {
    use rand::distr::Alphanumeric;
    use rand::RngExt;
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(12)
        .map(char::from)
        .collect()
}
