//! HTTP-level rules of the telephony routes (CONTRACT §2, §5): content types, body size,
//! malformed JSON, unknown paths and methods, and answering in the request's format.

use testkit::keys::Signer;
use testkit::realtime::{events_path, fresh_key, seed_categories, JSON, XML};
use testkit::{Fixture, ORG_A};

const ONE_MIB: usize = 1024 * 1024;

#[tokio::test]
async fn a_missing_or_unsupported_content_type_is_415() {
    let fx = Fixture::new().await;
    let body = seed_categories().to_string();
    for (case, content_type) in [
        ("no content type", None),
        ("text/plain", Some("text/plain")),
        ("form", Some("application/x-www-form-urlencoded")),
    ] {
        let key = fresh_key();
        let answer = fx
            .post(
                &events_path(&key),
                content_type,
                body.clone(),
                Some(&fx.keys.token(Signer::Writer)),
            )
            .await;
        assert_eq!(answer.status, 415, "{case}: {}", answer.body);
        assert_eq!(answer.error_code(), "UNSUPPORTED_MEDIA_TYPE", "{case}");
        fx.assert_untouched(case, &key).await;
    }
}

/// The seed's first example padded with trailing spaces to `len` bytes.
fn padded_seed(len: usize) -> String {
    let body = seed_categories().to_string();
    format!("{body}{}", " ".repeat(len - body.len()))
}

#[tokio::test]
async fn a_body_over_one_mib_is_413_and_one_of_exactly_one_mib_is_accepted() {
    let fx = Fixture::new().await;
    for (case, len) in [
        ("1 MiB + 1 byte", ONE_MIB + 1),
        ("1 MiB + 100 bytes", ONE_MIB + 100),
    ] {
        let key = fresh_key();
        let answer = fx
            .post(
                &events_path(&key),
                Some(JSON),
                padded_seed(len),
                Some(&fx.keys.token(Signer::Writer)),
            )
            .await;
        assert_eq!(answer.status, 413, "{case}: {}", answer.body);
        assert_eq!(answer.error_code(), "REQUEST_ENTITY_TOO_LARGE", "{case}");
        fx.assert_untouched(case, &key).await;
    }

    let key = fresh_key();
    let body = padded_seed(ONE_MIB);
    assert_eq!(body.len(), ONE_MIB);
    let answer = fx
        .post(
            &events_path(&key),
            Some(JSON),
            body,
            Some(&fx.keys.token(Signer::Writer)),
        )
        .await;
    assert_eq!(answer.status, 202, "exactly 1 MiB: {}", answer.body);
    assert_eq!(fx.conversation_items(ORG_A, &key).await.len(), 2);
    assert_eq!(fx.published().await.len(), 2);
}

#[tokio::test]
async fn malformed_json_is_400_json_parser_error() {
    let fx = Fixture::new().await;
    let cases = [
        ("truncated", r#"{"service": "s", "events": ["#),
        ("not JSON", "service=s"),
        ("trailing comma", r#"{"service": "s", "events": [],}"#),
        ("trailing garbage", r#"{"service": "s"} x"#),
        ("empty body", ""),
    ];
    for (case, body) in cases {
        let key = fresh_key();
        let answer = fx
            .post(
                &events_path(&key),
                Some(JSON),
                body,
                Some(&fx.keys.token(Signer::Writer)),
            )
            .await;
        assert_eq!(answer.status, 400, "{case}: {}", answer.body);
        assert_eq!(
            answer.error_code(),
            "JSON_PARSER_ERROR",
            "{case}: {}",
            answer.body
        );
        fx.assert_untouched(case, &key).await;
    }
    let answer = fx
        .post(
            &events_path(&fresh_key()),
            Some(JSON),
            "[1, 2]",
            Some(&fx.keys.token(Signer::Writer)),
        )
        .await;
    assert_eq!(
        answer.status, 400,
        "a JSON array is no request: {}",
        answer.body
    );
    assert_eq!(answer.error_fields(), ["body"]);
    fx.assert_empty("malformed JSON").await;
}

#[tokio::test]
async fn an_unknown_path_is_404() {
    let fx = Fixture::new().await;
    let body = seed_categories().to_string();
    for path in [
        "/telephony/v1/voiceCalls/abc/unknownEvents",
        "/telephony/v1/voiceCalls/abc/realtimeConversationEvents/more",
        "/telephony/v1/voiceCalls/a/b/realtimeConversationEvents",
        "/telephony/v2/voiceCalls/abc/realtimeConversationEvents",
        "/telephony/v1",
        "/nothing/here",
    ] {
        let answer = fx
            .post(
                path,
                Some(JSON),
                body.clone(),
                Some(&fx.keys.token(Signer::Writer)),
            )
            .await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert_eq!(answer.error_code(), "NOT_FOUND", "{path}");
    }
    fx.assert_empty("unknown paths").await;
}

#[tokio::test]
async fn get_on_the_events_route_is_405_with_allow() {
    let fx = Fixture::new().await;
    let url = format!("{}{}", fx.base_url, events_path(&fresh_key()));
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let request = fx
            .http
            .request(method.clone(), &url)
            .header("content-type", JSON)
            .header(
                "authorization",
                format!("Bearer {}", fx.keys.token(Signer::Writer)),
            )
            .body(seed_categories().to_string());
        let answer = fx.send(request).await;
        assert_eq!(answer.status, 405, "{method}: {}", answer.body);
        let allow = answer.headers.get("allow").and_then(|v| v.to_str().ok());
        assert_eq!(allow, Some("POST"), "{method}");
        assert_eq!(answer.error_code(), "METHOD_NOT_ALLOWED", "{method}");
    }
    fx.assert_empty("other methods").await;
}

#[tokio::test]
async fn answers_are_in_the_requests_format() {
    let fx = Fixture::new().await;
    let xml_ok = "<request><service>s</service>\
        <events><type>IntelligenceSignal__Category</type><value>A</value><startTime>1</startTime></events></request>";
    let xml_bad = "<request><service>s</service></request>";
    let token = || Some(fx.keys.token(Signer::Writer));
    let cases = [
        (
            "JSON 202",
            JSON,
            seed_categories().to_string(),
            token(),
            202,
            "application/json",
        ),
        (
            "JSON 400",
            JSON,
            r#"{"service": "s"}"#.to_owned(),
            token(),
            400,
            "application/json",
        ),
        (
            "JSON 401",
            JSON,
            seed_categories().to_string(),
            None,
            401,
            "application/json",
        ),
        (
            "XML 202",
            XML,
            xml_ok.to_owned(),
            token(),
            202,
            "application/xml",
        ),
        (
            "XML 400",
            XML,
            xml_bad.to_owned(),
            token(),
            400,
            "application/xml",
        ),
        (
            "XML 401",
            XML,
            xml_ok.to_owned(),
            None,
            401,
            "application/xml",
        ),
        (
            "text/xml 202",
            "text/xml",
            xml_ok.to_owned(),
            token(),
            202,
            "application/xml",
        ),
    ];
    for (case, content_type, body, token, status, expected) in cases {
        let answer = fx
            .post(
                &events_path(&fresh_key()),
                Some(content_type),
                body,
                token.as_deref(),
            )
            .await;
        assert_eq!(answer.status, status, "{case}: {}", answer.body);
        assert!(
            answer.content_type().starts_with(expected),
            "{case}: {:?}",
            answer.headers
        );
        if expected == "application/json" {
            answer.json();
        } else {
            assert!(answer.body.starts_with("<?xml"), "{case}: {}", answer.body);
        }
    }
}
