//! Nothing accepted is lost: when storage or the bus fails after bounded retries the answer is
//! 503 (so the caller retries), never 202 for data that was not stored and published.

use serde_json::{json, Value};
use testkit::fault_proxy::{Fault, FaultProxy};
use testkit::keys::Signer;
use testkit::process::{shared_moto, start_moto};
use testkit::{Fixture, ORG_A};

const KEY: &str = "call-under-failure";

fn path() -> String {
    format!("/telephony/v1/voiceCalls/{KEY}/realtimeConversationEvents")
}

fn categories(n: u64, persist: bool) -> String {
    let events: Vec<Value> = (0..n)
        .map(|i| json!({"type": "IntelligenceSignal__Category", "value": format!("Category{i}"), "startTime": 1_700_000_000 + i}))
        .collect();
    json!({"service": "AmazonConnectContactLens", "persist": persist, "events": events}).to_string()
}

async fn post(fx: &Fixture, body: String) -> testkit::Answer {
    fx.post(
        &path(),
        Some("application/json"),
        body,
        Some(&fx.keys.token(Signer::Writer)),
    )
    .await
}

#[tokio::test]
async fn a_stopped_emulator_answers_503() {
    let moto = start_moto();
    let fx = Fixture::on(&moto.url()).await;
    assert_eq!(post(&fx, categories(2, true)).await.status, 202);

    drop(moto);
    for persist in [true, false] {
        let answer = post(&fx, categories(2, persist)).await;
        assert_eq!(answer.status, 503, "{}", answer.body);
        assert_eq!(answer.error_code(), "SERVER_UNAVAILABLE");
        assert!(
            !answer.body.contains("dispatch") && !answer.body.contains("127.0.0.1"),
            "no SDK detail leaks: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn throttled_writes_answer_503_and_nothing_is_published() {
    let proxy = FaultProxy::start(shared_moto()).await;
    let fx = Fixture::behind(shared_moto(), &proxy.url).await;
    proxy.set(Fault::ThrottleBatchWrite);

    let answer = post(&fx, categories(3, true)).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert!(fx.conversation_items(ORG_A, KEY).await.is_empty());
    assert!(
        fx.published().await.is_empty(),
        "a signal that was not stored is not announced"
    );
    assert!(
        proxy.batch_writes() >= 2,
        "the SDK retried the throttled call"
    );
}

#[tokio::test]
async fn unprocessed_items_are_resent_until_all_are_written() {
    let proxy = FaultProxy::start(shared_moto()).await;
    let fx = Fixture::behind(shared_moto(), &proxy.url).await;
    proxy.set(Fault::PartialBatchWrite(4));

    // 30 events: one full chunk of 25 and one of 5.
    let answer = post(&fx, categories(30, true)).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let stored = fx.conversation_items(ORG_A, KEY).await;
    assert_eq!(stored.len(), 30);
    assert_eq!(
        proxy.batch_writes(),
        2 + 4,
        "each partial write was followed by a re-send"
    );
    assert_eq!(fx.published().await.len(), 30);
}

#[tokio::test]
async fn unprocessed_items_beyond_the_retry_bound_answer_503() {
    let proxy = FaultProxy::start(shared_moto()).await;
    let fx = Fixture::behind(shared_moto(), &proxy.url).await;
    proxy.set(Fault::PartialBatchWrite(u32::MAX));

    // Each call writes one item: 25 items outlast the retries.
    let answer = post(&fx, categories(25, true)).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    // Bounded: the first try plus the backoff's retries, then give up.
    assert_eq!(
        proxy.batch_writes(),
        1 + shared::store::Backoff::default().retries
    );
    assert!(fx.published().await.is_empty());
}

#[tokio::test]
async fn events_the_bus_keeps_failing_answer_503() {
    let proxy = FaultProxy::start(shared_moto()).await;
    let fx = Fixture::behind(shared_moto(), &proxy.url).await;
    proxy.set(Fault::FailPutEvents);

    let token = fx.keys.token(Signer::Writer);
    let answer = fx
        .post(
            &path(),
            Some("application/json"),
            categories(12, false),
            Some(&token),
        )
        .await;
    assert_eq!(
        answer.status, 503,
        "a persist:false event that could not be published: {}",
        answer.body
    );
    assert_eq!(
        fx.item_count().await,
        0,
        "nothing stored, and the token id released"
    );

    // The caller's retry of the 503 with the same token is not refused as a replay.
    proxy.set(Fault::None);
    let answer = fx
        .post(
            &path(),
            Some("application/json"),
            categories(12, false),
            Some(&token),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(fx.published().await.len(), 12);
    proxy.set(Fault::FailPutEvents);

    // Stored but not announced is still not accepted: the caller's retry is idempotent.
    let answer = post(&fx, categories(2, true)).await;
    assert_eq!(answer.status, 503);
    proxy.set(Fault::None);
    assert_eq!(post(&fx, categories(2, true)).await.status, 202);
    assert_eq!(fx.conversation_items(ORG_A, KEY).await.len(), 2);
    assert_eq!(fx.published().await.len(), 2);
}
