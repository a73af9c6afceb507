//! Every body rule of CONTRACT §2.1: a `400` naming each offending field, nothing stored or
//! published; and the edge values that must be accepted, with what they store.

use serde_json::{json, Value};
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, sentiment, CATEGORY, SENTIMENT};
use testkit::{Fixture, ORG_A};

/// One valid category event with `changes` applied (a `null` change removes the field).
fn event_with(changes: Value) -> Value {
    let mut event = category("CustomerAngry", 1573503450);
    for (name, value) in changes.as_object().expect("changes are an object") {
        if value.is_null() {
            event.as_object_mut().expect("an object").remove(name);
        } else {
            event[name] = value.clone();
        }
    }
    event
}

/// A request holding the single event `changes` makes.
fn one_event(changes: Value) -> Value {
    body_of(vec![event_with(changes)])
}

#[tokio::test]
async fn service_is_required_non_empty_and_at_most_255_chars() {
    let fx = Fixture::new().await;
    let events = json!([category("A", 1)]);
    for (case, service) in [
        ("missing", None),
        ("null", Some(Value::Null)),
        ("empty", Some(json!(""))),
        ("blank", Some(json!("   "))),
        ("256 chars", Some(json!("s".repeat(256)))),
        ("a number", Some(json!(5))),
    ] {
        let mut body = json!({"events": events});
        if let Some(service) = service {
            body["service"] = service;
        }
        fx.expect_invalid(case, &body, &["service"]).await;
    }
    let (items, published) = fx
        .expect_accepted(
            "255 chars",
            &json!({"service": "é".repeat(255), "events": events}),
        )
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].service, "é".repeat(255));
    assert_eq!(published[0]["service"], "é".repeat(255));
}

#[tokio::test]
async fn persist_must_be_a_boolean() {
    let fx = Fixture::new().await;
    for (case, persist) in [
        ("a word", json!("maybe")),
        ("a number", json!(0)),
        ("an object", json!({})),
    ] {
        let body = json!({"service": "s", "persist": persist, "events": [category("A", 1)]});
        fx.expect_invalid(case, &body, &["persist"]).await;
    }
    let (items, published) = fx
        .expect_accepted(
            "true",
            &json!({"service": "s", "persist": true, "events": [category("A", 1)]}),
        )
        .await;
    assert_eq!((items.len(), published.len()), (1, 1));
    let (items, published) = fx
        .expect_accepted(
            "absent",
            &json!({"service": "s", "events": [category("A", 1)]}),
        )
        .await;
    assert_eq!(
        (items.len(), published.len()),
        (1, 1),
        "persist defaults to true"
    );
}

#[tokio::test]
async fn events_must_be_a_non_empty_array_of_at_most_1000() {
    let fx = Fixture::new().await;
    let many: Vec<Value> = (0..1001).map(|t| category("A", t)).collect();
    for (case, events) in [
        ("missing", None),
        ("null", Some(Value::Null)),
        ("empty", Some(json!([]))),
        ("1001 events", Some(json!(many))),
        ("a string", Some(json!("events"))),
        ("a number", Some(json!(3))),
    ] {
        let mut body = json!({"service": "s"});
        if let Some(events) = events {
            body["events"] = events;
        }
        fx.expect_invalid(case, &body, &["events"]).await;
    }
    let body = json!({"service": "s", "events": [category("A", 1), "not an event"]});
    fx.expect_invalid("an item that is no object", &body, &["events[1]"])
        .await;
}

/// XML has no arrays, so one `<events>` element reads as an object; a JSON request has arrays,
/// and an object where the `events` array belongs is not one.
#[tokio::test]
async fn a_json_object_is_not_an_events_array() {
    let fx = Fixture::new().await;
    let body = json!({"service": "s", "events": category("A", 1)});
    fx.expect_invalid("events as one object", &body, &["events"])
        .await;
}

#[tokio::test]
async fn events_must_be_sorted_by_start_time() {
    let fx = Fixture::new().await;
    let body = body_of(vec![
        category("A", 5),
        category("B", 7),
        category("C", 6),
        category("D", 1),
    ]);
    fx.expect_invalid("unsorted", &body, &["events[2].startTime"])
        .await;
    let body = body_of(vec![category("A", 5), category("B", 4)]);
    fx.expect_invalid("two events, reversed", &body, &["events[1].startTime"])
        .await;

    let body = body_of(vec![
        category("A", 5),
        category("B", 5),
        category("C", 7),
        category("D", 7),
    ]);
    let (items, published) = fx.expect_accepted("equal start times", &body).await;
    let mut values: Vec<_> = items
        .iter()
        .map(|i| (i.start_time, i.value.as_str()))
        .collect();
    values.sort();
    assert_eq!(values, [(5, "A"), (5, "B"), (7, "C"), (7, "D")]);
    assert_eq!(published.len(), 4);
}

