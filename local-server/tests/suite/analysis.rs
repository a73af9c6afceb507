//! Post-call analysis against moto (CONTRACT §3.2): the record appears once the call ends and
//! only then; the action answers a fresh record with one Query and never a stale one; concurrent
//! triggers store one record; a transfer leg's own partition keeps its conversation's record
//! honest.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use shared::analysis::{AwsAnalyser, Outcome};
use shared::model::{ConversationKey, OrgId, SenderType, TranscriptMessage, VendorCallKey};
use shared::store::analysis::{AnalysisStore, NewAnalysis, ANALYSIS_SK, HEAD_SK};
use shared::store::dynamo::DynamoStore;
use shared::store::{MessageBatch, TelephonyStore};
use testkit::keys::Signer;
use testkit::telephony::{
    inbound_call, message, messages_path, post_call_of, post_call_path, post_call_sentiment,
    transfer_call, T0,
};
use testkit::{Fixture, ORG_A};

fn fresh_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn analyser(fx: &Fixture) -> AwsAnalyser {
    AwsAnalyser::new(&fx.sdk, &fx.settings, fx.tenants())
}

fn store(fx: &Fixture) -> DynamoStore {
    DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&fx.sdk),
        &fx.settings.table_name,
        90,
    )
}

fn pk(key: &str) -> String {
    format!("{ORG_A}#CONV#{key}")
}

