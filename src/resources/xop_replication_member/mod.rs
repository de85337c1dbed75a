//! `xop_replication_member`: one XOP Networks server's membership in the MySQL/MariaDB
//! replication set, primary or secondary (seed xop-mysql-replication-ha).
//!
//! Drift: the managed my.cnf section (`my_cnf_section`, planned as rendered from the
//! configuration) and, on a secondary, the replica threads (`io_running`/`sql_running`, planned
//! `Yes` while replication is enabled). `last_error` carries the server's own message.

mod attributes;
mod checks;
mod import;
mod state;
mod steps;

use crate::client::Devices;
use crate::devices::xop::my_cnf::render_section;
use crate::devices::xop::replication::ThreadState;
use crate::resources::adapter::{Change, DeviceResource, Observed, Outcome, Refusal};
use crate::resources::import_id::{ImportId, ImportShape};
use crate::resources::spec::Spec;
use crate::resources::step::StepError;
use state::*;
use std::sync::Arc;
use steps::{is_unreachable, Member, Observation};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};
use tokio::time::Instant;

pub struct ReplicationMemberResource {
    devices: Arc<Devices>,
}

/// Private state: set by import until the first apply, so a `resync_trigger` the configuration
/// already has is adopted rather than taken as a request to resync.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MemberPrivate {
    pub imported: bool,
}

fn imported() -> Value<MemberPrivate> {
    Value::Value(MemberPrivate { imported: true })
}

/// The trigger goes from unset (after import) to the configured value: nothing to run.
fn trigger_adopted(
    private: &Value<MemberPrivate>,
    prior: &MemberState,
    planned: &MemberState,
) -> bool {
    private.as_ref_option().is_some_and(|p| p.imported)
        && prior.resync_trigger.is_null()
        && planned.resync_trigger.is_value()
}

/// `replication_account` as read from a primary that keeps it.
const ACCOUNT_PRESENT: &str = "present";
const ACCOUNT_MISSING: &str = "missing";

fn thread_text(state: ThreadState) -> &'static str {
    match state {
        ThreadState::Yes => "Yes",
        ThreadState::No => "No",
        ThreadState::Connecting => "Connecting",
    }
}

/// `base` with what the member reports filled in.
fn observed_state<'a>(base: &MemberState<'a>, seen: &Observation) -> MemberState<'a> {
    let mut state = base.clone();
    state.my_cnf_section = seen.section.clone().map(known).unwrap_or(Value::Null);
    state.replication_account = match seen.replication_account {
        Some(true) => known(ACCOUNT_PRESENT),
        Some(false) => known(ACCOUNT_MISSING),
        None => Value::Null,
    };
    if let Some(allowed) = &seen.allowed {
        // Our peers that still have their rule; rules made by others are not ours to report.
        let kept: Vec<_> = strings(&base.firewall_allow)
            .into_iter()
            .filter(|p| allowed.contains(p))
            .map(known)
            .collect();
        state.firewall_allow = Value::Value(kept);
    }
    match (&seen.slave, base.is_primary()) {
        (Some(s), _) => {
            state.io_running = known(thread_text(s.io_running));
            state.sql_running = known(thread_text(s.sql_running));
            state.seconds_behind = s.seconds_behind.map(Value::Value).unwrap_or(Value::Null);
            state.master_log_file = known(s.master_log_file.clone());
            state.master_log_pos = Value::Value(s.read_master_log_pos as i64);
            state.last_error = s.last_error().map(known).unwrap_or(Value::Null);
            state.using_gtid = Value::Value(s.using_gtid);
            state.replication_tls_ca_path = s.tls_ca_file.clone().map(known).unwrap_or(Value::Null);
        }
        (None, primary) => {
            let not_replica = if primary { Value::Null } else { known("No") };
            state.io_running = not_replica.clone();
            state.sql_running = not_replica;
            state.seconds_behind = Value::Null;
            state.last_error = Value::Null;
            state.using_gtid = Value::Null;
            // A primary reports its own binlog coordinates.
            state.master_log_file = seen
                .master
                .as_ref()
                .map(|m| known(m.file.clone()))
                .unwrap_or(Value::Null);
            state.master_log_pos = seen
                .master
                .as_ref()
                .map(|m| Value::Value(m.position as i64))
                .unwrap_or(Value::Null);
        }
    }
    state
}

