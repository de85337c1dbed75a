//! Names as iControl REST writes them: an object in a URL is `~Partition~name` (go-bigip
//! `iControlPath` replaces every `/` of `/Common/name` by `~`; the F5 SDK's user guide shows
//! `/mgmt/tm/ltm/pool/~Common~mypool/members/~Common~m1:80`), in a body `/Partition/name`; an
//! address with its port is `a.b.c.d:port` and, for IPv6, `v6addr.port` (terraform-provider-bigip
//! `getVirtualServerConfig`: `fmt.Sprintf("%s.%d", destination, port)` when the address holds
//! `:`); port 0 is "any" (the seed's tmsh `64.173.55.164:any`; devices.md §4 lists REST
//! destinations as `/Common/64.173.55.164:0`).

use std::net::IpAddr;

/// `Content-Type: application/json`, which iControl REST wants on every body (devices.md §4;
/// go-bigip sets it on every call with a body).
pub fn json_headers() -> Vec<(&'static str, String)> {
    vec![("Content-Type", "application/json".to_string())]
}

/// One URL path segment: BIG-IP names are letters, digits and `._-:` (validated at plan time);
/// anything else is percent-encoded so that no name can change the path (go-bigip escapes the
/// `%` of route domains with `url.PathEscape`).
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `~Common~sip_pool`.
pub fn url_name(partition: &str, name: &str) -> String {
    format!("~{}~{}", segment(partition), segment(name))
}

/// `/Common/sip_pool`, as a body refers to an object.
pub fn full_path(partition: &str, name: &str) -> String {
    format!("/{partition}/{name}")
}

/// `/mgmt/tm/ltm/pool`: where a create is POSTed (devices.md §4: "POST collection = create").
pub fn collection_path(collection: &str) -> String {
    format!("/mgmt/tm/{collection}")
}

/// `/mgmt/tm/ltm/pool/~Common~sip_pool`: one object, for GET, PATCH and DELETE.
pub fn object_path(collection: &str, partition: &str, name: &str) -> String {
    format!(
        "{}/{}",
        collection_path(collection),
        url_name(partition, name)
    )
}

/// `/mgmt/tm/ltm/pool/~Common~sip_pool/members`: a pool's members subcollection (POST adds one;
/// go-bigip `CreatePoolMember`).
pub fn members_path(partition: &str, pool: &str) -> String {
    format!("{}/members", object_path("ltm/pool", partition, pool))
}

/// `/mgmt/tm/ltm/pool/~Common~sip_pool/members/~Common~10.0.0.1:5060`: one member (go-bigip
/// `GetPoolMember`, `ModifyPoolMember`, `DeletePoolMember`).
pub fn member_path(partition: &str, pool: &str, member: &str) -> String {
    format!(
        "{}/{}",
        members_path(partition, pool),
        url_name(partition, member)
    )
}

/// `64.173.55.180:5060`, `64.173.55.180:0` (any port), `2001:db8::1.5060`.
pub fn address_port(address: IpAddr, port: Option<u16>) -> String {
    let port = port.unwrap_or(0);
    match address {
        IpAddr::V4(_) => format!("{address}:{port}"),
        IpAddr::V6(_) => format!("{address}.{port}"),
    }
}

/// A port as read: a number, or `any` (tmsh's word for 0, which a name may still carry).
fn port(text: &str) -> Option<u16> {
    match text {
        "any" => Some(0),
        _ if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
        _ => None,
    }
}

/// The part before the port and the port: `v6addr.port` when the part before the last `.`
/// is an IPv6 address (with or without a `%route-domain`), else `text:port` (an IPv4 address or a
/// node name, `test-pool-member-1:80` in go-bigip's member fixture).
pub fn split_port(text: &str) -> Option<(&str, u16)> {
    if let Some((a, p)) = text.rsplit_once('.') {
        let bare = a.split_once('%').map_or(a, |(ip, _)| ip);
        if bare.parse::<std::net::Ipv6Addr>().is_ok() {
            return Some((a, port(p)?));
        }
    }
    let (a, p) = text.rsplit_once(':')?;
    Some((a, port(p)?))
}

/// An address as read; a route domain (`10.0.0.1%2`) is a separate address space the model
/// has no word for.
pub fn address(text: &str) -> Result<IpAddr, String> {
    if let Some((_, rd)) = text.split_once('%') {
        return Err(format!(
            "address {text:?} is in route domain {rd}, which is not modelled"
        ));
    }
    text.parse()
        .map_err(|_| format!("{text:?} is not an IP address"))
}

/// A virtual's `destination`: `/Common/64.173.55.164:0` → (partition, address, port).
pub fn destination(text: &str) -> Result<(String, IpAddr, u16), String> {
    let rest = text
        .strip_prefix('/')
        .ok_or_else(|| format!("destination {text:?} does not start with /partition/"))?;
    let (partition, address_port) = rest
        .split_once('/')
        .ok_or_else(|| format!("destination {text:?} does not start with /partition/"))?;
    let (a, p) = split_port(address_port)
        .ok_or_else(|| format!("destination {text:?} has no address:port"))?;
    Ok((partition.to_string(), address(a)?, p))
}

/// The partition and name of a full path (`/Common/Frontends`); a plain name is in `default`
/// (BIG-IP takes `Frontends` as `/Common/Frontends`, devices.md §4).
pub fn split_full_path<'a>(text: &'a str, default: &'a str) -> (&'a str, &'a str) {
    match text.strip_prefix('/').and_then(|r| r.split_once('/')) {
        Some((partition, name)) => (partition, name),
        None => (default, text),
    }
}
