use super::*;
use crate::cms_mmp::lab_device::CmsNodes;
use crate::registry::FAMILIES;
use crate::xop::lab_device::XopServers;

fn run(args: &[&str]) -> anyhow::Result<LabArgs> {
    match parse(FAMILIES, args.iter().map(|a| a.to_string()))? {
        Command::Run(args) => Ok(args),
        Command::Help => panic!("help"),
    }
}

fn counts(args: &LabArgs) -> Vec<(&'static str, usize)> {
    args.counts.iter().map(|(f, n)| (f.key, *n)).collect()
}

#[test]
fn each_family_of_the_registry_has_a_flag() {
    let args = run(&["--xop-servers", "2", "--cms-nodes=3", "--out", "o"]).unwrap();
    assert_eq!(counts(&args), [("xop_servers", 2), ("cms_nodes", 3)]);
    assert_eq!(args.out, PathBuf::from("o"));
    assert!(!args.stop_on_stdin_eof && args.spec.is_none());
    // the last of a repeated flag wins
    let args = run(&["--cms-nodes", "1", "--cms-nodes", "2"]).unwrap();
    assert_eq!(counts(&args), [("cms_nodes", 2)]);
    let text = usage(FAMILIES);
    for f in FAMILIES {
        assert!(text.contains(&format!("[{} N]", f.flag())), "{text}");
        assert!(text.contains(f.description), "{text}");
    }
    assert!(matches!(
        parse(FAMILIES, ["--help".to_string()]).unwrap(),
        Command::Help
    ));
}

#[test]
fn bad_arguments_are_errors_with_the_usage() {
    for (args, message) in [
        (
            &["--imp-nodes", "1"][..],
            "unknown argument \"--imp-nodes\"",
        ),
        (&["--cms-nodes"][..], "--cms-nodes needs a value"),
        (&["--cms-nodes", "two"][..], "--cms-nodes \"two\""),
        (&["--out"][..], "--out needs a value"),
    ] {
        let e = run(args).err().expect("refused");
        assert!(format!("{e:#}").contains(message), "{args:?}: {e:#}");
    }
    let e = run(&["--xop"]).err().unwrap();
    assert!(e.to_string().contains("usage: uccluster-lab"), "{e}");
}

#[test]
fn without_a_spec_the_flags_count_devices() {
    let spec = run(&[]).unwrap().lab_spec(FAMILIES).unwrap();
    assert_eq!(spec.get::<CmsNodes>().unwrap().len(), 1);
    assert!(spec.get::<XopServers>().unwrap().is_empty());
    let spec = run(&["--xop-servers", "2"])
        .unwrap()
        .lab_spec(FAMILIES)
        .unwrap();
    assert!(spec.get::<CmsNodes>().unwrap().is_empty());
    assert_eq!(spec.get::<XopServers>().unwrap()[1].name, "xop2");
}

#[test]
fn a_spec_file_must_agree_with_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("spec.json");
    std::fs::write(&file, r#"{"cms_nodes": [{"name": "a"}, {"name": "b"}]}"#).unwrap();
    let file = file.to_str().unwrap();
    let spec = run(&["--spec", file, "--cms-nodes", "2", "--xop-servers", "0"])
        .unwrap()
        .lab_spec(FAMILIES)
        .unwrap();
    assert_eq!(spec.get::<CmsNodes>().unwrap()[1].name, "b");
    let e = run(&["--spec", file, "--cms-nodes", "3"])
        .unwrap()
        .lab_spec(FAMILIES)
        .unwrap_err();
    assert!(
        e.to_string().starts_with("--cms-nodes 3 disagrees with 2 "),
        "{e}"
    );
    let e = run(&["--spec", file, "--xop-servers", "1"])
        .unwrap()
        .lab_spec(FAMILIES)
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("--xop-servers 1 disagrees with 0 "),
        "{e}"
    );
}
