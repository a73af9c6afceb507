//! `make bench`: erasing a 2-hour call (5,000 transcript entries, 2,000 signals) through the
//! admin API on moto — the DynamoDB requests it makes against the minimum (⌈items / 25⌉
//! `BatchWriteItem` deletes plus the Query pages of one read of the conversation), and its time
//! against a floor measured in the same run: that one read and those batch deletes made
//! directly on an identical conversation.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use shared::model::{
    ConversationKey, OrgId, SenderType, Sentiment, Signal, SignalEvent, TranscriptMessage,
    VendorCallKey,
};
use shared::store::{IdentifiedSignal, MessageBatch, SignalBatch, TelephonyStore};
use testkit::fault_proxy::FaultProxy;
use testkit::fixture::ADMIN_TOKEN;
use testkit::keys::Signer;
use testkit::process::shared_moto;
use testkit::realtime::fresh_key;
use testkit::telephony::inbound_call;
use testkit::{Fixture, ORG_A};

const ENTRIES: u64 = 5_000;
const SIGNALS: u64 = 2_000;
const RUNS: usize = 3;

/// A recorded call with the 2-hour call's transcript and signals, written through the store.
async fn long_call(fx: &Fixture) -> String {
    let key = fresh_key();
    fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    let org = OrgId::new(ORG_A);
    let conversation = ConversationKey::stored(key.clone());
    let vck = VendorCallKey::parse(&key).expect("a key");
    let t0 = 1_795_449_600_000u64;
    let messages: Vec<TranscriptMessage> = (0..ENTRIES)
        .map(|i| TranscriptMessage {
            message_id: format!("m-{i}"),
            start_time: t0 + i * 1_440,
            end_time: t0 + i * 1_440 + 1_200,
            content: format!("Line {i} of a long call about the upgrade and the price of it"),
            sender_type: if i % 2 == 0 {
                SenderType::EndUser
            } else {
                SenderType::HumanAgent
            },
            participant_id: if i % 2 == 0 { "+15550199" } else { "agent-1" }.into(),
        })
        .collect();
    let store = &fx.app.telephony.store;
    let now = shared::clock::now_secs();
    for chunk in messages.chunks(500) {
        store
            .put_messages(&[MessageBatch {
                org: &org,
                conversation: &conversation,
                vendor_call_key: &vck,
                provider: None,
                messages: chunk,
                received_at: now,
            }])
            .await
            .expect("transcript stored");
    }
    let events: Vec<IdentifiedSignal> = (0..SIGNALS)
        .map(|i| {
            let event = SignalEvent {
                signal: Signal::Sentiment(
                    Sentiment::from_hundredths((i as i64 % 200 - 100) * 100).expect("in range"),
                ),
                start_time: t0 + i * 3_600,
                score: None,
                participant: None,
                details: None,
            };
            IdentifiedSignal::new(&org, &conversation, event)
        })
        .collect();
    store
        .put_signals(SignalBatch {
            org: &org,
            conversation: &conversation,
            vendor_call_key: &vck,
            service: "AmazonConnectContactLens",
            provider: None,
            events,
            received_at: now,
        })
        .await
        .expect("signals stored");
    key
}

/// The floor: one paginated read of the partition and its items deleted 25 at a time.
async fn floor(fx: &Fixture, key: &str) -> (Duration, usize, usize) {
    let client = aws_sdk_dynamodb::Client::new(&fx.sdk);
    let started = Instant::now();
    let mut pages = client
        .query()
        .table_name(&fx.settings.table_name)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("{ORG_A}#CONV#{key}")))
        .projection_expression("pk, sk")
        .consistent_read(true)
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    let mut reads = 0;
    while let Some(page) = pages.next().await {
        reads += 1;
        keys.extend(page.expect("query").items.unwrap_or_default());
    }
    let requests: Vec<WriteRequest> = keys
        .into_iter()
        .map(|k| {
            WriteRequest::builder()
                .delete_request(DeleteRequest::builder().set_key(Some(k)).build().unwrap())
                .build()
        })
        .collect();
    let items = requests.len();
    for chunk in requests.chunks(25) {
        client
            .batch_write_item()
            .request_items(&fx.settings.table_name, chunk.to_vec())
            .send()
            .await
            .expect("batch delete");
    }
    (started.elapsed(), items, reads)
}

#[tokio::main]
async fn main() {
    let proxy = FaultProxy::start(shared_moto()).await;
    let fx = Fixture::behind(shared_moto(), &proxy.url).await;
    println!("erasing a 2-hour call ({ENTRIES} entries, {SIGNALS} signals), {RUNS} runs:");
    for run in 1..=RUNS {
        let (erased, twin) = (long_call(&fx).await, long_call(&fx).await);
        let (floor_time, floor_items, reads) = floor(&fx, &twin).await;
        proxy.take_requests();
        let started = Instant::now();
        let answer = fx
            .send(
                fx.http
                    .delete(format!(
                        "{}/admin/v1/tenants/{ORG_A}/conversations/{erased}",
                        fx.base_url
                    ))
                    .bearer_auth(ADMIN_TOKEN),
            )
            .await;
        let took = started.elapsed();
        assert_eq!(answer.status, 200, "{}", answer.body);
        let items = answer.json()["erased"]["items"].as_u64().unwrap() as usize;
        let requests = proxy.take_requests();
        let count = |op: &str| requests.iter().filter(|r| r.ends_with(op)).count();
        let batch_writes = count(".BatchWriteItem");
        let minimum = floor_items.div_ceil(25) + reads;
        println!(
            "  run {run}: {items} items; {} DynamoDB requests ({} BatchWriteItem, {} Query, {} GetItem, \
             {} UpdateItem, {} TransactWriteItems) = {:.2}× the minimum {minimum} \
             (⌈{floor_items}/25⌉ + {reads} Query pages); {:.0} ms = {:.2}× the floor's {:.0} ms",
            requests.len(),
            batch_writes,
            count(".Query"),
            count(".GetItem"),
            count(".UpdateItem"),
            count(".TransactWriteItems"),
            requests.len() as f64 / minimum as f64,
            took.as_secs_f64() * 1e3,
            took.as_secs_f64() / floor_time.as_secs_f64(),
            floor_time.as_secs_f64() * 1e3,
        );
    }
}
