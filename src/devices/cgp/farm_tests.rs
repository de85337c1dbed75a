//! The SIP farm's rules, wanted settings and order, on the seed's four-member site: frontends
//! fe5 and fe6 (the seed's 64.173.55.180/.181) in the farm, two backends as relays, under both
//! media methods.

use super::farm::*;
use super::keys::Id;
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn member(name: &str, address: &str, role: Role, sip_farm: FarmRole) -> FarmMember {
    FarmMember {
        name: name.into(),
        address: address.into(),
        port: None,
        role,
        sip_farm,
        wan_address: None,
    }
}

/// The seed's single-IP site: G0 is the VIP 64.173.55.164.
fn single_vip() -> Farm {
    Farm {
        members: vec![
            member("fe5", "64.173.55.180", Role::Frontend, FarmRole::Member),
            member("fe6", "64.173.55.181", Role::Frontend, FarmRole::Member),
            member("be1", "10.0.1.1", Role::Backend, FarmRole::Relay),
            member("be2", "be2.cluster.example", Role::Backend, FarmRole::Relay),
        ],
        call_legs_on: Placement::Frontends,
        signals_on: Placement::All,
        media_method: MediaMethod::SingleVip,
        cluster_wan_address: Some(ip("64.173.55.164")),
    }
}

/// The same site with the multi-IP method: G1, G2 mapped to the two frontends.
fn multi_ip() -> Farm {
    let mut farm = single_vip();
    farm.media_method = MediaMethod::MultiIp;
    farm.cluster_wan_address = None;
    farm.members[0].wan_address = Some(ip("64.173.55.165"));
    farm.members[1].wan_address = Some(ip("64.173.55.166"));
    farm
}

fn at(found: &[Finding]) -> Vec<At> {
    found.iter().map(|f| f.at.clone()).collect()
}

#[test]
fn the_seeds_site_passes_under_both_methods() {
    assert_eq!(findings(&single_vip()), vec![]);
    assert_eq!(findings(&multi_ip()), vec![]);
    assert_eq!(warnings(&multi_ip()), vec![]);
}

#[test]
fn single_vip_warns_of_its_capacity_with_the_seeds_numbers() {
    let w = warnings(&single_vip());
    assert_eq!(at(&w), vec![At::Attribute("media_method")]);
    for number in [
        "64000 media ports",
        "2 per AVP stream",
        "32000 audio streams",
        "16000 audio+video",
    ] {
        assert!(w[0].detail.contains(number), "{number}: {}", w[0].detail);
    }
    assert!(
        w[0].detail.contains("16,000 concurrent A/V sessions"),
        "quotes the seed"
    );
}

#[test]
fn single_vip_needs_g0_and_no_server_wide_address() {
    let mut farm = single_vip();
    farm.cluster_wan_address = None;
    farm.members[1].wan_address = Some(ip("64.173.55.166"));
    farm.members[3].wan_address = Some(ip("64.173.55.167"));
    let found = findings(&farm);
    assert_eq!(
        at(&found),
        vec![
            At::Attribute("cluster_wan_address"),
            At::Member(1, "wan_address"),
            At::Member(3, "wan_address"),
        ]
    );
    assert!(found[0].detail.contains("should specify the G0 address"));
    assert!(found[1]
        .detail
        .contains("should be left empty on all Cluster Members"));
}

#[test]
fn multi_ip_needs_a_distinct_address_on_every_frontend_and_no_cluster_wide_one() {
    let mut farm = multi_ip();
    farm.cluster_wan_address = Some(ip("64.173.55.164"));
    farm.members[0].wan_address = None;
    let found = findings(&farm);
    assert_eq!(
        at(&found),
        vec![
            At::Attribute("cluster_wan_address"),
            At::Member(0, "wan_address")
        ]
    );
    assert!(found
        .iter()
        .all(|f| f.detail.contains("G1 for the frontend Server with L1")));

    let mut farm = multi_ip();
    farm.members[1].wan_address = farm.members[0].wan_address;
    let found = findings(&farm);
    assert_eq!(at(&found), vec![At::Member(1, "wan_address")]);
    assert_eq!(found[0].summary, "Duplicate WAN address");

    // A backend needs none; one given is a warning.
    let mut farm = multi_ip();
    farm.members[2].wan_address = Some(ip("64.173.55.170"));
    assert_eq!(findings(&farm), vec![]);
    assert_eq!(at(&warnings(&farm)), vec![At::Member(2, "wan_address")]);
}

