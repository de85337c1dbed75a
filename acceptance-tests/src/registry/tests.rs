use std::collections::HashSet;

use super::*;
use crate::lab::{Lab, LabSpec};

#[test]
fn every_family_has_its_own_key_and_flag() {
    let keys: HashSet<&str> = FAMILIES.iter().map(|f| f.key).collect();
    assert_eq!(keys.len(), FAMILIES.len());
    let flags: Vec<String> = FAMILIES.iter().map(|f| f.flag()).collect();
    assert_eq!(
        flags,
        [
            "--cms-nodes",
            "--xop-servers",
            "--f5-devices",
            "--haproxy-balancers",
            "--ipvs-directors",
            "--cgp-members",
            "--imp-clusters"
        ]
    );
    assert_eq!(family("xop_servers").unwrap().flag(), "--xop-servers");
    assert!(family("xop-servers").is_none());
}

#[test]
fn numbered_specs_name_their_devices_and_pass_their_own_check() {
    for f in FAMILIES {
        assert_eq!(f.check(&f.numbered(0)).unwrap(), Vec::<String>::new());
        let names = f.check(&f.numbered(3)).unwrap();
        assert_eq!(names.len(), 3, "{}", f.key);
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), 3, "{names:?}");
        let e = f.check(&serde_json::json!({"not": "a list"})).unwrap_err();
        assert!(e.to_string().contains(f.key), "{e}");
    }
}

#[tokio::test]
async fn a_spec_is_refused_whole_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lab");
    let spec: LabSpec = serde_json::from_str(r#"{"imp_nodes": [{"name": "imp1"}]}"#).unwrap();
    let e = Lab::start(&spec, &out).await.err().expect("unknown family");
    assert!(
        e.to_string().contains(
            "\"imp_nodes\", which is no device family (known: cms_nodes, xop_servers, f5_devices, haproxy_balancers, ipvs_directors, cgp_members, imp_clusters)"
        ),
        "{e}"
    );
    // one name in two families: a lab's faults go by name, so names are the lab's
    let spec: LabSpec = serde_json::from_str(
        r#"{"cms_nodes": [{"name": "a"}], "xop_servers": [{"name": "a", "server_id": 1}]}"#,
    )
    .unwrap();
    let e = Lab::start(&spec, &out)
        .await
        .err()
        .expect("a name used twice");
    assert!(
        e.to_string().contains("\"a\" is used by two families"),
        "{e}"
    );
    assert!(!out.exists());
}
