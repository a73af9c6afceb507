//! CONTRACT §8: a tenant's `retentionDays` sets the expiry of what is written for it after the
//! change (read through the tenant cache, as every per-tenant setting is); a tenant without one
//! keeps the stack's `RETENTION_DAYS`.

use serde_json::{json, Value};
use testkit::fixture::ADMIN_TOKEN;
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, events_path, fresh_key};
use testkit::telephony::{inbound_call, message, messages_path};
use testkit::{Fixture, ORG_A, ORG_B};

const DAY: u64 = 86_400;

/// Days between each item's receipt (or creation) and its expiry.
fn retention_days(items: &[Value]) -> Vec<u64> {
    items
        .iter()
        .map(|i| {
            let at = i["receivedAt"]
                .as_u64()
                .or(i["createdAt"].as_u64())
                .unwrap();
            (i["expiresAt"].as_u64().unwrap() - at + DAY / 2) / DAY
        })
        .collect()
}

#[tokio::test]
async fn a_tenants_retention_sets_the_expiry_of_what_is_written_after_it() {
    let fx = Fixture::new().await;
    // Set before this fixture's functions read the tenant (their cache would hold it 30 s).
    let answer = fx
        .send(
            fx.http
                .put(format!("{}/admin/v1/tenants/{ORG_A}", fx.base_url))
                .bearer_auth(ADMIN_TOKEN)
                .json(&json!({"retentionDays": 7})),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["retentionDays"], 7);

    let (a, b) = (fresh_key(), fresh_key());
    let id = fx.record_call(Signer::Writer, &inbound_call(&a)).await;
    let line = message("r-1", 0, 5, "Hello", "END_USER");
    assert_eq!(
        fx.post_json_as(Signer::Writer, &messages_path(&a), &line)
            .await
            .status,
        202
    );
    let signals = body_of(vec![category("Escalation", 1_000)]);
    assert!(
        fx.post_json_as(Signer::Writer, &events_path(&a), &signals)
            .await
            .status
            < 300
    );
    assert_eq!(
        fx.post_json_as(Signer::TenantB, &messages_path(&b), &line)
            .await
            .status,
        202
    );

    let data: Vec<Value> = fx
        .conversation_raw(ORG_A, &a)
        .await
        .into_iter()
        .filter(|i| i["itemType"] != "LEG")
        .collect();
    assert_eq!(data.len(), 2);
    assert_eq!(retention_days(&data), [7, 7], "{data:#?}");
    let record = fx.item(&format!("{ORG_A}#VC#{id}"), "VC").await.unwrap();
    assert_eq!(retention_days(&[record]), [7]);
    let head = fx.item(&format!("{ORG_A}#CONV#{a}"), "HEAD").await.unwrap();
    let now = shared::clock::now_secs();
    let head_days = (head["expiresAt"].as_u64().unwrap() - now + DAY / 2) / DAY;
    assert_eq!(head_days, 7, "{head}");

    // Org B has no retentionDays: the stack's 90.
    assert_eq!(retention_days(&fx.conversation_raw(ORG_B, &b).await), [90]);
}