#[test]
fn wan_addresses_must_be_reachable() {
    let mut farm = multi_ip();
    farm.members[0].wan_address = Some(ip("127.0.0.1"));
    farm.members[1].wan_address = Some(ip("::"));
    assert_eq!(
        at(&findings(&farm)),
        vec![At::Member(0, "wan_address"), At::Member(1, "wan_address")]
    );
    let mut farm = single_vip();
    farm.cluster_wan_address = Some(ip("224.0.0.1"));
    assert_eq!(
        at(&findings(&farm)),
        vec![At::Attribute("cluster_wan_address")]
    );
}

#[test]
fn at_least_one_farm_member() {
    let mut farm = single_vip();
    for m in &mut farm.members {
        m.sip_farm = FarmRole::Relay;
    }
    let found = findings(&farm);
    assert_eq!(at(&found), vec![At::Attribute("member")]);
    assert!(found[0].detail.contains("SIP Farm setting set to Member"));
    farm.members.clear();
    assert_eq!(at(&findings(&farm)), vec![At::Attribute("member")]);
}

#[test]
fn a_backend_in_the_farm_is_a_warning_when_the_cluster_has_frontends() {
    let mut farm = multi_ip();
    farm.members[2].sip_farm = FarmRole::Member;
    assert_eq!(findings(&farm), vec![]);
    let w = warnings(&farm);
    assert_eq!(at(&w), vec![At::Member(2, "sip_farm")]);
    assert!(w[0]
        .detail
        .contains("all or some of the Frontend Servers should be used as SIP Farm members"));
    // A frontend may stay out of the farm ("all or some").
    let mut farm = multi_ip();
    farm.members[1].sip_farm = FarmRole::Relay;
    assert_eq!((findings(&farm), warnings(&farm)), (vec![], vec![]));
    // Without frontends the backends face the Internet: members, legs and Gi are theirs.
    let mut farm = multi_ip();
    farm.members.truncate(2);
    for m in &mut farm.members {
        m.role = Role::Backend;
    }
    farm.call_legs_on = Placement::All;
    assert_eq!((findings(&farm), warnings(&farm)), (vec![], vec![]));
    farm.members[1].wan_address = None;
    assert_eq!(at(&findings(&farm)), vec![At::Member(1, "wan_address")]);
}

#[test]
fn call_legs_only_on_members_with_internet_access() {
    let mut farm = single_vip();
    farm.call_legs_on = Placement::All;
    let found = findings(&farm);
    assert_eq!(at(&found), vec![At::Attribute("call_legs_on")]);
    assert!(found[0].detail.contains("be1, be2"));
    assert!(found[0].detail.contains("direct access to the Internet"));
    // Signals may run anywhere; restricting them uses an unconfirmed value: a warning.
    let mut farm = multi_ip();
    farm.signals_on = Placement::Frontends;
    assert_eq!(findings(&farm), vec![]);
    assert_eq!(at(&warnings(&farm)), vec![At::Attribute("signals_on")]);
}

#[test]
fn names_addresses_ports_and_duplicates() {
    let mut farm = multi_ip();
    farm.members[1].name = "fe 6".into();
    farm.members[2].address = "bad host".into();
    farm.members[3].port = Some(0);
    let mut dup = farm.members[0].clone();
    dup.address = "64.173.55.180".into();
    dup.wan_address = Some(ip("64.173.55.167"));
    farm.members.push(dup);
    let mut same_endpoint = farm.members[3].clone();
    same_endpoint.name = "be3".into();
    same_endpoint.address = "BE2.cluster.example".into();
    farm.members.push(same_endpoint);
    let mut other_port = farm.members[0].clone();
    other_port.name = "fe7".into();
    other_port.port = Some(1106);
    other_port.wan_address = Some(ip("64.173.55.168"));
    farm.members.push(other_port);
    assert_eq!(
        at(&findings(&farm)),
        vec![
            At::Member(1, "name"),
            At::Member(2, "address"),
            At::Member(3, "port"),
            At::Member(4, "name"),
            At::Member(4, "address"),
            At::Member(5, "port"),
            At::Member(5, "address"),
        ]
    );
}

