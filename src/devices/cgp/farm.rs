//! The pure model and rules of a CommuniGate Pro SIP farm (`cgp_sip_farm`): what the user
//! declares ([`Farm`]), the seed's rules checked at plan time ([`findings`] are errors,
//! [`warnings`] are not), what each member's dictionaries must hold ([`wanted_settings`],
//! [`wanted_cluster_settings`]), what delete restores ([`defaults`]) and the safe order of the
//! changes ([`create_order`], [`delete_order`]).
//!
//! Sources: the seed `shared/seeds/communigate-cluster-sip-farm-lb.txt` (S5, quoted below) and
//! `shared/reference/cgp-interface.md` (S1..S16, §1 values, §6 semantics and WAN rules, §7
//! isolation). The CGP values are the key table's opaque strings ([`super::keys`]): the
//! mappings below say how sure each one is.
//!
//! Findings reuse the balancer rules' [`Finding`]/[`At`]: both resources have `member` blocks,
//! so `At::Member(i, "wan_address")` is `member[i].wan_address` and one reporter serves both.

use std::collections::BTreeMap;
use std::net::IpAddr;

pub use crate::devices::lb::rules::{At, Finding};

use super::keys::Id;

/// A member's place in the Dynamic Cluster. Not written to the server (CGP knows it from its
/// cluster configuration); declared so the rules know which members face the Internet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Frontend,
    Backend,
}

/// The member's `SIPFarmMode` (S3 v5.1 UI labels; S5 "SIP Farm setting set to Member").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FarmRole {
    /// Takes part in the farm: the balancer sends it SIP packets (S5).
    Member,
    /// Not a member: sends SIP through the current farm members (cgp-interface.md §6, "for
    /// backends without Internet access").
    Relay,
}

/// Where call legs (`call_legs_on`) or signals (`signals_on`) may be created; the user's words
/// are `frontends` and `all`.
///
/// "Frontends" means the members with direct Internet access: the frontends, or every member of
/// a cluster without frontends ([`has_internet`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Only on the members with direct Internet access. The default for call legs: S5 "they
    /// should run only on those Cluster members that have direct access to the Internet".
    Frontends,
    /// On every member. The default for signals: S5 "Real-Time Signals can be generated on
    /// other cluster members, too".
    All,
}

/// `media_method`: how media reaches the members (S5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaMethod {
    /// `single_vip`: S5's single-IP method: one cluster-wide WAN address G0 in front of all
    /// members, at most 64000 media ports for the whole cluster.
    SingleVip,
    /// `multi_ip`: S5's "multi-IP" method: each frontend has its own mapped address Gi.
    MultiIp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FarmMember {
    /// The cluster member's name (our label, also in the import ID: a word).
    pub name: String,
    /// Its CLI host (IP address or DNS name).
    pub address: String,
    /// Its CLI port; `None` = the provider's port (106 unless configured).
    pub port: Option<u16>,
    pub role: Role,
    pub sip_farm: FarmRole,
    /// Its Server-wide WAN IP Address: Gi for the multi-IP method, none for single-IP.
    pub wan_address: Option<IpAddr>,
}

/// The declaration. The media method and the cluster-wide address are two fields, as the two
/// attributes are, rather than `enum Media { SingleVip { cluster_wan_address }, MultiIp }`: a
/// type that cannot hold a missing or stray `cluster_wan_address` cannot report it at its path
/// either, and plan-time validation must (issue 13).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Farm {
    pub members: Vec<FarmMember>,
    pub call_legs_on: Placement,
    pub signals_on: Placement,
    pub media_method: MediaMethod,
    /// The Cluster-wide WAN IP Address (S5's G0): required for single_vip, absent for multi_ip.
    pub cluster_wan_address: Option<IpAddr>,
}

impl Farm {
    fn has_frontends(&self) -> bool {
        self.members.iter().any(|m| m.role == Role::Frontend)
    }
}

