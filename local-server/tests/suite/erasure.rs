//! CONTRACT §8 through the local server on moto: a conversation erased leaves nothing of it in
//! the table (every leg's partition, records, vendor keys, the analysis, the head's data), the
//! action answers NOT_FOUND for every id and key, another tenant's conversation with the same
//! vendorCallKey stays; an erasure interrupted is finished by its retry; a write racing it
//! lands before it or after it; a legal hold blocks erasure and expiry, its release restores
//! both; every change is audited.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use testkit::fault_proxy::{Fault, FaultProxy};
use testkit::keys::Signer;
use testkit::live::LiveClient;
use testkit::process::shared_moto;
use testkit::realtime::{body_of, category, events_path, fresh_key};
use testkit::telephony::{
    inbound_call, message, messages_path, post_call_of, post_call_path, post_call_sentiment,
    transfer_call,
};
use testkit::{Fixture, ORG_A, ORG_B};

async fn erase(fx: &Fixture, org: &str, record: &str) -> (u16, Value) {
    fx.admin(
        reqwest::Method::DELETE,
        &format!("/tenants/{org}/conversations/{record}"),
        None,
    )
    .await
}

async fn hold(fx: &Fixture, record: &str, on: bool) -> (u16, Value) {
    fx.admin(
        reqwest::Method::PUT,
        &format!("/tenants/{ORG_A}/conversations/{record}/hold"),
        Some(json!({ "hold": on })),
    )
    .await
}

async fn post(fx: &Fixture, signer: Signer, path: &str, body: &Value) -> u16 {
    fx.post_json_as(signer, path, body).await.status
}

/// Every item of the table (a test-only Scan), as JSON.
/// The items whose key names one of `needles` (a key, an id) of `org`.
fn items_naming<'a>(items: &'a [Value], org: &str, needles: &[&str]) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|i| {
            let pk = i["pk"].as_str().unwrap_or_default();
            pk.starts_with(&format!("{org}#"))
                && needles.iter().any(|n| pk.ends_with(&format!("#{n}")))
        })
        .collect()
}

/// A tombstone holds the head's keys and when the erasure finished: nothing of the call.
fn is_tombstone(item: &Value) -> bool {
    let mut fields: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    item["sk"] == "HEAD" && fields == ["erasedAt", "expiresAt", "itemType", "pk", "sk"]
}

async fn assert_not_found(fx: &Fixture, signer: Signer, record: &str) {
    let result = fx.intelligence_results(signer, &[record]).await.remove(0);
    assert_eq!(result["isSuccess"], false, "{record}: {result}");
    assert_eq!(
        result["errors"][0]["statusCode"], "NOT_FOUND",
        "{record}: {result}"
    );
}

/// A conversation of two legs: the transfer leg sent data with its own key before its record
/// existed; transcript, signals, post-call sentiment.
async fn two_leg_call(fx: &Fixture, signer: Signer, parent: &str, leg: &str) -> (String, String) {
    let parent_id = fx.record_call(signer, &inbound_call(parent)).await;
    for i in 0..5 {
        let line = message(
            &format!("p-{i}"),
            i * 10,
            i * 10 + 5,
            "Acme Telecom offer",
            "END_USER",
        );
        assert_eq!(post(fx, signer, &messages_path(parent), &line).await, 202);
    }
    let signals = body_of(vec![
        category("Escalation", 1_000),
        category("CustomerAngry", 2_000),
    ]);
    assert!(post(fx, signer, &events_path(parent), &signals).await < 300);
    let early = message("leg-early", 100, 105, "Hello from the leg", "END_USER");
    assert_eq!(post(fx, signer, &messages_path(leg), &early).await, 202);
    let leg_id = fx
        .record_call(signer, &transfer_call(leg, &parent_id))
        .await;
    let late = message("leg-late", 200, 205, "Later on the leg", "END_USER");
    assert_eq!(post(fx, signer, &messages_path(leg), &late).await, 202);
    (parent_id, leg_id)
}

