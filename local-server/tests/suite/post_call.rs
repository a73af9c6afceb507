//! `POST /voiceCalls/{vendorCallKey}/postConversationEvents` (CONTRACT §2.4): per-turn sentiment
//! after the call, stored rounded to hundredths, idempotently; every field required and named
//! with its path when wrong.

use serde_json::{json, Value};
use testkit::keys::Signer;
use testkit::realtime::{fresh_key, XML};
use testkit::telephony::{
    of_type, post_call_of, post_call_path, post_call_sentiment, texts, with_changes, T0,
};
use testkit::{Fixture, ORG_A};

#[tokio::test]
async fn post_call_sentiment_is_accepted_and_stored_rounded() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let body = post_call_of(vec![
        post_call_sentiment(json!("-250.555"), 0, 4000, "CUSTOMER"),
        post_call_sentiment(json!(300), 4000, 9000, "AGENT"),
        post_call_sentiment(json!(0.125), 9000, 12000, "CUSTOMER"),
        post_call_sentiment(json!("-1000"), 12000, 13000, "CUSTOMER"),
        post_call_sentiment(json!(1000.0), 13000, 14000, "agent"),
    ]);
    let request = fx
        .http
        .post(format!("{}{}", fx.base_url, post_call_path(&key)))
        .header("content-type", "application/json")
        .header(
            "authorization",
            format!("Bearer {}", fx.keys.token(Signer::Writer)),
        )
        .header("telephony-provider-name", "amazon-connect")
        .body(body.to_string());
    let answer = fx.send(request).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.json(), json!({"status": "202 Accepted"}));

    let stored = fx.conversation_raw(ORG_A, &key).await;
    let events = of_type(&stored, "POST_CALL_SENTIMENT");
    assert_eq!(events.len(), 5, "{stored:?}");
    assert_eq!(
        texts(&events, "value"),
        ["-250.56", "300.00", "0.13", "-1000.00", "1000.00"]
    );
    let sentiments: Vec<f64> = events
        .iter()
        .map(|e| e["sentiment"].as_f64().expect("a number"))
        .collect();
    assert_eq!(sentiments, [-250.56, 300.0, 0.13, -1000.0, 1000.0]);
    assert_eq!(
        texts(&events, "participant"),
        ["CUSTOMER", "AGENT", "CUSTOMER", "CUSTOMER", "AGENT"]
    );
    let first = events[0];
    let expected = [
        ("pk", json!(format!("{ORG_A}#CONV#{key}"))),
        ("orgId", json!(ORG_A)),
        ("conversationKey", json!(key)),
        ("vendorCallKey", json!(key)),
        ("service", json!("AmazonConnectContactLens")),
        ("startTime", json!(T0)),
        ("endTime", json!(T0 + 4000)),
        ("provider", json!("amazon-connect")),
    ];
    for (field, value) in expected {
        assert_eq!(first[field], value, "{field} of {first}");
    }
    assert!(
        first["sk"]
            .as_str()
            .is_some_and(|sk| sk.starts_with("PCS#")),
        "{first}"
    );
    assert!(
        fx.transcript(ORG_A, &key).await.is_empty(),
        "post-call events are not transcript"
    );
}