/// Whether member `i` has direct access to the Internet: a frontend, or any member of a cluster
/// without frontends. S5 ties frontends to the Internet ("In this configuration frontend Servers
/// have direct access to the Internet") and makes its frontend rule conditional ("If your
/// Cluster has Frontend Servers"); in a cluster of backends only, the backends are the ones
/// clients reach. Confidence: LIKELY (an inference from S5, not a sentence of it).
pub fn has_internet(farm: &Farm, i: usize) -> bool {
    farm.members[i].role == Role::Frontend || !farm.has_frontends()
}

/// The seed's words on call legs, quoted in the error.
pub const CALL_LEGS_REASON: &str = "These Call Leg objects manage XIMSS user Media channels and they should be able to exchange media with external entities, so they should run only on those Cluster members that have direct access to the Internet";

/// The seed's words on which members join the farm, quoted in the warning.
pub const FARM_MEMBERS_REASON: &str =
    "If your Cluster has Frontend Servers, then all or some of the Frontend Servers should be used as SIP Farm members";

/// The seed's single-IP WAN rule, quoted in the errors.
pub const SINGLE_IP_REASON: &str = "The Server-wide WAN IP Address setting should be left empty on all Cluster Members. The Cluster-wide WAN IP Address setting should specify the G0 address";

/// The seed's multi-IP WAN rule, quoted in the errors.
pub const MULTI_IP_REASON: &str = "specify the \"mapped\" IP addresses as Server-wide WAN IP Addresses: G1 for the frontend Server with L1 IP address, G2 for the frontend Server with L2 IP address, etc.";

/// The seed's capacity limit of the single-IP method, quoted in the warning.
pub const SINGLE_IP_CAPACITY_REASON: &str = "This method should not be used for large installations (unless there is little or no media termination): it allows you to allocate only 64000 ports for all Cluster media streams (each AVP stream takes 2 ports, so the total number of audio streams is limited to 32000, and if video is used (together with audio), such a Cluster cannot support more than 16,000 concurrent A/V sessions";

/// S5: media ports of the whole cluster under the single-IP method.
pub const SINGLE_IP_MEDIA_PORTS: u32 = 64000;
/// S5: "each AVP stream takes 2 ports" (RTP and RTCP).
pub const PORTS_PER_STREAM: u32 = 2;

/// Member names are words, as in the import ID (`resources/import_id.rs` uses the same bound).
const NAME_MAX: usize = 63;

fn member_at(i: usize, attribute: &'static str, summary: &'static str, detail: String) -> Finding {
    Finding {
        at: At::Member(i, attribute),
        summary,
        detail,
    }
}

/// A WAN address must be one the Internet can send media to.
fn unroutable(a: &IpAddr) -> Option<&'static str> {
    if a.is_unspecified() {
        Some("the unspecified address")
    } else if a.is_loopback() {
        Some("a loopback address")
    } else if a.is_multicast() {
        Some("a multicast address")
    } else {
        None
    }
}