/// The values the plan promises for the drift-carrying computed attributes.
fn planned_state<'a>(
    proposed: MemberState<'a>,
    prior: Option<&MemberState<'a>>,
) -> Result<MemberState<'a>, String> {
    // `proposed` has unset defaults back at their declared values (the adapter did that).
    let mut plan = proposed.with_defaults();
    plan.id = plan.name.clone();
    plan.my_cnf_section = known(render_section(&plan.managed_options())?);
    let enabled = plan
        .replication_enabled
        .as_ref_option()
        .copied()
        .unwrap_or(true);
    let threads = match (plan.is_primary(), enabled) {
        (true, _) => Value::Null,
        (false, true) => known("Yes"),
        (false, false) => known("No"),
    };
    plan.io_running = threads.clone();
    plan.sql_running = threads;
    plan.replication_account = match plan.is_primary() && plan.replication_password.is_value() {
        true => known(ACCOUNT_PRESENT),
        false => Value::Null,
    };
    // Positions and lag move with every write: known only while nothing changes.
    plan.using_gtid = match (plan.is_primary(), text(&plan.gtid).as_deref()) {
        (true, _) => Value::Null,
        (false, Some("on")) => Value::Value(true),
        (false, Some("off")) => Value::Value(false),
        // "auto": what the servers support decides; known only while nothing changes.
        (false, _) => Value::Unknown,
    };
    let unchanged = prior.is_some_and(|p| {
        let mut same = plan.clone();
        same.seconds_behind = p.seconds_behind;
        same.master_log_file = p.master_log_file.clone();
        same.master_log_pos = p.master_log_pos;
        same.last_error = p.last_error.clone();
        if same.using_gtid.is_unknown() {
            same.using_gtid = p.using_gtid;
        }
        &same == p
    });
    if !unchanged {
        plan.seconds_behind = Value::Unknown;
        plan.master_log_file = Value::Unknown;
        plan.master_log_pos = Value::Unknown;
        plan.last_error = Value::Unknown;
    } else if let Some(p) = prior {
        if plan.using_gtid.is_unknown() {
            plan.using_gtid = p.using_gtid;
        }
        plan.seconds_behind = p.seconds_behind;
        plan.master_log_file = p.master_log_file.clone();
        plan.master_log_pos = p.master_log_pos;
        plan.last_error = p.last_error.clone();
    }
    Ok(plan)
}

impl ReplicationMemberResource {
    pub fn new(devices: Arc<Devices>) -> Self {
        ReplicationMemberResource { devices }
    }

