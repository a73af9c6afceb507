//! `make bench`: the getConversationIntelligence action for 100 distinct recorded conversations,
//! its reads one after another (concurrency 1) and [`READ_CONCURRENCY`] at a time. The store is
//! an in-process reader that waits a DynamoDB-like round trip before each answer
//! (`ACTION_BENCH_LATENCY_MS`, default 8 ms: a Query from Lambda in the same region), so the
//! figure is what overlapping the round trips saves; the computation runs for real.
//!
//! Both answers must be identical, in the same order.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use shared::actions::{results, ActionsApp, READ_CONCURRENCY};
use shared::format::Format;
use shared::model::{ConversationKey, OrgId};
use shared::store::items::{LegItem, MessageItem, ParticipantAttr, SignalItem};
use shared::store::{ConversationReader, ConversationRecord, StoreError};

const ORG: &str = "00DHs00000Kmpyr";
const START: u64 = 1_795_449_600_000;
const CONVERSATIONS: usize = 100;

/// A reader over recorded conversations that answers after a fixed round trip.
struct SlowReader {
    latency: Duration,
    by_record: HashMap<String, ConversationKey>,
    records: HashMap<ConversationKey, ConversationRecord>,
}

impl ConversationReader for SlowReader {
    async fn find_conversation(
        &self,
        _org: &OrgId,
        record_id: &str,
    ) -> Result<Option<ConversationKey>, StoreError> {
        tokio::time::sleep(self.latency).await;
        Ok(self.by_record.get(record_id).cloned())
    }

    async fn read_conversation(
        &self,
        _org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<ConversationRecord, StoreError> {
        tokio::time::sleep(self.latency).await;
        Ok(self.records.get(conversation).cloned().unwrap_or_default())
    }
}

/// A 10-minute call: one leg, 120 transcript entries, 40 signals.
fn recorded_call(n: usize) -> (String, ConversationKey, ConversationRecord) {
    let key = format!("call-{n:03}");
    let voice_call_id = format!("0LQ{n:012}GAA");
    let pk = format!("{ORG}#CONV#{key}");
    let lines = [
        "Thanks for calling, how can I help you today?",
        "My order has not arrived and I am getting frustrated.",
        "I am sorry to hear that, let me look up the order status.",
        "We looked at Genius Solutions last year but stayed with you.",
    ];
    let mut record = ConversationRecord {
        legs: vec![LegItem {
            pk: pk.clone(),
            sk: format!("LEG#{voice_call_id}"),
            item_type: "LEG".into(),
            voice_call_id: voice_call_id.clone(),
            vendor_call_key: key.clone(),
            initiation_method: "Inbound".into(),
            start_time_millis: START as i64,
            participants: vec![ParticipantAttr {
                participant_key: "+15550199".into(),
                kind: "END_USER".into(),
            }],
            parent_voice_call_id: None,
            ended_at: None,
            expires_at: 0,
        }],
        ..ConversationRecord::default()
    };
    for i in 0..120u64 {
        let start = START + i * 5_000;
        record.messages.push(MessageItem {
            pk: pk.clone(),
            sk: format!("MSG#m{i}"),
            time_key: format!("MSG#{start:020}#{:020}#{i:016x}", start + 4_900),
            item_type: "MESSAGE".into(),
            org_id: ORG.into(),
            conversation_key: key.clone(),
            vendor_call_key: key.clone(),
            message_id: format!("m{i}"),
            start_time: start,
            end_time: start + 4_900,
            content: lines[(i as usize + n) % lines.len()].into(),
            sender_type: if i % 2 == 0 {
                "HUMAN_AGENT"
            } else {
                "END_USER"
            }
            .into(),
            participant_id: if i % 2 == 0 { "Speaker 1" } else { "Speaker 2" }.into(),
            provider: Some("amazon-connect".into()),
            received_at: 0,
            expires_at: 0,
        });
    }
    for i in 0..40u64 {
        let at = START + i * 15_000;
        let sentiment = i % 2 == 0;
        let value = if sentiment {
            format!("{}.00", (i as i64 * 37 + n as i64) % 1_500 - 750)
        } else {
            "CustomerAngry".to_owned()
        };
        record.signals.push(SignalItem {
            pk: pk.clone(),
            sk: format!("SIG#{at:020}#{i:032x}"),
            item_type: "SIGNAL".into(),
            org_id: ORG.into(),
            conversation_key: key.clone(),
            vendor_call_key: key.clone(),
            service: "AmazonConnectContactLens".into(),
            provider: Some("amazon-connect".into()),
            signal_type: if sentiment {
                "IntelligenceSignal__Sentiment"
            } else {
                "IntelligenceSignal__Category"
            }
            .into(),
            sentiment: sentiment.then(|| value.parse().expect("number")),
            value,
            start_time: at,
            score: Some(900.0),
            participant: Some("CUSTOMER".into()),
            details: None,
            received_at: 0,
            expires_at: 0,
        });
    }
    (voice_call_id, ConversationKey::stored(key), record)
}

fn main() {
    let latency_ms: u64 = std::env::var("ACTION_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let mut reader = SlowReader {
        latency: Duration::from_millis(latency_ms),
        by_record: HashMap::new(),
        records: HashMap::new(),
    };
    let mut record_ids = Vec::new();
    for n in 0..CONVERSATIONS {
        let (record_id, conversation, record) = recorded_call(n);
        reader
            .by_record
            .insert(record_id.clone(), conversation.clone());
        reader.records.insert(conversation, record);
        record_ids.push(Some(record_id));
    }
    let app = ActionsApp {
        tenants: shared::tenants::of_documents(r#"{"keys":[]}"#, r#"{"categories":[]}"#, None)
            .expect("tenants"),
        store: reader,
    };
    let org = shared::tenants::Tenant::unconfigured(&OrgId::new(ORG));
    // One thread, as a Lambda function of modest memory has about one vCPU.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let run = |concurrency: usize| {
        let mut times = Vec::new();
        let mut answer = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            answer = runtime
                .block_on(results(
                    &app,
                    &org,
                    record_ids.clone(),
                    Format::Json,
                    concurrency,
                ))
                .expect("answers");
            times.push(start.elapsed());
        }
        times.sort();
        (times[times.len() / 2], answer)
    };
    let (sequential, one_by_one) = run(1);
    let (concurrent, overlapped) = run(READ_CONCURRENCY);
    assert_eq!(one_by_one, overlapped, "the same answer in the same order");
    assert!(one_by_one
        .iter()
        .all(|r| r["isSuccess"] == serde_json::Value::Bool(true)));

    println!(
        "getConversationIntelligence, {CONVERSATIONS} distinct recorded conversations (10-minute calls), {latency_ms} ms per DynamoDB round trip"
    );
    println!(
        "  sequential (1 read in flight):            {:>9.1} ms",
        sequential.as_secs_f64() * 1e3
    );
    println!(
        "  concurrent ({READ_CONCURRENCY} reads in flight):            {:>9.1} ms",
        concurrent.as_secs_f64() * 1e3
    );
    println!(
        "  speed-up:                                 {:>9.2}×  (same {} results, same order)",
        sequential.as_secs_f64() / concurrent.as_secs_f64(),
        overlapped.len()
    );
}