#[tokio::test]
async fn an_erased_conversation_leaves_nothing_and_is_found_by_no_id() {
    let fx = Fixture::new().await;
    let (parent, leg) = (fresh_key(), fresh_key());
    let (parent_id, leg_id) = two_leg_call(&fx, Signer::Writer, &parent, &leg).await;
    // Another tenant's call with the same vendorCallKey.
    let _ = fx
        .record_call(Signer::TenantB, &inbound_call(&parent))
        .await;
    let other = message("b-1", 0, 5, "Tenant B's line", "END_USER");
    assert_eq!(
        post(&fx, Signer::TenantB, &messages_path(&parent), &other).await,
        202
    );
    let ids = [
        parent.as_str(),
        leg.as_str(),
        parent_id.as_str(),
        leg_id.as_str(),
    ];
    let before = fx.items().await;
    let ours = items_naming(&before, ORG_A, &ids).len();
    assert!(ours >= 14, "the call is stored: {ours} items");
    let b_before = items_naming(&before, ORG_B, &[&parent]).len();
    fx.published_events().await;

    let (status, body) = erase(&fx, ORG_A, &leg_id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["erased"]["conversations"], 1);
    assert!(
        body["erased"]["items"].as_u64().unwrap() >= ours as u64 - 2,
        "{body}"
    );

    let after = fx.items().await;
    let left: Vec<&Value> = items_naming(&after, ORG_A, &ids)
        .into_iter()
        .filter(|i| !is_tombstone(i))
        .collect();
    assert!(left.is_empty(), "nothing of the call: {left:#?}");
    assert!(
        !after
            .iter()
            .any(|i| i.to_string().contains("Acme Telecom offer")
                && i["pk"].as_str().unwrap().starts_with(ORG_A)),
        "no transcript text of it anywhere"
    );
    for record in ids {
        assert_not_found(&fx, Signer::Reader, record).await;
    }
    assert_eq!(
        items_naming(&after, ORG_B, &[&parent]).len(),
        b_before,
        "the other tenant's call is untouched"
    );
    let b = fx.intelligence_of(Signer::TenantB, &parent).await;
    assert!(b.to_string().contains("Tenant B"), "{b}");

    let events = fx.published_events().await;
    let erased: Vec<&Value> = events
        .iter()
        .filter(|(t, _)| t == "ConversationErased")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(erased.len(), 1, "{events:?}");
    assert_eq!(erased[0]["tenant"], ORG_A);
    assert_eq!(erased[0]["conversationKey"], parent.as_str());
    assert_eq!(erased[0]["items"], body["erased"]["items"]);
    assert!(events.iter().any(|(t, d)| t == "TenantChanged"
        && d["change"] == "conversationErased"
        && d["by"] == "local-admin"));
    let audit = shared::tenants::dynamo::audit_of(
        &aws_sdk_dynamodb::Client::new(&fx.sdk),
        &fx.tenants_table,
        ORG_A,
    )
    .await
    .unwrap();
    assert!(audit.iter().any(
        |a| matches!(a.get("change"), Some(AttributeValue::S(c)) if c == "conversationErased")
    ));

    // Erased already: nothing is stored under any of its ids.
    for record in ids {
        assert_eq!(erase(&fx, ORG_A, record).await.0, 404, "{record}");
    }
    assert_eq!(erase(&fx, ORG_A, &fresh_key()).await.0, 404);
    // A later write starts a new conversation under the same key.
    let again = message("new-1", 0, 5, "A new call", "END_USER");
    let mut status = post(&fx, Signer::Writer, &messages_path(&parent), &again).await;
    if status == 503 {
        // Within the second the erasure finished (`erasedAt` is in seconds) a write may have
        // begun before it, so it is refused, storing nothing; the client's retry lands.
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        status = post(&fx, Signer::Writer, &messages_path(&parent), &again).await;
    }
    assert_eq!(status, 202);
    let outputs = fx.intelligence_of(Signer::Reader, &parent).await;
    assert!(!outputs.to_string().contains("Acme"), "{outputs}");
}

