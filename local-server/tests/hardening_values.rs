//! Values that validate must be storable (CONTRACT §2, common rules): numbers DynamoDB cannot
//! hold, `details` nested past its limit, times beyond year 9999 and oversized `jti`s are refused
//! with a 4xx naming what is wrong, never a `503` no retry can cure; and no accepted value makes
//! the read side overflow (findings F1–F3 of the hardening review).

use serde_json::{json, Map, Value};
use testkit::intelligence::inputs;
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, events_path, fresh_key};
use testkit::telephony::{message, messages_path, post_call_of, post_call_path, T0};
use testkit::{Fixture, ORG_A};

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