/// Every way `farm` breaks the seed's rules: errors, each at its attribute.
pub fn findings(farm: &Farm) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, m) in farm.members.iter().enumerate() {
        if let Err(e) = crate::grammar::check_word(&m.name, NAME_MAX) {
            out.push(member_at(
                i,
                "name",
                "Invalid member name",
                format!("{:?} {e}", m.name),
            ));
        }
        if let Err(e) = crate::grammar::check_host(&m.address) {
            out.push(member_at(i, "address", "Invalid address", e));
        }
        if let Some(Err(e)) = m.port.map(|p| crate::grammar::check_port(p.into())) {
            out.push(member_at(i, "port", "Invalid port", e));
        }
        let earlier = &farm.members[..i];
        if earlier.iter().any(|o| o.name == m.name) {
            out.push(member_at(
                i,
                "name",
                "Duplicate member",
                format!(
                    "member {:?} is listed twice; each cluster member appears once",
                    m.name
                ),
            ));
        }
        // Host names compare without case (DNS); an absent port is the provider's port, which
        // only another absent port is known to equal here.
        if earlier
            .iter()
            .any(|o| o.address.eq_ignore_ascii_case(&m.address) && o.port == m.port)
        {
            out.push(member_at(
                i,
                "address",
                "Duplicate endpoint",
                format!(
                    "{} port {} is already the CLI endpoint of another member; each member has its own",
                    m.address,
                    m.port.map_or("(the provider's)".to_string(), |p| p.to_string())
                ),
            ));
        }
        if let Some((address, why)) = m.wan_address.and_then(|a| unroutable(&a).map(|w| (a, w))) {
            out.push(member_at(
                i,
                "wan_address",
                "Unroutable WAN address",
                format!(
                    "{address} is {why}; a WAN address is where clients on the Internet send media"
                ),
            ));
        }
    }

    // S5: "The CommuniGate Pro Cluster maintains the information about all its Servers with
    // the SIP Farm setting set to Member. Incoming UDP packets and TCP connections are
    // distributed to those Servers": with none, the balancer has nobody to send to.
    if !farm.members.iter().any(|m| m.sip_farm == FarmRole::Member) {
        out.push(Finding {
            at: At::Attribute("member"),
            summary: "No SIP farm member",
            detail: "at least one member block needs sip_farm = \"member\": the seed: \"The CommuniGate Pro Cluster maintains the information about all its Servers with the SIP Farm setting set to Member. Incoming UDP packets and TCP connections are distributed to those Servers\"".into(),
        });
    }

    // S5 on call legs; an error, not a warning: a leg on a member without Internet access
    // cannot exchange media, which is the one-way or lost audio issue 13 exists to prevent.
    if farm.call_legs_on == Placement::All {
        let offline: Vec<&str> = (0..farm.members.len())
            .filter(|&i| !has_internet(farm, i))
            .map(|i| farm.members[i].name.as_str())
            .collect();
        if !offline.is_empty() {
            out.push(Finding {
                at: At::Attribute("call_legs_on"),
                summary: "Call legs on members without Internet access",
                detail: format!(
                    "call_legs_on = \"all\" would create call legs on the backends {}; the seed: \"{CALL_LEGS_REASON}\". Use call_legs_on = \"frontends\"",
                    offline.join(", ")
                ),
            });
        }
    }

    match farm.media_method {
        MediaMethod::SingleVip => {
            if farm.cluster_wan_address.is_none() {
                out.push(Finding {
                    at: At::Attribute("cluster_wan_address"),
                    summary: "Missing cluster-wide WAN address",
                    detail: format!(
                        "media_method = \"single_vip\" needs cluster_wan_address (the balancer's G0 address); the seed: \"{SINGLE_IP_REASON}\""
                    ),
                });
            }
            for (i, m) in farm.members.iter().enumerate() {
                if let Some(a) = m.wan_address {
                    out.push(member_at(
                        i,
                        "wan_address",
                        "Server-wide WAN address with single_vip",
                        format!(
                            "member {:?} has wan_address = {a}; with media_method = \"single_vip\" remove it; the seed: \"{SINGLE_IP_REASON}\"",
                            m.name
                        ),
                    ));
                }
            }
        }
        MediaMethod::MultiIp => {
            if let Some(a) = farm.cluster_wan_address {
                out.push(Finding {
                    at: At::Attribute("cluster_wan_address"),
                    summary: "Cluster-wide WAN address with multi_ip",
                    detail: format!(
                        "cluster_wan_address = {a} belongs to media_method = \"single_vip\"; with \"multi_ip\" each frontend has its own wan_address instead; the seed: \"{MULTI_IP_REASON}\""
                    ),
                });
            }
            for (i, m) in farm.members.iter().enumerate() {
                match m.wan_address {
                    None if has_internet(farm, i) => out.push(member_at(
                        i,
                        "wan_address",
                        "Missing WAN address",
                        format!(
                            "member {:?} faces the Internet and media_method = \"multi_ip\": give it the balancer address mapped to it; the seed: \"{MULTI_IP_REASON}\"",
                            m.name
                        ),
                    )),
                    Some(a) if farm.members[..i].iter().any(|o| o.wan_address == Some(a)) => {
                        out.push(member_at(
                            i,
                            "wan_address",
                            "Duplicate WAN address",
                            format!(
                                "{a} is already another member's wan_address; with \"multi_ip\" each frontend has its own mapped address (G1, G2, ...); the seed: \"{MULTI_IP_REASON}\""
                            ),
                        ))
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some((address, why)) = farm
        .cluster_wan_address
        .and_then(|a| unroutable(&a).map(|w| (a, w)))
    {
        out.push(Finding {
            at: At::Attribute("cluster_wan_address"),
            summary: "Unroutable WAN address",
            detail: format!(
                "{address} is {why}; a WAN address is where clients on the Internet send media"
            ),
        });
    }
    out
}

/// What the seed advises against without forbidding: warnings, each at its attribute.
pub fn warnings(farm: &Farm) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, m) in farm.members.iter().enumerate() {
        // One check covers both "farm members should be frontends when the cluster has
        // frontends" and "backends are relays": with two roles and two farm settings, both
        // break exactly when a backend is a Member in a cluster with frontends. A warning: S5
        // says "should", and a balancer may well reach a backend on the inside network; what
        // breaks (SIP from a member the Internet cannot reach) depends on the site.
        if m.sip_farm == FarmRole::Member && !has_internet(farm, i) {
            out.push(member_at(
                i,
                "sip_farm",
                "Backend in the SIP farm",
                format!(
                    "backend {:?} is a SIP farm member while the cluster has frontends; the seed: \"{FARM_MEMBERS_REASON}\", and cgp-interface.md §6: Relay is for backends without Internet access. Use sip_farm = \"relay\" unless this backend faces the Internet",
                    m.name
                ),
            ));
        }
        // S5 names a mapped Gi per frontend only; a backend's WAN address advertises an address
        // the balancer does not map to it.
        if farm.media_method == MediaMethod::MultiIp
            && m.wan_address.is_some()
            && !has_internet(farm, i)
        {
            out.push(member_at(
                i,
                "wan_address",
                "WAN address on a backend",
                format!(
                    "backend {:?} has no direct Internet access, and the seed maps addresses to frontends only: \"{MULTI_IP_REASON}\"",
                    m.name
                ),
            ));
        }
    }
    if farm.media_method == MediaMethod::SingleVip {
        let streams = SINGLE_IP_MEDIA_PORTS / PORTS_PER_STREAM;
        out.push(Finding {
            at: At::Attribute("media_method"),
            summary: "single_vip media capacity",
            detail: format!(
                "with media_method = \"single_vip\" the whole cluster has {SINGLE_IP_MEDIA_PORTS} media ports, {PORTS_PER_STREAM} per AVP stream: at most {streams} audio streams or {} audio+video sessions, however many members there are; the seed: \"{SINGLE_IP_CAPACITY_REASON}\". Use \"multi_ip\" for a large installation",
                streams / 2
            ),
        });
    }
    if farm.signals_on == Placement::Frontends {
        out.push(Finding {
            at: At::Attribute("signals_on"),
            summary: "Unconfirmed signal mode",
            detail: format!(
                "signals_on = \"frontends\" writes SignalHostMode = {LOCALLY_FOR_OTHERS:?} on the frontends and {AUTO:?} elsewhere: only {AUTO:?} was seen for SignalHostMode (cgp-interface.md §1, S15); the other value follows LegHostMode on the same page. Check it on a live server (the cgp_member_settings data source), or keep the default \"all\""
            ),
        });
    }
    out
}

/// `Auto`: S15's form value of all three modes, and what delete restores.
pub const AUTO: &str = "Auto";
/// S5 "SIP Farm setting set to Member"; S3 v5.1 UI label. CONFIRMED as a label.
pub const MEMBER: &str = "Member";
/// S3 v5.1 UI label. CONFIRMED as a label.
pub const RELAY: &str = "Relay";
/// S4 v5.2 UI label: "If the Locally option is selected, Call Legs will be processed in the
/// \"regular\" way: when any Server component needs to create a Call Leg object, it is created
/// directly on this Server" (umail.ru/Guide/ClusterTasks.html).
pub const LOCALLY: &str = "Locally";
/// S4 v5.2 UI label; its description is truncated in the stored pages.
pub const LOCALLY_FOR_OTHERS: &str = "Locally for Others";

/// The owned keys of one member's dictionaries for the farm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSettings {
    /// The Cluster page (`GetClusterSettings`): `SipFarmMode`, `LegHostMode`, `SignalHostMode`
    /// to their values, as the key table's opaque strings.
    pub cluster_page: BTreeMap<Id, &'static str>,
    /// The Server-wide WAN IP Address (`GetNetwork`, key `ServerWanAddress`); `None` = empty.
    pub server_wan_address: Option<IpAddr>,
}

/// The owned key of the cluster-wide network dictionary (`GetClusterNetwork`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSettings {
    /// The Cluster-wide WAN IP Address (key `ClusterWanAddress`); `None` = empty.
    pub cluster_wan_address: Option<IpAddr>,
}