#[tokio::test]
async fn the_event_type_must_be_known() {
    let fx = Fixture::new().await;
    for (case, kind) in [
        ("missing", Value::Null),
        ("unknown", json!("IntelligenceSignal__Other")),
        ("wrong case", json!("intelligencesignal__category")),
        ("a number", json!(1)),
    ] {
        fx.expect_invalid(case, &one_event(json!({"type": kind})), &["events[0].type"])
            .await;
    }
}

#[tokio::test]
async fn a_category_value_is_a_non_empty_string_of_at_most_255_chars() {
    let fx = Fixture::new().await;
    for (case, value) in [
        ("missing", Value::Null),
        ("empty", json!("")),
        ("256 chars", json!("v".repeat(256))),
        ("a number", json!(5)),
    ] {
        fx.expect_invalid(
            case,
            &one_event(json!({"value": value})),
            &["events[0].value"],
        )
        .await;
    }
    let (items, published) = fx
        .expect_accepted("255 chars", &one_event(json!({"value": "v".repeat(255)})))
        .await;
    assert_eq!(items[0].value, "v".repeat(255));
    assert_eq!(published[0]["value"], "v".repeat(255));
}

#[tokio::test]
async fn a_sentiment_must_be_a_number_within_plus_or_minus_1000() {
    let fx = Fixture::new().await;
    for (case, value) in [
        ("1000.01", json!(1000.01)),
        ("-1000.5", json!(-1000.5)),
        ("\"1000.001\"", json!("1000.001")),
        ("\"-1000.5\"", json!("-1000.5")),
        ("not numeric", json!("very happy")),
        ("NaN", json!("NaN")),
        ("empty", json!("")),
        ("a boolean", json!(true)),
    ] {
        fx.expect_invalid(
            case,
            &body_of(vec![sentiment(value, 1, "AGENT")]),
            &["events[0].value"],
        )
        .await;
    }
    let body = body_of(vec![
        sentiment(json!(1000), 1, "AGENT"),
        sentiment(json!("-1000.00"), 2, "CUSTOMER"),
    ]);
    let (items, _) = fx.expect_accepted("the bounds", &body).await;
    let values: Vec<_> = items
        .iter()
        .map(|i| (i.value.as_str(), i.sentiment))
        .collect();
    assert_eq!(
        values,
        [("1000.00", Some(1000.0)), ("-1000.00", Some(-1000.0))]
    );
}

#[tokio::test]
async fn a_sentiment_given_as_number_or_string_is_rounded_half_away_from_zero() {
    let fx = Fixture::new().await;
    let body = body_of(vec![
        sentiment(json!("400.125"), 1, "CUSTOMER"),
        sentiment(json!(-0.005), 2, "CUSTOMER"),
        sentiment(json!(400.13), 3, "AGENT"),
        sentiment(json!("-512.5"), 4, "AGENT"),
        sentiment(json!(0.145), 5, "AGENT"),
        sentiment(json!("-0.145"), 6, "AGENT"),
    ]);
    let (items, published) = fx.expect_accepted("numbers and strings", &body).await;
    let stored: Vec<_> = items
        .iter()
        .map(|i| (i.start_time, i.value.as_str(), i.sentiment))
        .collect();
    assert_eq!(
        stored,
        [
            (1, "400.13", Some(400.13)),
            (2, "-0.01", Some(-0.01)),
            (3, "400.13", Some(400.13)),
            (4, "-512.50", Some(-512.5)),
            (5, "0.15", Some(0.15)),
            (6, "-0.15", Some(-0.15)),
        ]
    );
    let values: Vec<_> = published.iter().map(|d| d["value"].as_f64()).collect();
    assert_eq!(
        values,
        [
            Some(400.13),
            Some(-0.01),
            Some(400.13),
            Some(-512.5),
            Some(0.15),
            Some(-0.15)
        ]
    );
}