#[tokio::test]
async fn an_erasure_interrupted_is_finished_by_its_retry() {
    let proxy = FaultProxy::start(shared_moto()).await;
    let fx = Fixture::behind(shared_moto(), &proxy.url).await;
    let (parent, leg) = (fresh_key(), fresh_key());
    let (parent_id, leg_id) = two_leg_call(&fx, Signer::Writer, &parent, &leg).await;
    let ids = [
        parent.as_str(),
        leg.as_str(),
        parent_id.as_str(),
        leg_id.as_str(),
    ];

    // Interrupted before any item is deleted: the heads are marked, the deletes refused.
    proxy.set(Fault::ThrottleBatchWrite);
    assert_eq!(erase(&fx, ORG_A, &parent_id).await.0, 503);
    proxy.set(Fault::None);
    // Half-erased: nothing answers, nothing is written.
    for record in ids {
        assert_not_found(&fx, Signer::Reader, record).await;
    }
    let line = message("during", 0, 5, "Written while half erased", "END_USER");
    assert_eq!(
        post(&fx, Signer::Writer, &messages_path(&parent), &line).await,
        503
    );

    // Interrupted after every item is deleted, before the last step (the bus is down).
    proxy.set(Fault::FailPutEvents);
    assert_eq!(erase(&fx, ORG_A, &leg_id).await.0, 503);
    proxy.set(Fault::None);
    let (status, body) = erase(&fx, ORG_A, &parent_id).await;
    assert_eq!(status, 200, "{body}");
    let after = fx.items().await;
    let left: Vec<&Value> = items_naming(&after, ORG_A, &ids)
        .into_iter()
        .filter(|i| !is_tombstone(i))
        .collect();
    assert!(left.is_empty(), "the retry finished it: {left:#?}");
    for record in ids {
        assert_not_found(&fx, Signer::Reader, record).await;
    }
}

#[tokio::test]
async fn a_write_racing_an_erasure_lands_wholly_before_or_wholly_after_it() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let id = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    for i in 0..40 {
        let line = message(
            &format!("old-{i}"),
            i * 10,
            i * 10 + 5,
            "Before the erasure",
            "END_USER",
        );
        assert_eq!(
            post(&fx, Signer::Writer, &messages_path(&key), &line).await,
            202
        );
    }
    // 30 writers, each sending 20 signals (one request) and retrying a refusal, race the erasure.
    let writers = (0..30u64).map(|w| {
        let (fx, key) = (&fx, key.clone());
        async move {
            let events = (0..20)
                .map(|i| category(&format!("W{w}"), 10_000 + w * 100 + i))
                .collect();
            let body = body_of(events);
            let mut answers = Vec::new();
            loop {
                let status = post(fx, Signer::Writer, &events_path(&key), &body).await;
                answers.push(status);
                if status < 300 || answers.len() > 40 {
                    return (w, answers);
                }
                tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            }
        }
    });
    let erasure = async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        erase(&fx, ORG_A, &id).await
    };
    let (answers, (status, body)) = tokio::join!(futures::future::join_all(writers), erasure);
    assert_eq!(status, 200, "{body}");
    assert!(
        answers.iter().all(|(_, a)| *a.last().unwrap() < 300),
        "every writer got in: {answers:?}"
    );

    let items = fx.conversation_raw(ORG_A, &key).await;
    assert!(
        !items.iter().any(|i| i["itemType"] == "MESSAGE"),
        "nothing written before the erasure is left"
    );
    // Each writer's 20 signals are all there (it landed after) or none is (before, erased).
    let mut landed_after = 0;
    for (w, _) in &answers {
        let n = items
            .iter()
            .filter(|i| i["value"] == format!("W{w}"))
            .count();
        assert!(n == 0 || n == 20, "writer {w}: {n} of its 20 signals");
        landed_after += usize::from(n == 20);
    }
    // Whatever is there answers as a new conversation of those writes only.
    if landed_after > 0 {
        let outputs = fx.intelligence_of(Signer::Reader, &key).await;
        assert!(
            !outputs.to_string().contains("Before the erasure"),
            "{outputs}"
        );
    } else {
        assert_not_found(&fx, Signer::Reader, &key).await;
    }
    assert_not_found(&fx, Signer::Reader, &id).await;
}

