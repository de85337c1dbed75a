//! The seed's procedure for one member (xop-mysql-replication-ha, "Primary Server" / "Secondary
//! Server"): the managed my.cnf options, a restart only when a startup option changed, the
//! replication account on the primary, CHANGE MASTER from the primary's current coordinates,
//! START SLAVE and waiting until both threads run with no lag. Each step checks first.

use super::state::{text, MemberState, MysqlBlock};
use crate::backoff::Backoff;
use crate::client::Devices;
use crate::client::MysqlTarget;
use crate::client::SshTarget;
use crate::client::TransportError;
use crate::devices::shell::{read_command, replace_command};
use crate::devices::xop::firewall::{allowed_peers, list_rules_command, rule_command, RuleAction};
use crate::devices::xop::my_cnf::{
    dynamic_settings, hand_written_options, needs_restart, parse_section, remove_section,
    render_section, retire_lines, section_text, splice,
};
use crate::devices::xop::replication::ThreadState;
use crate::devices::xop::replication::{
    binlog_dump_threads_sql, binlog_gtid_pos_sql, change_master_password_sql, change_master_sql,
    create_user_sql, drop_user_sql, grant_replication_sql, parse_binary_logs,
    parse_master_info_password, parse_master_status, parse_slave_hosts, parse_slave_status,
    replication_account_sql, set_gtid_slave_pos_sql, set_password_sql, supports_mariadb_gtid,
    variable_sql, MasterStatus, ReplicationStart, ServerVariable, SlaveStatus,
    ER_MASTER_FATAL_ERROR_READING_BINLOG, FLUSH_BINARY_LOGS, MASTER_INFO_DEFAULT_LOCATION,
    MASTER_INFO_LOCATION, REPLICATION_ACCOUNTS, RESET_SLAVE_ALL, SELECT_ONE, SHOW_BINARY_LOGS,
    SHOW_MASTER_STATUS, SHOW_SLAVE_HOSTS, SHOW_SLAVE_STATUS, START_SLAVE, STOP_SLAVE,
};
use crate::devices::xop::resync::{resync_command, resync_stdin, DumpScope, Login};
use crate::devices::xop::sysconf::{addhost_command, delhost_command, member_command};
use crate::resources::step::StepError;
use std::time::Duration;
use tokio::time::Instant;

/// What the member reports.
pub struct Observation {
    /// The managed section as it stands in my.cnf (`None`: no section).
    pub section: Option<String>,
    pub slave: Option<SlaveStatus>,
    pub master: Option<MasterStatus>,
    /// Peers with an ACCEPT rule for the MySQL port, when `firewall_allow` is managed.
    pub allowed: Option<Vec<String>>,
    /// Primary keeping the replication account: whether it exists with its grant.
    pub replication_account: Option<bool>,
}

pub struct Member<'r, 'a> {
    pub devices: &'r Devices,
    pub state: &'r MemberState<'a>,
    pub deadline: Instant,
}

fn output_error(endpoint: String, command: &str, message: String) -> StepError {
    StepError::Output {
        endpoint,
        command: command.to_string(),
        message,
    }
}

impl Member<'_, '_> {
    fn host(&self) -> Result<SshTarget, StepError> {
        self.devices
            .ssh_target(&self.state.host_connection())
            .map_err(StepError::Config)
    }

    fn primary_host(&self) -> Result<(SshTarget, String), StepError> {
        let block = self.state.primary_host.as_ref_option().ok_or_else(|| {
            StepError::Config("the primary's shell is needed: add a primary_host block".into())
        })?;
        let target = self
            .devices
            .ssh_target(&block.connection())
            .map_err(StepError::Config)?;
        Ok((
            target,
            text(&block.sysconf_command).unwrap_or_else(|| "sysconf".into()),
        ))
    }

    fn own_sysconf(&self) -> String {
        self.state
            .host
            .as_ref_option()
            .and_then(|h| text(&h.sysconf_command))
            .unwrap_or_else(|| "sysconf".into())
    }