#[tokio::test]
async fn a_participant_is_agent_or_customer_and_required_for_a_sentiment() {
    let fx = Fixture::new().await;
    let mut no_participant = sentiment(json!("1.5"), 1, "AGENT");
    no_participant
        .as_object_mut()
        .expect("an object")
        .remove("participant");
    fx.expect_invalid(
        "sentiment without participant",
        &body_of(vec![no_participant]),
        &["events[0].participant"],
    )
    .await;
    for (case, participant) in [
        ("BOT", json!("BOT")),
        ("empty", json!("")),
        ("a number", json!(1)),
    ] {
        let event =
            json!({"type": SENTIMENT, "value": "1", "startTime": 1, "participant": participant});
        fx.expect_invalid(
            &format!("sentiment, {case}"),
            &body_of(vec![event]),
            &["events[0].participant"],
        )
        .await;
        let body = one_event(json!({"participant": participant}));
        fx.expect_invalid(
            &format!("category, {case}"),
            &body,
            &["events[0].participant"],
        )
        .await;
    }
    let body = body_of(vec![
        category("A", 1),
        event_with(json!({"startTime": 2, "participant": "AGENT"})),
        sentiment(json!("3"), 3, "CUSTOMER"),
    ]);
    let (items, _) = fx
        .expect_accepted("category without participant, both participants", &body)
        .await;
    let participants: Vec<_> = items.iter().map(|i| i.participant.as_deref()).collect();
    assert_eq!(participants, [None, Some("AGENT"), Some("CUSTOMER")]);
}

#[tokio::test]
async fn a_score_is_a_number_or_string_within_0_and_1000() {
    let fx = Fixture::new().await;
    for (case, score) in [
        ("-1", json!(-1)),
        ("1000.5", json!(1000.5)),
        ("\"1001\"", json!("1001")),
        ("not numeric", json!("high")),
        ("NaN", json!("NaN")),
        ("a boolean", json!(false)),
        ("an object", json!({"v": 1})),
    ] {
        fx.expect_invalid(
            case,
            &one_event(json!({"score": score})),
            &["events[0].score"],
        )
        .await;
    }
    let body = body_of(vec![
        event_with(json!({"value": "A", "startTime": 1, "score": 10})),
        event_with(json!({"value": "B", "startTime": 2, "score": "980"})),
        event_with(json!({"value": "C", "startTime": 3, "score": 0})),
        event_with(json!({"value": "D", "startTime": 4, "score": "1000"})),
        event_with(json!({"value": "E", "startTime": 5, "score": 0.9})),
    ]);
    let (items, published) = fx.expect_accepted("numbers and strings", &body).await;
    let scores: Vec<_> = items.iter().map(|i| i.score).collect();
    assert_eq!(
        scores,
        [Some(10.0), Some(980.0), Some(0.0), Some(1000.0), Some(0.9)]
    );
    let scores: Vec<_> = published.iter().map(|d| d["score"].as_f64()).collect();
    assert_eq!(
        scores,
        [Some(10.0), Some(980.0), Some(0.0), Some(1000.0), Some(0.9)]
    );
}

#[tokio::test]
async fn a_start_time_is_a_non_negative_integer_in_seconds_or_milliseconds() {
    let fx = Fixture::new().await;
    for (case, start) in [
        ("negative", json!(-1)),
        ("fractional", json!(1573503450.5)),
        ("not a number", json!("soon")),
        ("a negative string", json!("-5")),
        ("a boolean", json!(true)),
        ("missing", Value::Null),
    ] {
        fx.expect_invalid(
            case,
            &one_event(json!({"startTime": start})),
            &["events[0].startTime"],
        )
        .await;
    }
    let body = body_of(vec![
        category("Seconds", 1573503300),
        category("Millis", 16898867880000),
    ]);
    let (items, published) = fx.expect_accepted("seconds and milliseconds", &body).await;
    let times: Vec<_> = items
        .iter()
        .map(|i| (i.value.as_str(), i.start_time))
        .collect();
    assert_eq!(
        times,
        [("Seconds", 1573503300), ("Millis", 16898867880000)],
        "stored as given"
    );
    let times: Vec<_> = published.iter().map(|d| d["startTime"].as_u64()).collect();
    assert_eq!(times, [Some(1573503300), Some(16898867880000)]);
}