#[tokio::test]
async fn a_legal_hold_blocks_erasure_and_expiry_until_released() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let id = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    for i in 0..3 {
        let line = message(
            &format!("h-{i}"),
            i * 10,
            i * 10 + 5,
            "Acme Telecom disputed",
            "END_USER",
        );
        assert_eq!(
            post(&fx, Signer::Writer, &messages_path(&key), &line).await,
            202
        );
    }
    let ended = post_call_of(vec![post_call_sentiment(json!(-2.5), 0, 6_000, "CUSTOMER")]);
    assert!(post(&fx, Signer::Writer, &post_call_path(&key), &ended).await < 300);
    let expiry = |items: &[Value]| -> Vec<(String, Value)> {
        items
            .iter()
            .map(|i| (i["sk"].as_str().unwrap().to_owned(), i["expiresAt"].clone()))
            .collect()
    };
    let before = fx.conversation_raw(ORG_A, &key).await;
    assert!(before.iter().all(|i| i["expiresAt"].is_number()));

    let (status, body) = hold(&fx, &id, true).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["items"].as_u64().unwrap() >= before.len() as u64,
        "{body}"
    );
    let held = fx.conversation_raw(ORG_A, &key).await;
    assert!(
        held.iter().all(|i| i["expiresAt"].is_null()),
        "no TTL while held: {held:#?}"
    );
    let record = fx.item(&format!("{ORG_A}#VC#{id}"), "VC").await.unwrap();
    assert!(record["expiresAt"].is_null(), "{record}");
    let head = fx
        .item(&format!("{ORG_A}#CONV#{key}"), "HEAD")
        .await
        .unwrap();
    assert!(
        head["expiresAt"].is_null() && head["legalHold"] == true,
        "{head}"
    );

    let (status, body) = erase(&fx, ORG_A, &key).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body[0]["errorCode"], "LEGAL_HOLD");
    assert!(fx
        .intelligence_of(Signer::Reader, &id)
        .await
        .to_string()
        .contains("Acme Telecom disputed"));

    let (status, _) = hold(&fx, &key, false).await;
    assert_eq!(status, 200);
    let released = fx.conversation_raw(ORG_A, &key).await;
    assert_eq!(
        expiry(&released),
        expiry(&before),
        "each item's expiry is back"
    );
    assert_eq!(erase(&fx, ORG_A, &key).await.0, 200);

    // Bad requests name the field; an unknown record is 404.
    let (status, body) = fx
        .admin(
            reqwest::Method::PUT,
            &format!("/tenants/{ORG_A}/conversations/{id}/hold"),
            Some(json!({"hold": "yes"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("hold"), "{body}");
    assert_eq!(hold(&fx, &fresh_key(), true).await.0, 404);
    let audit = shared::tenants::dynamo::audit_of(
        &aws_sdk_dynamodb::Client::new(&fx.sdk),
        &fx.tenants_table,
        ORG_A,
    )
    .await
    .unwrap();
    let changes: Vec<String> = audit
        .iter()
        .filter_map(|a| match a.get("change") {
            Some(AttributeValue::S(c)) => Some(c.clone()),
            _ => None,
        })
        .collect();
    for change in ["holdPlaced", "holdReleased", "conversationErased"] {
        assert!(changes.iter().any(|c| c == change), "{change}: {changes:?}");
    }
}

#[tokio::test]
async fn live_subscribers_are_told_erased_and_dropped() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let id = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    let line = message("l-1", 0, 5, "Hello", "END_USER");
    assert_eq!(
        post(&fx, Signer::Writer, &messages_path(&key), &line).await,
        202
    );
    let mut by_key = LiveClient::connect(&fx).await;
    by_key
        .subscribed(&fx.keys.token(Signer::Reader), &key)
        .await;
    let mut by_id = LiveClient::connect(&fx).await;
    by_id.subscribed(&fx.keys.token(Signer::Reader), &id).await;
    let live_items = |items: &[Value]| {
        items
            .iter()
            .filter(|i| {
                let pk = i["pk"].as_str().unwrap_or_default();
                pk == format!("{ORG_A}#LIVE#{key}")
                    || (pk.starts_with("LIVECONN#") && i["subPk"] == format!("{ORG_A}#LIVE#{key}"))
            })
            .count()
    };
    assert_eq!(
        live_items(&fx.items().await),
        4,
        "two subscriptions and their index items"
    );

    assert_eq!(erase(&fx, ORG_A, &key).await.0, 200);
    for client in [&mut by_key, &mut by_id] {
        assert_eq!(client.recv().await, json!({"type": "erased"}));
    }
    // Dropped: no subscription item is left, and a later write to the key is not pushed.
    let mut left = usize::MAX;
    for _ in 0..50 {
        left = live_items(&fx.items().await);
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "subscriptions dropped");
    let mut late = LiveClient::connect(&fx).await;
    let answer = late.subscribe(&fx.keys.token(Signer::Reader), &key).await;
    assert_eq!(answer["errorCode"], "NOT_FOUND", "{answer}");
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let again = message("l-2", 0, 5, "A new call", "END_USER");
    assert_eq!(
        post(&fx, Signer::Writer, &messages_path(&key), &again).await,
        202
    );
    by_key
        .assert_quiet(std::time::Duration::from_millis(500))
        .await;
}