#[tokio::test]
async fn the_same_events_twice_are_stored_once() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let turn = post_call_sentiment(json!("-120.5"), 0, 4000, "CUSTOMER");
    let body = post_call_of(vec![
        turn.clone(),
        post_call_sentiment(json!(80), 4000, 6000, "AGENT"),
    ]);
    for attempt in 0..2 {
        let answer = fx
            .post_json_as(Signer::Writer, &post_call_path(&key), &body)
            .await;
        assert_eq!(answer.status, 202, "attempt {attempt}: {}", answer.body);
    }
    let stored = fx.conversation_raw(ORG_A, &key).await;
    assert_eq!(stored.len(), 2, "stored once: {stored:?}");

    // The same turn twice in one request, or as a number instead of a string: still one.
    let same = post_call_of(vec![
        turn.clone(),
        turn,
        post_call_sentiment(json!(-120.5), 0, 4000, "CUSTOMER"),
    ]);
    let answer = fx
        .post_json_as(Signer::Writer, &post_call_path(&key), &same)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let keys: Vec<_> = fx
        .conversation_raw(ORG_A, &key)
        .await
        .iter()
        .map(|i| i["sk"].clone())
        .collect();
    assert_eq!(
        keys,
        stored.iter().map(|i| i["sk"].clone()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn every_post_call_field_is_required_and_named_with_its_path() {
    let fx = Fixture::new().await;
    let valid = post_call_sentiment(json!(-10), 0, 1000, "CUSTOMER");
    let one = |changes: Value| post_call_of(vec![with_changes(&valid, changes)]);
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "type missing",
            one(json!({"type": null})),
            vec!["events[0].type"],
        ),
        (
            "type Category",
            one(json!({"type": "IntelligenceSignal__Category"})),
            vec!["events[0].type"],
        ),
        (
            "type unknown",
            one(json!({"type": "Sentiment"})),
            vec!["events[0].type"],
        ),
        (
            "value missing",
            one(json!({"value": null})),
            vec!["events[0].value"],
        ),
        (
            "value above 1000",
            one(json!({"value": 1000.01})),
            vec!["events[0].value"],
        ),
        (
            "value below -1000",
            one(json!({"value": "-1000.5"})),
            vec!["events[0].value"],
        ),
        (
            "value not a number",
            one(json!({"value": "happy"})),
            vec!["events[0].value"],
        ),
        (
            "value a boolean",
            one(json!({"value": true})),
            vec!["events[0].value"],
        ),
        (
            "startTime missing",
            one(json!({"startTime": null})),
            vec!["events[0].startTime"],
        ),
        (
            "startTime negative",
            one(json!({"startTime": -5})),
            vec!["events[0].startTime"],
        ),
        (
            "endTime missing",
            one(json!({"endTime": null})),
            vec!["events[0].endTime"],
        ),
        (
            "endTime a word",
            one(json!({"endTime": "later"})),
            vec!["events[0].endTime"],
        ),
        (
            "endTime before startTime",
            one(json!({"startTime": 10, "endTime": 9})),
            vec!["events[0].endTime"],
        ),
        (
            "participant missing",
            one(json!({"participant": null})),
            vec!["events[0].participant"],
        ),
        (
            "participant unknown",
            one(json!({"participant": "BOT"})),
            vec!["events[0].participant"],
        ),
        (
            "service missing",
            json!({"events": [valid]}),
            vec!["service"],
        ),
        (
            "service blank",
            json!({"service": " ", "events": [valid]}),
            vec!["service"],
        ),
        ("events missing", json!({"service": "s"}), vec!["events"]),
        (
            "events empty",
            json!({"service": "s", "events": []}),
            vec!["events"],
        ),
        (
            "events an object",
            json!({"service": "s", "events": valid}),
            vec!["events"],
        ),
        (
            "an event not an object",
            json!({"service": "s", "events": [valid, 5]}),
            vec!["events[1]"],
        ),
        (
            "every field of the second event",
            json!({"events": [valid, {"type": "IntelligenceSignal__Category", "value": 2000, "startTime": 5,
                                      "endTime": 4}]}),
            vec![
                "service",
                "events[1].type",
                "events[1].value",
                "events[1].endTime",
                "events[1].participant",
            ],
        ),
    ];
    let key = fresh_key();
    for (case, body, fields) in cases {
        fx.post_json_as(Signer::Writer, &post_call_path(&key), &body)
            .await
            .assert_refused(case, &fields);
    }
    assert!(fx.stored_data().await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn an_xml_post_call_body_gets_an_xml_answer() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<request>
  <service>AmazonConnectContactLens</service>
  <events><type>IntelligenceSignal__Sentiment</type><value>-42.005</value><startTime>{}</startTime><endTime>{}</endTime><participant>CUSTOMER</participant></events>
</request>"#,
        T0,
        T0 + 1000
    );
    let answer = fx
        .post(
            &post_call_path(&key),
            Some(XML),
            xml,
            Some(&fx.keys.token(Signer::Writer)),
        )
        .await;
    answer.assert_xml(202);
    assert!(
        answer.body.contains("<status>202 Accepted</status>"),
        "{}",
        answer.body
    );
    let stored = fx.conversation_raw(ORG_A, &key).await;
    assert_eq!(
        texts(&of_type(&stored, "POST_CALL_SENTIMENT"), "value"),
        ["-42.01"]
    );
}
