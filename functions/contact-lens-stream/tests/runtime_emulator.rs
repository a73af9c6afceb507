//! The contact-lens-stream binary under the Lambda runtime interface emulator, against moto,
//! fed Kinesis events of segment stream records shaped as AWS documents them
//! (`shared::contact_lens::samples`: the recorded call C1 of `../shared/clients/`).

use std::path::Path;

use serde_json::{json, Value};
use shared::contact_lens::samples::{self, CONTACT_ID, INSTANCE_ID, TURNS};
use testkit::fixture::ADMIN_TOKEN;
use testkit::keys::Signer;
use testkit::rie::Rie;
use testkit::{Fixture, ORG_A};

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_contact-lens-stream"))
}

/// Maps the sample instance to ORG_A through the admin API, as an operator would.
async fn map_instance(fx: &Fixture) {
    let request = fx
        .http
        .put(format!("{}/admin/v1/tenants/{ORG_A}", fx.base_url))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(
            json!({"connectInstances": [format!("arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE_ID}")]})
                .to_string(),
        );
    let answer = fx.send(request).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// (content, side) of each entry, in transcript order: what "the same transcript" means when
/// the forwarder calls every agent a `VIRTUAL_AGENT` and the contract says `HUMAN_AGENT`.
fn spoken(transcript: &[Value]) -> Vec<(String, &'static str)> {
    transcript
        .iter()
        .map(|m| {
            let side = if m["senderType"] == "END_USER" {
                "customer"
            } else {
                "agent"
            };
            (m["content"].as_str().unwrap().to_owned(), side)
        })
        .collect()
}

fn failures(answer: &Value) -> Vec<String> {
    answer["batchItemFailures"]
        .as_array()
        .unwrap_or_else(|| panic!("not a batch response: {answer}"))
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
        .collect()
}

async fn create_c1(fx: &Fixture) {
    // The recorded create of C1 (line 0), as the forwarder's companion Lambda sent it.
    let body = json!({"callCenterApiName": "scv4cc1", "vendorCallKey": CONTACT_ID, "to": "+15550100",
        "from": "+15550199", "initiationMethod": "Inbound", "startTime": "2026-11-29T16:56:06.455Z",
        "callSubtype": "PSTN", "participants": [{"participantKey": "+15550199", "type": "END_USER"}]});
    let answer = fx
        .post_json_as(Signer::Writer, "/telephony/v1/voiceCalls", &body)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn the_stream_stores_the_call_once_and_natively_its_categories_are_insights() {
    let fx = Fixture::new().await;
    map_instance(&fx).await;
    create_c1(&fx).await;
    fx.analyse_in_background().await;
    let rie = Rie::start(bootstrap(), &fx.function_env());

    let mut records = samples::numbered(&samples::call(INSTANCE_ID, CONTACT_ID));
    // A garbage record in the middle: skipped and counted, never a batch item failure.
    records.insert(4, (b"\x00not json".to_vec(), "4959garbage".into(), 0));
    let (first, second) = records.split_at(6);
    // The second half first (another shard's batch), then both again (a retry), duplicated.
    for batch in [second.to_vec(), first.to_vec(), [first, second].concat()] {
        let answer = rie.invoke(&samples::kinesis_event(&batch)).await;
        assert_eq!(failures(&answer), Vec::<String>::new(), "{answer}");
    }

    let transcript = fx.transcript(ORG_A, CONTACT_ID).await;
    assert_eq!(transcript.len(), TURNS.len(), "{transcript:#?}");
    let ids: Vec<&str> = transcript
        .iter()
        .map(|m| m["messageId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, TURNS.map(|t| t.0));
    let anchor = samples::ARRIVAL_SECS * 1000 + samples::ARRIVAL_LAG_MILLIS;
    assert_eq!(transcript[2]["startTime"], json!(anchor + TURNS[2].3));
    assert_eq!(transcript[1]["senderType"], "HUMAN_AGENT");

    // COMPLETED ended the leg, so the post-call analysis ran.
    let published = fx.published_events().await;
    assert!(
        published
            .iter()
            .any(|(t, d)| t == shared::bus::VOICE_CALL_DETAIL_TYPE
                && d["vendorCallKey"] == CONTACT_ID
                && d["change"] == "ended"),
        "the leg was not ended"
    );
    let analysis = format!("{ORG_A}#CONV#{CONTACT_ID}");
    let mut analysed = None;
    for _ in 0..100 {
        analysed = fx.item(&analysis, "ANALYSIS").await;
        if analysed.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(analysed.is_some(), "no analysis record");

    let out = fx.intelligence_of(Signer::Reader, CONTACT_ID).await;
    let categories: Vec<&str> = out["conversationInsights"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["category"].as_str())
        .collect();
    for (name, _, _) in samples::CATEGORIES {
        assert!(categories.contains(&name), "{name} not in {categories:?}");
    }
    assert_eq!(
        out["conversationIntelligence"]["vendorSummary"]["content"],
        samples::SUMMARY
    );
}

#[tokio::test]
async fn the_same_call_through_the_recorded_forwarder_gives_the_same_transcript() {
    // Through the forwarder: the recorded requests of C1 (create, categories with
    // `persist: false`, the bulk transcript).
    let forwarded = Fixture::new().await;
    create_c1(&forwarded).await;
    let path = testkit::workspace_root().join("../shared/clients/recorded-requests.jsonl");
    let text = std::fs::read_to_string(&path).expect("the recorded requests beside the checkout");
    for line in text.lines().skip(2).take(3) {
        let line: Value = serde_json::from_str(line).unwrap();
        let answer = forwarded
            .post_json_as(
                Signer::Writer,
                line["path"].as_str().unwrap(),
                &line["body"],
            )
            .await;
        assert_eq!(answer.status / 100, 2, "{}", answer.body);
    }

    // Natively.
    let native = Fixture::new().await;
    map_instance(&native).await;
    create_c1(&native).await;
    let rie = Rie::start(bootstrap(), &native.function_env());
    let batch = samples::numbered(&samples::call(INSTANCE_ID, CONTACT_ID));
    let answer = rie.invoke(&samples::kinesis_event(&batch)).await;
    assert_eq!(failures(&answer), Vec::<String>::new());

    let by_forwarder = forwarded.transcript(ORG_A, CONTACT_ID).await;
    let by_stream = native.transcript(ORG_A, CONTACT_ID).await;
    assert_eq!(spoken(&by_stream), spoken(&by_forwarder));
    assert_eq!(by_stream.len(), 5);

    // The forwarder's categories never reach the insights; the stream's do.
    let category_insights = |out: &Value| -> usize {
        out["conversationInsights"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["insightType"] == "Signal")
            .count()
    };
    let forwarded_out = forwarded.intelligence_of(Signer::Reader, CONTACT_ID).await;
    let native_out = native.intelligence_of(Signer::Reader, CONTACT_ID).await;
    assert_eq!(category_insights(&forwarded_out), 0);
    assert!(category_insights(&native_out) >= samples::CATEGORIES.len());
}

#[tokio::test]
async fn an_unmapped_instance_stores_nothing_and_an_outage_fails_the_records() {
    let fx = Fixture::new().await;
    let before = fx.item_count().await;
    let rie = Rie::start(bootstrap(), &fx.function_env());
    // No connectInstances mapping: dropped, not failed, nothing written (CONNECT_TENANT, the
    // contact flows' default, is not a mapping).
    let batch = samples::numbered(&samples::call(INSTANCE_ID, CONTACT_ID));
    let answer = rie.invoke(&samples::kinesis_event(&batch)).await;
    assert_eq!(failures(&answer), Vec::<String>::new());
    assert_eq!(fx.item_count().await, before);
    assert!(fx.transcript(ORG_A, CONTACT_ID).await.is_empty());
    drop(rie);

    // Mapped, but the table is gone: every record of the contact is reported for retry.
    map_instance(&fx).await;
    let mut env = fx.function_env();
    for (k, v) in &mut env {
        if k == "TABLE_NAME" {
            *v = "no-such-table".into();
        }
    }
    let rie = Rie::start(bootstrap(), &env);
    let answer = rie.invoke(&samples::kinesis_event(&batch)).await;
    let expected: Vec<String> = batch.iter().map(|(_, seq, _)| seq.clone()).collect();
    assert_eq!(failures(&answer), expected);
}

#[tokio::test]
async fn the_event_file_is_stored_once_and_its_garbage_record_skipped() {
    let fx = Fixture::new().await;
    map_instance(&fx).await;
    let rie = Rie::start(bootstrap(), &fx.function_env());
    let event = testkit::events::load_with("contact-lens-stream", &[]);
    for _ in 0..2 {
        let answer = rie.invoke(&event).await;
        assert_eq!(failures(&answer), Vec::<String>::new(), "{answer}");
    }
    let transcript = fx.transcript(ORG_A, CONTACT_ID).await;
    assert_eq!(transcript.len(), 2, "{transcript:#?}");
    // The first record arrived at …768.8 s and names no offset: the anchor keeps its 800 ms.
    assert_eq!(
        transcript[0]["startTime"],
        json!(1_795_970_768_800u64 + 1000)
    );
    let signals = fx.conversation_items(ORG_A, CONTACT_ID).await;
    assert!(signals.iter().any(|s| s.value == "PricingQuestion"));

    // The cold-start bench's event: a chat record and garbage, answered with no AWS call.
    let before = fx.item_count().await;
    let answer = rie
        .invoke(&testkit::events::load_with(
            "contact-lens-stream-unreadable",
            &[],
        ))
        .await;
    assert_eq!(failures(&answer), Vec::<String>::new());
    assert_eq!(fx.item_count().await, before);
}
