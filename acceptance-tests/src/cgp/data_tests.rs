//! The data format on literal fixtures from CommuniGate's documents and clients.

use super::*;

fn s(text: &str) -> Object {
    Object::Str(text.into())
}

#[test]
fn strings_atoms_and_escapes_from_data_html_and_s13() {
    // S2 examples and S13's test vector.
    assert_eq!(parse("MyName", Lines::Single).unwrap(), s("MyName"));
    assert_eq!(
        parse(r#""a \"string\" within string""#, Lines::Single).unwrap(),
        s("a \"string\" within string")
    );
    assert_eq!(
        parse(r#""Single \\ backslash""#, Lines::Single).unwrap(),
        s("Single \\ backslash")
    );
    assert_eq!(
        parse(r#""Line1\eLine2""#, Lines::Single).unwrap(),
        s("Line1\nLine2")
    );
    assert_eq!(
        parse(r#""TEXT3\rTEXT67\nTEXT78""#, Lines::Single).unwrap(),
        s("TEXT3\rTEXT67\nTEXT78")
    );
    assert_eq!(
        parse(r#""Line1:\tField1""#, Lines::Single).unwrap(),
        s("Line1:\tField1")
    );
    assert_eq!(
        parse(r#""Using the \012 - Vertical""#, Lines::Single).unwrap(),
        s("Using the \u{c} - Vertical")
    );
    assert_eq!(
        parse(r#""\u'263A'""#, Lines::Single).unwrap(),
        s("\u{263A}")
    );
    // adjacent quoted strings concatenate (S7 readWord)
    assert_eq!(parse(r#""ab" "cd""#, Lines::Single).unwrap(), s("abcd"));
    // atoms as servers emit them (S10, S12)
    assert_eq!(
        parse("cpanel.communigate.com", Lines::Single).unwrap(),
        s("cpanel.communigate.com")
    );
}

#[test]
fn numbers_timestamps_ips_null_and_data_blocks() {
    // S13's test vectors
    assert_eq!(
        parse("#50", Lines::Single).unwrap(),
        Object::Number("50".into())
    );
    assert_eq!(
        parse("#-50", Lines::Single).unwrap(),
        Object::Number("-50".into())
    );
    assert_eq!(
        parse("#T22-10-2009", Lines::Single).unwrap(),
        Object::Timestamp("22-10-2009".into())
    );
    assert_eq!(
        parse("#T22-10-2009_15:24:45", Lines::Single).unwrap(),
        Object::Timestamp("22-10-2009_15:24:45".into())
    );
    assert_eq!(
        parse("#TPAST", Lines::Single).unwrap(),
        Object::Timestamp("PAST".into())
    );
    assert_eq!(
        parse("#I[10.0.44.55]:25", Lines::Single).unwrap(),
        Object::Ip("10.0.44.55".into(), Some(25))
    );
    assert_eq!(
        parse("#I[2001:470:1f01:2565::a:80f]", Lines::Single).unwrap(),
        Object::Ip("2001:470:1f01:2565::a:80f".into(), None)
    );
    assert_eq!(parse("#NULL#", Lines::Single).unwrap(), Object::Null);
    assert_eq!(
        parse("[SGVsbG8=] [IQ==]", Lines::Single).unwrap(),
        Object::Data(b"Hello!".to_vec())
    );
    assert_eq!(
        parse("<a x=\"1>\"><b/></a>", Lines::Single).unwrap(),
        Object::Xml("<a x=\"1>\"><b/></a>".into())
    );
    for bad in ["#T22-10-09", "#I[10.0.0]", "#x", "#", "[!!]"] {
        assert!(parse(bad, Lines::Single).is_err(), "{bad}");
    }
}

#[test]
fn arrays_and_dictionaries_single_and_multi_line() {
    // S13
    assert_eq!(
        parse(r#"("Domain Settings", Domain)"#, Lines::Single).unwrap(),
        Object::Array(vec![s("Domain Settings"), s("Domain")])
    );
    assert_eq!(
        parse(r#"{Name=Unit;LastName="Test da Silva";}"#, Lines::Single).unwrap(),
        Object::Dict(vec![
            ("Name".into(), s("Unit")),
            ("LastName".into(), s("Test da Silva"))
        ])
    );
    // S10 HTTPU.settings, nested
    let nested = "{Listener = {MaxInputChannels=50;Ports=({PortNumber=8100;},{InitialSecurity=on;PortNumber=9100;});};}";
    let o = parse(nested, Lines::Single).unwrap();
    assert_eq!(
        print_compact(&o),
        "{Listener={MaxInputChannels=50;Ports=({PortNumber=8100;},{InitialSecurity=on;PortNumber=9100;});};}"
    );
    // S10 Main.settings, multi-line: tabs and line ends only there
    let main = "{\n AccountCacheSize = 100;\n\tDomainName = cpanel.communigate.com;\n ExternalAUTH = {Enabled=NO;LogLevel=3;};\n ExternalFilters = ();\n LicenseAccepted = #T07-11-2011_16:53:05;\n}";
    let d = parse_stored_dict(main, Lines::Multi).unwrap();
    assert_eq!(d.get("ExternalAUTH"), Some("{Enabled=NO;LogLevel=3;}"));
    assert_eq!(d.get("LicenseAccepted"), Some("#T07-11-2011_16:53:05"));
    assert!(
        parse(main, Lines::Single).is_err(),
        "a line end in a one-line text"
    );
    // S12's INLINE reply
    let s12 = r##"{MaxAccountSize=50M;Password=wakka;RulesAllowed="Filter Only";Rules=((1,"#Redirect",(),(("Mirror to",phpunit@null.com),(Discard,"---"))));}"##;
    assert_eq!(print_compact(&parse(s12, Lines::Single).unwrap()), s12);
    for bad in ["{A=1}", "{A 1;}", "(a,", "{A=\"x;}", "{=1;}"] {
        assert!(parse(bad, Lines::Single).is_err(), "{bad}");
    }
}

#[test]
fn stored_dicts_keep_the_clients_value_text_and_order() {
    let d = parse_stored_dict(
        r#"{Zed = "quoted atom"; A = ( "x", y ); B = "a" "b"; C = #I[10.0.0.1]:5060;}"#,
        Lines::Single,
    )
    .unwrap();
    let keys: Vec<&str> = d.entries().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["Zed", "A", "B", "C"]);
    assert_eq!(d.get("Zed"), Some(r#""quoted atom""#));
    assert_eq!(d.get("A"), Some(r#"( "x", y )"#));
    // joined strings are normalised to the one string the server holds
    assert_eq!(d.get("B"), Some("ab"));
    assert_eq!(
        d.print_inline(),
        r#"{Zed="quoted atom";A=( "x", y );B=ab;C=#I[10.0.0.1]:5060;}"#
    );
    assert_eq!(
        d.print_multiline(),
        "{\r\n Zed = \"quoted atom\";\r\n A = ( \"x\", y );\r\n B = ab;\r\n C = #I[10.0.0.1]:5060;\r\n}"
    );
}

#[test]
fn strings_print_as_the_server_prints_them() {
    assert_eq!(print_string("Auto"), "Auto");
    assert_eq!(print_string("default.html"), "default.html");
    assert_eq!(print_string("-1"), "\"-1\"");
    assert_eq!(print_string(""), "\"\"");
    assert_eq!(print_string("Locally for Others"), "\"Locally for Others\"");
    assert_eq!(print_string("a\"b\\c\nd\u{1}"), r#""a\"b\\c\ed\001""#);
    for text in ["a\"b\\c\nd\u{1}\t\r", "x y", "ü"] {
        assert_eq!(
            parse(&print_string(text), Lines::Single).unwrap(),
            s(text),
            "{text:?}"
        );
    }
}
