//! No stored value, however extreme, makes the intelligence overflow or panic (CONTRACT §2: "No
//! arithmetic on accepted values can overflow or panic"; finding F1). The record is built
//! directly, as a store could hand it over, with every time at its type's limit.

use serde_json::{json, Value};
use shared::intelligence::{compute, InsightCategories};
use shared::store::items::{LegItem, MessageItem, PostCallItem, SignalItem};
use shared::store::ConversationRecord;

fn message(id: &str, start: u64, end: u64, speaker: &str) -> MessageItem {
    serde_json::from_value(json!({
        "pk": "p", "sk": id, "timeKey": id, "itemType": "MSG", "orgId": "o", "conversationKey": "c",
        "vendorCallKey": "c", "messageId": id, "startTime": start, "endTime": end,
        "content": "Can you send the quote by Friday? It is $55 per seat.",
        "senderType": if speaker == "agent" { "HUMAN_AGENT" } else { "END_USER" },
        "participantId": speaker, "receivedAt": 0, "expiresAt": 0
    }))
    .expect("a message item")
}

fn signal(start: u64, kind: &str, value: &str, sentiment: Option<f64>) -> SignalItem {
    let mut item = json!({
        "pk": "p", "sk": format!("SIG#{start}"), "itemType": "SIG", "orgId": "o",
        "conversationKey": "c", "vendorCallKey": "c", "service": "s", "signalType": kind,
        "value": value, "startTime": start, "participant": "CUSTOMER", "score": 1000.0,
        "receivedAt": 0, "expiresAt": 0
    });
    if let Some(s) = sentiment {
        item["sentiment"] = json!(s);
    }
    serde_json::from_value(item).expect("a signal item")
}

fn post_call(start: u64, end: u64) -> PostCallItem {
    serde_json::from_value(json!({
        "pk": "p", "sk": format!("PC#{start}"), "itemType": "PC", "orgId": "o", "conversationKey": "c",
        "vendorCallKey": "c", "service": "s", "participant": "CUSTOMER", "value": "-1000.00",
        "sentiment": -1000.0, "startTime": start, "endTime": end, "receivedAt": 0, "expiresAt": 0
    }))
    .expect("a post-call item")
}

fn leg(start: i64) -> LegItem {
    serde_json::from_value(json!({
        "pk": "p", "sk": "LEG", "itemType": "LEG", "voiceCallId": "0LQ000000000001GAA",
        "vendorCallKey": "c", "initiationMethod": "Inbound", "startTimeMillis": start,
        "participants": [{"participantKey": "x", "type": "END_USER"}], "expiresAt": 0
    }))
    .expect("a leg item")
}

fn outputs(record: &ConversationRecord) -> Value {
    let categories = InsightCategories::default();
    serde_json::to_value(compute(record, categories.for_org("o"))).expect("outputs serialise")
}

#[test]
fn times_at_their_limits_neither_overflow_nor_panic() {
    let max = u64::MAX;
    let record = ConversationRecord {
        legs: vec![leg(i64::MIN), leg(i64::MAX)],
        messages: vec![
            message("a", 0, max, "caller"),
            message("b", 0, max, "caller"),
            message("c", 0, max, "agent"),
            message("d", max, max, "agent"),
            message("e", max - 1, 0, "caller"),
        ],
        signals: vec![
            signal(
                0,
                "IntelligenceSignal__Sentiment",
                "-1000.00",
                Some(-1000.0),
            ),
            signal(
                max - 1,
                "IntelligenceSignal__Category",
                "CustomerAngry",
                None,
            ),
            signal(
                max,
                "IntelligenceSignal__Sentiment",
                "1000.00",
                Some(1000.0),
            ),
        ],
        post_call: vec![post_call(0, max), post_call(max, max), post_call(max, 0)],
        routing: Vec::new(),
    };
    let out = outputs(&record);
    assert!(out["momentInsights"].is_array(), "{out:#}");
    assert!(!out["conversationInsights"]
        .as_array()
        .expect("insights")
        .is_empty());
}

#[test]
fn talk_times_whose_sum_passes_u64_still_share_correctly() {
    let half = 1u64 << 63;
    let record = ConversationRecord {
        messages: vec![
            message("a", 0, half, "caller"),
            message("b", 0, half, "agent"),
        ],
        ..ConversationRecord::default()
    };
    let out = outputs(&record);
    let shares: Vec<f64> = out["conversationInsights"]
        .as_array()
        .expect("insights")
        .iter()
        .filter(|i| i["insightType"] == "TalkTime")
        .filter_map(|i| i.get("share").and_then(Value::as_f64))
        .collect();
    assert_eq!(shares, [0.5, 0.5], "{out:#}");
}
