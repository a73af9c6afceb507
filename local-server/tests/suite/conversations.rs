//! Which conversation a request's data lands in (CONTRACT §0, §2): a transfer leg's key resolves
//! to its first leg's conversation on every route, one of our voiceCallIds is never a key, and a
//! tenant only ever reaches its own conversations and records.

use serde_json::{json, Value};
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, events_path, fresh_key, sentiment};
use testkit::telephony::{
    bulk_entry, bulk_of, inbound_call, message, messages_path, of_type, post_call_of,
    post_call_path, post_call_sentiment, texts, transfer_call, BULK_MESSAGES_PATH,
    VOICE_CALLS_PATH,
};
use testkit::{Fixture, ORG_A, ORG_B};

/// A first leg and its transfer leg in org A: (first key, first id, transfer key, transfer id).
async fn transferred_call(fx: &Fixture) -> (String, String, String, String) {
    let (first_key, transfer_key) = (fresh_key(), fresh_key());
    let first_id = fx
        .record_call(Signer::Writer, &inbound_call(&first_key))
        .await;
    let transfer_id = fx
        .record_call(Signer::Writer, &transfer_call(&transfer_key, &first_id))
        .await;
    (first_key, first_id, transfer_key, transfer_id)
}

async fn expect_accepted(fx: &Fixture, signer: Signer, path: &str, body: &Value) {
    let answer = fx.post_json_as(signer, path, body).await;
    assert_eq!(answer.status, 202, "{path}: {}", answer.body);
}

#[tokio::test]
async fn data_sent_with_a_transfer_key_is_stored_in_the_first_legs_conversation() {
    let fx = Fixture::new().await;
    let (first_key, _, transfer_key, transfer_id) = transferred_call(&fx).await;

    let w = Signer::Writer;
    let signals = body_of(vec![
        category("CustomerAngry", 1_000),
        sentiment(json!(-300), 2_000, "CUSTOMER"),
    ]);
    expect_accepted(&fx, w, &events_path(&transfer_key), &signals).await;
    let single = message("t-1", 1_000, 2_000, "I was transferred", "END_USER");
    expect_accepted(&fx, w, &messages_path(&transfer_key), &single).await;
    let bulk = bulk_of(vec![bulk_entry(
        &transfer_key,
        vec![message("t-2", 3_000, 4_000, "Yes", "HUMAN_AGENT")],
    )]);
    expect_accepted(&fx, w, BULK_MESSAGES_PATH, &bulk).await;
    let post_call = post_call_of(vec![post_call_sentiment(
        json!(-50),
        1_000,
        4_000,
        "CUSTOMER",
    )]);
    expect_accepted(&fx, w, &post_call_path(&transfer_key), &post_call).await;

    assert!(
        fx.conversation_raw(ORG_A, &transfer_key).await.is_empty(),
        "the transfer key has no partition"
    );
    let conversation = fx.conversation_raw(ORG_A, &first_key).await;
    assert_eq!(of_type(&conversation, "LEG").len(), 2, "{conversation:?}");
    let signals = of_type(&conversation, "SIGNAL");
    assert_eq!(texts(&signals, "value"), ["CustomerAngry", "-300.00"]);
    assert_eq!(
        texts(&of_type(&conversation, "MESSAGE"), "messageId"),
        ["t-1", "t-2"]
    );
    assert_eq!(of_type(&conversation, "POST_CALL_SENTIMENT").len(), 1);
    for item in conversation.iter().filter(|i| i["itemType"] != "LEG") {
        assert_eq!(item["conversationKey"], json!(first_key), "{item}");
        assert_eq!(
            item["vendorCallKey"],
            json!(transfer_key),
            "the key it was sent with is kept: {item}"
        );
    }
    assert_eq!(fx.transcript(ORG_A, &first_key).await.len(), 2);

    let published = fx.published().await;
    assert_eq!(published.len(), 2, "{published:?}");
    assert!(
        published
            .iter()
            .all(|d| d["conversationKey"] == json!(first_key)),
        "{published:?}"
    );
    assert!(fx
        .item(&format!("{ORG_A}#VC#{transfer_id}"), "VC")
        .await
        .is_some());
}

#[tokio::test]
async fn one_of_our_voice_call_ids_as_path_key_is_400_on_every_route() {
    let fx = Fixture::new().await;
    let (_, first_id, _, transfer_id) = transferred_call(&fx).await;
    let stored = fx.stored_data().await;
    fx.published().await;

    for id in [&first_id, &transfer_id] {
        let signals = body_of(vec![category("CustomerAngry", 1_000)]);
        let answer = fx
            .post_json_as(Signer::Writer, &events_path(id), &signals)
            .await;
        answer.assert_refused("real-time events", &["vendorCallKey"]);
        let single = message("m-1", 0, 1_000, "Hi", "END_USER");
        let answer = fx
            .post_json_as(Signer::Writer, &messages_path(id), &single)
            .await;
        answer.assert_refused("a message", &["vendorCallKey"]);
        let post_call = post_call_of(vec![post_call_sentiment(json!(5), 0, 1_000, "AGENT")]);
        let answer = fx
            .post_json_as(Signer::Writer, &post_call_path(id), &post_call)
            .await;
        answer.assert_refused("post-call events", &["vendorCallKey"]);
        let key = fresh_key();
        let bulk = bulk_of(vec![
            bulk_entry(&key, vec![single.clone()]),
            bulk_entry(id, vec![single.clone()]),
        ]);
        let answer = fx
            .post_json_as(Signer::Writer, BULK_MESSAGES_PATH, &bulk)
            .await;
        answer.assert_refused("bulk messages", &["entries[1].vendorCallKey"]);
    }
    assert_eq!(fx.stored_data().await, stored, "nothing stored");
    assert!(fx.published().await.is_empty(), "nothing published");
}