    /// A server's global variable, as text.
    async fn variable(
        &self,
        target: &MysqlTarget,
        variable: ServerVariable,
    ) -> Result<String, StepError> {
        let query = variable_sql(variable);
        let rows = self.sql(target, query).await?;
        rows.first()
            .and_then(|r| r.get("v").cloned().flatten())
            .ok_or_else(|| output_error(target.endpoint(), query, "no value in the answer".into()))
    }

    async fn hostname_of(&self, target: &MysqlTarget) -> Result<String, StepError> {
        self.variable(target, ServerVariable::Hostname).await
    }

    /// The seed's network change, the steps that run over SSH once a server was re-addressed at
    /// its console. This secondary moved (`cluster_address`): the primary's hosts entry and HA
    /// membership follow (seed steps 1 and 7). The primary moved (`primary.address`): this
    /// server's hosts entry for it follows (seed step 4); `replicate` then reconnects.
    pub async fn follow_network_change(&self, before: &MemberState<'_>) -> Result<(), StepError> {
        if self.state.is_primary() {
            return Ok(());
        }
        let ipv4 = |v: Option<String>| v.filter(|a| a.parse::<std::net::Ipv4Addr>().is_ok());
        let moved = |old: Option<String>, new: Option<String>| match (ipv4(old), ipv4(new)) {
            (Some(old), Some(new)) if old != new => Some((old, new)),
            _ => None,
        };
        if let Some((old, new)) = moved(
            text(&before.cluster_address),
            text(&self.state.cluster_address),
        ) {
            let name = self.hostname_of(&self.own_sql()?).await?;
            let (target, sysconf) = self.primary_host()?;
            for command in [
                delhost_command(&sysconf, &old),
                addhost_command(&sysconf, &new, &name),
                member_command(&sysconf, &new, &old),
            ] {
                self.host_command_on(&target, &command, None).await?;
            }
        }
        let primary_address = |s: &MemberState| s.primary.as_ref_option().map(|p| p.address());
        if let Some((old, new)) = moved(primary_address(before), primary_address(self.state)) {
            let name = self.hostname_of(&self.primary_sql()?).await?;
            let sysconf = self.own_sysconf();
            for command in [
                delhost_command(&sysconf, &old),
                addhost_command(&sysconf, &new, &name),
            ] {
                self.host_command(&command, None).await?;
            }
        }
        Ok(())
    }

    fn sql_target(
        &self,
        block: Option<&MysqlBlock>,
        missing: &str,
    ) -> Result<MysqlTarget, StepError> {
        block
            .ok_or_else(|| missing.to_string())
            .and_then(|b| self.devices.sql_target(&b.endpoint()))
            .map_err(StepError::Config)
    }

    fn own_sql(&self) -> Result<MysqlTarget, StepError> {
        self.sql_target(self.state.mysql.as_ref_option(), "no mysql block")
    }

    fn primary_sql(&self) -> Result<MysqlTarget, StepError> {
        self.sql_target(
            self.state.primary.as_ref_option(),
            "a secondary needs a primary block",
        )
    }

    fn my_cnf_path(&self) -> String {
        self.state
            .host
            .as_ref_option()
            .and_then(|h| text(&h.my_cnf_path))
            .unwrap_or_else(|| "/etc/my.cnf".into())
    }

    /// Run a host command; a non-zero exit is an error carrying the command's own output.
    async fn host_command(&self, command: &str, stdin: Option<&[u8]>) -> Result<String, StepError> {
        self.host_command_on(&self.host()?, command, stdin).await
    }

    async fn host_command_on(
        &self,
        target: &SshTarget,
        command: &str,
        stdin: Option<&[u8]>,
    ) -> Result<String, StepError> {
        let out = self.devices.host(target).await.exec(command, stdin).await?;
        if out.status != 0 {
            let said = if out.stderr.trim().is_empty() {
                out.stdout.trim()
            } else {
                out.stderr.trim()
            };
            return Err(StepError::Device {
                endpoint: target.endpoint(),
                command: command.to_string(),
                message: format!("exit status {}: {said}", out.status),
            });
        }
        Ok(out.stdout)
    }

