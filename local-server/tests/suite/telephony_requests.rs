//! Retries, tokens and request formats on the voice call, transcript and post-call routes
//! (CONTRACT §1, §2): a retry with a fresh token duplicates nothing, even when it overlaps the
//! first request; a replayed `jti` is a `401` that stores nothing; only `events:write` keys may
//! write; and the common format rules hold on every route.

use serde_json::{json, Value};
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, events_path, fresh_key, JSON};
use testkit::telephony::{
    bulk_entry, bulk_of, inbound_call, message, messages_path, post_call_of, post_call_path,
    post_call_sentiment, transfer_call, BULK_MESSAGES_PATH, VOICE_CALLS_PATH,
};
use testkit::{Answer, Fixture, ORG_A};

async fn post_with(fx: &Fixture, token: &str, path: &str, body: &Value) -> Answer {
    fx.post(path, Some(JSON), body.to_string(), Some(token))
        .await
}

#[track_caller]
fn assert_replay_refused(case: &str, answer: &Answer) {
    assert_eq!(answer.status, 401, "{case}: {}", answer.body);
    assert_eq!(answer.error_code(), "INVALID_SESSION_ID", "{case}");
}

/// One request of each route for a call whose first leg is `key` and transfer leg `transfer_key`.
fn requests(key: &str, transfer_key: &str, parent: &str) -> Vec<(String, Value)> {
    vec![
        (
            VOICE_CALLS_PATH.to_owned(),
            transfer_call(transfer_key, parent),
        ),
        (
            messages_path(key),
            message("m-1", 0, 1_000, "Hello", "HUMAN_AGENT"),
        ),
        (
            messages_path(transfer_key),
            message("m-2", 1_000, 2_000, "Hi", "END_USER"),
        ),
        (
            BULK_MESSAGES_PATH.to_owned(),
            bulk_of(vec![
                bulk_entry(key, vec![message("m-3", 2_000, 3_000, "One", "END_USER")]),
                bulk_entry(
                    transfer_key,
                    vec![message("m-4", 3_000, 4_000, "Two", "HUMAN_AGENT")],
                ),
            ]),
        ),
        (
            post_call_path(transfer_key),
            post_call_of(vec![post_call_sentiment(
                json!(-12.345),
                0,
                4_000,
                "CUSTOMER",
            )]),
        ),
        (
            events_path(transfer_key),
            body_of(vec![category("CustomerAngry", 3)]),
        ),
    ]
}

#[tokio::test]
async fn retrying_each_request_with_a_fresh_token_stores_nothing_twice() {
    let fx = Fixture::new().await;
    let (key, transfer_key) = (fresh_key(), fresh_key());
    let parent = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    assert_eq!(
        fx.record_call(Signer::Writer, &inbound_call(&key)).await,
        parent
    );

    let mut answers = Vec::new();
    for (path, body) in requests(&key, &transfer_key, &parent) {
        let answer = fx.post_json_as(Signer::Writer, &path, &body).await;
        assert!(
            answer.status == 200 || answer.status == 202,
            "{path}: {}",
            answer.body
        );
        answers.push(answer.body);
    }
    let stored = fx.stored_keys().await;
    let conversation = fx.conversation_raw(ORG_A, &key).await;
    assert_eq!(
        conversation.len(),
        2 + 4 + 1 + 1,
        "legs, messages, post-call event, signal: {conversation:?}"
    );

    for ((path, body), first) in requests(&key, &transfer_key, &parent)
        .into_iter()
        .zip(answers)
    {
        let answer = fx.post_json_as(Signer::Writer, &path, &body).await;
        assert_eq!(
            answer.body, first,
            "{path}: a retry is answered as the first request"
        );
    }
    assert_eq!(fx.stored_keys().await, stored, "nothing stored twice");
    assert_eq!(fx.transcript(ORG_A, &key).await.len(), 4);
}

