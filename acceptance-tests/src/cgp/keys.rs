//! The simulator's own table of CLI commands and settings keys, written from CommuniGate's
//! documents and clients (never from the provider's table: a provider bug must not hide in a
//! shared one). Every entry says where it comes from and how sure that is, with the marks of
//! `/work/shared/reference/cgp-interface.md` (CONFIRMED, LIKELY, GUESS) and its S-ids.
//!
//! The seeds are what a fresh member shows: plausible values so tests can check that keys the
//! provider does not own survive a read-modify-write byte for byte. Seeds are in alphabetical key
//! order, as CGP's own settings files are (S10 `Main.settings`); the simulator keeps a client's
//! order after a Set.

/// How sure an entry is (cgp-interface.md's marks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    Confirmed,
    Likely,
    Guess,
}

/// One settings key of one dictionary.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    /// The value a fresh member holds (raw CGP text).
    pub seed: &'static str,
    pub confidence: Confidence,
    pub source: &'static str,
}

const fn key(
    name: &'static str,
    seed: &'static str,
    confidence: Confidence,
    source: &'static str,
) -> Key {
    Key {
        name,
        seed,
        confidence,
        source,
    }
}

use Confidence::{Guess, Likely};

/// `GetClusterSettings` / `SetClusterSettings`: the member's Cluster page (Settings > General >
/// Cluster). Commands CONFIRMED (S7 sends them); that the dictionary is that page LIKELY (§1);
/// the key names are CONFIRMED as the page's WebAdmin form field names (S15) and LIKELY equal to
/// the CLI keys. Values: `Auto` is a form value (S15); the others are UI labels (S3, S4, S5).
pub const CLUSTER_SETTINGS: &[Key] = &[
    key(
        "BackendAddresses",
        "\"\"",
        Likely,
        "S15 form field; value: an address list, empty on a fresh member [GUESS value]",
    ),
    key(
        "BalancerGroup",
        "\"\"",
        Likely,
        "S15 form field; empty group [GUESS value]",
    ),
    key(
        "ControlAddress",
        "#I[127.0.0.1]",
        Likely,
        "S15 form field; value form #I[..] from S2/S11 [GUESS value]",
    ),
    key(
        "FrontendAddresses",
        "\"\"",
        Likely,
        "S15 form field [GUESS value]",
    ),
    key(
        "HTTPClientMode",
        "Auto",
        Likely,
        "S15 form field, `Auto` a form value there",
    ),
    key(
        "LegHostMode",
        "Auto",
        Likely,
        "S15 form field, `Auto` a form value; `Locally`, `Locally for Others` UI labels (S4)",
    ),
    key(
        "LogLevel",
        "2",
        Likely,
        "S15 form field; settings values are strings like `LogLevel = 3;` (S10) [GUESS value]",
    ),
    key("RPOPClientMode", "Auto", Likely, "S15 form field"),
    key(
        "SIPFarmMode",
        "Auto",
        Likely,
        "S15 form field, `Auto` a form value; `Member`, `Relay` UI labels (S3 v5.1, S5)",
    ),
    key(
        "SignalHostMode",
        "Auto",
        Likely,
        "S15 form field, `Auto` a form value; other literals not found",
    ),
    key("SubmitMode", "Auto", Likely, "S15 form field"),
];

/// `GetNetwork` / `SetNetwork`: this member's server-wide Network settings. Commands CONFIRMED
/// (S7; S9 reads the whole dictionary, changes `UseRBL`/`RBLDomain`, sends it back whole).
///
/// The WAN address and media-port keys are NOT known. Searched again for this simulator:
/// CGP's Network.html (v5.1 box.vrn.ru, v6.x 95.215.46.63, cgp.dol.ru, old.communigatepro.ru):
/// it documents the LAN IPs page ("Server LAN IP Address" setting), NATed IPs and the address-list
/// format, but no CLI key for the WAN address or media ports; a code search for `WANAddress` /
/// `WANIPAddress` finds no CommuniGate code. So the names below are GUESS candidates, isolated
/// here, and a provider must be able to override them.
pub const NETWORK: &[Key] = &[
    key(
        "MediaPortsFrom",
        "\"10000\"",
        Guess,
        "GUESS: S5 says members' Network settings hold media port ranges; name not found",
    ),
    key(
        "MediaPortsTill",
        "\"59999\"",
        Guess,
        "GUESS: as MediaPortsFrom",
    ),
    key(
        "RBLDomain",
        "(\"sbl-xbl.spamhaus.org\")",
        Confidence::Confirmed,
        "S9 reads it from GetNetwork: an array of strings [value GUESS]",
    ),
    key(
        "ServerLANAddress",
        "#I[127.0.0.1]",
        Guess,
        "GUESS: the \"Server LAN IP Address\" setting of Network.html (S6); key name not found",
    ),
    key(
        "UseRBL",
        "NO",
        Confidence::Confirmed,
        "S9 reads it from GetNetwork, `YES`|`NO`",
    ),
    key(
        "WANAddress",
        "\"\"",
        Guess,
        "GUESS: the server-wide WAN IPv4 address (S5 \"Server-wide WAN IP\"); empty = none",
    ),
    key(
        "WANIPv6Address",
        "\"\"",
        Guess,
        "GUESS: the IPv6 twin of WANAddress",
    ),
];

