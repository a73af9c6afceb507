//! Items and attributes of the writes that change what is recorded: call updates (CONTRACT
//! §2.6) and routing requests (§2.7).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::items::{conversation_pk, hex, ROUTING_ITEM};
use crate::model::{ConversationKey, OrgId, RoutingRequest, VoiceCallUpdate};

/// The attributes a call update sets on the voice call record, under Salesforce's names (times
/// also as `…Millis`). Fields not given are left as they are.
pub fn update_attributes(update: &VoiceCallUpdate) -> Map<String, Value> {
    let mut out = Map::new();
    let mut set = |name: &str, value: Value| {
        out.insert(name.to_owned(), value);
    };
    for (name, instant) in [
        ("startTime", &update.start_time),
        ("endTime", &update.end_time),
        ("enqueueTime", &update.enqueue_time),
        ("acceptTime", &update.accept_time),
    ] {
        if let Some(at) = instant {
            set(name, json!(at.text));
            set(&format!("{name}Millis"), json!(at.epoch_millis));
        }
    }
    for (name, text) in [
        ("fromNumber", &update.from_number),
        ("queue", &update.queue),
        ("agent", &update.agent),
        ("callOrigin", &update.call_origin),
        ("recordingLocation", &update.recording_location),
        ("callAttributes", &update.call_attributes),
    ] {
        if let Some(text) = text {
            set(name, json!(text));
        }
    }
    for (name, seconds) in [
        ("totalHoldDuration", update.total_hold_duration),
        ("longestHoldDuration", update.longest_hold_duration),
        (
            "agentInteractionDuration",
            update.agent_interaction_duration,
        ),
        ("totalRecordingDuration", update.total_recording_duration),
    ] {
        if let Some(seconds) = seconds {
            set(name, json!(seconds));
        }
    }
    if let Some(n) = update.number_of_holds {
        set("numberOfHolds", json!(n));
    }
    if let Some(active) = update.is_active_call {
        set("isActiveCall", json!(active));
    }
    if let Some(reason) = &update.disconnect_reason {
        set("disconnectReason", json!(reason));
    }
    out
}

/// A routing request recorded on its conversation. Its identity is (leg, operation, fields): a
/// retry overwrites it, and the callback `recordId` it answers is derived from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoutingItem {
    pub pk: String,
    pub sk: String,
    pub item_type: String,
    pub org_id: String,
    pub conversation_key: String,
    pub vendor_call_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_call_id: Option<String>,
    pub operation: String,
    pub request: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    pub received_at: u64,
    /// Absent while the conversation is under legal hold (`crate::erasure`).
    #[serde(default)]
    pub expires_at: u64,
}

/// One routing request, bound for one conversation.
#[derive(Debug, Clone, Copy)]
pub struct RoutingBatch<'a> {
    pub org: &'a OrgId,
    pub conversation: &'a ConversationKey,
    pub vendor_call_key: &'a str,
    pub voice_call_id: Option<&'a str>,
    pub request: &'a RoutingRequest,
    pub provider: Option<&'a str>,
    pub received_at: u64,
}

impl RoutingBatch<'_> {
    /// Unique across tenants, conversations and legs; the same for a retry of the request.
    pub fn identity(&self) -> String {
        let mut hash = Sha256::new();
        for part in [
            self.org.as_str(),
            self.conversation.as_str(),
            self.vendor_call_key,
            self.request.operation.as_str(),
        ] {
            hash.update(part);
            hash.update([0]);
        }
        // serde_json's maps keep keys sorted: the same fields always hash the same.
        hash.update(Value::Object(self.request.fields.clone()).to_string());
        hex(&hash.finalize()[..16])
    }
}

impl RoutingItem {
    pub fn new(batch: &RoutingBatch<'_>, identity: &str, expires_at: u64) -> Self {
        Self {
            pk: conversation_pk(batch.org, batch.conversation),
            sk: format!("ROUTE#{identity}"),
            item_type: ROUTING_ITEM.to_owned(),
            org_id: batch.org.to_string(),
            conversation_key: batch.conversation.as_str().to_owned(),
            vendor_call_key: batch.vendor_call_key.to_owned(),
            voice_call_id: batch.voice_call_id.map(str::to_owned),
            operation: batch.request.operation.as_str().to_owned(),
            request: batch.request.fields.clone(),
            provider: batch.provider.map(str::to_owned),
            received_at: batch.received_at,
            expires_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Instant, RoutingOperation};

    #[test]
    fn only_given_fields_are_set() {
        let update = VoiceCallUpdate {
            end_time: Instant::parse("2026-11-29T16:57:08.507Z"),
            total_hold_duration: Some(3.0),
            is_active_call: Some(false),
            ..VoiceCallUpdate::default()
        };
        let attrs = update_attributes(&update);
        let names: Vec<&str> = attrs.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "endTime",
                "endTimeMillis",
                "isActiveCall",
                "totalHoldDuration"
            ]
        );
        assert!(update_attributes(&VoiceCallUpdate::default()).is_empty());
    }

    #[test]
    fn routing_identity_is_stable_and_distinct() {
        let org = OrgId::new("00D1");
        let conv = ConversationKey::stored("c".into());
        let request = |fields: Value| RoutingRequest {
            operation: RoutingOperation::OmniFlow,
            fields: fields.as_object().unwrap().clone(),
        };
        let a = request(json!({"dialedNumber": "1", "flowName": "F"}));
        let b = request(json!({"flowName": "F", "dialedNumber": "1"}));
        let c = request(json!({"dialedNumber": "2"}));
        let batch = |r| RoutingBatch {
            org: &org,
            conversation: &conv,
            vendor_call_key: "k",
            voice_call_id: None,
            request: r,
            provider: None,
            received_at: 1,
        };
        assert_eq!(batch(&a).identity(), batch(&b).identity());
        assert_ne!(batch(&a).identity(), batch(&c).identity());
    }
}
