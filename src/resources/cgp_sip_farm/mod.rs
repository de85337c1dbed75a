//! `cgp_sip_farm`: a CommuniGate Pro SIP farm across the members of a Dynamic Cluster, over
//! each member's CLI (`devices::cgp`).
//!
//! The model, the seed's rules, the wanted values and the order of the changes are
//! `devices::cgp::farm`'s; this module reads and writes the dictionaries. Every write is a
//! read-modify-write: the dictionary is read (`Get...`), only the keys of the step are changed
//! (`devices::cgp::edit`, every other byte as read) and the whole text is sent back
//! (`Set...`); a step whose keys already hold the wanted values is skipped. The adapter reads
//! everything back after an apply and compares it with the plan, which holds the wanted values
//! in the computed attributes (so a member changed by hand shows in the plan as those
//! attributes changing, and a warning names it).
//!
//! Import ID: `<name>@<member>=<host>[:<port>],...[;frontends=<member>,<member>...]`: the
//! farm's name, then every member by its name and CLI endpoint, in the configuration's order.
//! What the dictionaries hold gives the rest; a member's role is read from its `LegHostMode`
//! (`Locally for Others` or `Locally`: a frontend) unless `frontends=` lists the frontends.

pub mod attributes;
pub mod state;

use crate::client::LineTarget;
use crate::devices::cgp::cli::{parse_reply, set_with_text, simple, Reply};
use crate::devices::cgp::data::Value as CgpValue;
use crate::devices::cgp::edit::{edit, RawDict};
use crate::devices::cgp::encode::encode;
use crate::devices::cgp::farm::{
    self, create_order, defaults, delete_order, wanted_cluster_settings, wanted_settings, At,
    Change as FarmChange, Farm, Finding, Step, Target, LOCALLY, LOCALLY_FOR_OTHERS, MEMBER,
};
use crate::devices::cgp::keys::{unconfirmed_warning, Id};
use crate::providers::cgp::{Cgp, CgpSlot};
use crate::resources::adapter::{Change, DeviceResource, Observed, Outcome, Refusal};
use crate::resources::import_id::{ImportId, ImportNode, ImportShape};
use crate::resources::spec::Spec;
use crate::resources::values::known;
use crate::timeouts::{before, import_deadline};
use attributes::SPEC;
use state::{farm_of, members, FarmState, MemberState, NotYet, Reported, ReportedMember};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics};
use tokio::time::Instant;

/// Every key table entry this resource reads or writes.
const USED: [Id; 11] = [
    Id::GetClusterSettings,
    Id::SetClusterSettings,
    Id::GetNetwork,
    Id::SetNetwork,
    Id::GetClusterNetwork,
    Id::SetClusterNetwork,
    Id::SipFarmMode,
    Id::LegHostMode,
    Id::SignalHostMode,
    Id::ServerWanAddress,
    Id::ClusterWanAddress,
];

pub struct SipFarmResource {
    cgp: Arc<CgpSlot>,
    /// The unconfirmed-key warning was given in this run.
    warned: AtomicBool,
}

impl SipFarmResource {
    pub fn new(cgp: Arc<CgpSlot>) -> Self {
        SipFarmResource {
            cgp,
            warned: AtomicBool::new(false),
        }
    }
}

/// Findings at their attribute paths: errors, or warnings. The path is also written in the
/// detail, since Terraform shows no source line for an attribute the configuration leaves out.
fn report(findings: Vec<Finding>, warning: bool, diags: &mut Diagnostics) {
    for f in findings {
        let (path, text) = match f.at {
            At::Attribute(a) => (AttributePath::new(a), a.to_string()),
            At::Member(j, a) => (
                AttributePath::new("member").index(j as i64).attribute(a),
                format!("member[{j}].{a}"),
            ),
        };
        let detail = format!("{text}: {}", f.detail);
        match warning {
            true => diags.warning(f.summary, detail, path),
            false => diags.error(f.summary, detail, path),
        }
    }
}

/// One member as the devices are asked: its label and CLI.
struct Link {
    name: String,
    target: LineTarget,
}

fn links(cgp: &Cgp, farm: &Farm) -> Vec<Link> {
    farm.members
        .iter()
        .map(|m| Link {
            name: m.name.clone(),
            target: cgp.target(&m.address, m.port),
        })
        .collect()
}

fn where_(link: &Link) -> String {
    format!(
        "member {} ({}:{})",
        link.name, link.target.host, link.target.port
    )
}