#[tokio::test]
async fn details_must_be_an_object() {
    let fx = Fixture::new().await;
    for (case, details) in [
        ("a string", json!("details")),
        ("an array", json!([1, 2])),
        ("a number", json!(5)),
        ("a boolean", json!(true)),
    ] {
        fx.expect_invalid(
            case,
            &one_event(json!({"details": details})),
            &["events[0].details"],
        )
        .await;
    }
    let details =
        json!({"BeginOffsetMillis": 1200, "nested": {"list": [1, "two", null]}, "flag": true});
    let (items, published) = fx
        .expect_accepted("an object", &one_event(json!({"details": details})))
        .await;
    assert_eq!(items[0].details.as_ref(), Some(&details), "kept as is");
    assert_eq!(published[0]["details"], details);
}

#[tokio::test]
async fn every_offending_field_is_named_in_one_answer() {
    let fx = Fixture::new().await;
    let body = json!({
        "service": "",
        "persist": "maybe",
        "events": [
            {"type": SENTIMENT, "value": "1000.5", "startTime": 10},
            {"type": "Bogus", "value": "x", "startTime": -1},
            {"type": CATEGORY, "startTime": 5, "score": 1001, "participant": "BOT"},
            {"type": CATEGORY, "value": "x".repeat(256), "startTime": 6, "details": "no"}
        ]
    });
    let answer = fx
        .expect_invalid(
            "many bad fields",
            &body,
            &[
                "service",
                "persist",
                "events[0].participant",
                "events[0].value",
                "events[1].type",
                "events[1].startTime",
                "events[2].participant",
                "events[2].value",
                "events[2].score",
                "events[3].value",
                "events[3].details",
            ],
        )
        .await;
    let codes: Vec<_> = answer
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["errorCode"].clone())
        .collect();
    assert!(
        codes
            .iter()
            .all(|c| c == "REQUIRED_FIELD_MISSING" || c == "INVALID_FIELD"),
        "{codes:?}"
    );
}

#[tokio::test]
async fn a_vendor_call_key_is_1_to_255_chars_without_control_characters() {
    let fx = Fixture::new().await;
    let body = body_of(vec![category("A", 1)]);
    for (case, raw_key) in [
        ("256 chars", "k".repeat(256)),
        ("a line feed", "abc%0Adef".to_owned()),
        ("a NUL", "abc%00def".to_owned()),
        ("a tab", "abc%09".to_owned()),
        ("not UTF-8", "abc%FF".to_owned()),
    ] {
        let answer = fx
            .post_events(&raw_key, &body, &fx.keys.token(Signer::Writer))
            .await;
        assert_eq!(answer.status, 400, "{case}: {}", answer.body);
        assert_eq!(answer.error_fields(), ["vendorCallKey"], "{case}");
        fx.assert_empty(case).await;
    }

    let answer = fx
        .post_events(
            &"k".repeat(256),
            &json!({"events": []}),
            &fx.keys.token(Signer::Writer),
        )
        .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let mut fields = answer.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["events", "service", "vendorCallKey"],
        "a bad key and a bad body: all named"
    );
    fx.assert_empty("bad key and body").await;

    for (case, raw_key, stored_under) in [
        ("255 chars", "k".repeat(255), "k".repeat(255)),
        (
            "percent-encoded",
            "caf%C3%A9%20call".to_owned(),
            "café call".to_owned(),
        ),
    ] {
        let answer = fx
            .post_events(&raw_key, &body, &fx.keys.token(Signer::Writer))
            .await;
        assert_eq!(answer.status, 202, "{case}: {}", answer.body);
        let items = fx.conversation_items(ORG_A, &stored_under).await;
        assert_eq!(items.len(), 1, "{case}");
        assert_eq!(items[0].vendor_call_key, stored_under, "{case}");
        assert_eq!(
            fx.published().await[0]["vendorCallKey"],
            stored_under.as_str(),
            "{case}"
        );
    }
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let fx = Fixture::new().await;
    let body = json!({
        "service": "s", "extra": {"a": 1}, "callCenterApiName": "cc", "eventCount": 1,
        "events": [{"type": CATEGORY, "value": "A", "startTime": 1, "other": true, "confidence": "high"}]
    });
    let (items, published) = fx.expect_accepted("unknown fields", &body).await;
    assert_eq!(items.len(), 1);
    assert_eq!(published.len(), 1);
    assert!(
        published[0].get("other").is_none() && published[0].get("confidence").is_none(),
        "{}",
        published[0]
    );
}
