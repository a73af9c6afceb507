//! `make bench`: the intelligence computation for a long call (2 hours, 5,000 transcript entries,
//! 2,000 real-time signals, 100 post-call turns, 2 legs), next to the floor measured in the same
//! run: just deserialising those items from DynamoDB's attribute maps. The computation is what an
//! invocation does once the Query pages are in: decode and sort the items, find the moments,
//! compose the summary and insights, and render the JSON answer.
//!
//! Also prints how many DynamoDB requests one invocation makes for that call: one Query for the
//! recordId, and the 1 MB pages of one Query over the conversation partition.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_item};
use shared::intelligence::{self, InsightCategories};
use shared::store::dynamo::decode_conversation;
use shared::store::items::{LegItem, MessageItem, ParticipantAttr, PostCallItem, SignalItem};

type Item = HashMap<String, AttributeValue>;

const START: u64 = 1_795_449_600_000;
const TWO_HOURS: u64 = 2 * 3600 * 1000;
const LINES: &[&str] = &[
    "Thanks for walking me through the setup, that helps a lot.",
    "How many agents would need access to the new console?",
    "We looked at Genius Solutions last year but the contract was too rigid.",
    "The intermediate subscription is about $1,200 a month for your team.",
    "I'll send you a quote this afternoon and we can talk soon.",
    "Our current provider keeps dropping calls during peak hours, which is frustrating.",
    "Can you tell me whether the reporting covers queue times as well?",
    "That makes sense, the routing rules look close to what we have today.",
];

fn item<T: Serialize>(value: T) -> Item {
    to_item(value).expect("item")
}

fn long_call() -> Vec<Item> {
    let pk = "00DHs00000Kmpyr#CONV#long-call".to_owned();
    let mut items = Vec::new();
    for (i, id) in ["0LQ000000000001GAA", "0LQ000000000002GAA"]
        .iter()
        .enumerate()
    {
        items.push(item(LegItem {
            pk: pk.clone(),
            sk: format!("LEG#{id}"),
            item_type: "LEG".into(),
            voice_call_id: (*id).into(),
            vendor_call_key: format!("leg-{i}"),
            initiation_method: if i == 0 { "Inbound" } else { "Transfer" }.into(),
            start_time_millis: (START + i as u64 * TWO_HOURS / 2) as i64,
            participants: vec![ParticipantAttr {
                participant_key: "+15550199".into(),
                kind: "END_USER".into(),
            }],
            parent_voice_call_id: (i == 1).then(|| "0LQ000000000001GAA".into()),
            ended_at: None,
            expires_at: 0,
        }));
    }
    let step = TWO_HOURS / 5_000;
    for i in 0..5_000u64 {
        let start = START + i * step;
        let (speaker, role) = if i % 2 == 0 {
            ("Speaker 1", "HUMAN_AGENT")
        } else {
            ("Speaker 2", "END_USER")
        };
        items.push(item(MessageItem {
            pk: pk.clone(),
            sk: format!("MSG#m{i}"),
            time_key: format!("MSG#{start:020}#{:020}#{i:016x}", start + step - 100),
            item_type: "MESSAGE".into(),
            org_id: "00DHs00000Kmpyr".into(),
            conversation_key: "long-call".into(),
            vendor_call_key: "leg-0".into(),
            message_id: format!("m{i}"),
            start_time: start,
            end_time: start + step - 100,
            content: LINES[i as usize % LINES.len()].into(),
            sender_type: role.into(),
            participant_id: speaker.into(),
            provider: Some("amazon-connect".into()),
            received_at: 0,
            expires_at: 0,
        }));
    }
    let signal_step = TWO_HOURS / 2_000;
    for i in 0..2_000u64 {
        let at = START + i * signal_step;
        let sentiment = i % 2 == 0;
        let value = if sentiment {
            format!("{}.00", (i as i64 % 1_500) - 750)
        } else {
            ["CustomerAngry", "Escalation", "OrderStatus"][i as usize % 3].to_owned()
        };
        items.push(item(SignalItem {
            pk: pk.clone(),
            sk: format!("SIG#{at:020}#{i:032x}"),
            item_type: "SIGNAL".into(),
            org_id: "00DHs00000Kmpyr".into(),
            conversation_key: "long-call".into(),
            vendor_call_key: "leg-0".into(),
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
            participant: Some(if i % 4 == 0 { "CUSTOMER" } else { "AGENT" }.into()),
            details: None,
            received_at: 0,
            expires_at: 0,
        }));
    }
    for i in 0..100u64 {
        let at = START + i * (TWO_HOURS / 100);
        items.push(item(PostCallItem {
            pk: pk.clone(),
            sk: format!("PCS#{at:020}#{i:016x}"),
            item_type: "POST_CALL_SENTIMENT".into(),
            org_id: "00DHs00000Kmpyr".into(),
            conversation_key: "long-call".into(),
            vendor_call_key: "leg-0".into(),
            service: "AmazonConnectContactLens".into(),
            signal_type: "IntelligenceSignal__Sentiment".into(),
            participant: if i % 2 == 0 { "CUSTOMER" } else { "AGENT" }.into(),
            value: "-120.00".into(),
            sentiment: -120.0,
            start_time: at,
            end_time: at + 30_000,
            provider: None,
            received_at: 0,
            expires_at: 0,
        }));
    }
    items
}

