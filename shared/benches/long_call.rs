//! The 2-hour call of the benchmarks (5,000 transcript entries, 2,000 real-time signals, 100
//! post-call turns, 2 legs) as the items its conversation partition holds, and DynamoDB's size
//! of an item. (The same call as `intelligence.rs` builds; that bench can include this file.)

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde_dynamo::aws_sdk_dynamodb_1::to_item;
use shared::store::items::{LegItem, MessageItem, ParticipantAttr, PostCallItem, SignalItem};

pub type Item = HashMap<String, AttributeValue>;

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

pub fn long_call() -> Vec<Item> {
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
pub fn item_size(item: &Item) -> usize {
    fn value_size(v: &AttributeValue) -> usize {
        match v {
            AttributeValue::S(s) => s.len(),
            AttributeValue::B(b) => b.as_ref().len(),
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