#[tokio::test]
async fn tenant_b_writing_to_tenant_a_key_gets_its_own_conversation() {
    let fx = Fixture::new().await;
    let (key, _, transfer_key, _) = transferred_call(&fx).await;
    let single = message("m-1", 0, 1_000, "Org A's words", "END_USER");
    expect_accepted(&fx, Signer::Writer, &messages_path(&key), &single).await;
    let signals = body_of(vec![category("CustomerAngry", 1_000)]);
    expect_accepted(&fx, Signer::Writer, &events_path(&key), &signals).await;
    let post_call = post_call_of(vec![post_call_sentiment(json!(-5), 0, 1_000, "CUSTOMER")]);
    expect_accepted(&fx, Signer::Writer, &post_call_path(&key), &post_call).await;
    let org_a = fx.conversation_raw(ORG_A, &key).await;
    assert_eq!(
        org_a.len(),
        5,
        "two legs, a message, a signal, a post-call event: {org_a:?}"
    );
    fx.published().await;

    // Org B sends the same data, the same messageId with other words, to org A's keys.
    let b = Signer::TenantB;
    let b_message = message("m-1", 0, 1_000, "Org B's words", "END_USER");
    expect_accepted(&fx, b, &messages_path(&key), &b_message).await;
    let bulk = bulk_of(vec![bulk_entry(
        &transfer_key,
        vec![message("m-2", 2_000, 3_000, "B", "HUMAN_AGENT")],
    )]);
    expect_accepted(&fx, b, BULK_MESSAGES_PATH, &bulk).await;
    expect_accepted(&fx, b, &events_path(&key), &signals).await;
    expect_accepted(&fx, b, &post_call_path(&key), &post_call).await;

    assert_eq!(
        fx.conversation_raw(ORG_A, &key).await,
        org_a,
        "org A's conversation is untouched"
    );
    assert!(fx.conversation_raw(ORG_A, &transfer_key).await.is_empty());
    let org_b = fx.conversation_raw(ORG_B, &key).await;
    assert_eq!(org_b.len(), 3, "{org_b:?}");
    assert!(org_b
        .iter()
        .all(|i| i["pk"] == json!(format!("{ORG_B}#CONV#{key}")) && i["orgId"] == json!(ORG_B)));
    assert_eq!(
        texts(&of_type(&org_b, "MESSAGE"), "content"),
        ["Org B's words"]
    );
    // Org A's transfer leg is nothing to org B: its key is a conversation of its own there.
    let org_b_transfer = fx.conversation_raw(ORG_B, &transfer_key).await;
    assert_eq!(
        texts(&org_b_transfer.iter().collect::<Vec<_>>(), "messageId"),
        ["m-2"]
    );
    let published = fx.published().await;
    assert!(
        !published.is_empty() && published.iter().all(|d| d["tenant"] == json!(ORG_B)),
        "{published:?}"
    );
}

#[tokio::test]
async fn tenant_b_creating_a_call_with_tenant_a_key_gets_its_own_record() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let a_id = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    let a_items = fx.stored_data().await;

    let b_id = fx.record_call(Signer::TenantB, &inbound_call(&key)).await;
    assert_ne!(b_id, a_id, "org B gets a record of its own");
    assert_eq!(
        fx.record_call(Signer::TenantB, &inbound_call(&key)).await,
        b_id,
        "idempotent within org B"
    );
    assert_eq!(
        fx.record_call(Signer::Writer, &inbound_call(&key)).await,
        a_id,
        "and within org A"
    );

    let b_record = fx
        .item(&format!("{ORG_B}#VC#{b_id}"), "VC")
        .await
        .expect("org B's record");
    assert_eq!(
        (&b_record["orgId"], &b_record["vendorCallKey"]),
        (&json!(ORG_B), &json!(key))
    );
    let b_vendor_key = fx
        .item(&format!("{ORG_B}#VCK#{key}"), "VCK")
        .await
        .expect("org B's vendor key");
    assert_eq!(b_vendor_key["voiceCallId"], json!(b_id));
    assert!(fx.item(&format!("{ORG_B}#VC#{a_id}"), "VC").await.is_none());
    assert!(fx.item(&format!("{ORG_A}#VC#{b_id}"), "VC").await.is_none());
    assert_eq!(
        texts(
            &fx.conversation_raw(ORG_B, &key)
                .await
                .iter()
                .collect::<Vec<_>>(),
            "voiceCallId"
        ),
        [b_id.as_str()]
    );

    let all = fx.stored_data().await;
    let org_a_now: Vec<_> = all
        .iter()
        .filter(|i| i["pk"].as_str().is_some_and(|pk| pk.starts_with(ORG_A)))
        .cloned()
        .collect();
    assert_eq!(
        org_a_now, a_items,
        "org A's record, vendor key and leg are unchanged"
    );
    assert_eq!(all.len(), 6);
}

