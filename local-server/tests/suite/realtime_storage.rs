//! Idempotent storage, event identity and tenant isolation of real-time events (CONTRACT §0,
//! §2, §2.1, §2.5).

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, fresh_key, seed_categories, sentiment, SEED_KEY};
use testkit::{Fixture, ORG_A, ORG_B};

fn event_keys(published: &[Value]) -> Vec<String> {
    published
        .iter()
        .map(|d| d["eventKey"].as_str().expect("an eventKey").to_owned())
        .collect()
}

#[tokio::test]
async fn a_retried_request_is_stored_once_and_published_again_under_the_same_event_keys() {
    let fx = Fixture::new().await;
    let answer = fx
        .post_events(SEED_KEY, &seed_categories(), &fx.keys.token(Signer::Writer))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let stored = fx.conversation_items(ORG_A, SEED_KEY).await;
    let first = fx.published().await;

    let answer = fx
        .post_events(SEED_KEY, &seed_categories(), &fx.keys.token(Signer::Writer))
        .await;
    assert_eq!(
        answer.status, 202,
        "retry with a fresh token: {}",
        answer.body
    );
    let again = fx.conversation_items(ORG_A, SEED_KEY).await;
    assert_eq!(again.len(), 2, "stored once: {again:?}");
    assert_eq!(
        again.iter().map(|i| &i.sk).collect::<Vec<_>>(),
        stored.iter().map(|i| &i.sk).collect::<Vec<_>>()
    );
    let second = fx.published().await;
    assert_eq!(
        (first.len(), second.len()),
        (2, 2),
        "published at each request"
    );
    assert_eq!(
        event_keys(&first),
        event_keys(&second),
        "a retry carries the same eventKeys"
    );
}

#[tokio::test]
async fn the_same_event_twice_in_one_request_is_stored_once() {
    let fx = Fixture::new().await;
    let body = body_of(vec![
        category("CustomerAngry", 5),
        category("CustomerAngry", 5),
    ]);
    let (items, published) = fx.expect_accepted("a repeated category", &body).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(!published.is_empty());
    assert_eq!(
        event_keys(&published)
            .into_iter()
            .collect::<HashSet<_>>()
            .len(),
        1,
        "{published:?}"
    );

    let body = body_of(vec![
        sentiment(json!("-0.5"), 5, "AGENT"),
        sentiment(json!(-0.5), 5, "AGENT"),
    ]);
    let (items, _) = fx
        .expect_accepted("a sentiment as string and as number", &body)
        .await;
    assert_eq!(items.len(), 1, "{items:?}");

    let body = body_of(vec![
        sentiment(json!("-0.5"), 5, "AGENT"),
        sentiment(json!("-0.5"), 5, "CUSTOMER"),
    ]);
    let (items, _) = fx
        .expect_accepted("the same sentiment of two participants", &body)
        .await;
    assert_eq!(
        items.len(),
        2,
        "another participant, another event: {items:?}"
    );
}

/// The design: an event's key is its identity, so sending it again rewrites the one
/// stored copy (last write wins for what is not identity) instead of adding another.
#[tokio::test]
async fn storing_the_same_event_again_keeps_one_copy_last_write_wins() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let event = |score: u32, details: Value| {
        json!({"type": "IntelligenceSignal__Category", "value": "CustomerAngry",
        "startTime": 5, "participant": "CUSTOMER", "score": score, "details": details})
    };
    let first = json!({"service": "First", "events": [event(10, json!({"BeginOffsetMillis": 1}))]});
    let answer = fx
        .post_events(&key, &first, &fx.keys.token(Signer::Writer))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let stored = fx.conversation_items(ORG_A, &key).await;
    assert_eq!(stored.len(), 1);

    // Same (type, value, participant, startTime): the same event, whatever else it carries.
    let again =
        json!({"service": "Second", "events": [event(20, json!({"BeginOffsetMillis": 2}))]});
    let answer = fx
        .post_events(&key, &again, &fx.keys.token(Signer::Writer))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let now = fx.conversation_items(ORG_A, &key).await;
    assert_eq!(now.len(), 1, "stored once: {now:?}");
    assert_eq!(now[0].sk, stored[0].sk);
    assert_eq!(
        (now[0].service.as_str(), now[0].score),
        ("Second", Some(20.0))
    );
    assert_eq!(now[0].details, Some(json!({"BeginOffsetMillis": 2})));
}

