//! `lb_config` with real Terraform, on every Terraform found: the seed's SIP-farm site
//! (communigate-cluster-sip-farm-lb) rendered for the three balancers the seed shows, a re-plan
//! with nothing to change, and the seed's rules refused at plan time naming the attribute. The
//! renderings are checked word for word against the seed's own lines by the unit tests of
//! `devices::lb::legacy`; here, that Terraform's configuration reaches them intact.

use uccluster_harness::*;

fn lb_provider() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    lb = {{\n      source  = \"uccluster/lb\"\n      version = \"{PROVIDER_VERSION}\"\n    }}\n  }}\n}}\n\nprovider \"lb\" {{}}\n"
    )
}

/// The documentation's example: the seed's site as a ServerIron configuration, in output
/// `serveriron_config`, from `local.vip`, `local.frontends` and `local.services`.
const EXAMPLE: &str = include_str!("../../examples/data-sources/lb_config/data-source.tf");

/// The same services as an Alteon configuration, numbered as the seed numbers them.
const ALTEON: &str = r#"
data "lb_config" "alteon" {
  vendor             = "alteon"
  alteon_first_real  = 5
  alteon_group_names = ["all-services"]
  dynamic "virtual_server" {
    for_each = local.services
    content {
      name       = virtual_server.value.name
      address    = local.vip
      port       = virtual_server.value.port
      protocol   = virtual_server.value.protocol
      forwarding = virtual_server.value.forwarding
      dynamic "member" {
        for_each = local.frontends
        content {
          name    = member.value.name
          address = member.value.address
        }
      }
    }
  }
}

output "alteon" {
  value = data.lb_config.alteon.text
}
"#;

/// The seed's F5: one virtual server on any port that does not translate addresses.
const F5: &str = r#"
data "lb_config" "f5" {
  vendor = "f5_tmsh"
  virtual_server {
    name       = "External"
    address    = local.vip
    protocol   = "both"
    forwarding = "no_translation"
    monitors   = ["smtp", "icmp"]
    dynamic "member" {
      for_each = local.frontends
      content {
        name    = member.value.name
        address = member.value.address
      }
    }
    f5 {
      pool                  = "Frontends"
      profile               = "CGS_fastL4"
      smtp_monitor          = "MySMTP"
      idle_timeout          = 60
      tcp_handshake_timeout = 15
      tcp_close_timeout     = 60
      loose_initiation      = false
      loose_close           = true
      software_syncookie    = false
    }
  }
}

output "f5" {
  value = data.lb_config.f5.text
}
"#;

