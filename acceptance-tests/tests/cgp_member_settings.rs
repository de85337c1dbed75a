//! `cgp_member_settings` with real Terraform on every Terraform found, against the lab's
//! simulated CommuniGate Pro cluster: the CLI login (APOP: the password never sent), the
//! settings dictionaries as the member returns them, the key table checked against them and
//! mended by `key_overrides`, nothing but reads sent, and the server's refusals in its words.

use uccluster_harness::*;
use uccluster_lab::lab::{Lab, LabSpec};

async fn cluster(tf: &Tf) -> Lab {
    Lab::start(&LabSpec::default().with_cgp_members(2), &tf.dir.join("lab"))
        .await
        .expect("lab starts")
}

/// The provider with `extra` lines, and the settings of the first member as outputs.
fn settings(lab: &Lab, extra: &str) -> String {
    let (_, host, port) = &cgp_members(lab)[0];
    format!(
        "{}\ndata \"cgp_member_settings\" \"cgp1\" {{\n  address = \"{host}\"\n  port    = {port}\n}}\n\noutput \"keys\" {{\n  value = data.cgp_member_settings.cgp1.keys\n}}\n\noutput \"cluster_settings\" {{\n  value = data.cgp_member_settings.cgp1.cluster_settings\n}}\n\noutput \"version\" {{\n  value = data.cgp_member_settings.cgp1.version\n}}\n",
        cgp_provider(lab, extra)
    )
}

async fn outputs(tf: &Tf) -> serde_json::Value {
    let out = tf.run(&["output", "-json", "-no-color"]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    serde_json::from_str(&out.stdout).expect("terraform output -json")
}

fn key_line(outputs: &serde_json::Value, id: &str) -> String {
    outputs["keys"]["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.as_str())
        .find(|l| l.starts_with(&format!("{id} = ")))
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_dictionaries_and_the_key_table_checked_against_them() {
    on_each_terraform("cgp-settings", |tf| async move {
        let lab = cluster(&tf).await;
        let member = lab.cgp("cgp1");
        tf.write("main.tf", &settings(&lab, ""));
        tf.init().await;
        tf.apply_ok().await;
        let out = outputs(&tf).await;
        let page = out["cluster_settings"]["value"]
            .as_str()
            .unwrap_or_default();
        assert!(
            page.starts_with('{') && page.contains("SIPFarmMode"),
            "{page}"
        );
        assert!(!out["version"]["value"]
            .as_str()
            .unwrap_or_default()
            .is_empty());
        assert!(
            key_line(&out, "sip_farm_mode").ends_with("found in GetClusterSettings"),
            "{out}"
        );
        // The lab's server keeps media ports under other names than the table's guess.
        let media = key_line(&out, "media_ports");
        assert!(
            media.contains("(unconfirmed") && media.ends_with("not in GetNetwork"),
            "{media}"
        );

        let log = member.command_log();
        assert!(
            log.iter().any(|l| l.starts_with("APOP ")),
            "APOP login: {log:?}"
        );
        assert!(
            !log.iter().any(|l| l.starts_with("PASS")),
            "no password sent: {log:?}"
        );
        let writes: Vec<&String> = log
            .iter()
            .filter(|l| l.to_lowercase().starts_with("set"))
            .collect();
        assert!(writes.is_empty(), "a data source only reads: {writes:?}");

        // The site names the key its server uses: found.
        tf.write(
            "main.tf",
            &settings(&lab, "  key_overrides = [\"media_ports=MediaPortsFrom\"]\n"),
        );
        tf.apply_ok().await;
        let media = key_line(&outputs(&tf).await, "media_ports");
        assert!(
            media.starts_with("media_ports = MediaPortsFrom (")
                && media.ends_with("found in GetNetwork"),
            "{media}"
        );
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_overrides_wrong_passwords_and_refusals_are_clear_errors() {
    on_each_terraform("cgp-settings-errors", |tf| async move {
        let lab = cluster(&tf).await;
        let member = lab.cgp("cgp1");
        tf.write(
            "main.tf",
            &settings(&lab, "  key_overrides = [\"wan=WANIPAddress\"]\n"),
        );
        tf.init().await;
        let out = tf.run(&["plan", "-input=false", "-no-color"]).await;
        out.assert_error(&[
            "Invalid key override",
            "key_overrides",
            "not an entry of the key table",
            "server_wan_address",
        ]);

        let wrong = settings(&lab, "").replace(
            &cgp_provider(&lab, ""),
            &cgp_provider(&lab, "").replace("password = ", "password = \"wrong\" # "),
        );
        tf.write("main.tf", &wrong);
        let out = tf.run(&["plan", "-input=false", "-no-color"]).await;
        out.assert_error(&["Cannot read", "refused the login"]);

        tf.write("main.tf", &settings(&lab, ""));
        member.fail_next("GetNetwork", 510, "not enough access rights");
        let out = tf.run(&["plan", "-input=false", "-no-color"]).await;
        out.assert_error(&["GetNetwork", "510 not enough access rights"]);
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_members_certificate_is_checked() {
    on_each_terraform("cgp-settings-tls", |tf| async move {
        let lab = cluster(&tf).await;
        let member = &lab.endpoints()["cgp_members"][0];
        let (tls_port, ca_file) = (member["tls_port"].clone(), member["ca_file"].clone());
        let pin = lab.cgp("cgp1").cert_sha256();
        let tls = |trust: &str| {
            settings(&lab, &format!("  tls = true\n{trust}")).replace(
                &format!("port    = {}", member["port"]),
                &format!("port    = {tls_port}"),
            )
        };
        tf.write("main.tf", &tls(&format!("  ca_file = {ca_file}\n")));
        tf.init().await;
        tf.apply_ok().await;
        assert!(
            key_line(&outputs(&tf).await, "sip_farm_mode").ends_with("found in GetClusterSettings"),
            "read over TLS"
        );

        // A member that presents another certificate than the pinned one is refused.
        tf.write(
            "main.tf",
            &tls(&format!("  certificate_sha256 = \"{pin}\"\n")),
        );
        tf.apply_ok().await;
        lab.cgp("cgp1").rotate_certificate().expect("rotation");
        let out = tf.run(&["plan", "-input=false", "-no-color"]).await;
        out.assert_error(&["Cannot read", "certificate"]);
        lab.stop().await;
    })
    .await;
}
