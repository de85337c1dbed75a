//! Tests of the CGP codec on the literal fixtures (fixtures.rs) and the sources' vectors.

use super::cli::*;
use super::data::*;
use super::edit::{edit, RawDict};
use super::fixtures::*;
use super::keys::*;
use crate::client::LineProtocol;

fn s(v: &str) -> Value {
    Value::string(v)
}

// ---- data: the sources' vectors ----

#[test]
fn s13_vectors() {
    assert_eq!(parse("String").unwrap(), s("String"));
    assert_eq!(parse(r#""Quoted String""#).unwrap(), s("Quoted String"));
    assert_eq!(
        parse(r#""a \"string\" within string""#).unwrap(),
        s("a \"string\" within string")
    );
    assert_eq!(parse("#50").unwrap(), Value::Number(50));
    assert_eq!(parse("#-50").unwrap(), Value::Number(-50));
    assert_eq!(
        parse("#T22-10-2009").unwrap(),
        Value::Timestamp("22-10-2009".into())
    );
    assert_eq!(
        parse("#T22-10-2009_15:24:45").unwrap(),
        Value::Timestamp("22-10-2009_15:24:45".into())
    );
    assert_eq!(
        parse(r#"("Domain Settings", Domain)"#).unwrap(),
        Value::Array(vec![s("Domain Settings"), s("Domain")])
    );
    assert_eq!(
        parse(r#"{Name=Unit;LastName="Test da Silva";}"#).unwrap(),
        Value::Dictionary(vec![
            ("Name".into(), s("Unit")),
            ("LastName".into(), s("Test da Silva"))
        ])
    );
    assert_eq!(
        parse("#I[10.0.44.55]:25").unwrap(),
        Value::Ip {
            address: "10.0.44.55".into(),
            port: Some(25)
        }
    );
    assert_eq!(
        parse("#I[2001:470:1f01:2565::a:80f]").unwrap(),
        Value::Ip {
            address: "2001:470:1f01:2565::a:80f".into(),
            port: None
        }
    );
    let nested = parse(S13_NESTED).unwrap();
    let staff = nested.get("ServiceClasses").unwrap().get("Staff").unwrap();
    assert_eq!(staff.get("Name").unwrap(), &s("name \"nested\" string"));
    assert_eq!(staff.get("MaxAccounts").unwrap(), &Value::Number(20));
    assert_eq!(
        staff.get("Source").unwrap(),
        &Value::Ip {
            address: "127.0.0.1".into(),
            port: Some(25)
        }
    );
}

#[test]
fn every_escape_and_joined_strings() {
    // S2: \" \\ \r \n \e \t \nnn (decimal); S11: \u'hex'.
    let v = parse(r#""q\" b\\ r\r n\n e\e t\t d\065\066 u\u'e9'\u'1F600'""#).unwrap();
    assert_eq!(v, s("q\" b\\ r\r n\n e\n t\t dAB u\u{e9}\u{1F600}"));
    // S7 readWord: adjacent quoted strings are one string; S7 keeps an unknown escape.
    assert_eq!(parse(r#""ab" "cd"  "ef""#).unwrap(), s("abcdef"));
    assert_eq!(parse(r#""a\qb""#).unwrap(), s("a\\qb"));
    // \nnn is a byte: two of them make one UTF-8 character.
    assert_eq!(parse(r#""\195\169""#).unwrap(), s("\u{e9}"));
    assert!(parse(r#""\300""#).is_err());
}

#[test]
fn atoms_with_the_characters_servers_write() {
    // S10 and S12: atoms with . @ - _ and a unit suffix; S7 also accepts ! # % ] : and >= 0x80.
    for atom in [
        "cpanel.communigate.com",
        "phpunit@null.com",
        "A-crpt",
        "100M",
        "a!b%c:d",
        "Grüße",
    ] {
        assert_eq!(parse(atom).unwrap(), s(atom), "{atom}");
    }
}

#[test]
fn datablocks_numbers_null_and_raw_objects() {
    assert_eq!(
        parse("[aGVsbG8gd29ybGQ=]").unwrap(),
        Value::DataBlock(b"hello world".to_vec())
    );
    // S7: adjacent blocks are one; line breaks inside a block are not data.
    assert_eq!(
        parse("[aGVsbG8g]\n[d29y\nbGQ=]").unwrap(),
        Value::DataBlock(b"hello world".to_vec())
    );
    assert_eq!(parse("#0x1F").unwrap(), Value::Number(31));
    assert_eq!(parse("#-0b101").unwrap(), Value::Number(-5));
    assert_eq!(parse("#0o17").unwrap(), Value::Number(15));
    assert_eq!(parse("#NULL#").unwrap(), Value::Null);
    assert_eq!(parse("#TPAST").unwrap(), Value::Timestamp("PAST".into()));
    assert_eq!(
        parse("#TFUTURE").unwrap(),
        Value::Timestamp("FUTURE".into())
    );
    assert_eq!(
        parse("#(anything)").unwrap(),
        Value::Raw("#(anything)".into())
    );
    assert_eq!(
        parse("{X=<a b=\"1\"><c/><d>t</d></a>;}")
            .unwrap()
            .get("X")
            .unwrap(),
        &Value::Raw("<a b=\"1\"><c/><d>t</d></a>".into())
    );
}

#[test]
fn single_line_form_takes_only_spaces() {
    // S2 v6.0: single-line texts separate with spaces only; multi-line ones with tabs and
    // line breaks too.
    assert!(parse_form("{A = 1; B = (x, y);}", Form::SingleLine).is_ok());
    assert!(parse_form("{A=1;\n}", Form::SingleLine).is_err());
    assert!(parse_form("{A=1;\r\n\tB=2;\n}", Form::MultiLine).is_ok());
}

#[test]
fn errors_carry_the_offset_and_an_excerpt() {
    let e = parse("{A=1;B=2}").unwrap_err();
    assert_eq!(e.offset, 8);
    assert_eq!(e.expected, "';' after the dictionary value");
    assert_eq!(e.excerpt, "}");
    let e = parse("(a, b c)").unwrap_err();
    assert_eq!((e.offset, e.expected), (6, "',' or ')' in the array"));
    let e = parse(r#"{A="never closed;}"#).unwrap_err();
    assert_eq!(e.expected, "the closing quote");
    let e = parse("{A=1;} trailing").unwrap_err();
    assert_eq!(e.offset, 7);
    assert!(e.to_string().contains("byte 7"), "{e}");
    assert!(parse("").is_err());
    assert!(parse("{=1;}").is_err());
    assert!(parse("#I[10.0.0.1]:99999").is_err());
}

#[test]
fn encoder_quotes_what_is_not_letters_and_digits() {
    assert_eq!(encode(&s("Member")), "Member");
    assert_eq!(encode(&s("Locally for Others")), r#""Locally for Others""#);
    assert_eq!(encode(&s("")), r#""""#);
    assert_eq!(encode(&s("10.0.0.1")), r#""10.0.0.1""#);
    assert_eq!(
        encode(&s("a\"b\\c\r\n\t\u{7f}")),
        r#""a\"b\\c\013\010\009\127""#
    );
    let dict = Value::Dictionary(vec![
        ("SIPFarmMode".into(), s("Member")),
        (
            "List".into(),
            Value::Array(vec![s("a b"), Value::Null, Value::Number(-3)]),
        ),
        ("Empty".into(), Value::Dictionary(vec![])),
    ]);
    assert_eq!(
        encode(&dict),
        r#"{SIPFarmMode=Member;List=("a b",#NULL#,#-3);Empty={};}"#
    );
}

#[test]
fn fixtures_round_trip_through_the_encoder_on_one_line() {
    let mut all: Vec<&str> = DICTIONARIES.to_vec();
    let inline = S12_EFFECTIVE_SETTINGS.strip_prefix("201 ").unwrap();
    all.push(inline);
    for text in all {
        let value = parse(text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let line = encode(&value);
        assert!(!line.contains(['\r', '\n']), "{line}");
        assert_eq!(
            parse_form(&line, Form::SingleLine).unwrap(),
            value,
            "{line}"
        );
    }
    // Every string a value may hold survives too, control characters included.
    for text in [
        "",
        "x",
        "a b",
        "\"",
        "\\",
        "\r\n\t\u{1}",
        "é€😀",
        "#NULL#",
        "(a)",
        "k=v;",
    ] {
        assert_eq!(parse(&encode(&s(text))).unwrap(), s(text), "{text:?}");
    }
}

#[test]
fn s12_inline_reply_parses() {
    let Reply::Data(text) = parse_reply(S12_EFFECTIVE_SETTINGS.as_bytes()).unwrap() else {
        panic!("data expected");
    };
    let v = parse_form(&text, Form::SingleLine).unwrap();
    assert_eq!(v.get("RulesAllowed").unwrap(), &s("Filter Only"));
    assert_eq!(v.get("Password").unwrap(), &s("wakka"));
    let Value::Array(rules) = v.get("Rules").unwrap() else {
        panic!()
    };
    let Value::Array(rule) = &rules[0] else {
        panic!()
    };
    assert_eq!(rule[1], s("#Redirect"));
}

// ---- edit: byte for byte ----

#[test]
fn every_fixture_survives_an_edit_without_changes() {
    for text in DICTIONARIES {
        assert_eq!(&edit(text, &[]).unwrap(), text);
        // A change to a key the dictionary lacks, removed again, changes nothing either.
        assert_eq!(&edit(text, &[("NoSuchKey", None)]).unwrap(), text);
    }
}

#[test]
fn an_edit_touches_only_its_keys_bytes() {
    let out = edit(MAIN_SETTINGS, &[("LogLevel", Some(s("5")))]).unwrap();
    assert_eq!(
        out,
        MAIN_SETTINGS.replace(" LogLevel = 3;", " LogLevel = 5;")
    );
    let out = edit(
        DOMAIN_DEFAULT_SETTINGS,
        &[("CentralDirectory", Some(s("Keep")))],
    )
    .unwrap();
    assert_eq!(
        out,
        DOMAIN_DEFAULT_SETTINGS.replace(
            r#"CentralDirectory =  "Keep In Sync";"#,
            "CentralDirectory =  Keep;"
        )
    );
    // A nested value is replaced whole; nothing else moves.
    let out = edit(
        HTTPU_SETTINGS,
        &[(
            "FileExtensions",
            Some(Value::Dictionary(vec![("a".into(), s("b c"))])),
        )],
    )
    .unwrap();
    assert_eq!(
        out,
        HTTPU_SETTINGS.replace("FileExtensions = {};", r#"FileExtensions = {a="b c";};"#)
    );
}

#[test]
fn removed_entries_go_with_their_leading_white_space() {
    let out = edit(
        MAIN_SETTINGS,
        &[("AccountCacheSize", None), ("TempFilesReuse", None)],
    )
    .unwrap();
    let expected = MAIN_SETTINGS
        .replace("\n AccountCacheSize = 100;", "")
        .replace("\n TempFilesReuse = YES;", "");
    assert_eq!(out, expected);
    assert_eq!(
        edit("{A=1;B=2;C=3;}", &[("B", None)]).unwrap(),
        "{A=1;C=3;}"
    );
    assert_eq!(edit("{A=1;}", &[("A", None)]).unwrap(), "{}");
}

#[test]
fn new_keys_are_appended_in_the_last_entrys_layout() {
    // One-line INLINE form: stays one line.
    assert_eq!(
        edit(
            "{A=1;B=x;}",
            &[
                ("SIPFarmMode", Some(s("Member"))),
                ("LegHostMode", Some(s("Locally for Others")))
            ]
        )
        .unwrap(),
        r#"{A=1;B=x;SIPFarmMode=Member;LegHostMode="Locally for Others";}"#
    );
    assert_eq!(edit("{}", &[("K", Some(s("v")))]).unwrap(), "{K=v;}");
    assert_eq!(edit("{ }", &[("K", Some(s("v")))]).unwrap(), "{ K=v;}");
    let out = edit(MAIN_SETTINGS, &[("WANAddress", Some(s("64.173.55.164")))]).unwrap();
    assert_eq!(
        out,
        MAIN_SETTINGS.replace(
            " TempFilesReuse = YES;\n",
            " TempFilesReuse = YES;\n WANAddress = \"64.173.55.164\";\n"
        )
    );
    // The last change of a key wins; a key added then removed is not added.
    assert_eq!(
        edit(
            "{A=1;}",
            &[
                ("B", Some(s("1"))),
                ("B", Some(s("2"))),
                ("C", Some(s("x"))),
                ("C", None)
            ]
        )
        .unwrap(),
        "{A=1;B=2;}"
    );
}

#[test]
fn raw_dict_spans_point_at_the_source() {
    let text = r#"{ "Quoted Key" = "v"; Plain=(a,b); }"#;
    let d = RawDict::parse(text).unwrap();
    assert_eq!(
        &text[d.entries[0].key_span.clone()],
        r#""Quoted Key" = "v""#
    );
    assert_eq!(&text[d.entries[1].value_span.clone()], "(a,b)");
    assert_eq!(d.get("Quoted Key"), Some(&s("v")));
    assert_eq!(
        edit(
            text,
            &[("Quoted Key", Some(s("w"))), ("New Key", Some(s("n")))]
        )
        .unwrap(),
        r#"{ "Quoted Key" = w; Plain=(a,b); "New Key"=n; }"#
    );
    assert!(RawDict::parse("(a)").is_err());
    assert!(edit("{A=1;", &[]).is_err());
}

// ---- cli ----

fn cli() -> CgpCli {
    CgpCli {
        keys: KeyTable::default(),
    }
}

#[test]
fn framing_of_code_lines_and_data_that_follows() {
    let p = cli();
    assert!(p.greets());
    assert_eq!(p.reply_len(b"200 OK"), None);
    assert_eq!(p.reply_len(b"200 OK\r\n201 {}\r\n"), Some(8));
    assert_eq!(p.reply_len(b"201 {A=\"(\";}\r\n"), Some(14));
    assert_eq!(
        p.reply_len(b"501 Account with this name already exists\r\n"),
        Some(43)
    );
    // S1's sample: the data on the line after `200 data follow`.
    let sample = b"200 data follow\r\n(mail.servername.com, client1.com, client2.com)\r\n";
    assert_eq!(p.reply_len(&sample[..30]), None);
    assert_eq!(p.reply_len(sample), Some(sample.len()));
    // Multi-line, with brackets inside strings and data blocks, and a line ending in `)`
    // inside the object (where S7's getWords would stop).
    let multi = "200 data follow\r\n{\r\n  A = \"x)\";\r\n  B = (\"}\", [KCk=]);\r\n  C = \"\\\")\";\r\n}\r\n200 OK\r\n";
    let len = multi.len() - "200 OK\r\n".len();
    assert_eq!(p.reply_len(&multi.as_bytes()[..len - 3]), None);
    assert_eq!(p.reply_len(multi.as_bytes()), Some(len));
    let Reply::Data(text) = parse_reply(&multi.as_bytes()[..len]).unwrap() else {
        panic!()
    };
    assert_eq!(parse(&text).unwrap().get("A").unwrap(), &s("x)"));
    // A data object that is a plain string is one line.
    assert_eq!(
        p.reply_len(b"200 data follow\r\n\"10.0.0.1\"\r\n"),
        Some(29)
    );
}

#[test]
fn replies_as_success_or_the_servers_words() {
    assert_eq!(parse_reply(b"200 OK\r\n"), Ok(Reply::Ok));
    assert_eq!(parse_reply(b"200 login OK, proceed\r\n"), Ok(Reply::Ok));
    assert_eq!(parse_reply(b"201 {}\r\n"), Ok(Reply::Data("{}".into())));
    assert_eq!(parse_reply(b"201 ()\r\n"), Ok(Reply::Data("()".into())));
    assert_eq!(
        parse_reply(b"200 data follow\r\n(mail.servername.com, client1.com, client2.com)\r\n"),
        Ok(Reply::Data(
            "(mail.servername.com, client1.com, client2.com)".into()
        ))
    );
    let e = parse_reply(b"501 Account with this name already exists\r\n").unwrap_err();
    assert_eq!(
        e,
        CliError {
            code: 501,
            text: "Account with this name already exists".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "CommuniGate Pro answered 501 Account with this name already exists"
    );
    assert!(parse_reply(b"500 unknown command\r\n")
        .unwrap_err()
        .is_unknown_command());
    assert!(parse_reply(b"510 not enough access rights\r\n")
        .unwrap_err()
        .is_access_denied());
    assert_eq!(parse_reply(b"garbage\r\n").unwrap_err().code, 0);
    assert_eq!(
        parse_reply(b"300 please send the PASS\r\n")
            .unwrap_err()
            .code,
        300
    );
}

#[test]
fn apop_when_the_banner_has_a_challenge() {
    assert_eq!(
        challenge(BANNER_7_1_10.trim_end()),
        Some("<50.1733950486@mymail1.webnames.ca>")
    );
    assert_eq!(challenge(BANNER_DOC), None);
    // md5("<50.1733950486@mymail1.webnames.ca>" + password), lowercase hex (Python hashlib).
    let steps = cli()
        .login(BANNER_7_1_10.as_bytes(), "postmaster", "p\"a ss\\")
        .unwrap();
    assert_eq!(
        steps,
        vec![
            "APOP postmaster 0d583ed3f5aa79d2b22316b236b2ed14".to_string(),
            "INLINE".into()
        ]
    );
}

#[test]
fn user_and_pass_after_the_docs_banner() {
    let p = cli();
    let steps = p
        .login(BANNER_DOC.as_bytes(), "postmaster", "postmasterpassword")
        .unwrap();
    assert_eq!(
        steps,
        ["USER postmaster", "PASS postmasterpassword", "INLINE"]
    );
    // S1's sample replies to those steps.
    for ok in [
        "300 please send the PASS\r\n",
        "200 login OK\r\n",
        "200 OK\r\n",
        "200 login OK, proceed\r\n",
    ] {
        assert_eq!(p.login_reply(ok.as_bytes()), Ok(()), "{ok}");
    }
    assert_eq!(
        p.login_reply(b"515 incorrect password\r\n"),
        Err("CommuniGate Pro refused the login: 515 incorrect password".into())
    );
    assert!(p
        .login(b"500 go away\r\n", "u", "p")
        .unwrap_err()
        .contains("500 go away"));
    assert!(p.login(b"SSH-2.0-OpenSSH\r\n", "u", "p").is_err());
    // A line break in a login word would be a second command.
    assert!(p.login(BANNER_DOC.as_bytes(), "a b", "p").is_err());
    assert!(p.login(BANNER_DOC.as_bytes(), "u", "p\r\nQUIT").is_err());
    assert!(p.login(BANNER_7_1_10.as_bytes(), "u\n", "p").is_err());
}

#[test]
fn commands_are_one_line_with_names_from_the_table() {
    let keys = KeyTable::default();
    assert_eq!(cli().encode("GETVERSION"), b"GETVERSION\r\n");
    assert_eq!(
        simple(&keys, Id::GetClusterSettings).unwrap(),
        "GetClusterSettings"
    );
    assert_eq!(simple(&keys, Id::RefreshOsData).unwrap(), "RefreshOSData");
    assert_eq!(simple(&keys, Id::GetVersion).unwrap(), "GETVERSION");
    assert_eq!(simple(&keys, Id::Quit).unwrap(), "QUIT");
    let dict = edit("{LogLevel=3;}", &[("SIPFarmMode", Some(s("Member")))]).unwrap();
    assert_eq!(
        set_with_text(&keys, Id::SetClusterSettings, &dict).unwrap(),
        "SetClusterSettings {LogLevel=3;SIPFarmMode=Member;}"
    );
    let value = Value::Dictionary(vec![("WANAddress".into(), s("a\nb"))]);
    assert_eq!(
        set_with_value(&keys, Id::SetNetwork, &value).unwrap(),
        r#"SetNetwork {WANAddress="a\010b";}"#
    );
    // A multi-line text (a non-INLINE reply) or user input with a line break is refused.
    assert!(set_with_text(&keys, Id::SetNetwork, "{A=1;\nB=2;}").is_err());
    assert!(command("GetNetwork", &["x\rQUIT"]).is_err());
    assert!(command("Get Network", &[]).is_err());
    let keys = KeyTable::new(Overrides::new([("get_network", "GetNetworkSettings")]).unwrap());
    assert_eq!(simple(&keys, Id::GetNetwork).unwrap(), "GetNetworkSettings");
}

// ---- keys ----

#[test]
fn the_table_has_one_row_per_id_with_unique_stable_ids() {
    for e in TABLE {
        assert_eq!(entry(e.id), e);
        assert_eq!(by_stable_id(e.stable_id), Some(e));
        assert!(check_name(e.kind, e.name).is_ok(), "{}", e.name);
        assert!(!e.source.is_empty());
        if let Kind::Key { get, set } = e.kind {
            assert_eq!(entry(get).kind, Kind::Command);
            assert_eq!(entry(set).kind, Kind::Command);
        }
    }
    let mut ids: Vec<&str> = TABLE.iter().map(|e| e.stable_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), TABLE.len());
    // What the sources left open stays marked so.
    for id in [Id::ServerWanAddress, Id::ClusterWanAddress, Id::MediaPorts] {
        assert_eq!(entry(id).status, Status::Unconfirmed);
    }
    assert_eq!(
        entry(Id::SipFarmMode).known_values,
        ["Member", "Relay", "Auto"]
    );
}

#[test]
fn overrides_are_checked_and_silence_the_warning() {
    assert!(Overrides::new([("server_wan_adress", "X")])
        .unwrap_err()
        .contains("server_wan_address"));
    assert!(Overrides::new([("server_wan_address", "")]).is_err());
    assert!(Overrides::new([("server_wan_address", "a\nb")]).is_err());
    assert!(Overrides::new([("set_network", "Set Network")]).is_err());
    // A key may be any string CGP can write (quoted when needed).
    let o = Overrides::new([("server_wan_address", "WAN IP Address")]).unwrap();
    let used = [Id::SipFarmMode, Id::ServerWanAddress, Id::ClusterWanAddress];
    let default = KeyTable::default();
    let warned: Vec<&str> = default
        .unconfirmed_in_use(&used)
        .iter()
        .map(|e| e.stable_id)
        .collect();
    assert_eq!(warned, ["server_wan_address", "cluster_wan_address"]);
    assert!(unconfirmed_warning(&default.unconfirmed_in_use(&used))
        .unwrap()
        .contains("key_overrides"));
    let site = KeyTable::new(o);
    assert_eq!(site.name(Id::ServerWanAddress), "WAN IP Address");
    let warned: Vec<&str> = site
        .unconfirmed_in_use(&used)
        .iter()
        .map(|e| e.stable_id)
        .collect();
    assert_eq!(warned, ["cluster_wan_address"]);
    assert_eq!(unconfirmed_warning(&[]), None);
}

#[test]
fn unknown_values_warn_and_known_ones_do_not() {
    let keys = KeyTable::default();
    assert_eq!(
        keys.unknown_value_warning(Id::LegHostMode, "Locally for Others"),
        None
    );
    assert!(keys
        .unknown_value_warning(Id::SipFarmMode, "Remotely")
        .unwrap()
        .contains("Member, Relay, Auto"));
    assert_eq!(
        keys.unknown_value_warning(Id::ServerWanAddress, "1.2.3.4"),
        None
    );
}

/// The key table as the provider's documentation lists it (templates/cgp/index.md.tmpl): one
/// row per entry, so the page cannot drift from the table.
fn documented_rows() -> Vec<String> {
    use super::keys::{entry, Kind, Status, TABLE};
    TABLE
        .iter()
        .map(|e| {
            let read_by = match e.kind {
                Kind::Command => "(command)".to_string(),
                Kind::Key { get, .. } => format!("`{}`", entry(get).name),
            };
            let status = match e.status {
                Status::Confirmed => "confirmed",
                Status::Likely => "likely",
                Status::Unconfirmed => "unconfirmed",
            };
            format!(
                "| `{}` | {read_by} | `{}` | {status} |",
                e.stable_id, e.name
            )
        })
        .collect()
}

#[test]
fn the_provider_page_lists_the_key_table() {
    let page = include_str!("../../../templates/cgp/index.md.tmpl");
    let rows = documented_rows();
    for row in &rows {
        assert!(
            page.contains(row.as_str()),
            "missing row {row}\nrows:\n{}",
            rows.join("\n")
        );
    }
    let listed = page.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(
        listed,
        rows.len(),
        "the page lists other rows:\n{}",
        rows.join("\n")
    );
}