/// One command's reply: the data text of a `Get`, nothing of a `Set`; an error carries the
/// command's name, the member and the server's words (never the dictionary, which may hold
/// secrets).
async fn send(cgp: &Cgp, link: &Link, id: Id, line: &str) -> Result<String, String> {
    let mut session = cgp.devices.line(&link.target).await;
    let reply = session
        .request(line)
        .await
        .map_err(|e| format!("{} on {}: {e}", cgp.keys().name(id), where_(link)))?;
    match parse_reply(&reply) {
        Ok(Reply::Data(text)) => Ok(text),
        Ok(Reply::Ok) => Ok(String::new()),
        Err(e) => Err(crate::secrets::mask(&format!(
            "{} on {}: {e}",
            cgp.keys().name(id),
            where_(link)
        ))),
    }
}

/// `id`'s dictionary from the member: read once per run and shared until a write
/// (`Cgp::reads`).
async fn get(cgp: &Cgp, link: &Link, id: Id) -> Result<String, String> {
    cgp.reads
        .get(&link.target, id, async {
            let line = simple(cgp.keys(), id).map_err(|e| e.to_string())?;
            let text = send(cgp, link, id, &line).await?;
            match text.is_empty() {
                true => Ok("{}".into()),
                false => Ok(text),
            }
        })
        .await
}

fn parsed<'t>(cgp: &Cgp, link: &Link, id: Id, text: &'t str) -> Result<RawDict<'t>, String> {
    RawDict::parse(text).map_err(|e| {
        crate::secrets::mask(&format!(
            "{} on {}: the reply is not a dictionary: {e}",
            cgp.keys().name(id),
            where_(link)
        ))
    })
}

/// A mode key's value: the string, another object as its text, `Auto` when absent.
fn mode(dict: &RawDict<'_>, key: &str) -> String {
    match dict.get(key) {
        Some(CgpValue::String(s)) => s.clone(),
        Some(other) => encode(other),
        None => farm::AUTO.to_string(),
    }
}

/// A WAN address key's value as text; `None` when absent or empty.
fn wan(dict: &RawDict<'_>, key: &str) -> Option<String> {
    match dict.get(key)? {
        CgpValue::String(s) if s.trim().is_empty() => None,
        CgpValue::String(s) => Some(s.clone()),
        CgpValue::Ip { address, .. } => Some(address.clone()),
        CgpValue::Null => None,
        other => Some(encode(other)),
    }
}

fn same_address(have: &Option<String>, want: Option<IpAddr>) -> bool {
    match (have, want) {
        (None, None) => true,
        (Some(h), Some(w)) => h.trim().parse::<IpAddr>() == Ok(w),
        _ => false,
    }
}

async fn read_member(cgp: &Cgp, link: &Link) -> Result<ReportedMember, String> {
    let keys = cgp.keys();
    let page = get(cgp, link, Id::GetClusterSettings).await?;
    let page = parsed(cgp, link, Id::GetClusterSettings, &page)?;
    let network = get(cgp, link, Id::GetNetwork).await?;
    let network = parsed(cgp, link, Id::GetNetwork, &network)?;
    Ok(ReportedMember {
        sip_farm_mode: mode(&page, keys.name(Id::SipFarmMode)),
        leg_host_mode: mode(&page, keys.name(Id::LegHostMode)),
        signal_host_mode: mode(&page, keys.name(Id::SignalHostMode)),
        server_wan_address: wan(&network, keys.name(Id::ServerWanAddress)),
    })
}