    async fn sql(
        &self,
        target: &MysqlTarget,
        statement: &str,
    ) -> Result<Vec<crate::devices::xop::replication::Row>, StepError> {
        Ok(self.devices.sql(target).await.query(statement).await?)
    }

    pub async fn observe(&self) -> Result<Observation, StepError> {
        let file = self
            .host_command(&read_command(&self.my_cnf_path()), None)
            .await?;
        let section = parse_section(&file).map(|options| section_text(&options));
        let own = self.own_sql()?;
        let slave = parse_slave_status(&self.sql(&own, SHOW_SLAVE_STATUS).await?)
            .map_err(|m| output_error(own.endpoint(), SHOW_SLAVE_STATUS, m))?;
        let master = parse_master_status(&self.sql(&own, SHOW_MASTER_STATUS).await?)
            .map_err(|m| output_error(own.endpoint(), SHOW_MASTER_STATUS, m))?;
        let allowed = match self.state.firewall_allow.is_value() {
            true => Some(allowed_peers(
                &self
                    .host_command(&list_rules_command(&self.iptables()), None)
                    .await?,
                self.mysql_port(),
            )),
            false => None,
        };
        let replication_account = match self.keeps_replication_account() {
            true => {
                let user = text(&self.state.replication_user).unwrap_or_default();
                let statement = replication_account_sql(&user, "%");
                let rows = self.sql(&own, &statement).await?;
                let count = rows
                    .first()
                    .and_then(|r| r.get("n").cloned().flatten())
                    .and_then(|n| n.parse::<u64>().ok())
                    .ok_or_else(|| {
                        output_error(own.endpoint(), &statement, "no count in the answer".into())
                    })?;
                Some(count > 0)
            }
            false => None,
        };
        Ok(Observation {
            section,
            slave,
            master,
            allowed,
            replication_account,
        })
    }

    /// A primary with `replication_password` keeps the account its secondaries replicate with.
    pub fn keeps_replication_account(&self) -> bool {
        self.state.is_primary() && self.state.replication_password.is_value()
    }

    fn iptables(&self) -> String {
        self.state
            .host
            .as_ref_option()
            .and_then(|h| text(&h.iptables_command))
            .unwrap_or_else(|| "iptables".into())
    }

    fn mysql_port(&self) -> u16 {
        self.state
            .mysql
            .as_ref_option()
            .map(|m| m.port())
            .unwrap_or(3306)
    }

    /// Whether the firewall has the rule (`iptables -C` exits 0).
    async fn rule_present(
        &self,
        target: &SshTarget,
        iptables: &str,
        peer: &str,
    ) -> Result<bool, StepError> {
        let check = rule_command(iptables, RuleAction::Check, peer, self.mysql_port());
        Ok(self
            .devices
            .host(target)
            .await
            .exec(&check, None)
            .await?
            .status
            == 0)
    }

    /// One ACCEPT rule per configured peer (checked with `-C` before `-I`), and the rules of
    /// peers that left the list deleted.
    pub async fn open_firewall(&self, previous: &[String]) -> Result<(), StepError> {
        let wanted = super::state::strings(&self.state.firewall_allow);
        let (iptables, port) = (self.iptables(), self.mysql_port());
        let target = self.host()?;
        let mut changed = false;
        for peer in previous.iter().filter(|p| !wanted.contains(p)) {
            if self.rule_present(&target, &iptables, peer).await? {
                let delete = rule_command(&iptables, RuleAction::Delete, peer, port);
                self.host_command(&delete, None).await?;
                changed = true;
            }
        }
        for peer in &wanted {
            if !self.rule_present(&target, &iptables, peer).await? {
                let insert = rule_command(&iptables, RuleAction::Insert, peer, port);
                self.host_command(&insert, None).await?;
                changed = true;
            }
        }
        let save = self
            .state
            .host
            .as_ref_option()
            .and_then(|h| text(&h.firewall_save_command))
            .unwrap_or_default();
        if changed && !save.trim().is_empty() {
            self.host_command(&save, None).await?;
        }
        Ok(())
    }