async fn send(fx: &Fixture, key: &str, id: &str, at: u64, content: &str, sender: &str) {
    let answer = fx
        .post_json_as(
            Signer::Writer,
            &messages_path(key),
            &message(id, at, at + 3_000, content, sender),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
}

/// Ends a leg with a call update (`isActiveCall: false`).
async fn end_leg(fx: &Fixture, voice_call_id: &str) {
    let token = fx.keys.token(Signer::Writer);
    let answer = fx
        .send(
            fx.http
                .patch(format!(
                    "{}/telephony/v1/voiceCalls/{voice_call_id}",
                    fx.base_url
                ))
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {token}"))
                .body(
                    json!({"isActiveCall": false, "endTime": "2026-11-23T16:10:00Z"}).to_string(),
                ),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// A two-line call recorded under `key`; answers its voiceCallId.
async fn short_call(fx: &Fixture, key: &str) -> String {
    let id = fx.record_call(Signer::Writer, &inbound_call(key)).await;
    send(
        fx,
        key,
        "m1",
        1_000,
        "How much is the premium plan?",
        "END_USER",
    )
    .await;
    send(
        fx,
        key,
        "m2",
        5_000,
        "It is $40 a month, I'll send you a quote today.",
        "HUMAN_AGENT",
    )
    .await;
    id
}

/// Waits (up to 15 s) until the conversation's record exists with a head version of at least
/// `min_version`; answers it.
/// The record of `key` at `min_version` or later, once it is stored and published (the analysis
/// stores, publishes, then marks the record published: wait for the whole of it).
async fn record_at_least(fx: &Fixture, key: &str, min_version: u64) -> Value {
    for _ in 0..150 {
        if let Some(record) = item(fx, key, ANALYSIS_SK).await {
            if record["headVersion"].as_u64().unwrap_or(0) >= min_version
                && record["published"] == true
            {
                return record;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no analysis record of {key} at version ≥ {min_version}");
}

/// An item of the conversation partition of `key` as JSON, with a record's compressed
/// `outputs` (bytes) left out.
async fn item(fx: &Fixture, key: &str, sk: &str) -> Option<Value> {
    let output = aws_sdk_dynamodb::Client::new(&fx.sdk)
        .get_item()
        .table_name(&fx.settings.table_name)
        .key("pk", AttributeValue::S(pk(key)))
        .key("sk", AttributeValue::S(sk.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("get item");
    output.item.map(|mut item| {
        item.remove("outputs");
        serde_dynamo::aws_sdk_dynamodb_1::from_item(item).expect("item read as JSON")
    })
}

/// How many items of `item_type` the conversation partition of `key` holds.
async fn count(fx: &Fixture, key: &str, item_type: &str) -> usize {
    aws_sdk_dynamodb::Client::new(&fx.sdk)
        .query()
        .table_name(&fx.settings.table_name)
        .key_condition_expression("pk = :pk")
        .filter_expression("itemType = :t")
        .expression_attribute_values(":pk", AttributeValue::S(pk(key)))
        .expression_attribute_values(":t", AttributeValue::S(item_type.to_owned()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("query")
        .len()
}

fn head_version(head: &Value) -> u64 {
    head["version"].as_u64().expect("a head version")
}

fn entries(outputs: &Value) -> Vec<String> {
    outputs["momentInsights"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["momentTimes"].as_array().cloned().unwrap_or_default())
        .flat_map(|t| t["entries"].as_array().cloned().unwrap_or_default())
        .map(|e| e.as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_record_appears_after_the_call_ends_and_only_then() {
    let fx = Fixture::new().await;
    fx.analyse_in_background().await;
    let key = fresh_key();
    let id = short_call(&fx, &key).await;
    let live = fx.intelligence_of(Signer::Reader, &key).await;

    // Not ended: the analysis stores nothing, whoever triggers it.
    let (org, conversation) = (OrgId::new(ORG_A), ConversationKey::stored(key.clone()));
    let outcome = analyser(&fx)
        .analyse(&org, &conversation)
        .await
        .expect("analysed");
    assert_eq!(outcome, Outcome::NotEnded);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(
        item(&fx, &key, ANALYSIS_SK).await,
        None,
        "a record before the end"
    );
    let head = item(&fx, &key, HEAD_SK).await.expect("a head");
    assert_eq!(
        head["ended"],
        Value::Null,
        "no write could have ended it yet: {head}"
    );

    end_leg(&fx, &id).await;
    let head = item(&fx, &key, HEAD_SK).await.expect("a head");
    assert_eq!(head["ended"], true);
    let record = record_at_least(&fx, &key, head_version(&head)).await;
    assert_eq!(record["headVersion"], head["version"]);
    assert_eq!(record["summariser"], "built-in");
    assert_eq!(record["partitions"], json!([key]));
    assert_eq!(record["published"], true);

    // The answer from the record is the answer computed from the data.
    let answered = fx.intelligence_of(Signer::Reader, &id).await;
    assert_eq!(answered, live);
    let analysed: Vec<Value> = fx
        .published_events()
        .await
        .into_iter()
        .filter(|(t, _)| t == shared::bus::ANALYSED_DETAIL_TYPE)
        .map(|(_, d)| d)
        .collect();
    assert_eq!(analysed.len(), 1, "{analysed:?}");
    assert_eq!(analysed[0]["tenant"], ORG_A);
    assert_eq!(analysed[0]["conversationKey"], key.as_str());
    assert_eq!(analysed[0]["headVersion"], head["version"]);
}

#[tokio::test]
async fn a_fresh_record_answers_and_a_later_write_makes_the_next_answer_fresh() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    short_call(&fx, &key).await;
    let post_call = post_call_of(vec![post_call_sentiment(json!(-2.5), 0, 6_000, "CUSTOMER")]);
    let answer = fx
        .post_json_as(Signer::Writer, &post_call_path(&key), &post_call)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);

    // A record at the current head is what the action answers: stored here by hand with
    // outputs no computation gives, so that the answer shows where it came from.
    let (org, conversation) = (OrgId::new(ORG_A), ConversationKey::stored(key.clone()));
    let head = item(&fx, &key, HEAD_SK).await.expect("a head");
    let marked = json!({"conversationInsights": [], "conversationIntelligence": {"callSummary": "from the record"}, "momentInsights": []});
    store(&fx)
        .put_analysis(NewAnalysis {
            org: &org,
            conversation: &conversation,
            head_version: head_version(&head),
            summariser: "built-in",
            partitions: vec![key.clone()],
            outputs_json: marked.to_string().as_bytes(),
            now: 1,
        })
        .await
        .expect("stored");
    assert_eq!(fx.intelligence_of(Signer::Reader, &key).await, marked);

    // Any later write makes it stale: the very next answer is computed from the data.
    send(&fx, &key, "m3", 9_000, "Can I pay by card?", "END_USER").await;
    let next = fx.intelligence_of(Signer::Reader, &key).await;
    assert_ne!(next, marked);
    assert!(
        entries(&next).contains(&"Can I pay by card?".to_owned()),
        "{next:#}"
    );

    // The analysis stores the fresh record, which answers the same.
    let outcome = analyser(&fx)
        .analyse(&org, &conversation)
        .await
        .expect("analysed");
    let head = item(&fx, &key, HEAD_SK).await.expect("a head");
    assert_eq!(
        outcome,
        Outcome::Stored {
            head_version: head_version(&head)
        }
    );
    assert_eq!(fx.intelligence_of(Signer::Reader, &key).await, next);
    // Triggered again (a retry, a duplicate record): nothing to do.
    let again = analyser(&fx)
        .analyse(&org, &conversation)
        .await
        .expect("analysed");
    assert_eq!(again, Outcome::Fresh);
}

#[tokio::test]
async fn two_concurrent_triggers_store_one_record() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let id = short_call(&fx, &key).await;
    end_leg(&fx, &id).await;
    fx.published_events().await;

    let (org, conversation) = (OrgId::new(ORG_A), ConversationKey::stored(key.clone()));
    let (a, b) = (analyser(&fx), analyser(&fx));
    let (first, second) = tokio::join!(
        a.analyse(&org, &conversation),
        b.analyse(&org, &conversation)
    );
    let mut outcomes = [first.expect("analysed"), second.expect("analysed")];
    outcomes.sort_by_key(|o| matches!(o, Outcome::Stored { .. }));
    let head = item(&fx, &key, HEAD_SK).await.expect("a head");
    assert!(
        matches!(outcomes[0], Outcome::AlreadyCurrent | Outcome::Fresh),
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes[1],
        Outcome::Stored {
            head_version: head_version(&head)
        }
    );
    let analysed = fx
        .published_events()
        .await
        .into_iter()
        .filter(|(t, _)| t == shared::bus::ANALYSED_DETAIL_TYPE)
        .count();
    assert_eq!(analysed, 1);
    assert_eq!(count(&fx, &key, "ANALYSIS").await, 1);
}

#[tokio::test]
async fn an_older_analysis_never_replaces_a_newer_record() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let (org, conversation) = (OrgId::new(ORG_A), ConversationKey::stored(key.clone()));
    let store = store(&fx);
    let new = |version, text: &'static str| NewAnalysis {
        org: &org,
        conversation: &conversation,
        head_version: version,
        summariser: "built-in",
        partitions: vec![],
        outputs_json: text.as_bytes(),
        now: 1,
    };
    use shared::store::analysis::StoreOutcome::{AlreadyCurrent, Stored};
    assert_eq!(
        store.put_analysis(new(5, "{\"v\":5}")).await.unwrap(),
        Stored
    );
    assert_eq!(
        store.put_analysis(new(4, "{\"v\":4}")).await.unwrap(),
        AlreadyCurrent
    );
    assert_eq!(
        store.put_analysis(new(5, "{\"v\":5}")).await.unwrap(),
        AlreadyCurrent
    );
    assert_eq!(
        store.put_analysis(new(6, "{\"v\":6}")).await.unwrap(),
        Stored
    );
    assert_eq!(
        item(&fx, &key, ANALYSIS_SK).await.unwrap()["headVersion"],
        6
    );
}

#[tokio::test]
async fn a_record_larger_than_an_item_is_stored_in_parts_and_read_whole() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let (org, conversation) = (OrgId::new(ORG_A), ConversationKey::stored(key.clone()));
    let store = store(&fx);
    // Random text does not compress: 900 KB of it needs three items.
    let noise: String = (0..900_000)
        .map(|_| char::from(b'a' + rand_byte() % 26))
        .collect();
    let outputs = json!({"noise": noise}).to_string();
    store
        .put_analysis(NewAnalysis {
            org: &org,
            conversation: &conversation,
            head_version: 0,
            summariser: "built-in",
            partitions: vec![],
            outputs_json: outputs.as_bytes(),
            now: 1,
        })
        .await
        .expect("stored");
    assert_eq!(count(&fx, &key, "ANALYSIS_PART").await, 2);
    let found = store.record_and_head(&org, &conversation).await.unwrap();
    let record = found.record.expect("the record");
    let json = shared::store::analysis::decompress(&record.outputs).unwrap();
    assert_eq!(json, outputs.as_bytes());
}

fn rand_byte() -> u8 {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = const { Cell::new(0x9e37_79b9_7f4a_7c15) });
    STATE.with(|s| {
        // xorshift: reproducible noise without a dependency.
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 24) as u8
    })
}

#[tokio::test]
async fn a_write_to_a_transfer_legs_own_partition_makes_its_conversations_record_stale() {
    let fx = Fixture::new().await;
    let (first, second) = (fresh_key(), fresh_key());
    let first_id = short_call(&fx, &first).await;
    // Sent with the second leg's key before its record exists: its own partition.
    send(
        &fx,
        &second,
        "s1",
        200_000,
        "Billing here, how can I help?",
        "HUMAN_AGENT",
    )
    .await;
    let second_id = fx
        .record_call(Signer::Writer, &transfer_call(&second, &first_id))
        .await;
    let head = item(&fx, &second, HEAD_SK).await.expect("the leg's head");
    assert_eq!(head["partOf"], first.as_str());
    end_leg(&fx, &first_id).await;
    end_leg(&fx, &second_id).await;

    let (org, conversation) = (OrgId::new(ORG_A), ConversationKey::stored(first.clone()));
    let outcome = analyser(&fx)
        .analyse(&org, &conversation)
        .await
        .expect("analysed");
    assert!(matches!(outcome, Outcome::Stored { .. }), "{outcome:?}");
    let record = item(&fx, &first, ANALYSIS_SK).await.expect("a record");
    assert_eq!(record["partitions"], json!([first, second]));
    let answered = fx.intelligence_of(Signer::Reader, &second_id).await;

    // A write resolved to the leg's own key before its record existed, stored after the
    // analysis: the conversation's next answer includes it.
    let leg_key = VendorCallKey::parse(&second).expect("a key");
    let late = TranscriptMessage {
        message_id: "s2".into(),
        start_time: T0 + 210_000,
        end_time: T0 + 213_000,
        content: "What does the premium plan cost per seat?".into(),
        sender_type: SenderType::EndUser,
        participant_id: "+15550199".into(),
    };
    store(&fx)
        .put_messages(&[MessageBatch {
            org: &org,
            conversation: &ConversationKey::stored(second.clone()),
            vendor_call_key: &leg_key,
            provider: None,
            messages: std::slice::from_ref(&late),
            received_at: 1,
        }])
        .await
        .expect("stored");
    let next = fx.intelligence_of(Signer::Reader, &first_id).await;
    assert_ne!(next, answered);
    assert!(
        entries(&next).contains(&"What does the premium plan cost per seat?".to_owned()),
        "{next:#}"
    );
}

#[tokio::test]
async fn a_finished_conversation_is_answered_with_two_requests_and_each_write_adds_one() {
    let proxy = testkit::fault_proxy::FaultProxy::start(testkit::process::shared_moto()).await;
    let fx = Fixture::behind(testkit::process::shared_moto(), &proxy.url).await;
    let key = fresh_key();
    let id = short_call(&fx, &key).await;
    end_leg(&fx, &id).await;
    let (org, conversation) = (OrgId::new(ORG_A), ConversationKey::stored(key.clone()));
    let outcome = analyser(&fx)
        .analyse(&org, &conversation)
        .await
        .expect("analysed");
    assert!(matches!(outcome, Outcome::Stored { .. }), "{outcome:?}");

    // A cold instance reads its tenant once (the record, and the roster alongside); every
    // later request within the cache's bound reads none.
    proxy.take_requests();
    fx.intelligence_of(Signer::Reader, key.as_str()).await;
    let mut first = proxy.take_requests();
    first.sort();
    assert_eq!(
        first,
        [
            "DynamoDB_20120810.GetItem",
            "DynamoDB_20120810.Query",
            "DynamoDB_20120810.Query",
            "DynamoDB_20120810.Query"
        ],
        "the first request of a tenant: its record, the roster, then the action's two"
    );
    for record_id in [key.as_str(), id.as_str()] {
        fx.intelligence_of(Signer::Reader, record_id).await;
        // The recordId resolved (one Query), then the record and head (one Query).
        let requests = proxy.take_requests();
        assert_eq!(
            requests,
            ["DynamoDB_20120810.Query", "DynamoDB_20120810.Query"],
            "{record_id}"
        );
    }

    // A transcript entry: the token claim, the data, then the head. (The local server then
    // pushes it to live subscribers in the background: one Query, awaited here so that it is
    // not counted as the action's.)
    send(&fx, &key, "m9", 20_000, "Thanks, bye.", "END_USER").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let requests = proxy.take_requests();
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.ends_with(".UpdateItem"))
            .count(),
        1,
        "{requests:?}"
    );
    let write = requests.iter().position(|r| r.ends_with(".BatchWriteItem"));
    let head = requests.iter().position(|r| r.ends_with(".UpdateItem"));
    assert!(
        write < head,
        "the head is raised after the data is durable: {requests:?}"
    );
    // Stale now: the record Query, then the data (one page).
    fx.intelligence_of(Signer::Reader, &key).await;
    assert_eq!(proxy.take_requests().len(), 3);
}
