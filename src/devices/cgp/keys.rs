//! The one table of every CLI command name and dictionary key `cgp_sip_farm` uses, each with
//! how sure we are of it and where it was read (cgp-interface.md §1, §6, §7). A site with a
//! real CommuniGate Pro can replace a name ([`Overrides`]) without a release, and the provider
//! warns once per run while an unconfirmed entry is in use ([`KeyTable::unconfirmed_in_use`]).
//!
//! Values are opaque strings: the known values below serve plan-time warnings only, never
//! errors, since the full literal sets were not found (cgp-interface.md §7.2).

use std::collections::BTreeMap;

/// How sure an entry is (cgp-interface.md's marks: CONFIRMED, LIKELY, GUESS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Read in a primary source: CGP's documentation, CommuniGate Systems' own code or
    /// settings, or a client that records what a live server sent.
    Confirmed,
    /// Strong indirect evidence.
    Likely,
    /// An informed guess, to be settled on a live server.
    Unconfirmed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Command,
    /// A key of the dictionary that `get` reads and `set` writes (ids of command entries).
    Key {
        get: Id,
        set: Id,
    },
}

/// Stable ids: what provider configuration (`key_overrides`) names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Id {
    GetClusterSettings,
    SetClusterSettings,
    GetNetwork,
    SetNetwork,
    GetClusterNetwork,
    SetClusterNetwork,
    RefreshOsData,
    GetVersion,
    Inline,
    Quit,
    SipFarmMode,
    LegHostMode,
    SignalHostMode,
    ServerWanAddress,
    ClusterWanAddress,
    MediaPorts,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: Id,
    /// The stable id as configuration writes it, e.g. `server_wan_address`.
    pub stable_id: &'static str,
    pub kind: Kind,
    /// The name sent to the server unless overridden.
    pub name: &'static str,
    pub status: Status,
    /// Source ids of cgp-interface.md §0 and their words.
    pub source: &'static str,
    /// Values seen in the sources (warnings only).
    pub known_values: &'static [&'static str],
}

const fn command(
    id: Id,
    stable_id: &'static str,
    name: &'static str,
    status: Status,
    source: &'static str,
) -> Entry {
    Entry {
        id,
        stable_id,
        kind: Kind::Command,
        name,
        status,
        source,
        known_values: &[],
    }
}