/// DynamoDB's item size: attribute names plus values (strings by UTF-8 length, numbers about one
/// byte per two digits plus one, 3 bytes per map or list, 1 per boolean or null).
fn item_size(item: &Item) -> usize {
    fn value_size(v: &AttributeValue) -> usize {
        match v {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.len().div_ceil(2) + 1,
            AttributeValue::M(m) => {
                3 + m
                    .iter()
                    .map(|(k, v)| k.len() + value_size(v))
                    .sum::<usize>()
            }
            AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
            _ => 1,
        }
    }
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

/// Median time of `f` over fresh copies of the items (copied outside the timer: the Query pages
/// deliver owned attribute maps, and both sides consume them).
fn measure(items: &[Item], mut f: impl FnMut(Vec<Item>)) -> Duration {
    f(items.to_vec());
    let mut runs: Vec<Duration> = (0..21)
        .map(|_| {
            let copy = items.to_vec();
            let start = Instant::now();
            f(copy);
            start.elapsed()
        })
        .collect();
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let items = long_call();
    let categories = InsightCategories::from_json(
        r#"{"categories":[{"orgId":"00DHs00000Kmpyr","name":"Competitor","keywords":["Genius Solutions"],"alert":true}]}"#,
    )
    .expect("categories");
    let tenant = categories.for_org("00DHs00000Kmpyr");

    // Both sides start from the items as the Query pages deliver them (owned attribute maps).
    let floor = measure(&items, |items| {
        for item in items {
            match item.get("itemType") {
                Some(AttributeValue::S(k)) if k == "MESSAGE" => {
                    drop(black_box(from_item::<MessageItem>(item).expect("message")))
                }
                Some(AttributeValue::S(k)) if k == "SIGNAL" => {
                    drop(black_box(from_item::<SignalItem>(item).expect("signal")))
                }
                Some(AttributeValue::S(k)) if k == "LEG" => {
                    drop(black_box(from_item::<LegItem>(item).expect("leg")))
                }
                _ => drop(black_box(
                    from_item::<PostCallItem>(item).expect("post call"),
                )),
            }
        }
    });
    let mut answer_bytes = 0;
    let full = measure(&items, |items| {
        let record = decode_conversation(items).expect("decodes");
        let outputs = intelligence::compute(&record, tenant);
        let json = serde_json::to_vec(&outputs).expect("serialises");
        answer_bytes = json.len();
        black_box(json);
    });

    let bytes: usize = items.iter().map(item_size).sum();
    let pages = bytes.div_ceil(1024 * 1024);
    println!("intelligence for a 2-hour call: 5,000 transcript entries, 2,000 signals, 100 post-call turns, 2 legs");
    println!(
        "  floor (deserialise the items):               {:>9.2} ms",
        floor.as_secs_f64() * 1e3
    );
    println!(
        "  invocation (decode, compute, render JSON):   {:>9.2} ms",
        full.as_secs_f64() * 1e3
    );
    println!(
        "  ratio:                                       {:>9.2}×",
        full.as_secs_f64() / floor.as_secs_f64()
    );
    println!("  answer: {answer_bytes} bytes of JSON");
    println!(
        "  DynamoDB requests per invocation: {} (1 Query for the recordId + {pages} Query page(s) of ≤1 MB for {:.2} MB of items, the minimum)",
        1 + pages,
        bytes as f64 / (1024.0 * 1024.0)
    );
}
