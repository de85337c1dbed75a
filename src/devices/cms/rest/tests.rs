use super::*;
use crate::transport::https::HeaderMap;

fn reply(status: u16, body: &str) -> HttpsReply {
    HttpsReply {
        status,
        headers: HeaderMap::new(),
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn form_values_cannot_start_another_parameter() {
    assert_eq!(
        form(&[("name", "cb 1&address=x"), ("sipDomain", "a+b=c/é")]),
        "name=cb+1%26address%3Dx&sipDomain=a%2Bb%3Dc%2F%C3%A9"
    );
    let r = create(&CALL_BRIDGES, &[("name", "x")]);
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.path, "/api/v1/callBridges");
    assert!(r
        .headers
        .iter()
        .any(|(h, v)| *h == "Content-Type" && v == "application/x-www-form-urlencoded"));
    assert!(get(CLUSTER_PATH).body.is_empty());
    assert_eq!(
        page(&WEB_BRIDGES, 20).path,
        "/api/v1/webBridges?offset=20&limit=10"
    );
}

#[test]
fn objects_and_pages_are_read_with_their_ids_and_empty_fields() {
    let o = object(
        &reply(200, "<?xml version=\"1.0\"?>\n<callBridge id=\"a1-b2\"><name>cb&amp;1</name><address>https://10.0.0.2:445</address><sipDomain/></callBridge>"),
        "callBridge",
    )
    .unwrap();
    assert_eq!(o.id.as_deref(), Some("a1-b2"));
    assert_eq!(o.get("name"), Some("cb&1"));
    assert_eq!(o.get("sipDomain"), Some(""));
    assert_eq!(o.get("other"), None);
    let (total, objects) = page_of(
        &reply(200, "<callBridges total=\"12\"><callBridge id=\"1\"><name>a</name></callBridge><callBridge id=\"2\"><name>b</name></callBridge></callBridges>"),
        &CALL_BRIDGES,
    )
    .unwrap();
    assert_eq!((total, objects.len()), (12, 2));
    assert_eq!(objects[1].text("name"), "b");
    for bad in [
        "<webBridges total=\"1\"/>",
        "<callBridges/>",
        "<callBridges total=\"x\"/>",
        "<callBridges total=\"1\"><callBridge><name>a</name></callBridge></callBridges>",
        "not xml",
    ] {
        assert!(
            matches!(
                page_of(&reply(200, bad), &CALL_BRIDGES),
                Err(AnswerError::Unreadable(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn failures_are_reported_in_the_devices_words() {
    let e = accepted(&reply(
        400,
        "<?xml version=\"1.0\"?><failureDetails><parameterError parameter=\"address\" error=\"invalidValue\" /></failureDetails>",
    ))
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "HTTP 400: parameterError parameter=\"address\" error=\"invalidValue\""
    );
    let AnswerError::Refused(missing) = object(
        &reply(
            404,
            "<failureDetails><callBridgeDoesNotExist /></failureDetails>",
        ),
        "callBridge",
    )
    .unwrap_err() else {
        panic!("not refused");
    };
    assert!(missing.is_missing());
    assert_eq!(missing.reason, "callBridgeDoesNotExist");
    let plain = accepted(&reply(500, "\n  Internal error\nmore")).unwrap_err();
    assert_eq!(plain.to_string(), "HTTP 500: Internal error");
    assert_eq!(
        accepted(&reply(401, "")).unwrap_err().to_string(),
        "HTTP 401"
    );
}

#[test]
fn a_created_objects_id_is_the_location_headers_last_segment() {
    let mut r = reply(200, "");
    assert!(created_id(&r, &CALL_BRIDGES).is_err());
    for (location, id) in [
        (
            "/api/v1/callBridges/0b5c5a5e-1f2d-4a0b-9b61-2f3f6b1c8a01",
            Some("0b5c5a5e-1f2d-4a0b-9b61-2f3f6b1c8a01"),
        ),
        ("https://10.0.0.1:445/api/v1/callBridges/abc", Some("abc")),
        ("/api/v1/webBridges/abc", None),
        ("/api/v1/callBridges/", None),
        ("/api/v1/callBridges/a/b", None),
    ] {
        r.headers.insert("location", location.parse().unwrap());
        assert_eq!(
            created_id(&r, &CALL_BRIDGES).ok().as_deref(),
            id,
            "{location}"
        );
    }
}

#[test]
fn web_admin_addresses_need_their_port() {
    assert_eq!(
        parse_web_admin("cms1.example.com:445").unwrap(),
        ("cms1.example.com".to_string(), 445)
    );
    assert_eq!(
        parse_web_admin("https://10.0.0.1:8443/").unwrap(),
        ("10.0.0.1".to_string(), 8443)
    );
    assert_eq!(
        parse_web_admin("https://[fd00::1]:445").unwrap(),
        ("fd00::1".to_string(), 445)
    );
    let e = parse_web_admin("cms1.example.com").unwrap_err();
    assert!(
        e.contains("has no port") && e.contains("cms1.example.com:445"),
        "{e}"
    );
    for bad in [
        "https://cms1:445/api",
        "cms 1:445",
        "cms1:0",
        "http://cms1:445",
        "",
    ] {
        assert!(parse_web_admin(bad).is_err(), "{bad}");
    }
}