/// `LegHostMode` for member `i`.
///
/// - `frontends`: the members with Internet access get `Locally for Others`: legs are created
///   there, for this member and for the others (the label's plain reading; S4's description is
///   truncated). Confidence: LIKELY.
/// - `frontends`, the other members: `Auto`. GUESS: the only other literal seen (S15); we rely
///   on `Auto` not creating legs locally on a member while `Locally for Others` members exist.
///   A literal such as "Remotely" was never seen, so none is invented (cgp-interface.md §7.2).
/// - `all`: `Locally` on every member: S4 "it is created directly on this Server". CONFIRMED
///   as S4's text; allowed only when every member faces the Internet ([`findings`]).
fn leg_mode(farm: &Farm, i: usize) -> &'static str {
    match farm.call_legs_on {
        Placement::All => LOCALLY,
        Placement::Frontends if has_internet(farm, i) => LOCALLY_FOR_OTHERS,
        Placement::Frontends => AUTO,
    }
}

/// `SignalHostMode` for member `i`.
///
/// - `all` (the default): `Auto` on every member: S5 lets signals start anywhere, and `Auto` is
///   the one value seen (S15) and what a fresh server has (see [`defaults`]). LIKELY.
/// - `frontends`: `Locally for Others` on the members with Internet access, `Auto` elsewhere, by
///   analogy with `LegHostMode` on the same page. GUESS, and [`warnings`] says so.
fn signal_mode(farm: &Farm, i: usize) -> &'static str {
    match farm.signals_on {
        Placement::Frontends if has_internet(farm, i) => LOCALLY_FOR_OTHERS,
        _ => AUTO,
    }
}