#[tokio::test]
async fn a_replayed_jti_on_the_transcript_and_post_call_routes_is_401_and_stores_nothing() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let cases = [
        (
            "a message",
            messages_path(&key),
            message("m-1", 0, 1, "Hi", "END_USER"),
            message("m-2", 1, 2, "Hi", "END_USER"),
        ),
        (
            "bulk messages",
            BULK_MESSAGES_PATH.to_owned(),
            bulk_of(vec![bulk_entry(
                &key,
                vec![message("m-3", 2, 3, "Hi", "END_USER")],
            )]),
            bulk_of(vec![bulk_entry(
                &key,
                vec![message("m-4", 3, 4, "Hi", "END_USER")],
            )]),
        ),
        (
            "post-call events",
            post_call_path(&key),
            post_call_of(vec![post_call_sentiment(json!(1), 0, 1, "AGENT")]),
            post_call_of(vec![post_call_sentiment(json!(2), 1, 2, "AGENT")]),
        ),
    ];
    for (case, path, first, other) in cases {
        let token = fx.keys.token(Signer::Writer);
        let answer = post_with(&fx, &token, &path, &first).await;
        assert_eq!(answer.status, 202, "{case}: {}", answer.body);
        let stored = fx.stored_data().await;

        assert_replay_refused(
            &format!("{case}, the same request"),
            &post_with(&fx, &token, &path, &first).await,
        );
        assert_replay_refused(
            &format!("{case}, another body"),
            &post_with(&fx, &token, &path, &other).await,
        );
        assert_eq!(
            fx.stored_data().await,
            stored,
            "{case}: the replays stored nothing"
        );
    }
    assert_eq!(
        fx.conversation_raw(ORG_A, &key).await.len(),
        3,
        "the three first uses only"
    );
}

#[tokio::test]
async fn a_replayed_jti_creating_another_call_is_401_and_stores_nothing() {
    let fx = Fixture::new().await;
    let token = fx.keys.token(Signer::Writer);
    let first_key = fresh_key();
    let answer = post_with(&fx, &token, VOICE_CALLS_PATH, &inbound_call(&first_key)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let parent = answer.json()["voiceCallId"]
        .as_str()
        .expect("an id")
        .to_owned();
    let stored = fx.stored_data().await;

    let answer = post_with(&fx, &token, VOICE_CALLS_PATH, &inbound_call(&fresh_key())).await;
    assert_replay_refused("another inbound call", &answer);
    let answer = post_with(
        &fx,
        &token,
        VOICE_CALLS_PATH,
        &transfer_call(&fresh_key(), &parent),
    )
    .await;
    assert_replay_refused("a transfer leg", &answer);
    assert_eq!(fx.stored_data().await, stored, "the replays stored nothing");
}

/// CONTRACT §1: a second use of a `jti` is refused as a replay, whatever the request. Replaying
/// a captured create request must not be answered `200` with the record's id.
#[tokio::test]
async fn a_replayed_jti_repeating_the_same_create_request_is_401() {
    let fx = Fixture::new().await;
    let token = fx.keys.token(Signer::Writer);
    let body = inbound_call(&fresh_key());
    let answer = post_with(&fx, &token, VOICE_CALLS_PATH, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let stored = fx.stored_data().await;

    let replay = post_with(&fx, &token, VOICE_CALLS_PATH, &body).await;
    assert_eq!(fx.stored_data().await, stored, "the replay stored nothing");
    assert_replay_refused("the same create request with the same token", &replay);
}

#[tokio::test]
async fn a_refused_request_does_not_use_up_its_token() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let token = fx.keys.token(Signer::Writer);
    let incomplete = json!({"callCenterApiName": "scv4cc1", "vendorCallKey": key});
    assert_eq!(
        post_with(&fx, &token, VOICE_CALLS_PATH, &incomplete)
            .await
            .status,
        400
    );
    let answer = post_with(&fx, &token, VOICE_CALLS_PATH, &inbound_call(&key)).await;
    assert_eq!(
        answer.status, 200,
        "the corrected request with the same token: {}",
        answer.body
    );

    let token = fx.keys.token(Signer::Writer);
    let bad = message("m-1", 5, 1, "Hi", "END_USER");
    assert_eq!(
        post_with(&fx, &token, &messages_path(&key), &bad)
            .await
            .status,
        400
    );
    let answer = post_with(
        &fx,
        &token,
        &messages_path(&key),
        &message("m-1", 1, 5, "Hi", "END_USER"),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
}

#[tokio::test]
async fn a_token_without_events_write_is_401_on_every_route() {
    let fx = Fixture::new().await;
    let (key, transfer_key) = (fresh_key(), fresh_key());
    let mut cases = requests(&key, &transfer_key, "0LQ000000000001GAA");
    cases.push((VOICE_CALLS_PATH.to_owned(), inbound_call(&key)));
    for (path, body) in cases {
        for signer in [Signer::Reader, Signer::Stranger] {
            let answer = fx.post_json_as(signer, &path, &body).await;
            assert_eq!(answer.status, 401, "{signer:?} on {path}: {}", answer.body);
            assert_eq!(answer.error_code(), "INVALID_SESSION_ID");
        }
    }
    assert_eq!(
        fx.item_count().await,
        0,
        "nothing stored, not even a token id"
    );
    assert!(fx.published().await.is_empty());
}

#[tokio::test]
async fn overlapping_retries_of_a_create_record_one_call() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let body = inbound_call(&key);
    let create = || fx.post_json_as(Signer::Writer, VOICE_CALLS_PATH, &body);
    let answers = tokio::join!(create(), create(), create(), create());
    let answers = [answers.0, answers.1, answers.2, answers.3];
    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(
            answer.body, answers[0].body,
            "every attempt answers the one record"
        );
    }
    let stored = fx.stored_data().await;
    assert_eq!(
        stored.len(),
        3,
        "one record, vendor key and leg: {stored:#?}"
    );

    // Overlapping transfer legs of that call, and overlapping message retries.
    let parent = answers[0].json()["voiceCallId"]
        .as_str()
        .expect("an id")
        .to_owned();
    let transfer = transfer_call(&fresh_key(), &parent);
    let create = || fx.post_json_as(Signer::Writer, VOICE_CALLS_PATH, &transfer);
    let (a, b, c) = tokio::join!(create(), create(), create());
    assert_eq!(
        (a.status, b.status, c.status),
        (200, 200, 200),
        "{} {} {}",
        a.body,
        b.body,
        c.body
    );
    assert!(
        a.body == b.body && b.body == c.body,
        "{} {} {}",
        a.body,
        b.body,
        c.body
    );
    let bulk = bulk_of(vec![bulk_entry(
        &key,
        vec![message("m-1", 0, 1, "Hi", "END_USER")],
    )]);
    let send = || fx.post_json_as(Signer::Writer, BULK_MESSAGES_PATH, &bulk);
    let (a, b, c) = tokio::join!(send(), send(), send());
    assert_eq!((a.status, b.status, c.status), (202, 202, 202));
    let conversation = fx.conversation_raw(ORG_A, &key).await;
    assert_eq!(
        conversation.len(),
        3,
        "two legs and one message: {conversation:#?}"
    );
}