    /// Everything the import ID does not say, read from the server.
    async fn read_for_import(
        &self,
        mut state: MemberState<'static>,
        warnings: &mut Vec<String>,
        deadline: Instant,
    ) -> Result<MemberState<'static>, String> {
        state = state.with_defaults();
        // An empty set makes the observation read the firewall rules.
        state.firewall_allow = Value::Value(vec![]);
        let member = Member {
            devices: &self.devices,
            state: &state,
            deadline,
        };
        let seen = member.observe().await.map_err(|e| e.to_string())?;
        let Some(section) = seen.section.as_deref() else {
            return Err(format!(
                "{} has no uccluster-managed section in its my.cnf: it is not a member uccluster made; to bring a member set up by hand under Terraform, create the resource with adopt_existing = true instead",
                state.name()
            ));
        };
        let mut read = state.clone();
        import::apply_section(
            &mut read,
            &crate::devices::xop::my_cnf::parse_section(section).unwrap_or_default(),
        )?;
        read.firewall_allow = match seen.allowed.clone().unwrap_or_default() {
            peers if peers.is_empty() => Value::Null,
            peers => Value::Value(peers.into_iter().map(known).collect()),
        };
        let tls = state.primary.as_ref_option().map(|p| p.tls_ca_file.clone());
        read.primary = Value::Null;
        if read.is_primary() {
            read.replication_user = member
                .replication_account()
                .await
                .map_err(|e| e.to_string())?
                .map(known)
                .unwrap_or(Value::Null);
        } else if let Some(slave) = &seen.slave {
            read.primary = Value::Value(state::MysqlBlock {
                address: known(slave.master_host.clone()),
                port: Value::Value(slave.master_port as i64),
                tls_ca_file: tls.unwrap_or(Value::Null),
                ..Default::default()
            });
            read.replication_user = known(slave.master_user.clone());
            let stopped_by_hand = slave.io_running == ThreadState::No
                && slave.sql_running == ThreadState::No
                && slave.last_error().is_none();
            read.replication_enabled = Value::Value(!stopped_by_hand);
            match member.replication_password_in_use().await {
                Ok(Some(p)) => read.replication_password = known(p),
                Ok(None) => warnings.push("the replica's master.info holds no password".into()),
                Err(e) => warnings.push(format!("cannot read the replication password: {e}")),
            }
        } else {
            warnings.push("the section says secondary but the server has no replication configured: add the primary block to the configuration".into());
        }
        let read = read.with_defaults();
        let mut imported = observed_state(&read, &seen);
        if read.firewall_allow.is_null() {
            imported.firewall_allow = Value::Null; // no rules: the attribute is not in use
        }
        Ok(imported)
    }

    /// The procedure's steps towards `planned`, in the seed's order.
    async fn converge_steps(
        &self,
        planned: &MemberState<'_>,
        before: Option<&MemberState<'_>>,
        adopt_trigger: bool,
        deadline: Instant,
    ) -> Result<(), StepError> {
        let member = Member {
            devices: &self.devices,
            state: planned,
            deadline,
        };
        if before.is_none() && adopt_existing(planned) {
            member.take_over(true).await?;
        }
        if !planned.is_primary() {
            // Before anything changes here: a colliding server id is a configuration error.
            member.check_server_id().await?;
        }
        if let Some(before) = before {
            member.follow_network_change(before).await?;
        }
        member.configure().await?;
        let previous_peers = before
            .map(|b| strings(&b.firewall_allow))
            .unwrap_or_default();
        member.open_firewall(&previous_peers).await?;
        if planned.is_primary() {
            return member.prepare_primary().await;
        }
        let resync = before.is_some_and(|b| b.resync_trigger != planned.resync_trigger)
            && planned.resync_trigger.is_value()
            && !adopt_trigger;
        if resync {
            member.resync().await?;
        }
        let password_changed =
            before.is_some_and(|b| b.replication_password != planned.replication_password);
        member.replicate(password_changed).await
    }
}

fn adopt_existing(state: &MemberState<'_>) -> bool {
    state
        .adopt_existing
        .as_ref_option()
        .copied()
        .unwrap_or(false)
}

#[async_trait::async_trait]
impl DeviceResource for ReplicationMemberResource {
    type State<'a> = MemberState<'a>;
    type Private<'a> = Value<MemberPrivate>;
    const SPEC: &'static Spec = &attributes::SPEC;
    const IMPORT_ID: &'static ImportShape = &import::IMPORT_ID;
    const NOUN: &'static str = "Replication member";