#[tokio::test]
async fn retrying_later_keeps_the_same_items() {
    let fx = Fixture::new().await;
    let answer = fx
        .post_events(SEED_KEY, &seed_categories(), &fx.keys.token(Signer::Writer))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let stored = fx.conversation_items(ORG_A, SEED_KEY).await;

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let answer = fx
        .post_events(SEED_KEY, &seed_categories(), &fx.keys.token(Signer::Writer))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let mut again = fx.conversation_items(ORG_A, SEED_KEY).await;
    assert_eq!(again.len(), stored.len());
    // Only the receipt time (and the retention counted from it) moves on.
    for (item, first) in again.iter_mut().zip(&stored) {
        assert!(item.received_at >= first.received_at);
        item.received_at = first.received_at;
        item.expires_at = first.expires_at;
    }
    assert_eq!(again, stored);
}

#[tokio::test]
async fn distinct_events_have_distinct_event_keys() {
    let fx = Fixture::new().await;
    let token = || fx.keys.token(Signer::Writer);
    // The same category at two moments of one call, then in another call, then in another org.
    let body = body_of(vec![
        category("CustomerAngry", 1573503300),
        category("CustomerAngry", 1573503450),
    ]);
    assert_eq!(fx.post_events(SEED_KEY, &body, &token()).await.status, 202);
    let other_call = fresh_key();
    assert_eq!(
        fx.post_events(
            &other_call,
            &body_of(vec![category("CustomerAngry", 1573503300)]),
            &token()
        )
        .await
        .status,
        202
    );
    let tenant_b = fx.keys.token(Signer::TenantB);
    assert_eq!(
        fx.post_events(
            SEED_KEY,
            &body_of(vec![category("CustomerAngry", 1573503300)]),
            &tenant_b
        )
        .await
        .status,
        202
    );

    assert_eq!(
        fx.conversation_items(ORG_A, SEED_KEY).await.len(),
        2,
        "two moments, two events"
    );
    let published = fx.published().await;
    assert_eq!(published.len(), 4, "{published:?}");
    let keys: HashSet<_> = event_keys(&published).into_iter().collect();
    let summary: Vec<_> = published
        .iter()
        .map(|d| {
            format!(
                "{} {} {} -> {}",
                d["tenant"], d["vendorCallKey"], d["startTime"], d["eventKey"]
            )
        })
        .collect();
    assert_eq!(keys.len(), 4, "consumers drop duplicates on eventKey, so distinct events need distinct keys: {summary:#?}");
}

#[tokio::test]
async fn tenant_b_writes_only_to_its_own_partition() {
    let fx = Fixture::new().await;
    let answer = fx
        .post_events(SEED_KEY, &seed_categories(), &fx.keys.token(Signer::Writer))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let org_a_items = fx.conversation_items(ORG_A, SEED_KEY).await;
    assert_eq!(org_a_items.len(), 2);
    fx.published().await;

    // Org B posts the same vendorCallKey: the same event and one of its own.
    let body = body_of(vec![
        category("CustomerAngry", 1573503450),
        category("TenantBOnly", 1573503500),
    ]);
    let answer = fx
        .post_events(SEED_KEY, &body, &fx.keys.token(Signer::TenantB))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);

    assert_eq!(
        fx.conversation_items(ORG_A, SEED_KEY).await,
        org_a_items,
        "org A's items are untouched"
    );
    let org_b_items = fx.conversation_items(ORG_B, SEED_KEY).await;
    let values: Vec<_> = org_b_items.iter().map(|i| i.value.as_str()).collect();
    assert_eq!(values, ["CustomerAngry", "TenantBOnly"]);
    assert!(
        org_b_items
            .iter()
            .all(|i| i.org_id == ORG_B && i.pk.starts_with(&format!("{ORG_B}#"))),
        "{org_b_items:?}"
    );
    let published = fx.published().await;
    assert_eq!(published.len(), 2);
    assert!(
        published.iter().all(|d| d["tenant"] == ORG_B),
        "{published:?}"
    );
}