/// What member `i`'s dictionaries must hold for `farm`.
pub fn wanted_settings(farm: &Farm, i: usize) -> MemberSettings {
    let m = &farm.members[i];
    let farm_mode = match m.sip_farm {
        FarmRole::Member => MEMBER,
        FarmRole::Relay => RELAY,
    };
    MemberSettings {
        cluster_page: BTreeMap::from([
            (Id::SipFarmMode, farm_mode),
            (Id::LegHostMode, leg_mode(farm, i)),
            (Id::SignalHostMode, signal_mode(farm, i)),
        ]),
        // S5: empty on every member for single-IP; Gi on each frontend for multi-IP.
        server_wan_address: match farm.media_method {
            MediaMethod::SingleVip => None,
            MediaMethod::MultiIp => m.wan_address,
        },
    }
}

/// What the cluster-wide network dictionary must hold for `farm`: G0 for single-IP (S5), empty
/// for multi-IP.
pub fn wanted_cluster_settings(farm: &Farm) -> ClusterSettings {
    ClusterSettings {
        cluster_wan_address: match farm.media_method {
            MediaMethod::SingleVip => farm.cluster_wan_address,
            MediaMethod::MultiIp => None,
        },
    }
}

/// What a fresh server has, and what delete restores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defaults {
    pub member: MemberSettings,
    pub cluster: ClusterSettings,
}