/// `GetClusterNetwork` / `SetClusterNetwork`: the cluster-wide Network settings, one dictionary
/// for the whole cluster. Command CONFIRMED (S7), cluster-wide scope LIKELY; keys GUESS
/// ("probably the same key as server-wide", cgp-interface.md §1).
pub const CLUSTER_NETWORK: &[Key] = &[
    key("MediaPortsFrom", "\"10000\"", Guess, "GUESS, as in NETWORK"),
    key("MediaPortsTill", "\"59999\"", Guess, "GUESS, as in NETWORK"),
    key(
        "WANAddress",
        "\"\"",
        Guess,
        "GUESS: the cluster-wide WAN IP (S5 \"Cluster-wide WAN IP\" = G0)",
    ),
    key("WANIPv6Address", "\"\"", Guess, "GUESS"),
];

/// The commands the simulator answers (matched case-insensitively, S7 sends `GETVERSION`, S11
/// sends `inline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    User,
    Pass,
    Apop,
    Inline,
    Quit,
    Stls,
    GetClusterSettings,
    SetClusterSettings,
    GetNetwork,
    SetNetwork,
    GetClusterNetwork,
    SetClusterNetwork,
    RefreshOsData,
    GetVersion,
}

/// Command word → command, with its source and confidence.
pub const COMMANDS: &[(&str, Command, Confidence, &str)] = &[
    (
        "USER",
        Command::User,
        Confidence::Confirmed,
        "S1 sample session, S7",
    ),
    (
        "PASS",
        Command::Pass,
        Confidence::Confirmed,
        "S1 sample session, S7",
    ),
    (
        "APOP",
        Command::Apop,
        Confidence::Confirmed,
        "S7 connect, S11",
    ),
    (
        "INLINE",
        Command::Inline,
        Confidence::Confirmed,
        "S7, S11, S12 send it after login",
    ),
    (
        "QUIT",
        Command::Quit,
        Confidence::Confirmed,
        "S1 sample session",
    ),
    // In-band upgrade before authentication: S14 only (cgp-interface.md §2); no CGP document
    // found names it for PWD. The word is POP3's (RFC 2595 §4), whose poppwd the PWD module
    // extends (CGP PWD.html).
    (
        "STLS",
        Command::Stls,
        Confidence::Likely,
        "S14 (cgp-interface.md §2); RFC 2595 §4's POP3 command",
    ),
    (
        "GETCLUSTERSETTINGS",
        Command::GetClusterSettings,
        Confidence::Confirmed,
        "S7",
    ),
    (
        "SETCLUSTERSETTINGS",
        Command::SetClusterSettings,
        Confidence::Confirmed,
        "S7",
    ),
    (
        "GETNETWORK",
        Command::GetNetwork,
        Confidence::Confirmed,
        "S7, S9",
    ),
    (
        "SETNETWORK",
        Command::SetNetwork,
        Confidence::Confirmed,
        "S7, S9",
    ),
    (
        "GETCLUSTERNETWORK",
        Command::GetClusterNetwork,
        Confidence::Confirmed,
        "S7",
    ),
    (
        "SETCLUSTERNETWORK",
        Command::SetClusterNetwork,
        Confidence::Confirmed,
        "S7",
    ),
    (
        "REFRESHOSDATA",
        Command::RefreshOsData,
        Confidence::Confirmed,
        "S7; WebAdmin twin LIKELY (S5)",
    ),
    (
        "GETVERSION",
        Command::GetVersion,
        Confidence::Confirmed,
        "S7 getversion; reply format not seen",
    ),
];

/// The command named by `word`, any case.
pub fn command(word: &str) -> Option<Command> {
    COMMANDS
        .iter()
        .find(|(w, ..)| w.eq_ignore_ascii_case(word))
        .map(|(_, c, ..)| *c)
}

/// The seed dictionary of a table.
pub fn seed(table: &[Key]) -> super::data::StoredDict {
    let pairs: Vec<(&str, &str)> = table.iter().map(|k| (k.name, k.seed)).collect();
    super::data::StoredDict::from_pairs(&pairs)
}