async fn output(tf: &Tf, name: &str) -> String {
    let out = tf.run(&["output", "-no-color", "-raw", name]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    out.stdout
}

#[tokio::test]
async fn the_seeds_site_renders_for_each_balancer_and_replans_empty() {
    on_each_terraform("lb-config", |tf| async move {
        tf.write("main.tf", &[&lb_provider(), EXAMPLE, ALTEON, F5].concat());
        tf.init().await;
        tf.apply_ok().await;
        let serveriron = output(&tf, "serveriron_config").await;
        for line in [
            "server real fe8 64.173.55.183\n port pop3\n port pop3 keepalive\n",
            "server virtual vip1 64.173.55.164\n predictor round-robin\n",
            " port 5060\n port 5060 dsr\n",
            " bind 5060 fe8 5060 fe7 5060 fe6 5060 fe5 5060\n",
            " bind 8100 fe5 8100 fe6 8100 fe7 8100 fe8 8100\n",
        ] {
            assert!(serveriron.contains(line), "{line:?} not in:\n{serveriron}");
        }
        let alteon = output(&tf, "alteon").await;
        for line in [
            "/c/slb/real 5\n\tena\n\trip 64.173.55.180\n\taddport 110\n\taddport 143\n\taddport 5060\n\taddport 25\n\taddport 8100\n\tsubmac ena\n",
            "/c/slb/group 1\n\tadd 5\n\tadd 6\n\tadd 7\n\tadd 8\n\tname \"all-services\"\n",
            "/c/slb/virt 1/service 5060\n\tgroup 1\n\tudp enabled\n\tudp stateless\n\tnonat ena\n",
        ] {
            assert!(alteon.contains(line), "{line:?} not in:\n{alteon}");
        }
        assert!(!alteon.contains("/c/slb/group 2"), "one group serves every service");
        let f5 = output(&tf, "f5").await;
        for line in [
            "profile fastL4 CGS_fastL4 {\n   defaults from fastL4\n   idle timeout 60\n",
            "   loose close enable\n",
            "   monitor all MySMTP and gateway_icmp\n   members 64.173.55.180:any 64.173.55.181:any 64.173.55.182:any 64.173.55.183:any\n",
            "virtual External {\n   translate address disable\n   pool Frontends\n   destination 64.173.55.164:any\n   profiles CGS_fastL4\n}\n",
        ] {
            assert!(f5.contains(line), "{line:?} not in:\n{f5}");
        }
        tf.assert_empty_plan().await;
    })
    .await;
}

/// One service on the seed's VIP for `vendor`: `attrs` inside the virtual_server block, then
/// members `fe5` and `fe6` with `member` inside the second.
fn one(vendor: &str, attrs: &str, member: &str) -> String {
    format!(
        r#"
data "lb_config" "x" {{
  vendor = "{vendor}"
  virtual_server {{
    name    = "sip"
    address = "64.173.55.164"
{attrs}
    member {{
      name    = "fe5"
      address = "64.173.55.180"
    }}
    member {{
      name    = "fe6"
{member}
    }}
  }}
}}
"#
    )
}

const FE6: &str = "      address = \"64.173.55.181\"";

#[tokio::test]
async fn the_seeds_rules_are_refused_at_plan_time_naming_the_attribute() {
    on_each_terraform("lb-config-invalid", |tf| async move {
        let sip_udp = "    port     = 5060\n    protocol = \"udp\"\n";
        let cases = Invalid::after(
            &lb_provider(),
            [
                (
                    one(
                        "alteon",
                        &format!("{sip_udp}    persistence = \"source_address\"\n"),
                        FE6,
                    ),
                    "Persistence on a SIP UDP virtual server",
                    "session binding",
                    "persistence = \"source_address\"",
                ),
                (
                    one(
                        "alteon",
                        &format!("{sip_udp}    forwarding = \"direct_routing\"\n"),
                        &format!("{FE6}\n      port    = 5070"),
                    ),
                    "Port translation with direct routing",
                    "reaches the member unchanged",
                    "port = 5070",
                ),
                (
                    one("alteon", sip_udp, "      address = \"64.173.55.180\""),
                    "Duplicate member",
                    "64.173.55.180 port 5060 is listed twice",
                    "address = \"64.173.55.180\"",
                ),
                (
                    one("netscaler", sip_udp, FE6),
                    "Invalid vendor",
                    "use one of \"serveriron\", \"alteon\", \"f5_tmsh\"",
                    "vendor = \"netscaler\"",
                ),
                (
                    one(
                        "serveriron",
                        &format!("{sip_udp}    forwarding = \"no_translation\"\n"),
                        FE6,
                    ),
                    "Not expressible on serveriron",
                    "translate address disable",
                    "",
                ),
                (
                    one("alteon", "    protocol = \"udp\"\n", FE6),
                    "Not expressible on alteon",
                    "set port",
                    "",
                ),
                (
                    one("alteon", sip_udp, "      address = \"fe6.example\""),
                    "Invalid address",
                    "is not an IP address",
                    "address = \"fe6.example\"",
                ),
                (
                    one(
                        "alteon",
                        &format!("{sip_udp}    monitors = [\"sip\"]\n"),
                        FE6,
                    ),
                    "Invalid monitor",
                    "use one of \"icmp\", \"tcp\", \"smtp\"",
                    "monitors = [\"sip\"]",
                ),
            ],
        );
        assert_all_invalid(&tf, &cases).await;
    })
    .await;
}
