//! Values that validate must be storable (CONTRACT §2, common rules): numbers DynamoDB cannot
//! hold, `details` nested past its limit, times beyond year 9999 and oversized `jti`s are refused
//! with a 4xx naming what is wrong, never a `503` no retry can cure; and no accepted value makes
//! the read side overflow (findings F1–F3 of the hardening review).

use serde_json::{json, Map, Value};
use testkit::intelligence::inputs;
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, events_path, fresh_key, XML};
use testkit::telephony::{
    inbound_call, message, messages_path, post_call_of, post_call_path, routing_path, T0,
};
use testkit::{Answer, Fixture, ORG_A};

/// The last millisecond of year 9999 (9999-12-31T23:59:59.999Z).
const LAST_MILLI_OF_9999: u64 = 253_402_300_799_999;

fn nested(depth: usize) -> Value {
    let mut value = json!(1);
    for _ in 0..depth {
        value = json!({ "n": value });
    }
    value
}

#[tokio::test]
async fn f1_transcript_times_past_year_9999_are_400_and_the_read_never_overflows() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    for id in ["a", "b"] {
        let mut entry = message(id, 0, 1_000, "Hello there.", "END_USER");
        entry["endTime"] = json!(u64::MAX);
        let answer = fx
            .post_json_as(Signer::Writer, &messages_path(&key), &entry)
            .await;
        answer.assert_refused("endTime u64::MAX", &["endTime"]);
    }
    let mut entry = message("c", 0, 1_000, "Hello there.", "END_USER");
    entry["startTime"] = json!(LAST_MILLI_OF_9999 + 1);
    entry["endTime"] = json!(LAST_MILLI_OF_9999 + 1);
    let answer = fx
        .post_json_as(Signer::Writer, &messages_path(&key), &entry)
        .await;
    answer.assert_refused("year 10000", &["startTime", "endTime"]);

    // The largest accepted values, twice, and real-time times of any magnitude: the read works.
    for id in ["d", "e"] {
        let mut entry = message(id, 0, 1_000, "Hello there.", "END_USER");
        entry["startTime"] = json!(0);
        entry["endTime"] = json!(LAST_MILLI_OF_9999);
        let answer = fx
            .post_json_as(Signer::Writer, &messages_path(&key), &entry)
            .await;
        assert_eq!(answer.status, 202, "{}", answer.body);
    }
    let events = body_of(vec![category("A", u64::MAX - 1), category("B", u64::MAX)]);
    let answer = fx
        .post_json_as(Signer::Writer, &events_path(&key), &events)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let answer = fx
        .ask_intelligence(Signer::Reader, &inputs(&[key.as_str()]))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()[0]["isSuccess"], true, "{}", answer.body);
}

#[tokio::test]
async fn f2_numbers_dynamodb_cannot_hold_are_400_naming_the_field() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let with = |changes: Value| {
        let mut event = category("CustomerAngry", 1573503450);
        for (name, value) in changes.as_object().expect("an object") {
            event[name] = value.clone();
        }
        body_of(vec![event])
    };
    let refused = [
        ("score 5e-324", json!({"score": 5e-324}), "events[0].score"),
        ("score 1e-131", json!({"score": 1e-131}), "events[0].score"),
        (
            "score text 1e-200",
            json!({"score": "1e-200"}),
            "events[0].score",
        ),
        (
            "details 1e300",
            json!({"details": {"x": 1e300}}),
            "events[0].details",
        ),
        (
            "details -1e300",
            json!({"details": {"x": [-1e300]}}),
            "events[0].details",
        ),
        (
            "details 1e-300",
            json!({"details": {"x": 1e-300}}),
            "events[0].details",
        ),
        (
            "details 40 deep",
            json!({"details": nested(40)}),
            "events[0].details",
        ),
        (
            "details 31 deep",
            json!({"details": nested(31)}),
            "events[0].details",
        ),
    ];
    for (case, changes, field) in refused {
        let answer = fx
            .post_json_as(Signer::Writer, &events_path(&key), &with(changes))
            .await;
        answer.assert_refused(case, &[field]);
    }
    let accepted = [
        ("score 1e-130", json!({"score": 1e-130})),
        ("score 0", json!({"score": 0})),
        (
            "details 9.99e125",
            json!({"details": {"x": 9.99e125, "y": -9.99e125}}),
        ),
        (
            "details 1e-130",
            json!({"details": {"x": 1e-130, "y": 0.0}}),
        ),
        ("details 30 deep", json!({"details": nested(30)})),
        (
            "details u64::MAX",
            json!({"details": {"x": u64::MAX, "y": i64::MIN}}),
        ),
    ];
    for (case, changes) in accepted {
        let answer = fx
            .post_json_as(Signer::Writer, &events_path(&key), &with(changes))
            .await;
        assert_eq!(answer.status, 202, "{case}: {}", answer.body);
    }
    let stored = fx.conversation_raw(ORG_A, &key).await;
    assert!(!stored.is_empty());
}

