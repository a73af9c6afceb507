//! The single table's items and keys (README, "Storage").
//!
//! | item            | pk                              | sk                                   |
//! |-----------------|---------------------------------|--------------------------------------|
//! | real-time signal| `{org}#CONV#{conversationKey}`  | `SIG#{startTime:020}#{identity}`     |
//! | used token id   | `{org}#JTI#{jti}`               | `JTI`                                |
//!
//! Org ids never contain `#`, so a partition key always splits unambiguously at its first `#`.
//! Every item carries `expiresAt` (unix seconds), the table's TTL attribute.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::{ConversationKey, OrgId, Signal, SignalEvent};

pub const SIGNAL_ITEM: &str = "SIGNAL";
pub const TOKEN_ITEM: &str = "TOKEN_ID";

pub fn conversation_pk(org: &OrgId, conversation: &ConversationKey) -> String {
    format!("{org}#CONV#{}", conversation.as_str())
}

pub fn token_pk(org: &OrgId, jti: &str) -> String {
    format!("{org}#JTI#{jti}")
}

/// A signal's identity: two events with the same type, value, participant and start time are
/// the same event (CONTRACT §2.1), so a retry overwrites its earlier copy.
pub fn signal_identity(event: &SignalEvent) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hash = Sha256::new();
    hash.update(event.signal.type_name());
    hash.update([0]);
    hash.update(event.participant.map_or("", |p| p.as_str()));
    hash.update([0]);
    match &event.signal {
        Signal::Category(name) => hash.update(name),
        Signal::Sentiment(s) => hash.update(s.hundredths().to_be_bytes()),
    }
    let digest = hash.finalize();
    let mut hex = String::with_capacity(24);
    for byte in &digest[..12] {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

/// Sort keys order signals by start time; the identity keeps equal times apart.
pub fn signal_sk(event: &SignalEvent, identity: &str) -> String {
    format!("SIG#{:020}#{identity}", event.start_time)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalItem {
    pub pk: String,
    pub sk: String,
    pub item_type: String,
    pub org_id: String,
    pub conversation_key: String,
    pub vendor_call_key: String,
    pub service: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    pub signal_type: String,
    /// The category name, or the sentiment with two decimals.
    pub value: String,
    /// The sentiment as a number, for sentiment signals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<f64>,
    pub start_time: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    pub received_at: u64,
    pub expires_at: u64,
}

impl SignalItem {
    pub fn new(batch: &super::SignalBatch<'_>, event: &super::IdentifiedSignal, expires_at: u64) -> Self {
        let super::IdentifiedSignal { identity, event } = event;
        Self {
            pk: conversation_pk(batch.org, batch.conversation),
            sk: signal_sk(event, identity),
            item_type: SIGNAL_ITEM.to_owned(),
            org_id: batch.org.to_string(),
            conversation_key: batch.conversation.as_str().to_owned(),
            vendor_call_key: batch.vendor_call_key.as_str().to_owned(),
            service: batch.service.to_owned(),
            provider: batch.provider.map(str::to_owned),
            signal_type: event.signal.type_name().to_owned(),
            value: event.signal.value_text(),
            sentiment: match event.signal {
                Signal::Sentiment(s) => Some(s.as_f64()),
                Signal::Category(_) => None,
            },
            start_time: event.start_time,
            score: event.score.map(|s| s.get()),
            participant: event.participant.map(|p| p.as_str().to_owned()),
            details: event.details.clone(),
            received_at: batch.received_at,
            expires_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenIdItem {
    pub pk: String,
    pub sk: String,
    pub item_type: String,
    pub expires_at: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Participant, Sentiment};

    fn event(signal: Signal, start_time: u64, participant: Option<Participant>) -> SignalEvent {
        SignalEvent { signal, start_time, score: None, participant, details: None }
    }

    #[test]
    fn identity_ignores_score_and_details_but_not_participant() {
        let a = event(Signal::Category("CustomerAngry".into()), 5, None);
        let mut b = a.clone();
        b.score = crate::model::Score::new(3.0);
        b.details = Some(serde_json::json!({"x": 1}));
        assert_eq!(signal_identity(&a), signal_identity(&b));
        let c = event(Signal::Category("CustomerAngry".into()), 5, Some(Participant::Customer));
        assert_ne!(signal_identity(&a), signal_identity(&c));
    }

    #[test]
    fn sort_keys_order_by_time() {
        let s = |t| {
            let e = event(Signal::Sentiment(Sentiment::from_hundredths(1).unwrap()), t, Some(Participant::Agent));
            signal_sk(&e, &signal_identity(&e))
        };
        assert!(s(9) < s(10));
        assert!(s(1573503450) < s(16898867880000));
    }
}