/// The table.
pub const TABLE: &[Entry] = &[
    command(
        Id::GetClusterSettings,
        "get_cluster_settings",
        "GetClusterSettings",
        Status::Confirmed,
        "S7 CLI.pm 2.8.3 `sub GetClusterSettings { $this->send('GetClusterSettings') ... }`; that it is the per-server Cluster page: LIKELY (cgp-interface.md §1)",
    ),
    command(
        Id::SetClusterSettings,
        "set_cluster_settings",
        "SetClusterSettings",
        Status::Confirmed,
        "S7 `$this->send ('SetClusterSettings '.$this->printWords($newSettings))`; no Update form in S7, so the whole dictionary is written (replace semantics LIKELY)",
    ),
    command(
        Id::GetNetwork,
        "get_network",
        "GetNetwork",
        Status::Confirmed,
        "S7 `sub GetNetwork`; S9 reads it (keys UseRBL, RBLDomain)",
    ),
    command(
        Id::SetNetwork,
        "set_network",
        "SetNetwork",
        Status::Confirmed,
        "S7 `$this->send ('SetNetwork '.$this->printWords($settings))`; S9 sends the whole dictionary back after changing two keys",
    ),
    command(
        Id::GetClusterNetwork,
        "get_cluster_network",
        "GetClusterNetwork",
        Status::Confirmed,
        "S7 `sub GetClusterNetwork`; cluster-wide scope LIKELY (symmetric with GetClusterLANIPs)",
    ),
    command(
        Id::SetClusterNetwork,
        "set_cluster_network",
        "SetClusterNetwork",
        Status::Confirmed,
        "S7 `$this->send ('SetClusterNetwork '.$this->printWords($settings))`",
    ),
    command(
        Id::RefreshOsData,
        "refresh_os_data",
        "RefreshOSData",
        Status::Confirmed,
        "S7 `$this->send('RefreshOSData')`; the twin of WebAdmin's General Info \"Refresh\" that S5 asks for after the VIP loopback alias: LIKELY",
    ),
    command(
        Id::GetVersion,
        "get_version",
        "GETVERSION",
        Status::Confirmed,
        "S7 `getversion` sends `GETVERSION`; its output format not seen",
    ),
    command(
        Id::Inline,
        "inline",
        "INLINE",
        Status::Confirmed,
        "S7 `connect`: `$this->send('INLINE')` after login; S11 sends `inline`, S12 too",
    ),
    command(
        Id::Quit,
        "quit",
        "QUIT",
        Status::Confirmed,
        "S1 sample session: `QUIT` -> `200 CommuniGate Pro PWD connection closed`; S7 `Logout`",
    ),
    Entry {
        id: Id::SipFarmMode,
        stable_id: "sip_farm_mode",
        kind: Kind::Key {
            get: Id::GetClusterSettings,
            set: Id::SetClusterSettings,
        },
        name: "SIPFarmMode",
        status: Status::Likely,
        source: "S15 WebAdmin Cluster page form field `SIPFarmMode` (value `Auto`); S3 v5.1 UI labels Member / Relay; S5 \"SIP Farm setting set to Member\"; that the form field is the CLI key: LIKELY",
        known_values: &["Member", "Relay", "Auto"],
    },
    Entry {
        id: Id::LegHostMode,
        stable_id: "leg_host_mode",
        kind: Kind::Key {
            get: Id::GetClusterSettings,
            set: Id::SetClusterSettings,
        },
        name: "LegHostMode",
        status: Status::Likely,
        source: "S15 form field `LegHostMode` (value `Auto`); S4 v5.2 Call Legs labels \"Locally\", \"Locally for Others\"; form field = CLI key: LIKELY",
        known_values: &["Locally", "Locally for Others", "Auto"],
    },
    Entry {
        id: Id::SignalHostMode,
        stable_id: "signal_host_mode",
        kind: Kind::Key {
            get: Id::GetClusterSettings,
            set: Id::SetClusterSettings,
        },
        name: "SignalHostMode",
        status: Status::Likely,
        source: "S15 form field `SignalHostMode` (value `Auto`); other literals not found; form field = CLI key: LIKELY",
        known_values: &["Auto"],
    },
    Entry {
        id: Id::ServerWanAddress,
        stable_id: "server_wan_address",
        kind: Kind::Key {
            get: Id::GetNetwork,
            set: Id::SetNetwork,
        },
        name: "WANAddress",
        status: Status::Unconfirmed,
        source: "GUESS. The location is LIKELY: S6 (Network v5.1) puts the \"Server LAN IP Address\" setting on the LAN IPs page of the Network settings, S5 names a Server-wide WAN IP per member, and GetNetwork returns those pages' dictionary (S9). The key was searched again (Network.html v5.1-6.4, NAT.html v5.1/6.3/6.4, the cpanel adaptor's settings files and scripts, public code sending SetNetwork) and not found; the name follows CGP's habit of naming a key after its label",
        known_values: &[],
    },
    Entry {
        id: Id::ClusterWanAddress,
        stable_id: "cluster_wan_address",
        kind: Kind::Key {
            get: Id::GetClusterNetwork,
            set: Id::SetClusterNetwork,
        },
        name: "WANAddress",
        status: Status::Unconfirmed,
        source: "GUESS: S5 names a Cluster-wide WAN IP (G0 for the single-IP method); cluster-wide pages mirror the server-wide ones (S7 Get/SetClusterNetwork beside Get/SetNetwork), so probably the same key as server_wan_address; not found in any source",
        known_values: &[],
    },
    Entry {
        id: Id::MediaPorts,
        stable_id: "media_ports",
        kind: Kind::Key {
            get: Id::GetNetwork,
            set: Id::SetNetwork,
        },
        name: "MediaPorts",
        status: Status::Unconfirmed,
        source: "GUESS: S5 \"The Network Settings of each Cluster Member can specify the same Media Port ranges\" puts it in GetNetwork (location LIKELY); the key and its value form (range text or array) not found; S7 also has Get/SetMediaServerSettings, where it may live instead",
        known_values: &[],
    },
];