/// Every member's owned keys, then the cluster-wide one from the first member that answers.
async fn read_all(cgp: &Cgp, links: &[Link]) -> Result<Reported, String> {
    let mut reported = Reported::default();
    for link in links {
        reported.members.push(read_member(cgp, link).await?);
    }
    let mut last = String::from("no member to ask");
    for link in links {
        match get(cgp, link, Id::GetClusterNetwork).await {
            Ok(text) => {
                let dict = parsed(cgp, link, Id::GetClusterNetwork, &text)?;
                reported.cluster_wan_address = wan(&dict, cgp.keys().name(Id::ClusterWanAddress));
                return Ok(reported);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Whether nothing of a farm is on the members: every owned key at its default.
fn nothing(reported: &Reported) -> bool {
    let d = defaults();
    let auto = |id| {
        d.member
            .cluster_page
            .get(&id)
            .copied()
            .unwrap_or(farm::AUTO)
    };
    reported.cluster_wan_address.is_none()
        && reported.members.iter().all(|m| {
            m.sip_farm_mode == auto(Id::SipFarmMode)
                && m.leg_host_mode == auto(Id::LegHostMode)
                && m.signal_host_mode == auto(Id::SignalHostMode)
                && m.server_wan_address.is_none()
        })
}

/// What member `i` must report for `farm`.
fn wanted_report(farm: &Farm, i: usize) -> ReportedMember {
    let w = wanted_settings(farm, i);
    let m = |id| {
        w.cluster_page
            .get(&id)
            .copied()
            .unwrap_or(farm::AUTO)
            .to_string()
    };
    ReportedMember {
        sip_farm_mode: m(Id::SipFarmMode),
        leg_host_mode: m(Id::LegHostMode),
        signal_host_mode: m(Id::SignalHostMode),
        server_wan_address: w.server_wan_address.map(|a| a.to_string()),
    }
}

/// The dictionary commands and the changes of one step (`None` for `deleting`: remove).
fn step_changes(farm: &Farm, step: Step, deleting: bool) -> (Id, Id, Vec<(Id, Option<String>)>) {
    let (get, set) = match step.change {
        FarmChange::ServerWanAddress => (Id::GetNetwork, Id::SetNetwork),
        FarmChange::ClusterWanAddress => (Id::GetClusterNetwork, Id::SetClusterNetwork),
        FarmChange::HostModes | FarmChange::SipFarm => {
            (Id::GetClusterSettings, Id::SetClusterSettings)
        }
    };
    let wanted = |id: Id| -> Option<String> {
        if deleting {
            return None;
        }
        match (step.target, id) {
            (_, Id::ClusterWanAddress) => wanted_cluster_settings(farm)
                .cluster_wan_address
                .map(|a| a.to_string()),
            (Target::Member(i), Id::ServerWanAddress) => wanted_settings(farm, i)
                .server_wan_address
                .map(|a| a.to_string()),
            (Target::Member(i), id) => wanted_settings(farm, i)
                .cluster_page
                .get(&id)
                .map(|v| v.to_string()),
            (Target::Cluster, _) => None,
        }
    };
    let changes = step
        .change
        .keys()
        .iter()
        .map(|&id| (id, wanted(id)))
        .collect();
    (get, set, changes)
}

/// Runs `steps` on the members: each a read-modify-write of one dictionary, skipped when its
/// keys already hold what is wanted (on delete: when they are absent).
async fn run_steps(
    cgp: &Cgp,
    farm: &Farm,
    links: &[Link],
    steps: Vec<Step>,
    deleting: bool,
) -> Result<(), String> {
    let keys = cgp.keys();
    for step in steps {
        let link = match step.target {
            Target::Member(i) => &links[i],
            Target::Cluster => links.first().ok_or("the farm has no member")?,
        };
        let (get_id, set_id, changes) = step_changes(farm, step, deleting);
        // A read-modify-write starts from what the member holds now, not the run's earlier read.
        cgp.reads.forget(&link.target, get_id).await;
        let text = get(cgp, link, get_id).await?;
        let dict = parsed(cgp, link, get_id, &text)?;
        let mut edits: Vec<(&str, Option<CgpValue>)> = Vec::new();
        for (id, want) in &changes {
            let key = keys.name(*id);
            let holds = match id {
                Id::ServerWanAddress | Id::ClusterWanAddress => match deleting {
                    true => dict.get(key).is_none(),
                    false => {
                        same_address(&wan(&dict, key), want.as_ref().and_then(|w| w.parse().ok()))
                    }
                },
                _ => match (deleting, want) {
                    (true, _) => dict.get(key).is_none(),
                    (false, Some(w)) => mode(&dict, key) == *w,
                    (false, None) => true,
                },
            };
            if !holds {
                edits.push((key, want.clone().map(CgpValue::String)));
            }
        }
        if edits.is_empty() {
            continue;
        }
        let edited = edit(&text, &edits).map_err(|e| {
            crate::secrets::mask(&format!("{} on {}: {e}", keys.name(get_id), where_(link)))
        })?;
        let line = set_with_text(keys, set_id, &edited).map_err(|e| e.to_string())?;
        let sent = send(cgp, link, set_id, &line).await;
        cgp.reads
            .written(&link.target, set_id == Id::SetClusterNetwork)
            .await;
        sent?;
    }
    Ok(())
}

/// The import ID of a state's farm.
fn import_id(state: &FarmState<'_>) -> Option<String> {
    let nodes = members(state)
        .into_iter()
        .map(|m| {
            let (address, port) = state::endpoint(m)?;
            Some(ImportNode {
                label: Some(m.name.as_ref_option()?.to_string()),
                address,
                port,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(
        ImportId {
            name: Some(state.name.as_ref_option()?.to_string()),
            nodes,
            settings: Vec::new(),
        }
        .to_string(),
    )
}

fn unknown_reports(state: &mut FarmState<'_>) {
    state.id = Value::Unknown;
    state.cluster_wan_address_reported = Value::Unknown;
    if let Value::Value(list) = &mut state.member {
        for m in list.iter_mut().filter_map(|m| m.as_mut_option()) {
            m.sip_farm_mode = Value::Unknown;
            m.leg_host_mode = Value::Unknown;
            m.signal_host_mode = Value::Unknown;
            m.server_wan_address = Value::Unknown;
        }
    }
}

#[async_trait::async_trait]
impl DeviceResource for SipFarmResource {
    type State<'a> = FarmState<'a>;
    type Private<'a> = ValueEmpty;

    const SPEC: &'static Spec = &SPEC;
    const IMPORT_ID: &'static ImportShape = &ImportShape {
        name: Some(attributes::word),
        labels: Some(attributes::word),
        min_nodes: 1,
        max_nodes: usize::MAX,
        settings: &["frontends"],
        usage: "`<name>@<member>=<host>:<port>,<member>=<host>:<port>,...` with every member in the configuration's order, optionally `;frontends=<member>,<member>` (e.g. `sip@cgp1=10.0.0.1:106,cgp2=10.0.0.2:106`)",
    };
    const NOUN: &'static str = "SIP farm";

    fn validate(&self, diags: &mut Diagnostics, config: &Self::State<'_>) {
        let Ok(config) = SPEC.with_defaults(config.clone()) else {
            return;
        };
        if let Ok(farm) = farm_of(&config) {
            report(farm::findings(&farm), false, diags);
        }
    }

    fn plan<'a>(
        &self,
        diags: &mut Diagnostics,
        mut proposed: Self::State<'a>,
        _config: &Self::State<'a>,
        _prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>> {
        let cgp = self.cgp.get(diags)?;
        let farm = match farm_of(&proposed) {
            Ok(farm) => farm,
            Err(NotYet::Unknown) => {
                unknown_reports(&mut proposed);
                return Some(proposed);
            }
            Err(NotYet::Invalid(e)) => {
                diags.root_error("Invalid SIP farm", e);
                return None;
            }
        };
        let errors = farm::findings(&farm);
        if !errors.is_empty() {
            report(errors, false, diags);
            return None;
        }
        report(farm::warnings(&farm), true, diags);
        if !self.warned.swap(true, Ordering::SeqCst) {
            if let Some(w) = unconfirmed_warning(&cgp.keys().unconfirmed_in_use(&USED)) {
                diags.root_warning("Unconfirmed CommuniGate Pro keys", w);
            }
        }
        proposed.id = import_id(&proposed).map_or(Value::Unknown, known);
        let reported = Reported {
            members: (0..farm.members.len())
                .map(|i| wanted_report(&farm, i))
                .collect(),
            cluster_wan_address: wanted_cluster_settings(&farm)
                .cluster_wan_address
                .map(|a| a.to_string()),
        };
        Some(state::observed(&proposed, &reported))
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        let Some(cgp) = self.cgp.get(diags) else {
            return Observed::Unreadable;
        };
        let farm = match farm_of(base) {
            Ok(farm) => farm,
            Err(e) => {
                diags.root_error("Cannot read the SIP farm", format!("{e:?}"));
                return Observed::Unreadable;
            }
        };
        let links = links(&cgp, &farm);
        match before(deadline, "reading the SIP farm", read_all(&cgp, &links)).await {
            Ok(reported) if nothing(&reported) => Observed::Gone,
            Ok(reported) => Observed::Present(state::observed(base, &reported)),
            Err(e) => {
                diags.root_error("Cannot read the SIP farm", e);
                Observed::Unreadable
            }
        }
    }

    fn report_drift(&self, diags: &mut Diagnostics, observed: &Self::State<'_>) {
        let Ok(farm) = farm_of(observed) else {
            return;
        };
        for (i, m) in members(observed).into_iter().enumerate() {
            let w = wanted_report(&farm, i);
            let have =
                |v: &tf_provider::value::ValueString<'_>| v.as_ref_option().map(|s| s.to_string());
            let mut changed = Vec::new();
            for (key, have, want) in [
                (
                    "SIPFarmMode",
                    have(&m.sip_farm_mode),
                    Some(w.sip_farm_mode.clone()),
                ),
                (
                    "LegHostMode",
                    have(&m.leg_host_mode),
                    Some(w.leg_host_mode.clone()),
                ),
                (
                    "SignalHostMode",
                    have(&m.signal_host_mode),
                    Some(w.signal_host_mode.clone()),
                ),
                (
                    "the WAN address",
                    have(&m.server_wan_address),
                    w.server_wan_address.clone(),
                ),
            ] {
                if have != want {
                    changed.push(format!(
                        "{key} is {}, the configuration wants {}",
                        have.map_or("unset".into(), |h| format!("{h:?}")),
                        want.map_or("unset".into(), |h| format!("{h:?}"))
                    ));
                }
            }
            if !changed.is_empty() {
                let dropped = m.sip_farm_mode.as_ref_option().map(|s| s.as_ref()) != Some(MEMBER)
                    && w.sip_farm_mode == MEMBER;
                diags.warning(
                    format!(
                        "SIP farm member {} changed outside Terraform{}",
                        farm.members[i].name,
                        if dropped {
                            ": dropped from the farm"
                        } else {
                            ""
                        }
                    ),
                    format!(
                        "member {} (member[{i}]): {}",
                        farm.members[i].name,
                        changed.join("; ")
                    ),
                    AttributePath::new("member").index(i as i64),
                );
            }
        }
    }

    /// A farm is settings every member already has (at their defaults), not an object that
    /// exists or not, so a create never refuses: it writes the owned keys, and only those.
    async fn refuse_existing<'a>(
        &self,
        _planned: &Self::State<'a>,
        _deadline: Instant,
    ) -> Result<(), Refusal> {
        Ok(())
    }

    async fn converge<'a>(
        &self,
        diags: &mut Diagnostics,
        change: &Change<'_, 'a, Self::State<'a>, Self::Private<'a>>,
    ) -> Outcome {
        let Some(cgp) = self.cgp.get(diags) else {
            return Outcome::FailedKeepingPrior;
        };
        let Ok(farm) = farm_of(change.planned) else {
            diags.root_error(
                "Cannot apply the SIP farm",
                "the plan has values that are not known",
            );
            return Outcome::FailedKeepingPrior;
        };
        let links = links(&cgp, &farm);
        let steps = create_order(&farm);
        match before(
            change.deadline,
            "applying the SIP farm",
            run_steps(&cgp, &farm, &links, steps, false),
        )
        .await
        {
            Ok(()) => Outcome::Done,
            Err(e) => {
                diags.root_error("Cannot apply the SIP farm", e);
                Outcome::Failed
            }
        }
    }

    async fn delete<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: &Self::State<'a>,
        deadline: Instant,
    ) {
        let Some(cgp) = self.cgp.get(diags) else {
            return;
        };
        let farm = match farm_of(prior) {
            Ok(farm) => farm,
            Err(e) => {
                diags.root_error("Cannot delete the SIP farm", format!("{e:?}"));
                return;
            }
        };
        let links = links(&cgp, &farm);
        let steps = delete_order(&farm);
        if let Err(e) = before(
            deadline,
            "deleting the SIP farm",
            run_steps(&cgp, &farm, &links, steps, true),
        )
        .await
        {
            diags.root_error("Cannot delete the SIP farm", e);
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: ImportId,
        deadline: Instant,
    ) -> Option<(Self::State<'a>, Self::Private<'a>)> {
        let cgp = self.cgp.get(diags)?;
        let name = id.name.clone().unwrap_or_default();
        let frontends: Option<Vec<String>> = id
            .settings
            .iter()
            .find(|(k, _)| k == "frontends")
            .map(|(_, v)| v.split(',').map(|s| s.trim().to_string()).collect());
        let links: Vec<Link> = id
            .nodes
            .iter()
            .map(|n| Link {
                name: n.label.clone().unwrap_or_default(),
                target: cgp.target(&n.address, n.port),
            })
            .collect();
        if let Some(unknown) = frontends
            .iter()
            .flatten()
            .find(|f| !links.iter().any(|l| &l.name == *f))
        {
            diags.root_error(
                "Invalid import ID",
                format!("frontends names {unknown:?}, which is not a member of the ID"),
            );
            return None;
        }
        let reported = match before(
            deadline.min(import_deadline()),
            "reading the SIP farm",
            read_all(&cgp, &links),
        )
        .await
        {
            Ok(r) if nothing(&r) => {
                diags.root_error(
                    "Cannot import the SIP farm",
                    "every member holds the defaults: no SIP farm is configured on them",
                );
                return None;
            }
            Ok(r) => r,
            Err(e) => {
                diags.root_error("Cannot import the SIP farm", e);
                return None;
            }
        };
        let single_vip = reported.cluster_wan_address.is_some();
        let any = |f: &dyn Fn(&ReportedMember) -> bool| reported.members.iter().any(f);
        let mut state = FarmState {
            name: known(name),
            call_legs_on: known(if any(&|m| m.leg_host_mode == LOCALLY) {
                "all"
            } else {
                "frontends"
            }),
            signals_on: known(if any(&|m| m.signal_host_mode == LOCALLY_FOR_OTHERS) {
                "frontends"
            } else {
                "all"
            }),
            media_method: known(if single_vip { "single_vip" } else { "multi_ip" }),
            cluster_wan_address: reported
                .cluster_wan_address
                .clone()
                .map_or(Value::Null, known),
            member: Value::Value(
                id.nodes
                    .iter()
                    .zip(&reported.members)
                    .map(|(n, r)| {
                        let label = n.label.clone().unwrap_or_default();
                        let frontend = match &frontends {
                            Some(list) => list.contains(&label),
                            None => {
                                r.leg_host_mode == LOCALLY_FOR_OTHERS || r.leg_host_mode == LOCALLY
                            }
                        };
                        Value::Value(MemberState {
                            name: known(label),
                            address: known(n.address.clone()),
                            port: n.port.map_or(Value::Null, |p| Value::Value(p.into())),
                            role: known(if frontend { "frontend" } else { "backend" }),
                            sip_farm: known(if r.sip_farm_mode == MEMBER {
                                "member"
                            } else {
                                "relay"
                            }),
                            wan_address: match single_vip {
                                true => Value::Null,
                                false => r.server_wan_address.clone().map_or(Value::Null, known),
                            },
                            ..Default::default()
                        })
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        state.id = import_id(&state).map_or(Value::Null, known);
        Some((state::observed(&state, &reported), ValueEmpty::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_import_id_parses_and_prints_back() {
        let id = "sip@fe5=64.173.55.180:106,be1=10.0.1.11;frontends=fe5";
        let parsed = <SipFarmResource as DeviceResource>::IMPORT_ID
            .parse(id)
            .expect("parses");
        assert_eq!(parsed.name.as_deref(), Some("sip"));
        assert_eq!(parsed.nodes.len(), 2);
        assert_eq!(parsed.nodes[0].label.as_deref(), Some("fe5"));
        assert_eq!(parsed.nodes[1].port, None);
        assert_eq!(parsed.settings, vec![("frontends".into(), "fe5".into())]);
        let state = FarmState {
            name: known("sip"),
            member: Value::Value(
                parsed
                    .nodes
                    .iter()
                    .map(|n| {
                        Value::Value(MemberState {
                            name: known(n.label.clone().unwrap_or_default()),
                            address: known(n.address.clone()),
                            port: n.port.map_or(Value::Null, |p| Value::Value(p.into())),
                            ..Default::default()
                        })
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        assert_eq!(
            import_id(&state).as_deref(),
            Some("sip@fe5=64.173.55.180:106,be1=10.0.1.11")
        );
    }

    #[test]
    fn values_read_as_the_state_shows_them() {
        let text = "{SIPFarmMode=Member;LegHostMode=\"Locally for Others\";WANAddress=\"\";Other=#I[10.0.0.1];}";
        let dict = RawDict::parse(text).unwrap();
        assert_eq!(mode(&dict, "SIPFarmMode"), "Member");
        assert_eq!(mode(&dict, "LegHostMode"), "Locally for Others");
        assert_eq!(mode(&dict, "SignalHostMode"), "Auto", "absent: the default");
        assert_eq!(wan(&dict, "WANAddress"), None, "empty: none");
        assert_eq!(wan(&dict, "Other").as_deref(), Some("10.0.0.1"));
        assert_eq!(wan(&dict, "Missing"), None);
        assert!(same_address(
            &Some(" 192.0.2.1".into()),
            "192.0.2.1".parse().ok()
        ));
        assert!(!same_address(&None, "192.0.2.1".parse().ok()));
    }
}
