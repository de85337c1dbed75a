//! The declaration of every `cms_node_services` attribute: type, description, default, grammar,
//! sensitivity and replacement, once (see [`crate::resources::spec`]).

use crate::devices::cms::services::{validate_domain, validate_interface, validate_interface_port};
use crate::resources::node_checks::{ADDRESS, FINGERPRINT, USERNAME};
use crate::resources::spec::{
    attr, Attr, BlockSpec, Check, DefaultValue, Nesting, Presence, Spec, Type,
};
use crate::timeouts::Operation;
use std::time::Duration;

/// How a PEM attribute is given, at the end of its description.
macro_rules! pem {
    ($what:literal, $service:literal) => {
        concat!(
            $what,
            ": PEM text (e.g. `file(\"cms01.key\")`) or the path of a PEM file. Uploaded by SFTP under a stable name (`uccluster-",
            $service,
            "...`), only when its content differs; a new content re-runs only this service's steps."
        )
    };
}

const INTERFACE: Check = Check::Text {
    title: "Invalid interface",
    check: validate_interface,
};

const CERTIFICATES: &str = "What the service uses: `current` (this block's files, same content), `outdated` (this block's files, other content), `other` (other files) or `none`. The plan always wants `current`.";

macro_rules! tls_attrs {
    ($service:literal) => {
        [
            attr(
                "key",
                Type::Text,
                Presence::Required,
                pem!("Private key of the service's certificate", $service),
            )
            .sensitive(),
            attr(
                "certificate",
                Type::Text,
                Presence::Required,
                pem!(
                    "The service's certificate (checked against `key` at plan time)",
                    $service
                ),
            ),
            attr(
                "ca_bundle",
                Type::Text,
                Presence::Optional,
                pem!(
                    "CA bundle of the certificate's chain (the third file of `certs`)",
                    $service
                ),
            ),
        ]
    };
}

const WEBADMIN_TLS: [Attr; 3] = tls_attrs!("webadmin");
const CALLBRIDGE_TLS: [Attr; 3] = tls_attrs!("callbridge");
const XMPP_TLS: [Attr; 3] = tls_attrs!("xmpp");
const WEBBRIDGE_TLS: [Attr; 3] = tls_attrs!("webbridge");

const WEBADMIN: [Attr; 8] = crate::resources::spec::rows(
    &[
        attr("interface", Type::Text, Presence::Defaulted(DefaultValue::Text("a")), "MMP interface the Web Admin listens on (`webadmin listen <interface> <port>`): `a` to `d`. Default `a`.").check(INTERFACE),
        attr("port", Type::Number, Presence::Defaulted(DefaultValue::Number(445)), "HTTPS port of the Web Admin and the REST API. Default 445, as the seed (443 is the Web Bridge's).").check(Check::Port),
    ],
    &rows_after_tls(&WEBADMIN_TLS, &[
        attr("http_redirect", Type::Bool, Presence::Defaulted(DefaultValue::Bool(false)), "Redirect HTTP (port 80) to the Web Admin (`webadmin http-redirect enable`). Default `false`; only one service may redirect port 80."),
        attr("enabled", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "`webadmin enable` (default `true`) or `disable`."),
        attr("certificates", Type::Text, Presence::Computed, CERTIFICATES),
    ]),
);

/// The TLS rows followed by `own` (3 + 3 rows).
const fn rows_after_tls(tls: &[Attr; 3], own: &[Attr; 3]) -> [Attr; 6] {
    crate::resources::spec::rows(tls, own)
}

const CALLBRIDGE: [Attr; 7] = crate::resources::spec::rows(
    &[attr("interfaces", Type::TextList, Presence::Defaulted(DefaultValue::TextList(&["a"])), "MMP interfaces the Call Bridge listens on (`callbridge listen a`). Default `[\"a\"]`.").check(INTERFACE)],
    &crate::resources::spec::rows::<6>(&CALLBRIDGE_TLS, &[
        attr("cluster_trust_bundle", Type::Text, Presence::Optional, pem!("Certificates of every clustered Call Bridge (`callbridge trust cluster <bundle>`, seed: a file with all servers' certificates)", "callbridge")),
        attr("certificates", Type::Text, Presence::Computed, CERTIFICATES),
        attr("restart_pending", Type::Bool, Presence::Computed, "`true` while settings given to the Call Bridge wait for a `callbridge restart` (an apply stopped between a change and the restart; a marker file on the node says so). The plan wants `false`, so the next apply restarts it."),
    ]),
);

const XMPP: [Attr; 7] = crate::resources::spec::rows(
    &[
        attr("interfaces", Type::TextList, Presence::Defaulted(DefaultValue::TextList(&["a"])), "MMP interfaces the XMPP server listens on (`xmpp listen a`). Default `[\"a\"]`.").check(INTERFACE),
        attr("domain", Type::Text, Presence::Required, "XMPP domain users log in with (`xmpp domain conf.example.com`).").check(Check::Text { title: "Invalid domain", check: validate_domain }),
    ],
    &crate::resources::spec::rows::<5>(&XMPP_TLS, &[
        attr("enabled", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "`xmpp enable` (default `true`) or `disable`. `cms_xmpp_cluster` turns the server off and on around its own steps."),
        attr("certificates", Type::Text, Presence::Computed, CERTIFICATES),
    ]),
);