async fn post_xml(fx: &Fixture, method: &str, path: &str, xml: &str) -> Answer {
    let token = fx.keys.token(Signer::Writer);
    let request = fx
        .http
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).expect("a method"),
            format!("{}{path}", fx.base_url),
        )
        .header("content-type", XML)
        .header("authorization", format!("Bearer {token}"))
        .body(xml.to_owned());
    fx.send(request).await
}

/// Posts [`xml_event_with_details`] for `key`'s conversation.
async fn post_details(fx: &Fixture, key: &str, start: u64, details: &str) -> Answer {
    post_xml(
        fx,
        "POST",
        &events_path(key),
        &xml_event_with_details(start, details),
    )
    .await
}

/// One real-time category event in XML at `start` (a distinct event each: the same event
/// again rewrites its item) with `details` as given.
fn xml_event_with_details(start: u64, details: &str) -> String {
    format!(
        "<request><service>AmazonConnectContactLens</service><events>\
         <type>IntelligenceSignal__Category</type><value>CustomerAngry</value>\
         <startTime>{start}</startTime>{details}</events></request>"
    )
}

/// `<details>` holding `levels` elements each inside the other, `inner` in the deepest, and
/// every level repeated once (`<a>…</a><a/>`): XML's repetition makes a list, so each
/// element level is two levels of the stored tree (an object holding a list).
fn xml_repeated(levels: usize, inner: &str) -> String {
    let mut xml = inner.to_owned();
    for _ in 0..levels {
        xml = format!("<a>{xml}</a><a/>");
    }
    format!("<details>{xml}</details>")
}