    /// Create: a server set up outside this resource (by hand, as the seed does it, or by a
    /// uccluster resource no longer in this state) is not silently taken over. With `adopt`,
    /// the hand-written lines are commented out in favour of the managed section, and replication
    /// is kept where it is (`replicate` continues it).
    pub async fn take_over(&self, adopt: bool) -> Result<(), StepError> {
        let path = self.my_cnf_path();
        let file = self.host_command(&read_command(&path), None).await?;
        let hand = hand_written_options(&file);
        let own = self.own_sql()?;
        let replica = parse_slave_status(&self.sql(&own, SHOW_SLAVE_STATUS).await?)
            .map_err(|m| output_error(own.endpoint(), SHOW_SLAVE_STATUS, m))?;
        let mut found = Vec::new();
        if parse_section(&file).is_some() {
            let host = self.state.host_connection();
            let id = super::import::import_id(&self.state.name(), &host.address, host.port);
            found.push(format!("{path} already has a uccluster-managed section (a member made by uccluster: import it, `terraform import <address> '{id}'`)"));
        }
        if let Some((line, text)) = hand.first() {
            let more = match hand.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            found.push(format!(
                "{path} sets replication options by hand (line {line}: `{text}`{more})"
            ));
        }
        if let Some(s) = replica.filter(|s| !s.master_host.is_empty()) {
            found.push(format!(
                "it already replicates from {}:{}",
                s.master_host, s.master_port
            ));
        }
        if found.is_empty() {
            return Ok(());
        }
        if !adopt {
            return Err(StepError::Config(format!(
                "{} is already set up outside this resource: {}. Set adopt_existing = true to bring it under this resource (hand-written lines are commented out in favour of the managed section; replication continues from where it is)",
                self.state.name(),
                found.join("; ")
            )));
        }
        if !hand.is_empty() {
            let lines: Vec<usize> = hand.iter().map(|(n, _)| *n).collect();
            self.host_command(
                &replace_command(&path),
                Some(retire_lines(&file, &lines).as_bytes()),
            )
            .await?;
        }
        Ok(())
    }

    /// The managed my.cnf section in place; the server restarted when a startup option changed,
    /// else the dynamic options set on the running server.
    pub async fn configure(&self) -> Result<(), StepError> {
        let path = self.my_cnf_path();
        let file = self.host_command(&read_command(&path), None).await?;
        let wanted = self.state.managed_options();
        let before = parse_section(&file);
        if before.as_deref() == Some(wanted.as_slice()) {
            return Ok(());
        }
        let updated = splice(&file, &render_section(&wanted).map_err(StepError::Config)?);
        self.host_command(&replace_command(&path), Some(updated.as_bytes()))
            .await?;
        if needs_restart(before.as_deref(), &wanted) {
            self.restart().await
        } else {
            let own = self.own_sql()?;
            for statement in dynamic_settings(&wanted) {
                self.sql(&own, &statement).await?;
            }
            Ok(())
        }
    }