const WEBBRIDGE: [Attr; 8] = crate::resources::spec::rows(
    &[attr("listen", Type::TextList, Presence::Defaulted(DefaultValue::TextList(&["a:443"])), "`<interface>:<port>` entries the Web Bridge listens on (`webbridge listen a:443`). Default `[\"a:443\"]`.").check(Check::Text { title: "Invalid listen entry", check: validate_interface_port })],
    &crate::resources::spec::rows::<7>(&WEBBRIDGE_TLS, &[
        attr("trust_bundle", Type::Text, Presence::Optional, pem!("Certificates of the Call Bridges the Web Bridge trusts (`webbridge trust <bundle>`)", "webbridge")),
        attr("http_redirect", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "Redirect HTTP (port 80) to the Web Bridge (`webbridge http-redirect enable`, as the seed). Default `true`."),
        attr("enabled", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "`webbridge enable` (default `true`) or `disable`."),
        attr("certificates", Type::Text, Presence::Computed, CERTIFICATES),
    ]),
);

/// The declaration of every attribute (see [`crate::resources::spec`]).
pub const SPEC: Spec = Spec {
    description: "The services of one Cisco Meeting Server node on its MMP: the Web Admin (and REST API), the Call Bridge, the XMPP server and the Web Bridge, each with its certificates. A block manages its service; a service without a block is left alone.",
    attrs: &[
        attr("id", Type::Text, Presence::Computed, "The node's `address`, with `:<ssh_port>` when set."),
        attr("address", Type::Text, Presence::Required, "Address (IP or host name) of the node's MMP, reached over SSH. Changing it replaces the resource.").replaces().check(ADDRESS),
        attr("ssh_port", Type::Number, Presence::Optional, "SSH port of the node's MMP, 1 to 65535. Default: the provider's `port`.").replaces().check(Check::Port),
        attr("username", Type::Text, Presence::Optional, "MMP user for this node (letters, digits, `_`, `.`, `-`, `@`). Default: the provider's `username`.").check(USERNAME),
        attr("password", Type::Text, Presence::Optional, "MMP password for this node. Default: the provider's credentials.").sensitive(),
        attr("host_key_fingerprint", Type::Text, Presence::Optional, "Pinned SHA256 fingerprint of the node's SSH host key (`SHA256:...` as `ssh-keygen -lf` prints it). Takes precedence over the provider's `known_hosts_file`.").check(FINGERPRINT),
    ],
    blocks: &[
        BlockSpec { name: "webadmin", nesting: Nesting::Optional, blocks: &[], description: "The Web Admin service, which also serves the REST API (seed: `webadmin listen a 445`, `webadmin certs <key> <cert> <bundle>`, `webadmin enable`).", attrs: &WEBADMIN },
        BlockSpec { name: "callbridge", nesting: Nesting::Optional, blocks: &[], description: "The Call Bridge (seed: `callbridge certs`, `callbridge listen a`, `callbridge trust cluster <bundle>`, then `callbridge restart`, run only when something changed).", attrs: &CALLBRIDGE },
        BlockSpec { name: "xmpp", nesting: Nesting::Optional, blocks: &[], description: "The XMPP server (seed and Cisco TAC 213479: `xmpp certs`, `xmpp listen a`, `xmpp domain <domain>`, `xmpp enable`). Its cluster is `cms_xmpp_cluster`'s.", attrs: &XMPP },
        BlockSpec { name: "webbridge", nesting: Nesting::Optional, blocks: &[], description: "The Web Bridge (seed: `webbridge listen a:443`, `webbridge certs`, `webbridge http-redirect enable`, `webbridge trust <bundle>`, `webbridge enable`).", attrs: &WEBBRIDGE },
    ],
    timeouts: &[
        (Operation::Create, Duration::from_secs(600)),
        (Operation::Read, Duration::from_secs(300)),
        (Operation::Update, Duration::from_secs(600)),
        (Operation::Delete, Duration::from_secs(600)),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::spec::{assert_declares, names_of};

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        use super::super::state::*;
        assert_declares(&SPEC.names(), &["timeouts"], &NodeServicesState::default());
        assert_declares(&names_of(SPEC.blocks[0].attrs), &[], &WebAdmin::default());
        assert_declares(&names_of(SPEC.blocks[1].attrs), &[], &CallBridge::default());
        assert_declares(&names_of(SPEC.blocks[2].attrs), &[], &Xmpp::default());
        assert_declares(&names_of(SPEC.blocks[3].attrs), &[], &WebBridge::default());
    }
}
