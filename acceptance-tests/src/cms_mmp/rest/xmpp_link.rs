//! Whether the Call Bridge's XMPP connection (`/system/configuration/xmpp`) is up, computed
//! live from the lab's nodes at each question, and the alarm the API shows while it is not.
//!
//! The Call Bridge connects to an XMPP server as a component named `uniqueName`, with the
//! shared secret of that server's `xmpp callbridge` account (TAC 213479; the seed
//! cms-failover-cluster-part2a "Connecting Call Bridge to XMPP"). Where it connects:
//! - `serverAddress` set: that server. Here the lab node whose address (or hostname, the
//!   lab's DNS) is the address' host part (an optional `:port` stripped; `[v6]:port` too).
//! - unset: the servers the DNS SRV record `_xmpp-component._tcp.<domain>` names (devices.md
//!   1.2). The lab has no DNS: every lab node whose XMPP server is enabled with that domain
//!   stands for the record.
//!
//! It is connected when one of those nodes runs (not stopped), has its XMPP server enabled,
//! serves exactly `domain`, and has an account `uniqueName` whose secret is `sharedSecret`.
//! [GUESS: the listening interface, the XMPP certificates and the Call Bridge's trust of them
//! are not looked at; a real connection needs them too.]
//!
//! The alarm (`/system/alarms`): one `xmppConnectionFailure` [GUESS: type name] while the
//! connection is configured (uniqueName, domain and sharedSecret all set) and not connected.
//! Its `activeTimeSeconds` counts from the first time the simulator saw it active (an API
//! request or [`NodeControl::xmpp_connected`]), and it keeps its id until it clears [GUESS].

use std::time::Instant;

use super::objects::{new_id, ApiXmppConfig};
use super::ActiveAlarm;
use crate::cms_mmp::state::{lock, NodeControl};
use std::sync::atomic::Ordering;

/// The alarm's `type` [GUESS: the API Reference lists alarm types, this name is not confirmed].
pub const XMPP_ALARM_TYPE: &str = "xmppConnectionFailure";

/// The state of the Call Bridge's XMPP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmppLink {
    /// uniqueName, domain or sharedSecret unset: nothing to connect.
    NotConfigured,
    Connected,
    /// Configured, but no server accepts it.
    Failed,
}

/// The host part of `host[:port]` / `[v6]:port` / a bare IPv6 address.
pub fn host_part(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[') {
        if let Some((host, _)) = rest.split_once(']') {
            return host;
        }
    }
    match address.rsplit_once(':') {
        Some((host, port))
            if !host.contains(':')
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            host
        }
        _ => address,
    }
}

/// What one node's XMPP server offers.
struct Server {
    address: String,
    hostname: String,
    running: bool,
    enabled: bool,
    domain: Option<String>,
    secret: Option<String>,
}

fn server(node: &NodeControl, unique_name: &str) -> Server {
    let xmpp = node.xmpp_config();
    Server {
        address: node.address(),
        hostname: node.hostname(),
        running: !node.inner.stopping.load(Ordering::SeqCst),
        enabled: xmpp.enabled,
        domain: xmpp.domain,
        secret: node
            .callbridges()
            .into_iter()
            .find(|(name, _)| name == unique_name)
            .map(|(_, secret)| secret),
    }
}

/// The state of `node`'s Call Bridge XMPP connection under `cfg`.
pub fn link(node: &NodeControl, cfg: &ApiXmppConfig) -> XmppLink {
    let (Some(name), Some(domain), Some(secret)) = (
        cfg.unique_name.as_deref(),
        cfg.domain.as_deref(),
        cfg.shared_secret.as_deref(),
    ) else {
        return XmppLink::NotConfigured;
    };
    let servers = node.inner.fabric.nodes();
    let servers = servers.iter().map(|n| server(n, name));
    let serves = |s: &Server| s.enabled && s.domain.as_deref() == Some(domain);
    let accepted = |s: &Server| s.running && serves(s) && s.secret.as_deref() == Some(secret);
    let connected = match cfg.server_address.as_deref() {
        Some(address) => {
            let host = host_part(address);
            servers
                .filter(|s| s.address == host || s.hostname == host)
                .any(|s| accepted(&s))
        }
        None => servers.filter(serves).any(|s| accepted(&s)),
    };
    if connected {
        XmppLink::Connected
    } else {
        XmppLink::Failed
    }
}

/// `node`'s active alarms (at most the XMPP one), brought up to date: an alarm that became
/// active gets an id and a start, one that cleared is forgotten.
pub fn alarms(node: &NodeControl) -> Vec<ActiveAlarm> {
    let cfg = node.api_xmpp_config();
    let failed = link(node, &cfg) == XmppLink::Failed;
    let mut settings = lock(&node.inner.api.settings);
    if !failed {
        settings.xmpp_alarm = None;
        return Vec::new();
    }
    let kind = settings.xmpp_alarm_type.clone();
    let alarm = settings.xmpp_alarm.get_or_insert_with(|| ActiveAlarm {
        id: new_id(),
        kind,
        since: Instant::now(),
    });
    vec![alarm.clone()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_parts() {
        assert_eq!(host_part("10.0.0.2"), "10.0.0.2");
        assert_eq!(host_part("10.0.0.2:5223"), "10.0.0.2");
        assert_eq!(host_part("xmpp.example.com:5223"), "xmpp.example.com");
        assert_eq!(host_part("[fd00::2]:5223"), "fd00::2");
        assert_eq!(host_part("fd00::2"), "fd00::2");
        assert_eq!(host_part("host:"), "host:");
        assert_eq!(host_part("host:x"), "host:x");
    }
}