/// The fresh server's values: `Auto` for the three modes and no WAN address.
///
/// Delete restores them by REMOVING the owned keys, not by writing these literals
/// (cgp-interface.md §7: CGP's files omit keys left at default, S10); these values are what an
/// absent key reads as when a read is compared. Confidence: no WAN address on a fresh server,
/// LIKELY (S5 asks the administrator to set one; S10's files hold only set keys); `Auto` as
/// the modes' default, GUESS (S15 shows `Auto` as a submitted form value, which a script
/// leaving the page untouched would send, but not that it is the default).
pub fn defaults() -> Defaults {
    Defaults {
        member: MemberSettings {
            cluster_page: BTreeMap::from([
                (Id::SipFarmMode, AUTO),
                (Id::LegHostMode, AUTO),
                (Id::SignalHostMode, AUTO),
            ]),
            server_wan_address: None,
        },
        cluster: ClusterSettings {
            cluster_wan_address: None,
        },
    }
}

/// Which dictionary a step writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The cluster-wide network dictionary (`SetClusterNetwork`, through any member).
    Cluster,
    /// Member `i` (index into [`Farm::members`]).
    Member(usize),
}

/// What a step changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The member's Server-wide WAN IP Address (`SetNetwork`).
    ServerWanAddress,
    /// The Cluster-wide WAN IP Address (`SetClusterNetwork`).
    ClusterWanAddress,
    /// The member's call leg and signal modes (`SetClusterSettings`).
    HostModes,
    /// The member's SIP farm mode (`SetClusterSettings`, a write of its own so it can come last
    /// on create and first on delete).
    SipFarm,
}

impl Change {
    /// The key table entries this step writes.
    pub fn keys(self) -> &'static [Id] {
        match self {
            Change::ServerWanAddress => &[Id::ServerWanAddress],
            Change::ClusterWanAddress => &[Id::ClusterWanAddress],
            Change::HostModes => &[Id::LegHostMode, Id::SignalHostMode],
            Change::SipFarm => &[Id::SipFarmMode],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub target: Target,
    pub change: Change,
}

/// The steps of create (and update), in order. The resource skips a step whose keys already
/// hold the wanted values.
///
/// 1. WAN addresses, the scope the method leaves empty first: single_vip clears every member's
///    Server-wide address, then sets the cluster-wide G0 (issue 13's order, after S5's two
///    sentences: a Server-wide address left on a member would stand for it instead of G0);
///    multi_ip clears the cluster-wide address, then sets each member's Gi (the same rule).
/// 2. Each member's call leg and signal modes.
/// 3. SIP farm membership last, so the balancer never sends to a half-configured member: the
///    `Relay`s first, then the `Member`s, so the very last writes are the ones that make members
///    take the balancer's packets, when everything they rely on (including the relays that send
///    SIP through them, cgp-interface.md §6) is in place.
pub fn create_order(farm: &Farm) -> Vec<Step> {
    let n = farm.members.len();
    let member = |i, change| Step {
        target: Target::Member(i),
        change,
    };
    let cluster = Step {
        target: Target::Cluster,
        change: Change::ClusterWanAddress,
    };
    let mut steps = Vec::new();
    match farm.media_method {
        MediaMethod::SingleVip => {
            steps.extend((0..n).map(|i| member(i, Change::ServerWanAddress)));
            steps.push(cluster);
        }
        MediaMethod::MultiIp => {
            steps.push(cluster);
            steps.extend((0..n).map(|i| member(i, Change::ServerWanAddress)));
        }
    }
    steps.extend((0..n).map(|i| member(i, Change::HostModes)));
    for role in [FarmRole::Relay, FarmRole::Member] {
        steps.extend(
            (0..n)
                .filter(|&i| farm.members[i].sip_farm == role)
                .map(|i| member(i, Change::SipFarm)),
        );
    }
    steps
}

/// The steps of delete: create's in reverse, so SIP farm membership goes first (the members
/// leave the farm, then the relays, before anything the members serve with changes), then the
/// modes, then the WAN addresses. Each step restores [`defaults`] by removing its keys.
pub fn delete_order(farm: &Farm) -> Vec<Step> {
    let mut steps = create_order(farm);
    steps.reverse();
    steps
}