#[tokio::test]
async fn another_tenants_voice_call_id_is_just_a_key() {
    let fx = Fixture::new().await;
    let a_id = fx
        .record_call(Signer::Writer, &inbound_call(&fresh_key()))
        .await;

    // To org B, org A's id is no record at all: answered as any key that is no id of its own.
    let single = message("m-1", 0, 1_000, "Hi", "END_USER");
    expect_accepted(&fx, Signer::TenantB, &messages_path(&a_id), &single).await;
    let b_id = fx.record_call(Signer::TenantB, &inbound_call(&a_id)).await;
    assert_ne!(b_id, a_id);
    let org_b = fx.conversation_raw(ORG_B, &a_id).await;
    assert_eq!(org_b.len(), 2, "org B's message and leg: {org_b:?}");
    assert!(fx.conversation_raw(ORG_A, &a_id).await.is_empty());

    // Nor does org A's transfer naming org B's record join it: to org A it is just a key.
    let b_before = fx.conversation_raw(ORG_B, &a_id).await;
    let answer = fx
        .post_json_as(
            Signer::Writer,
            VOICE_CALLS_PATH,
            &transfer_call(&fresh_key(), &b_id),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(fx.conversation_raw(ORG_A, &b_id).await.len(), 1);
    assert_eq!(fx.conversation_raw(ORG_B, &a_id).await, b_before);
}

/// CONTRACT §2.1: "Every validation error lists each offending field with its path, not just the
/// first." A path key that is one of our voiceCallIds is such an error.
#[tokio::test]
async fn a_voice_call_id_path_key_is_named_with_the_bodys_other_errors() {
    let fx = Fixture::new().await;
    let (_, first_id, _, _) = transferred_call(&fx).await;
    let stored = fx.stored_data().await;

    let signals = body_of(vec![category("", 1_000)]);
    let answer = fx
        .post_json_as(Signer::Writer, &events_path(&first_id), &signals)
        .await;
    answer.assert_refused("real-time events", &["vendorCallKey", "events[0].value"]);
    assert_eq!(fx.stored_data().await, stored, "nothing stored");
}

/// CONTRACT §2.1's rule for every route: each offending field is named, not just the first.
#[tokio::test]
async fn every_bulk_entry_keyed_by_a_voice_call_id_is_named() {
    let fx = Fixture::new().await;
    let (_, first_id, _, transfer_id) = transferred_call(&fx).await;
    let stored = fx.stored_data().await;

    let single = vec![message("m-1", 0, 1_000, "Hi", "END_USER")];
    let bulk = bulk_of(vec![
        bulk_entry(&first_id, single.clone()),
        bulk_entry(&fresh_key(), single.clone()),
        bulk_entry(&transfer_id, single),
    ]);
    let answer = fx
        .post_json_as(Signer::Writer, BULK_MESSAGES_PATH, &bulk)
        .await;
    answer.assert_refused(
        "two entries keyed by voiceCallIds",
        &["entries[0].vendorCallKey", "entries[2].vendorCallKey"],
    );
    assert_eq!(fx.stored_data().await, stored, "nothing stored");
}

#[tokio::test]
async fn a_percent_encoded_transfer_key_in_the_path_resolves_like_the_body_key() {
    let fx = Fixture::new().await;
    let first_key = fresh_key();
    let transfer_key = format!("billing/é {}", fresh_key());
    let encoded = transfer_key
        .replace('/', "%2F")
        .replace('é', "%C3%A9")
        .replace(' ', "%20");
    let first = fx
        .record_call(Signer::Writer, &inbound_call(&first_key))
        .await;
    fx.record_call(Signer::Writer, &transfer_call(&transfer_key, &first))
        .await;

    let single = message("m-1", 0, 1_000, "Hello", "END_USER");
    expect_accepted(&fx, Signer::Writer, &messages_path(&encoded), &single).await;
    let post_call = post_call_of(vec![post_call_sentiment(json!(1), 0, 1_000, "AGENT")]);
    expect_accepted(&fx, Signer::Writer, &post_call_path(&encoded), &post_call).await;
    let signals = body_of(vec![category("CustomerAngry", 1_000)]);
    expect_accepted(&fx, Signer::Writer, &events_path(&encoded), &signals).await;

    let conversation = fx.conversation_raw(ORG_A, &first_key).await;
    assert_eq!(conversation.len(), 2 + 3, "{conversation:#?}");
    assert!(conversation
        .iter()
        .filter(|i| i["itemType"] != "LEG")
        .all(|i| i["vendorCallKey"] == json!(transfer_key)));
    assert!(fx.conversation_raw(ORG_A, &transfer_key).await.is_empty());
}