    fn validate(&self, diags: &mut Diagnostics, config: &Self::State<'_>) {
        if let Value::Value(role) = &config.role {
            if role != ROLE_PRIMARY && role != ROLE_SECONDARY {
                diags.error(
                    "Invalid role",
                    format!("{role:?}: use \"primary\" or \"secondary\""),
                    AttributePath::new("role"),
                );
            }
            match (role.as_ref(), config.primary.is_null()) {
                (ROLE_SECONDARY, true) => diags.error(
                    "Secondary without a primary",
                    "a secondary needs a primary block saying how to reach the primary's MySQL",
                    AttributePath::new("role"),
                ),
                (ROLE_PRIMARY, false) => diags.error(
                    "Primary with a primary block",
                    "only a secondary replicates from a primary; remove the primary block",
                    AttributePath::new("primary"),
                ),
                _ => {}
            }
            if role == ROLE_SECONDARY && config.replication_password.is_null() {
                diags.error(
                    "Secondary without a replication password",
                    "a secondary connects to its primary with replication_user and replication_password; set replication_password",
                    AttributePath::new("replication_password"),
                );
            }
            if role == ROLE_PRIMARY {
                for (set, attribute) in [
                    (config.cluster_address.is_value(), "cluster_address"),
                    (config.primary_host.is_value(), "primary_host"),
                ] {
                    if set {
                        diags.error(
                            format!("{attribute} on a primary"),
                            format!("{attribute} belongs to a secondary (the steps run for it on its primary); a primary's new address reaches the secondaries through their primary.address"),
                            AttributePath::new(attribute),
                        );
                    }
                }
            }
        }
        if let Value::Value(mode) = &config.gtid {
            if !["auto", "on", "off"].contains(&mode.as_ref()) {
                diags.error(
                    "Invalid gtid",
                    format!("{mode:?}: use \"auto\", \"on\" or \"off\""),
                    AttributePath::new("gtid"),
                );
            }
        }
        if config.replication_tls_ca_path.is_value()
            && text(&config.role).as_deref() == Some(ROLE_PRIMARY)
        {
            diags.error(
                "replication_tls_ca_path on a primary",
                "a secondary encrypts the stream it reads from its primary; set it on the secondaries",
                AttributePath::new("replication_tls_ca_path"),
            );
        }
        if let Value::Value(address) = &config.cluster_address {
            if address.parse::<std::net::Ipv4Addr>().is_err() {
                diags.error(
                    "Invalid cluster_address",
                    format!("{address:?} is not an IPv4 address (sysconf takes IPv4 addresses)"),
                    AttributePath::new("cluster_address"),
                );
            }
        }
        let number = |v: &tf_provider::value::ValueNumber| v.as_ref_option().copied();
        let offset = number(&config.auto_increment_offset).or(number(&config.server_id));
        if let (Some(offset), Some(size)) = (offset, number(&config.cluster_size)) {
            if offset > size {
                let at = if config.auto_increment_offset.is_null() {
                    "server_id"
                } else {
                    "auto_increment_offset"
                };
                diags.error(
                    "auto_increment_offset larger than the increment",
                    format!("auto_increment_offset {offset} > cluster_size {size} (auto_increment_increment): ids from different members would collide"),
                    AttributePath::new(at),
                );
            }
        }
        let defaults = config.clone().with_defaults();
        let replicated = strings(&defaults.replicated_databases);
        for db in strings(&defaults.ignored_databases) {
            if replicated.contains(&db) {
                diags.error(
                    "Database both replicated and ignored",
                    format!("{db} is in replicated_databases and ignored_databases"),
                    AttributePath::new("ignored_databases"),
                );
            }
        }
        if config.resync_trigger.is_value() && text(&config.role).as_deref() == Some(ROLE_PRIMARY) {
            diags.error("Resync on a primary", "resync_trigger resynchronises a secondary from its primary; a primary has nothing to resync from", AttributePath::new("resync_trigger"));
        }
        checks::check_primary_address(config, diags);
    }