    async fn restart(&self) -> Result<(), StepError> {
        let command = self
            .state
            .host
            .as_ref_option()
            .and_then(|h| text(&h.restart_command))
            .unwrap_or_default();
        self.host_command(&command, None).await?;
        // The pooled SQL connection died with the server; wait until a new one answers.
        let own = self.own_sql()?;
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        loop {
            match self.sql(&own, SELECT_ONE).await {
                Ok(_) => return Ok(()),
                Err(StepError::Transport(e)) if e.is_retryable() => {
                    match backoff.next_delay(self.deadline) {
                        Some(d) => tokio::time::sleep(d).await,
                        None => return Err(StepError::Transport(e)),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The replication account exists on `target` with the configured password.
    async fn ensure_replication_user(&self, target: &MysqlTarget) -> Result<(), StepError> {
        let user = text(&self.state.replication_user).unwrap_or_default();
        let password = text(&self.state.replication_password).unwrap_or_default();
        self.sql(target, &create_user_sql(&user, "%", &password))
            .await?;
        self.sql(target, &set_password_sql(&user, "%", &password))
            .await?;
        self.sql(target, &grant_replication_sql(&user, "%")).await?;
        Ok(())
    }

    /// Primary: the account the secondaries replicate with, when its password is configured here
    /// (else the secondaries keep it).
    pub async fn prepare_primary(&self) -> Result<(), StepError> {
        if self.state.replication_password.is_null() {
            return Ok(());
        }
        self.ensure_replication_user(&self.own_sql()?).await
    }

    /// Secondary: replicating from the primary (or stopped, with `replication_enabled = false`).
    pub async fn replicate(&self, password_changed: bool) -> Result<(), StepError> {
        let primary = self.primary_sql()?;
        let primary_block = self
            .state
            .primary
            .as_ref_option()
            .expect("checked by primary_sql");
        let own = self.own_sql()?;
        let user = text(&self.state.replication_user).unwrap_or_default();
        let password = text(&self.state.replication_password).unwrap_or_default();
        let status = parse_slave_status(&self.sql(&own, SHOW_SLAVE_STATUS).await?)
            .map_err(|m| output_error(own.endpoint(), SHOW_SLAVE_STATUS, m))?;
        let enabled = self
            .state
            .replication_enabled
            .as_ref_option()
            .copied()
            .unwrap_or(true);
        if !enabled {
            if status.as_ref().is_some_and(|s| {
                s.io_running != ThreadState::No || s.sql_running != ThreadState::No
            }) {
                self.sql(&own, STOP_SLAVE).await?;
            }
            return Ok(());
        }
        self.ensure_replication_user(&primary).await?;
        let gtid = self.gtid_wanted(&own, &primary).await?;
        let tls = text(&self.state.replication_tls_ca_path);
        let configured = status.as_ref().is_some_and(|s| {
            s.master_host == primary_block.address()
                && s.master_port == primary_block.port()
                && s.master_user == user
                && s.using_gtid == gtid
                && s.tls_ca_file == tls
        });
        if !configured {
            self.sql(&own, STOP_SLAVE).await?;
            // The same primary reached another way (a new address after the seed's network
            // change, another account, GTID switched on or off): carry on from what this replica
            // has executed. Starting from the primary's current position would skip what was
            // written meanwhile.
            let same = match &status {
                Some(s) => self.same_primary(&primary, s).await?,
                None => false,
            };
            let from = match (&status, same) {
                (Some(s), true) => s.executed.clone(),
                _ => self.current_coordinates(&primary).await?,
            };
            let start = match gtid {
                false => ReplicationStart::Position(from),
                // Already replicating this primary by GTID: its gtid_slave_pos is right.
                true if same && status.as_ref().is_some_and(|s| s.using_gtid) => {
                    ReplicationStart::Gtid
                }
                true => {
                    let position = self.gtid_position(&primary, &from).await?;
                    self.sql(&own, &set_gtid_slave_pos_sql(&position)).await?;
                    ReplicationStart::Gtid
                }
            };
            self.sql(
                &own,
                &change_master_sql(
                    &primary_block.address(),
                    primary_block.port(),
                    &user,
                    &password,
                    &start,
                    tls.as_deref(),
                ),
            )
            .await?;
            self.sql(&own, START_SLAVE).await?;
        } else if password_changed {
            self.sql(&own, STOP_SLAVE).await?;
            self.sql(&own, &change_master_password_sql(&password))
                .await?;
            self.sql(&own, START_SLAVE).await?;
        } else if !status.as_ref().is_some_and(|s| s.running()) {
            self.sql(&own, START_SLAVE).await?;
        }
        self.wait_until_in_sync(&own).await
    }

    /// Whether to replicate by GTID: `gtid = "auto"` when both servers have MariaDB's GTID,
    /// `"on"` insists (an error names the server without it), `"off"` never.
    pub async fn gtid_wanted(
        &self,
        own: &MysqlTarget,
        primary: &MysqlTarget,
    ) -> Result<bool, StepError> {
        let mode = text(&self.state.gtid).unwrap_or_else(|| "auto".into());
        if mode == "off" {
            return Ok(false);
        }
        for target in [own, primary] {
            let version = self.variable(target, ServerVariable::Version).await?;
            if !supports_mariadb_gtid(&version) {
                return match mode.as_str() {
                    "on" => Err(StepError::Device {
                        endpoint: target.endpoint(),
                        command: variable_sql(ServerVariable::Version).into(),
                        message: format!("gtid = \"on\" needs MariaDB 10.0 or later on both servers; this one is {version}"),
                    }),
                    _ => Ok(false),
                };
            }
        }
        Ok(true)
    }

    /// The primary's GTID position for binlog coordinates.
    async fn gtid_position(
        &self,
        primary: &MysqlTarget,
        at: &MasterStatus,
    ) -> Result<String, StepError> {
        let query = binlog_gtid_pos_sql(at);
        let rows = self.sql(primary, &query).await?;
        rows.first()
            .and_then(|r| r.get("g").cloned().flatten())
            .ok_or_else(|| {
                output_error(
                    primary.endpoint(),
                    &query,
                    format!("no GTID position for {}:{} (binlog purged?); set resync_trigger to resynchronise this secondary", at.file, at.position),
                )
            })
    }

    async fn current_coordinates(&self, primary: &MysqlTarget) -> Result<MasterStatus, StepError> {
        parse_master_status(&self.sql(primary, SHOW_MASTER_STATUS).await?)
            .map_err(|m| output_error(primary.endpoint(), SHOW_MASTER_STATUS, m))?
            .ok_or_else(|| {
                output_error(
                    primary.endpoint(),
                    SHOW_MASTER_STATUS,
                    "binary logging is off on the primary (no log-bin)".into(),
                )
            })
    }

    async fn server_id_of(&self, target: &MysqlTarget) -> Result<u64, StepError> {
        let id = self.variable(target, ServerVariable::ServerId).await?;
        id.parse().map_err(|_| {
            output_error(
                target.endpoint(),
                variable_sql(ServerVariable::ServerId),
                format!("server id {id:?} is not a number"),
            )
        })
    }

    /// Whether the replica's executed coordinates belong to `primary`: its server id when the
    /// replica has seen one, else whether the primary still has the binlog file.
    async fn same_primary(
        &self,
        primary: &MysqlTarget,
        s: &SlaveStatus,
    ) -> Result<bool, StepError> {
        if s.executed.file.is_empty() {
            return Ok(false);
        }
        match s.master_server_id {
            Some(id) if id != 0 => Ok(id == self.server_id_of(primary).await?),
            _ => Ok(
                parse_binary_logs(&self.sql(primary, SHOW_BINARY_LOGS).await?)
                    .contains(&s.executed.file),
            ),
        }
    }

    /// A replica must not share its server id with the primary (it would skip every event as
    /// its own) or with another replica (the primary drops one of the two at every reconnect).
    pub async fn check_server_id(&self) -> Result<(), StepError> {
        let primary = &self.primary_sql()?;
        let own_id = self.state.server_id.as_ref_option().copied().unwrap_or(0) as u64;
        if self.server_id_of(primary).await? == own_id {
            return Err(StepError::Device {
                endpoint: primary.endpoint(),
                command: variable_sql(ServerVariable::ServerId).into(),
                message: format!("server_id {own_id} is the primary's server-id too: a replica skips events carrying its own server id, so nothing would replicate; give this member another server_id"),
            });
        }
        let hosts = parse_slave_hosts(&self.sql(primary, SHOW_SLAVE_HOSTS).await?)
            .map_err(|m| output_error(primary.endpoint(), SHOW_SLAVE_HOSTS, m))?;
        let name = self.state.name();
        if let Some((_, other)) = hosts
            .iter()
            .find(|(id, host)| *id == own_id && *host != name)
        {
            return Err(StepError::Device {
                endpoint: primary.endpoint(),
                command: SHOW_SLAVE_HOSTS.into(),
                message: format!("server_id {own_id} is already used by replica {other:?}: two replicas with one server id take turns disconnecting each other; give this member another server_id"),
            });
        }
        Ok(())
    }

    /// The seed's resync: stop the replica, dump the replicated databases from the primary with
    /// its binlog coordinates (`--master-data=1` makes the dump set them here), load the dump,
    /// and leave `replicate` to start and verify. Tables kept local (ignored tables) are not in
    /// the dump, so this server's own rows in them survive, which is what the seed's backup and
    /// restore of `system_parms` achieves.
    pub async fn resync(&self) -> Result<(), StepError> {
        let own = self.own_sql()?;
        let primary = self.primary_sql()?;
        let host = self.state.host.as_ref_option().cloned().unwrap_or_default();
        let dump = text(&host.dump_command).unwrap_or_else(|| "mysqldump".into());
        let client = text(&host.client_command).unwrap_or_else(|| "mysql".into());
        self.sql(&own, STOP_SLAVE).await?;
        let databases = super::state::strings(&self.state.replicated_databases);
        let ignored_tables = super::state::strings(&self.state.ignored_tables);
        // By GTID, the dump sets gtid_slave_pos (and MASTER_USE_GTID) instead of file/position.
        let gtid = self.gtid_wanted(&own, &primary).await?;
        let command = resync_command(
            &dump,
            &client,
            &Login {
                host: &primary.host,
                port: primary.port,
                user: &primary.user,
            },
            &Login {
                host: &own.host,
                port: own.port,
                user: &own.user,
            },
            &DumpScope {
                databases: &databases,
                ignored_tables: &ignored_tables,
                gtid,
            },
        );
        let stdin = resync_stdin(&primary.password, &own.password).map_err(StepError::Config)?;
        self.host_command(&command, Some(stdin.as_bytes())).await?;
        Ok(())
    }

    /// Poll until both replica threads run and the lag is 0.
    async fn wait_until_in_sync(&self, own: &MysqlTarget) -> Result<(), StepError> {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        loop {
            let status = parse_slave_status(&self.sql(own, SHOW_SLAVE_STATUS).await?)
                .map_err(|m| output_error(own.endpoint(), SHOW_SLAVE_STATUS, m))?;
            let seen =
                match &status {
                    Some(s) if s.running() && s.seconds_behind == Some(0) => return Ok(()),
                    // The SQL thread stopped on an error: waiting will not help.
                    Some(s) if s.sql_running == ThreadState::No && !s.last_sql_error.is_empty() => {
                        return Err(resync_needed(own, &s.last_sql_error))
                    }
                    // The primary no longer has the binlog the replica needs.
                    Some(s)
                        if s.io_running == ThreadState::No
                            && s.last_io_errno == ER_MASTER_FATAL_ERROR_READING_BINLOG =>
                    {
                        return Err(resync_needed(own, &s.last_io_error))
                    }
                    Some(s) => format!(
                    "Slave_IO_Running {:?}, Slave_SQL_Running {:?}, Seconds_Behind_Master {:?}{}",
                    s.io_running,
                    s.sql_running,
                    s.seconds_behind,
                    s.last_error().map(|e| format!(", last error: {e}")).unwrap_or_default()
                ),
                    None => "not configured as a replica".to_string(),
                };
            match backoff.next_delay(self.deadline) {
                Some(d) => tokio::time::sleep(d).await,
                None => {
                    return Err(StepError::NotReached {
                        endpoint: own.endpoint(),
                        waiting_for: "both replica threads running with no lag".into(),
                        last_seen: seen,
                    })
                }
            }
        }
    }

    /// Undo the member: replica stopped and reset, the replication account dropped from a primary
    /// no replica still uses, the managed section removed (with a restart, as it held log-bin).
    pub async fn dismantle(&self) -> Result<(), StepError> {
        let own = self.own_sql()?;
        if self.state.is_primary() {
            let user = text(&self.state.replication_user).unwrap_or_default();
            // A replica that was just reset leaves its dump thread behind until the primary next
            // writes to it: rotate the binlog once so such threads notice, then give them a few
            // seconds before deciding that someone still replicates with the account.
            let query = binlog_dump_threads_sql(&user);
            let grace = Instant::now() + Duration::from_secs(5);
            let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(500));
            let mut rotated = false;
            loop {
                let rows = self.sql(&own, &query).await?;
                let replicas = rows
                    .first()
                    .and_then(|r| r.get("n").cloned().flatten())
                    .unwrap_or_default();
                if replicas == "0" {
                    self.sql(&own, &drop_user_sql(&user, "%")).await?;
                    break;
                }
                if !rotated {
                    self.sql(&own, FLUSH_BINARY_LOGS).await?;
                    rotated = true;
                }
                match backoff.next_delay(grace.min(self.deadline)) {
                    Some(d) => tokio::time::sleep(d).await,
                    None => {
                        tracing::warn!(user = %user, replicas = %replicas, "replication account kept: replicas still use it");
                        break;
                    }
                }
            }
        } else {
            self.sql(&own, STOP_SLAVE).await?;
            self.sql(&own, RESET_SLAVE_ALL).await?;
        }
        let ours = super::state::strings(&self.state.firewall_allow);
        if !ours.is_empty() {
            let nobody = MemberState {
                firewall_allow: tf_provider::value::Value::Value(vec![]),
                ..self.state.clone()
            };
            Member {
                devices: self.devices,
                state: &nobody,
                deadline: self.deadline,
            }
            .open_firewall(&ours)
            .await?;
        }
        let path = self.my_cnf_path();
        let file = self.host_command(&read_command(&path), None).await?;
        if parse_section(&file).is_some() {
            self.host_command(
                &replace_command(&path),
                Some(remove_section(&file).as_bytes()),
            )
            .await?;
            self.restart().await?;
        }
        Ok(())
    }
}

fn resync_needed(own: &MysqlTarget, error: &str) -> StepError {
    StepError::Device {
        endpoint: own.endpoint(),
        command: START_SLAVE.into(),
        message: format!(
            "replication stopped: {error}; set resync_trigger to resynchronise this secondary"
        ),
    }
}

impl Member<'_, '_> {
    /// Import, secondary: the password it replicates with, from the replica's connection file
    /// (`master.info` in the datadir; the server keeps no other readable copy). `None` when the
    /// file has no password line.
    pub async fn replication_password_in_use(&self) -> Result<Option<String>, StepError> {
        let own = self.own_sql()?;
        let rows = match self.sql(&own, MASTER_INFO_LOCATION).await {
            Ok(rows) => rows,
            // MySQL has no master_info_file variable: the file has its default name there.
            Err(StepError::Transport(TransportError::Sql { .. })) => {
                self.sql(&own, MASTER_INFO_DEFAULT_LOCATION).await?
            }
            Err(e) => return Err(e),
        };
        let column = |name: &str| rows.first().and_then(|r| r.get(name).cloned().flatten());
        let (Some(datadir), Some(file)) = (column("d"), column("f")) else {
            return Ok(None);
        };
        let path = match file.starts_with('/') {
            true => file,
            false => format!("{}/{file}", datadir.trim_end_matches('/')),
        };
        let info = self.host_command(&read_command(&path), None).await?;
        let password = parse_master_info_password(&info);
        if let Some(p) = &password {
            crate::secrets::register(p);
        }
        Ok(password)
    }

    /// Import, primary: the account secondaries replicate with: the one account holding
    /// REPLICATION SLAVE without SUPER (an admin holds both); `None` when there is not exactly one.
    pub async fn replication_account(&self) -> Result<Option<String>, StepError> {
        let rows = self.sql(&self.own_sql()?, REPLICATION_ACCOUNTS).await?;
        let users: Vec<String> = rows
            .iter()
            .filter_map(|r| r.get("u").cloned().flatten())
            .collect();
        Ok(match users.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        })
    }
}

/// Whether the failure means the member could not be reached at all.
pub fn is_unreachable(e: &StepError) -> bool {
    matches!(e, StepError::Transport(t) if t.is_unreachable() || matches!(t, TransportError::ConnectionLost { .. }))
}
