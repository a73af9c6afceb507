use std::sync::Arc;

use serde_json::{json, Value};

use super::samples::{self, ARRIVAL_LAG_MILLIS, ARRIVAL_SECS, CONTACT_ID, INSTANCE_ID};
use super::*;
use crate::bus::memory::MemoryBus;
use crate::format::Format;
use crate::model::{ConversationKey, OrgId, VoiceCallId};
use crate::store::memory::MemoryStore;
use crate::store::{NewLeg, TelephonyStore};
use crate::tenants::memory::MemoryTenants;
use crate::tenants::record::CategorySetting;
use crate::tenants::{TenantRecord, Tenants};

const ORG: &str = "00D000000000001";
const ANCHOR: u64 = ARRIVAL_SECS * 1000 + ARRIVAL_LAG_MILLIS;

struct World {
    app: App<MemoryStore, MemoryBus>,
    anchors: MemoryAnchors,
}

fn world_with(record: TenantRecord) -> World {
    let tenants = Tenants::new(Arc::new(MemoryTenants::with_records([record])), None);
    World {
        app: App::with_ports(tenants, MemoryStore::new(30), MemoryBus::default()),
        anchors: MemoryAnchors::default(),
    }
}

fn tenant() -> TenantRecord {
    let mut record = TenantRecord::new(ORG, "2026-12-03T00:00:00Z");
    record.connect_instances = vec![format!(
        "arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE_ID}"
    )];
    record.categories = vec![CategorySetting {
        name: "Cancellation".into(),
        keywords: vec!["cancel".into()],
        alert: true,
    }];
    record
}

fn world() -> World {
    world_with(tenant())
}

async fn feed(w: &World, batch: &[(Vec<u8>, String, u64)]) -> BatchReport {
    let records: Vec<StreamRecord<'_>> = batch
        .iter()
        .map(|(data, seq, arrival)| StreamRecord {
            sequence_number: seq,
            arrival_millis: *arrival,
            data,
        })
        .collect();
    ingest(&w.app, &w.anchors, &records).await
}

/// What the memory store holds of the conversation (its transcript and signals).
async fn conversation(w: &World) -> crate::store::ConversationRecord {
    let mut record = crate::store::ConversationRecord {
        messages: w
            .app
            .store
            .messages()
            .into_iter()
            .filter(|m| m.conversation_key == CONTACT_ID)
            .collect(),
        signals: w
            .app
            .store
            .signals()
            .into_iter()
            .filter(|s| s.conversation_key == CONTACT_ID)
            .collect(),
        ..Default::default()
    };
    record.sort();
    record
}

/// The `VoiceCallChanged` events published.
fn leg_changes(w: &World) -> Vec<Value> {
    w.app
        .bus
        .published()
        .iter()
        .filter(|e| e.detail_type == crate::bus::VOICE_CALL_DETAIL_TYPE)
        .map(|e| serde_json::from_str(&e.detail).unwrap())
        .collect()
}

/// What a transcript is, for comparing two: ids, times, texts, senders.
fn transcript(
    record: &crate::store::ConversationRecord,
) -> Vec<(String, u64, u64, String, String)> {
    record
        .messages
        .iter()
        .map(|m| {
            (
                m.message_id.clone(),
                m.start_time,
                m.end_time,
                m.content.clone(),
                m.sender_type.clone(),
            )
        })
        .collect()
}