/// The table's entry for `id`.
pub fn entry(id: Id) -> &'static Entry {
    TABLE
        .iter()
        .find(|e| e.id == id)
        .expect("every Id has a row in TABLE")
}

/// The entry whose stable id is `stable_id`.
pub fn by_stable_id(stable_id: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.stable_id == stable_id)
}

/// Whether `name` can stand for an entry: a command name is letters and digits (the CLI
/// reads the first word of the line); a key is any non-empty string without control
/// characters (written as an atom or a quoted string by `data::encode_string`), at most 255
/// bytes.
pub fn check_name(kind: Kind, name: &str) -> Result<(), String> {
    let bad = match kind {
        Kind::Command if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            Some("a CLI command name is letters and digits")
        }
        Kind::Key { .. } if name.is_empty() || name.len() > 255 => {
            Some("a dictionary key is 1 to 255 bytes")
        }
        Kind::Key { .. } if name.chars().any(char::is_control) => {
            Some("a dictionary key has no control characters")
        }
        _ => None,
    };
    match bad {
        Some(why) => Err(format!("{name:?}: {why}")),
        None => Ok(()),
    }
}

/// Replacement names from provider configuration, by stable id, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides(BTreeMap<Id, String>);

impl Overrides {
    /// `pairs` of (stable id, name). `Err`: an unknown id (naming the known ones) or a name
    /// outside the grammar, as `"<stable id>: <why>"`.
    pub fn new<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Overrides, String> {
        let mut map = BTreeMap::new();
        for (stable_id, name) in pairs {
            let Some(e) = by_stable_id(stable_id) else {
                let known: Vec<&str> = TABLE.iter().map(|e| e.stable_id).collect();
                return Err(format!(
                    "{stable_id}: not an entry of the CommuniGate Pro key table (one of {})",
                    known.join(", ")
                ));
            };
            check_name(e.kind, name).map_err(|why| format!("{stable_id}: {why}"))?;
            map.insert(e.id, name.to_string());
        }
        Ok(Overrides(map))
    }

    pub fn get(&self, id: Id) -> Option<&str> {
        self.0.get(&id).map(String::as_str)
    }
}

/// The table with a site's overrides applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyTable {
    pub overrides: Overrides,
}

impl KeyTable {
    pub fn new(overrides: Overrides) -> KeyTable {
        KeyTable { overrides }
    }

    /// The name sent for `id`.
    pub fn name(&self, id: Id) -> &str {
        self.overrides.get(id).unwrap_or(entry(id).name)
    }

    /// The entries among `used` whose names are unconfirmed and not replaced by the site:
    /// what the provider warns about, once per run.
    pub fn unconfirmed_in_use(&self, used: &[Id]) -> Vec<&'static Entry> {
        TABLE
            .iter()
            .filter(|e| used.contains(&e.id))
            .filter(|e| e.status == Status::Unconfirmed && self.overrides.get(e.id).is_none())
            .collect()
    }

    /// The warning for `value` of key `id` when the sources never showed it (`None`: known,
    /// or nothing is known of the key's values).
    pub fn unknown_value_warning(&self, id: Id, value: &str) -> Option<String> {
        let e = entry(id);
        if e.known_values.is_empty() || e.known_values.contains(&value) {
            return None;
        }
        Some(format!(
            "{} = {value:?} is not among the values seen in CommuniGate Pro's documentation ({}); it is sent as written",
            self.name(id),
            e.known_values.join(", ")
        ))
    }
}

/// One warning text for the unconfirmed entries in use (`None` when there are none).
pub fn unconfirmed_warning(entries: &[&Entry]) -> Option<String> {
    if entries.is_empty() {
        return None;
    }
    let names: Vec<String> = entries
        .iter()
        .map(|e| format!("{} = {:?}", e.stable_id, e.name))
        .collect();
    Some(format!(
        "CommuniGate Pro key names not confirmed by any source are in use: {}. Check them against a live server (the cgp settings data source dumps the dictionaries) and set key_overrides where they differ",
        names.join(", ")
    ))
}