    fn plan<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed: Self::State<'a>,
        config: &Self::State<'a>,
        prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>> {
        if let Some((prior, _)) = prior {
            let moved = prior.cluster_address.is_value()
                && proposed.cluster_address.is_value()
                && prior.cluster_address != proposed.cluster_address;
            if moved && config.primary_host.is_null() {
                diags.error(
                    "cluster_address changed without primary_host",
                    "the seed's network change runs `sysconf member <new> <old>` on the primary: add a primary_host block saying how to reach the primary's shell",
                    AttributePath::new("cluster_address"),
                );
            }
        }
        let planned = planned_state(proposed, prior.map(|(p, _)| p))
            .map_err(|e| diags.root_error("Cannot plan the managed my.cnf section", e))
            .ok()?;
        if let Some((prior, private)) = prior {
            if trigger_adopted(private, prior, &planned) {
                diags.root_warning(
                    format!("resync_trigger of imported member {} adopted", planned.name()),
                    "the member was imported: the configured resync_trigger is recorded and no resync runs; change it later to resync",
                );
            }
        }
        Some(planned)
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        let member = Member {
            devices: &self.devices,
            state: base,
            deadline,
        };
        match member.observe().await {
            Ok(seen) => Observed::Present(observed_state(base, &seen)),
            Err(e) if is_unreachable(&e) => {
                diags.root_warning(
                    format!("Replication member {} unreachable", base.name()),
                    format!("{e}; showing the last known state"),
                );
                Observed::Unreadable
            }
            Err(e) => {
                diags.root_error(
                    format!("Cannot read replication member {}", base.name()),
                    e.to_string(),
                );
                Observed::Unreadable
            }
        }
    }

    fn report_drift(&self, diags: &mut Diagnostics, observed: &Self::State<'_>) {
        // The state says this member is ours: a section deleted by hand is drift that the next
        // apply writes again, not a stranger that a create would refuse.
        if observed.my_cnf_section.is_null() {
            diags.root_warning(
                format!("Managed my.cnf section of {} missing", observed.name()),
                "the uccluster section was removed from my.cnf outside Terraform; the plan writes it again",
            );
        }
    }

    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        if adopt_existing(planned) {
            // Adopting is the create's first step.
            return Ok(());
        }
        let member = Member {
            devices: &self.devices,
            state: planned,
            deadline,
        };
        member.take_over(false).await.map_err(|e| Refusal {
            summary: format!("Replication member {} not created", planned.name()),
            detail: e.to_string(),
            path: None,
            import: None,
        })
    }

    async fn converge<'a>(
        &self,
        diags: &mut Diagnostics,
        change: &Change<'_, 'a, Self::State<'a>, Self::Private<'a>>,
    ) -> Outcome {
        let adopt_trigger = change
            .prior
            .is_some_and(|prior| trigger_adopted(change.private, prior, change.planned));
        match self
            .converge_steps(change.planned, change.prior, adopt_trigger, change.deadline)
            .await
        {
            Ok(()) => Outcome::Done,
            Err(e) => {
                diags.root_error(
                    format!("Replication member {} not in place", change.planned.name()),
                    e.to_string(),
                );
                Outcome::FailedKeepingPrior
            }
        }
    }

    fn made_anything(&self, observed: &Self::State<'_>) -> bool {
        observed.my_cnf_section.is_value()
    }

    async fn delete<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: &Self::State<'a>,
        deadline: Instant,
    ) {
        let member = Member {
            devices: &self.devices,
            state: prior,
            deadline,
        };
        if let Err(e) = member.dismantle().await {
            diags.root_error(
                format!("Cannot remove replication member {}", prior.name()),
                e.to_string(),
            );
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: ImportId,
        deadline: Instant,
    ) -> Option<(Self::State<'a>, Self::Private<'a>)> {
        let state = match import::state_from_import_id(id) {
            Ok(s) => s,
            Err(e) => {
                diags.root_error("Invalid import ID", e);
                return None;
            }
        };
        // The ID's settings obey the same grammar as the configuration's.
        let mut checked = Diagnostics::default();
        checks::check_attributes(&state, &mut checked);
        if !checked.errors.is_empty() {
            diags.errors.extend(checked.errors);
            return None;
        }
        let name = state.name();
        let mut warnings = Vec::new();
        match self.read_for_import(state, &mut warnings, deadline).await {
            Ok(state) => {
                for w in warnings {
                    diags.root_warning(format!("Importing replication member {name}"), w);
                }
                Some((state, imported()))
            }
            Err(e) => {
                diags.root_error(format!("Cannot import replication member {name}"), e);
                None
            }
        }
    }
}
