//! Nothing accepted is lost on the voice call, transcript and post-call routes (CONTRACT §2):
//! when storage keeps failing the answer is `503` with nothing stored, and the caller's retry
//! with the same token goes through once storage is back.

use serde_json::{json, Value};
use testkit::fault_proxy::{Fault, FaultProxy};
use testkit::keys::Signer;
use testkit::process::{shared_moto, start_moto};
use testkit::realtime::{fresh_key, JSON};
use testkit::telephony::{
    bulk_entry, bulk_of, inbound_call, message, messages_path, post_call_of, post_call_path,
    post_call_sentiment, BULK_MESSAGES_PATH, VOICE_CALLS_PATH,
};
use testkit::{Answer, Fixture, ORG_A};

fn assert_unavailable(case: &str, answer: &Answer) {
    assert_eq!(answer.status, 503, "{case}: {}", answer.body);
    assert_eq!(answer.error_code(), "SERVER_UNAVAILABLE", "{case}");
    assert!(
        !answer.body.contains("127.0.0.1")
            && !answer.body.contains("Throughput")
            && !answer.body.contains("dispatch"),
        "{case}: no SDK detail leaks: {}",
        answer.body
    );
}

/// Sends `body` to `path` while every `BatchWriteItem` is throttled: `503`, nothing stored; then
/// the same request with the same token once writes pass again: accepted.
async fn throttled_then_retried(case: &str, path: &str, body: &Value) -> Fixture {
    let proxy = FaultProxy::start(shared_moto()).await;
    let fx = Fixture::behind(shared_moto(), &proxy.url).await;
    proxy.set(Fault::ThrottleBatchWrite);
    let token = fx.keys.token(Signer::Writer);
    let answer = fx
        .post(path, Some(JSON), body.to_string(), Some(&token))
        .await;
    assert_unavailable(case, &answer);
    assert!(
        proxy.batch_writes() >= 2,
        "{case}: the SDK retried the throttled write"
    );
    assert_eq!(
        fx.item_count().await,
        0,
        "{case}: nothing stored, and the token id released"
    );

    proxy.set(Fault::None);
    let answer = fx
        .post(path, Some(JSON), body.to_string(), Some(&token))
        .await;
    assert_eq!(
        answer.status, 202,
        "{case}: the retry with the same token: {}",
        answer.body
    );
    fx
}

#[tokio::test]
async fn a_message_that_cannot_be_written_answers_503() {
    let key = fresh_key();
    let body = message("m-1", 0, 1_000, "Hello", "END_USER");
    let fx = throttled_then_retried("a message", &messages_path(&key), &body).await;
    assert_eq!(fx.transcript(ORG_A, &key).await.len(), 1);
}

#[tokio::test]
async fn bulk_messages_that_cannot_be_written_answer_503() {
    let keys: Vec<String> = (0..5).map(|_| fresh_key()).collect();
    let entries = keys
        .iter()
        .map(|k| {
            bulk_entry(
                k,
                (0..5)
                    .map(|i| message(&format!("m-{i}"), i, i + 1, "Hi", "END_USER"))
                    .collect(),
            )
        })
        .collect();
    let fx = throttled_then_retried("bulk messages", BULK_MESSAGES_PATH, &bulk_of(entries)).await;
    assert_eq!(fx.stored_data().await.len(), 25);
}

#[tokio::test]
async fn post_call_events_that_cannot_be_written_answer_503() {
    let key = fresh_key();
    let body = post_call_of(vec![
        post_call_sentiment(json!(-20), 0, 1_000, "CUSTOMER"),
        post_call_sentiment(json!(40), 1_000, 2_000, "AGENT"),
    ]);
    let fx = throttled_then_retried("post-call events", &post_call_path(&key), &body).await;
    assert_eq!(fx.conversation_raw(ORG_A, &key).await.len(), 2);
}

#[tokio::test]
async fn a_stopped_emulator_answers_503_on_every_route() {
    let moto = start_moto();
    let fx = Fixture::on(&moto.url()).await;
    let key = fresh_key();
    fx.record_call(Signer::Writer, &inbound_call(&key)).await;

    drop(moto);
    let cases = [
        (
            "create a voice call",
            VOICE_CALLS_PATH.to_owned(),
            inbound_call(&fresh_key()),
        ),
        (
            "create the same voice call again",
            VOICE_CALLS_PATH.to_owned(),
            inbound_call(&key),
        ),
        (
            "a message",
            messages_path(&key),
            message("m-1", 0, 1_000, "Hi", "END_USER"),
        ),
        (
            "bulk messages",
            BULK_MESSAGES_PATH.to_owned(),
            bulk_of(vec![bulk_entry(
                &key,
                vec![message("m-2", 0, 1, "Hi", "END_USER")],
            )]),
        ),
        (
            "post-call events",
            post_call_path(&key),
            post_call_of(vec![post_call_sentiment(json!(1), 0, 1, "AGENT")]),
        ),
    ];
    for (case, path, body) in cases {
        assert_unavailable(case, &fx.post_json_as(Signer::Writer, &path, &body).await);
    }
}