/// XML `details` arrive as elements, so their leaves are always text: `1e300` in XML is the
/// string "1e300", stored as a DynamoDB string, never as a number (JSON `details` holding the
/// string "1e300" are accepted alike). The tree XML makes is checked by the same rule as JSON's
/// (`validate::storable_tree`, at most 30 levels, lists counted): repeated elements, which
/// become lists, cannot take it past DynamoDB's nesting limit. The same for
/// `flowInputParameters`, whose JSON-text form is parsed and checked as JSON.
#[tokio::test]
async fn f2_xml_details_are_stored_as_text_and_nested_by_the_json_rule() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let numbers = "<details><x>1e300</x><y>5e-324</y><z><w>-1e-300</w><w>NaN</w></z></details>";
    let answer = post_details(&fx, &key, 1573503450, numbers).await;
    answer.assert_xml(202);
    let stored = fx.conversation_items(ORG_A, &key).await;
    assert_eq!(stored.len(), 1);
    // Read back through the SDK and serde_dynamo: a number attribute would come back a number.
    assert_eq!(
        stored[0].details,
        Some(json!({"x": "1e300", "y": "5e-324", "z": {"w": ["-1e-300", "NaN"]}}))
    );

    // 15 repeated levels: 30 levels (accepted); 16: 32 (refused, as JSON's 31 is).
    let answer = post_details(&fx, &key, 1573503450 + 1, &xml_repeated(15, "1")).await;
    answer.assert_xml(202);
    let answer = post_details(&fx, &key, 1573503450 + 2, &xml_repeated(16, "1")).await;
    answer.assert_xml(400);
    assert_eq!(answer.xml_error_fields(), ["events[0].details"]);
    // Without repetition, the parser's 32 element levels (`details` is the third) leave
    // `details` 29 levels of objects: 29 nested elements, the deepest holding text.
    let mut deepest = "1".to_owned();
    for _ in 0..29 {
        deepest = format!("<n>{deepest}</n>");
    }
    let answer = post_details(
        &fx,
        &key,
        1573503450 + 3,
        &format!("<details>{deepest}</details>"),
    )
    .await;
    answer.assert_xml(202);
    let answer = post_details(
        &fx,
        &key,
        1573503450 + 4,
        &format!("<details><n>{deepest}</n></details>"),
    )
    .await;
    answer.assert_xml(400);
    assert!(answer.body.contains("XML_PARSER_ERROR"), "{}", answer.body);
    assert_eq!(fx.conversation_items(ORG_A, &key).await.len(), 3);

    // flowInputParameters: elements are text; JSON text is JSON, with JSON's rule.
    let id = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    let omni = routing_path(&id, "omniFlow");
    let answer = post_xml(
        &fx,
        "PATCH",
        &omni,
        "<omniFlow><dialedNumber>1</dialedNumber>\
         <flowInputParameters><a>1e300</a></flowInputParameters></omniFlow>",
    )
    .await;
    answer.assert_xml(200);
    let answer = post_xml(
        &fx,
        "PATCH",
        &omni,
        r#"<omniFlow><dialedNumber>1</dialedNumber><flowInputParameters>{"a":1e300}</flowInputParameters></omniFlow>"#,
    )
    .await;
    answer.assert_xml(400);
    assert_eq!(answer.xml_error_fields(), ["flowInputParameters"]);
    let routes: Vec<Value> = fx
        .conversation_raw(ORG_A, &key)
        .await
        .into_iter()
        .filter(|i| i["sk"].as_str().is_some_and(|sk| sk.starts_with("ROUTE#")))
        .collect();
    assert_eq!(routes.len(), 1, "{routes:?}");
    assert_eq!(
        routes[0]["request"]["flowInputParameters"],
        json!({"a": "1e300"})
    );
}

#[tokio::test]
async fn f2_post_call_times_past_year_9999_are_400() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let body = post_call_of(vec![
        json!({"type": "IntelligenceSignal__Sentiment", "value": 10,
        "startTime": T0, "endTime": LAST_MILLI_OF_9999 + 1, "participant": "CUSTOMER"}),
    ]);
    let answer = fx
        .post_json_as(Signer::Writer, &post_call_path(&key), &body)
        .await;
    answer.assert_refused("endTime in year 10000", &["events[0].endTime"]);
}

#[tokio::test]
async fn f3_a_jti_over_256_characters_is_401_and_256_is_accepted() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let body = body_of(vec![category("A", 1)]);
    let token_with_jti = |jti: String| {
        let mut changes = Map::new();
        changes.insert("jti".into(), json!(jti));
        fx.keys.token_with(Signer::Writer, changes)
    };
    for len in [257, 3000] {
        let token = token_with_jti("j".repeat(len));
        let answer = fx
            .post(
                &events_path(&key),
                Some("application/json"),
                body.to_string(),
                Some(&token),
            )
            .await;
        assert_eq!(answer.status, 401, "jti of {len}: {}", answer.body);
        assert_eq!(answer.error_code(), "INVALID_SESSION_ID", "{}", answer.body);
    }
    // 256 characters of four bytes each: the replay record's key stays within DynamoDB's limit.
    let token = token_with_jti("😀".repeat(256));
    let answer = fx
        .post(
            &events_path(&key),
            Some("application/json"),
            body.to_string(),
            Some(&token),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
}