#[test]
fn wanted_settings_for_the_seeds_site() {
    let keys = |farm: &Farm, i| {
        let s = wanted_settings(farm, i);
        (
            s.cluster_page[&Id::SipFarmMode],
            s.cluster_page[&Id::LegHostMode],
            s.cluster_page[&Id::SignalHostMode],
            s.server_wan_address,
        )
    };
    let farm = single_vip();
    assert_eq!(
        keys(&farm, 0),
        ("Member", "Locally for Others", "Auto", None)
    );
    assert_eq!(
        keys(&farm, 1),
        ("Member", "Locally for Others", "Auto", None)
    );
    assert_eq!(keys(&farm, 2), ("Relay", "Auto", "Auto", None));
    assert_eq!(keys(&farm, 3), ("Relay", "Auto", "Auto", None));
    assert_eq!(
        wanted_cluster_settings(&farm).cluster_wan_address,
        Some(ip("64.173.55.164"))
    );

    let farm = multi_ip();
    assert_eq!(keys(&farm, 0).3, Some(ip("64.173.55.165")));
    assert_eq!(keys(&farm, 1).3, Some(ip("64.173.55.166")));
    assert_eq!(keys(&farm, 2).3, None);
    assert_eq!(wanted_cluster_settings(&farm).cluster_wan_address, None);

    let mut farm = multi_ip();
    farm.signals_on = Placement::Frontends;
    assert_eq!(keys(&farm, 0).2, "Locally for Others");
    assert_eq!(keys(&farm, 2).2, "Auto");
    farm.members.truncate(2);
    farm.call_legs_on = Placement::All;
    assert_eq!(keys(&farm, 1).1, "Locally");

    // Every value is one the key table knows, except the signal mode's unconfirmed guess.
    let table = super::keys::KeyTable::default();
    let farm = single_vip();
    for i in 0..farm.members.len() {
        for (id, v) in wanted_settings(&farm, i).cluster_page {
            assert_eq!(table.unknown_value_warning(id, v), None, "{id:?} = {v}");
        }
    }
}

#[test]
fn defaults_are_auto_and_no_wan_address() {
    let d = defaults();
    assert!(d.member.cluster_page.values().all(|v| *v == "Auto"));
    assert_eq!(d.member.cluster_page.len(), 3);
    assert_eq!(d.member.server_wan_address, None);
    assert_eq!(d.cluster.cluster_wan_address, None);
}

fn steps(order: &[Step]) -> Vec<(Option<usize>, Change)> {
    order
        .iter()
        .map(|s| {
            let target = match s.target {
                Target::Cluster => None,
                Target::Member(i) => Some(i),
            };
            (target, s.change)
        })
        .collect()
}

#[test]
fn create_clears_server_wide_wan_then_sets_g0_and_joins_the_farm_last() {
    use Change::*;
    let create = steps(&create_order(&single_vip()));
    assert_eq!(
        create,
        vec![
            (Some(0), ServerWanAddress),
            (Some(1), ServerWanAddress),
            (Some(2), ServerWanAddress),
            (Some(3), ServerWanAddress),
            (None, ClusterWanAddress),
            (Some(0), HostModes),
            (Some(1), HostModes),
            (Some(2), HostModes),
            (Some(3), HostModes),
            (Some(2), SipFarm),
            (Some(3), SipFarm),
            (Some(0), SipFarm),
            (Some(1), SipFarm),
        ]
    );
    let mut delete = steps(&delete_order(&single_vip()));
    assert_eq!(
        &delete[..4],
        &[
            (Some(1), SipFarm),
            (Some(0), SipFarm),
            (Some(3), SipFarm),
            (Some(2), SipFarm)
        ]
    );
    delete.reverse();
    assert_eq!(delete, create);
}

#[test]
fn multi_ip_clears_the_cluster_wide_address_first_and_leaves_the_farm_first_on_delete() {
    use Change::*;
    let create = steps(&create_order(&multi_ip()));
    assert_eq!(create[0], (None, ClusterWanAddress));
    assert_eq!(
        &create[1..5],
        &[
            (Some(0), ServerWanAddress),
            (Some(1), ServerWanAddress),
            (Some(2), ServerWanAddress),
            (Some(3), ServerWanAddress),
        ]
    );
    assert!(create[9..].iter().all(|s| s.1 == SipFarm));
    let delete = steps(&delete_order(&multi_ip()));
    assert_eq!(
        delete,
        vec![
            (Some(1), SipFarm),
            (Some(0), SipFarm),
            (Some(3), SipFarm),
            (Some(2), SipFarm),
            (Some(3), HostModes),
            (Some(2), HostModes),
            (Some(1), HostModes),
            (Some(0), HostModes),
            (Some(3), ServerWanAddress),
            (Some(2), ServerWanAddress),
            (Some(1), ServerWanAddress),
            (Some(0), ServerWanAddress),
            (None, ClusterWanAddress),
        ]
    );
    // Each step's keys are the table's, and every owned key is written by some step.
    let written: Vec<Id> = create_order(&multi_ip())
        .iter()
        .flat_map(|s| s.change.keys())
        .copied()
        .collect();
    for id in [
        Id::SipFarmMode,
        Id::LegHostMode,
        Id::SignalHostMode,
        Id::ServerWanAddress,
        Id::ClusterWanAddress,
    ] {
        assert!(written.contains(&id), "{id:?}");
    }
}
