//! The trust attributes of a provider block whose devices speak TLS (F5's iControl REST, the
//! CommuniGate Pro CLI over TLS), and the [`TrustPolicy`] they make: the device's certificate
//! is checked against `ca_file`, or pinned with `certificate_sha256`, or else against the
//! system's trust store; accepting any certificate is an explicit, insecure choice.

use crate::client::{CertificateFingerprint, TrustPolicy};
use crate::resources::spec::{attr, Attr, Check, DefaultValue, Presence, Type};
use crate::resources::values::text;
use tf_provider::value::{ValueBool, ValueString};

fn fingerprint(v: &str) -> Result<(), String> {
    CertificateFingerprint::parse(v).map(|_| ())
}

pub const TRUST: [Attr; 3] = [
    attr("ca_file", Type::Text, Presence::Optional, "PEM file of the CAs that issued the device's certificate.").check(Check::Text { title: "Invalid path", check: crate::grammar::check_no_control }),
    attr("certificate_sha256", Type::Text, Presence::Optional, "SHA-256 fingerprint of the device's own certificate (64 hex digits, colons allowed), for a self-signed device certificate: exactly that certificate is accepted.").check(Check::Text { title: "Invalid fingerprint", check: fingerprint }),
    attr("insecure_skip_tls_verify", Type::Bool, Presence::Defaulted(DefaultValue::Bool(false)), "**Insecure.** Accept any certificate, so anyone on the path can read the credentials. Default `false`; for labs only."),
];

/// The policy of checked trust attributes (`None`: a pin that does not parse, already
/// reported by the declaration's check).
pub fn trust_policy(
    ca_file: &ValueString<'_>,
    certificate_sha256: &ValueString<'_>,
    insecure_skip_tls_verify: &ValueBool,
) -> Option<TrustPolicy> {
    let insecure = insecure_skip_tls_verify
        .as_ref_option()
        .copied()
        .unwrap_or(false);
    Some(match (text(certificate_sha256), text(ca_file), insecure) {
        (Some(pin), _, _) => TrustPolicy::PinnedSha256(CertificateFingerprint::parse(&pin).ok()?),
        (None, Some(ca), _) => TrustPolicy::CaBundle(ca.into()),
        (None, None, true) => TrustPolicy::InsecureAcceptAnyCertificate,
        (None, None, false) => TrustPolicy::SystemStore,
    })
}