#[tokio::test]
async fn the_common_format_rules_hold_on_every_route() {
    let fx = Fixture::new().await;
    let (key, transfer_key) = (fresh_key(), fresh_key());
    for (path, body) in requests(&key, &transfer_key, "0LQ000000000001GAA") {
        let token = || fx.keys.token(Signer::Writer);
        let answer = fx
            .post(&path, Some("text/plain"), body.to_string(), Some(&token()))
            .await;
        assert_eq!(answer.status, 415, "{path}: {}", answer.body);
        let answer = fx.post(&path, None, body.to_string(), Some(&token())).await;
        assert_eq!(
            answer.status, 415,
            "{path} without Content-Type: {}",
            answer.body
        );
        let answer = fx
            .post(&path, Some(JSON), "{\"truncated\": ", Some(&token()))
            .await;
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert_eq!(answer.error_code(), "JSON_PARSER_ERROR", "{path}");
        let doctype =
            "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x \"y\">]><r><service>&x;</service></r>";
        let answer = fx
            .post(&path, Some("application/xml"), doctype, Some(&token()))
            .await;
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        assert_eq!(answer.xml_error_fields(), Vec::<String>::new(), "{path}");
        assert!(
            answer.body.contains("XML_PARSER_ERROR"),
            "{path}: {}",
            answer.body
        );
        let huge = json!({"padding": "x".repeat(1024 * 1024)}).to_string();
        let answer = fx.post(&path, Some(JSON), huge, Some(&token())).await;
        assert_eq!(answer.status, 413, "{path}: {}", answer.body);
        let answer = fx
            .send(
                fx.http
                    .get(format!("{}{path}", fx.base_url))
                    .bearer_auth(token()),
            )
            .await;
        assert_eq!(answer.status, 405, "GET {path}: {}", answer.body);
    }
    assert_eq!(fx.item_count().await, 0, "nothing stored, no token used up");
}