async fn create_leg(w: &World) {
    let call = crate::telephony::voice_calls::parse(
        json!({"callCenterApiName": "scv4cc1", "vendorCallKey": CONTACT_ID, "to": "+15550100",
               "from": "+15550199", "initiationMethod": "Inbound", "startTime": "2026-11-29T16:56:06.455Z",
               "participants": [{"participantKey": "+15550199", "type": "END_USER"}]}),
        Format::Json,
    )
    .unwrap();
    let org = OrgId::new(ORG);
    let conversation = ConversationKey::stored(CONTACT_ID.to_owned());
    w.app
        .store
        .create_voice_call(NewLeg {
            org: &org,
            id: &VoiceCallId::generate(),
            conversation: &conversation,
            call: &call,
            provider: None,
            now: ARRIVAL_SECS,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_call_becomes_transcript_signals_and_an_ended_leg() {
    let w = world();
    create_leg(&w).await;
    let batch = samples::numbered(&samples::call(INSTANCE_ID, CONTACT_ID));
    let report = feed(&w, &batch).await;
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!((report.entries, report.legs_ended), (5, 1));
    let record = conversation(&w).await;
    let t = transcript(&record);
    assert_eq!(t.len(), 5);
    assert_eq!(t[0].0, samples::TURNS[0].0);
    assert_eq!((t[0].1, t[0].2), (ANCHOR + 1000, ANCHOR + 4200));
    assert_eq!(t[1].4, "HUMAN_AGENT");
    assert_eq!(t[0].4, "END_USER");
    let changes = leg_changes(&w);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["vendorCallKey"], CONTACT_ID);
    assert_eq!(changes[0]["change"], "ended");

    let categories: Vec<(&str, u64, bool)> = record
        .signals
        .iter()
        .filter(|s| s.signal_type == crate::model::Signal::CATEGORY_TYPE)
        .map(|s| {
            let alert = s.details.as_ref().is_some_and(|d| d["alert"] == true);
            (s.value.as_str(), s.start_time, alert)
        })
        .collect();
    assert!(categories.contains(&("PricingQuestion", ANCHOR + 1000, false)));
    assert!(categories.contains(&("Cancellation", ANCHOR + 9000, true)));
    assert!(categories.iter().any(|c| c.0 == mapping::ISSUE_SIGNAL));
    let summary = record
        .signals
        .iter()
        .find(|s| s.value == mapping::SUMMARY_SIGNAL)
        .unwrap();
    assert_eq!(
        summary.details.as_ref().unwrap()["content"],
        samples::SUMMARY
    );
    let negative = record
        .signals
        .iter()
        .find(|s| s.sentiment.is_some_and(|v| v < 0.0))
        .unwrap();
    assert_eq!(
        (negative.participant.as_deref(), negative.sentiment),
        (Some("CUSTOMER"), Some(-500.0))
    );
    assert!(record.signals.iter().all(|s| s.service == mapping::SERVICE));

    // The categories are the call's insights; the alert category makes moments need attention.
    let tenant = w.app.tenants.settings_of(&OrgId::new(ORG)).await.unwrap();
    let out = crate::intelligence::compute(&record, &tenant.categories);
    let insights = serde_json::to_value(&out.conversation_insights).unwrap();
    let named: Vec<&str> = insights
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["category"].as_str())
        .collect();
    assert!(named.contains(&"Cancellation"), "{insights}");
    assert!(named.contains(&"PricingQuestion"));
    assert!(!named.contains(&mapping::SUMMARY_SIGNAL));
    let vendor = out.conversation_intelligence.vendor_summary.unwrap();
    assert_eq!(
        (vendor.source.as_str(), vendor.content.as_str()),
        (mapping::SERVICE, samples::SUMMARY)
    );
}

#[tokio::test]
async fn partials_are_pushed_live_and_finals_replace_them() {
    let w = world();
    let call = samples::call(INSTANCE_ID, CONTACT_ID);
    // A turn's utterances in one record, its transcript in the next.
    let mut utterances = call[1].clone();
    utterances["Segments"].as_array_mut().unwrap().truncate(2);
    let batch = samples::numbered(&[utterances, call[1].clone()]);
    feed(&w, &batch[..1]).await;
    feed(&w, &batch[1..]).await;
    let published = w.app.bus.published();
    let transcript_events: Vec<Value> = published
        .iter()
        .filter(|e| e.detail_type == crate::bus::TRANSCRIPT_DETAIL_TYPE)
        .map(|e| serde_json::from_str(&e.detail).unwrap())
        .collect();
    assert_eq!(transcript_events.len(), 3, "two partials, then the final");
    assert!(transcript_events[..2].iter().all(|e| e["partial"] == true
        && e["messageId"] == samples::TURNS[0].0
        && e["tenant"] == ORG));
    assert_eq!(transcript_events[2]["messageId"], samples::TURNS[0].0);
    assert!(transcript_events[2].get("partial").is_none());
    assert_eq!(transcript_events[2]["content"], samples::TURNS[0].2);
    // Partials are never stored.
    assert_eq!(conversation(&w).await.messages.len(), 1);
}

#[tokio::test]
async fn duplicated_reordered_and_split_records_store_one_transcript() {
    let call = samples::call(INSTANCE_ID, CONTACT_ID);
    let batch = samples::numbered(&call);
    let once = world();
    feed(&once, &batch).await;
    let expected = transcript(&conversation(&once).await);
    let signals = conversation(&once).await.signals.len();

    let w = world();
    // Reordered across batches: the second half first, then everything again (a retry), then
    // the first half twice over (a duplicate publication).
    let half = batch.len() / 2;
    let mut reordered: Vec<_> = batch[half..].to_vec();
    reordered.reverse();
    for part in [
        reordered,
        batch.clone(),
        batch[..half].to_vec(),
        batch[..half].to_vec(),
    ] {
        let report = feed(&w, &part).await;
        assert!(report.failed.is_empty());
    }
    let record = conversation(&w).await;
    assert_eq!(transcript(&record), expected);
    assert_eq!(record.signals.len(), signals, "no signal twice");

    // Split across two shards handled in parallel: the same anchor, the same transcript.
    let w = world();
    let even: Vec<_> = batch.iter().step_by(2).cloned().collect();
    let odd: Vec<_> = batch.iter().skip(1).step_by(2).cloned().collect();
    futures::join!(feed(&w, &odd), feed(&w, &even));
    assert_eq!(transcript(&conversation(&w).await), expected);
}

#[tokio::test]
async fn the_first_anchor_stays_whatever_arrives_later() {
    let w = world();
    let call = samples::call(INSTANCE_ID, CONTACT_ID);
    let mut batch = samples::numbered(&call[1..2]);
    feed(&w, &batch).await;
    let first = transcript(&conversation(&w).await);
    // The same record redelivered much later (a replay of the shard): its arrival proposes
    // another anchor, which is not taken.
    batch[0].2 += 3_600_000;
    feed(&w, &batch).await;
    assert_eq!(transcript(&conversation(&w).await), first);
    assert_eq!(first[0].1, ANCHOR + samples::TURNS[0].3);
}

#[tokio::test]
async fn a_garbage_record_in_the_middle_is_skipped_and_counted() {
    let w = world();
    let mut batch = samples::numbered(&samples::call(INSTANCE_ID, CONTACT_ID));
    batch.insert(3, (b"{not json".to_vec(), "garbage-1".into(), ANCHOR));
    batch.insert(
        5,
        (
            br#"{"Version":"1.0.0"}"#.to_vec(),
            "garbage-2".into(),
            ANCHOR,
        ),
    );
    let report = feed(&w, &batch).await;
    assert_eq!(report.unreadable, 2);
    assert!(report.failed.is_empty(), "never blocks the shard");
    assert_eq!(conversation(&w).await.messages.len(), 5);
}

#[tokio::test]
async fn an_unmapped_instance_stores_nothing() {
    let w = world();
    let batch = samples::numbered(&samples::call(
        "99999999-0000-0000-0000-000000000000",
        CONTACT_ID,
    ));
    let report = feed(&w, &batch).await;
    assert_eq!(report.unmapped, batch.len());
    assert!(report.failed.is_empty());
    assert!(conversation(&w).await.is_empty());
    assert!(w.app.bus.published().is_empty());

    // A suspended tenant's instance is not mapped either.
    let mut suspended = tenant();
    suspended.status = crate::tenants::record::Status::Suspended;
    let w = world_with(suspended);
    let report = feed(
        &w,
        &samples::numbered(&samples::call(INSTANCE_ID, CONTACT_ID)),
    )
    .await;
    assert_eq!(report.unmapped, report.records);
    assert!(conversation(&w).await.is_empty());
}

#[tokio::test]
async fn a_tenant_with_redaction_gets_no_partials_pushed() {
    let mut record = tenant();
    record.redaction = Some(crate::tenants::record::Redaction {
        entities: vec!["EMAIL".into()],
        mode: crate::tenants::record::RedactionMode::Pii,
    });
    let w = world_with(record);
    let report = feed(
        &w,
        &samples::numbered(&samples::call(INSTANCE_ID, CONTACT_ID)),
    )
    .await;
    assert_eq!((report.partials, report.entries), (0, 5));
    assert!(w
        .app
        .bus
        .published()
        .iter()
        .all(|e| !e.detail.contains("\"partial\":true")));
}

#[tokio::test]
async fn a_transfer_leg_joins_its_parents_conversation() {
    let w = world();
    create_leg(&w).await;
    let transfer = "c495607d-f978-4753-addd-174215a196ca";
    let call = crate::telephony::voice_calls::parse(
        json!({"callCenterApiName": "scv4cc1", "vendorCallKey": transfer, "to": "+15550100",
               "from": "+15550199", "parentVoiceCallId": CONTACT_ID, "initiationMethod": "Transfer",
               "startTime": "2026-11-29T16:56:06.645Z",
               "participants": [{"participantKey": "+15550199", "type": "END_USER"}]}),
        Format::Json,
    )
    .unwrap();
    let org = OrgId::new(ORG);
    let conversation_key = ConversationKey::stored(CONTACT_ID.to_owned());
    w.app
        .store
        .create_voice_call(NewLeg {
            org: &org,
            id: &VoiceCallId::generate(),
            conversation: &conversation_key,
            call: &call,
            provider: None,
            now: ARRIVAL_SECS,
        })
        .await
        .unwrap();
    let records = samples::call(INSTANCE_ID, transfer);
    feed(&w, &samples::numbered(&records[..2])).await;
    let record = conversation(&w).await;
    assert_eq!(record.messages.len(), 1);
    assert_eq!(record.messages[0].vendor_call_key, transfer);
}
