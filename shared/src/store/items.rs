//! The single table's items and keys (docs/architecture.md, "Storage").
//!
//! | item                | pk                             | sk                                | `timeKey` (LSI `byTime`)               |
//! |---------------------|--------------------------------|-----------------------------------|----------------------------------------|
//! | real-time signal    | `{org}#CONV#{conversationKey}` | `SIG#{startTime:020}#{identity}`  |                                        |
//! | transcript message  | `{org}#CONV#{conversationKey}` | `MSG#{messageId}`                 | `MSG#{startTime:020}#{endTime:020}#{h}`|
//! | post-call sentiment | `{org}#CONV#{conversationKey}` | `PCS#{startTime:020}#{identity}`  |                                        |
//! | call leg            | `{org}#CONV#{conversationKey}` | `LEG#{voiceCallId}`               |                                        |
//! | voice call record   | `{org}#VC#{voiceCallId}`       | `VC`                              |                                        |
//! | routing request     | `{org}#CONV#{conversationKey}` | `ROUTE#{identity}`                |                                        |
//! | vendor key          | `{org}#VCK#{vendorCallKey}`    | `VCK`                             |                                        |
//! | used token id       | `{org}#JTI#{jti}`              | `JTI`                             |                                        |
//! | conversation head   | `{org}#CONV#{conversationKey}` | `HEAD`                            | (see [`super::analysis_items`])        |
//! | analysis record     | `{org}#CONV#{conversationKey}` | `ANALYSIS`, `ANALYSIS#{nn}`       | (see [`super::analysis_items`])        |
//!
//! Every conversation head also carries `tenantIndex` (the org id), the key of the keys-only
//! global index `byTenant` (hash key `tenantIndex` only: a range key would cap the table's `pk`
//! at 1,024 bytes): an org's conversations without a Scan, for offboarding (CONTRACT §8). DynamoDB writes a keys-only index only when its key changes, so
//! the index costs one write per new partition, not one per head update; a tombstone (an erased
//! head) has no `tenantIndex` and leaves the index.
//!
//! Org ids never contain `#`, so a partition key always splits unambiguously at its first `#`.
//! Every item carries `expiresAt` (unix seconds), the table's TTL attribute.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::{
    CallParticipant, ConversationKey, NewVoiceCall, OrgId, PostCallKind, PostCallSentiment, Signal,
    SignalEvent, TranscriptMessage, VendorCallKey, VoiceCallId,
};

/// A conversation partition's head (`super::analysis_items`): sorts before every data item.
pub const HEAD_SK: &str = "HEAD";
pub const HEAD_ITEM: &str = "HEAD";
/// On a conversation head: a live subscription was made to it. Writes read it back from the
/// head they update anyway and mark their bus events `watched`; the live-deliver rule skips
/// events marked `watched: false`, so a conversation nobody ever watched costs no live-deliver
/// invocation and no subscriber Query (docs/cost.md). The mark stays for the conversation's
/// life: a second console later costs nothing more, and no unsubscribe can race a delivery.
pub const WATCHED: &str = "watched";
pub const SIGNAL_ITEM: &str = "SIGNAL";
pub const TOKEN_ITEM: &str = "TOKEN_ID";
pub const MESSAGE_ITEM: &str = "MESSAGE";
pub const POST_CALL_ITEM: &str = "POST_CALL_SENTIMENT";
pub const LEG_ITEM: &str = "LEG";
pub const VOICE_CALL_ITEM: &str = "VOICE_CALL";
pub const VENDOR_KEY_ITEM: &str = "VENDOR_KEY";
pub const ROUTING_ITEM: &str = "ROUTING";

/// The local secondary index ordering a conversation's transcript by time, and its sort key.
pub const TIME_INDEX: &str = "byTime";
pub const TIME_KEY: &str = "timeKey";
/// The global index of conversation heads by org, and its partition key (see above).
pub const TENANT_INDEX: &str = "byTenant";
pub const TENANT_KEY: &str = "tenantIndex";
/// `timeKey` prefix of transcript messages.
pub const MESSAGE_TIME_PREFIX: &str = "MSG#";

/// The sort key of a Contact Lens contact's start anchor (`crate::contact_lens::anchors`).
pub const ANCHOR_ITEM: &str = "CONTACT_LENS_ANCHOR";

/// The partition of a contact's anchor: apart from the conversation's items, so that reading
/// a conversation never sees it (and erasing one deletes it by key).
pub fn anchor_pk(org: &OrgId, contact: &str) -> String {
    format!("CLANCHOR#{}#{contact}", org.as_str())
}

pub fn conversation_pk(org: &OrgId, conversation: &ConversationKey) -> String {
    format!("{org}#CONV#{}", conversation.as_str())
}

pub fn token_pk(org: &OrgId, jti: &str) -> String {
    format!("{org}#JTI#{jti}")
}

pub fn voice_call_pk(org: &OrgId, id: &VoiceCallId) -> String {
    format!("{org}#VC#{id}")
}

pub fn vendor_key_pk(org: &OrgId, key: &VendorCallKey) -> String {
    format!("{org}#VCK#{key}")
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

/// A signal's identity: two events with the same type, value, participant and start time in the
/// same conversation are the same event (CONTRACT §2.1), so a retry overwrites its earlier copy
/// instead of adding one. Published as `eventKey`, it is unique across tenants and conversations.
pub fn signal_identity(org: &OrgId, conversation: &ConversationKey, event: &SignalEvent) -> String {
    let mut hash = Sha256::new();
    hash.update(org.as_str());
    hash.update([0]);
    hash.update(conversation.as_str());
    hash.update([0]);
    hash.update(event.start_time.to_be_bytes());
    hash.update(event.signal.type_name());
    hash.update([0]);
    hash.update(event.participant.map_or("", |p| p.as_str()));
    hash.update([0]);
    match &event.signal {
        Signal::Category(name) => hash.update(name),
        Signal::Sentiment(s) => hash.update(s.hundredths().to_be_bytes()),
    }
    hex(&hash.finalize()[..16])
}

/// Sort keys order signals by start time; the identity keeps equal times apart.
pub fn signal_sk(event: &SignalEvent, identity: &str) -> String {
    let mut sk = String::with_capacity(25 + identity.len());
    sk.push_str("SIG#");
    push_padded(&mut sk, event.start_time);
    sk.push('#');
    sk.push_str(identity);
    sk
}

/// `n` as 20 decimal digits, zero-padded (`format!("{n:020}")` without the formatter).
fn push_padded(out: &mut String, n: u64) {
    let mut digits = [b'0'; 20];
    let mut rest = n;
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.push_str(std::str::from_utf8(&digits).expect("ASCII digits"));
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
    /// Absent while the conversation is under legal hold (`crate::erasure`).
    #[serde(default)]
    pub expires_at: u64,
}

impl SignalItem {
    /// The item of `event`, one of `batch`'s (taken out of it). `pk` is the batch's
    /// [`conversation_pk`], made once for all its items.
    pub fn new(
        batch: &super::SignalBatch<'_>,
        pk: &str,
        event: super::IdentifiedSignal,
        expires_at: u64,
    ) -> Self {
        let super::IdentifiedSignal { identity, event } = event;
        let sentiment = match event.signal {
            Signal::Sentiment(s) => Some(s.as_f64()),
            Signal::Category(_) => None,
        };
        Self {
            pk: pk.to_owned(),
            sk: signal_sk(&event, &identity),
            item_type: SIGNAL_ITEM.to_owned(),
            org_id: batch.org.to_string(),
            conversation_key: batch.conversation.as_str().to_owned(),
            vendor_call_key: batch.vendor_call_key.as_str().to_owned(),
            service: batch.service.to_owned(),
            provider: batch.provider.map(str::to_owned),
            signal_type: event.signal.type_name().to_owned(),
            value: match event.signal {
                Signal::Category(name) => name,
                sentiment => sentiment.value_text(),
            },
            sentiment,
            start_time: event.start_time,
            score: event.score.map(|s| s.get()),
            participant: event.participant.map(|p| p.as_str().to_owned()),
            details: event.details,
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

/// A transcript entry. Keyed by `messageId` (its idempotency key); `timeKey` orders the
/// conversation's transcript on the `byTime` index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageItem {
    pub pk: String,
    pub sk: String,
    pub time_key: String,
    pub item_type: String,
    pub org_id: String,
    pub conversation_key: String,
    pub vendor_call_key: String,
    pub message_id: String,
    pub start_time: u64,
    pub end_time: u64,
    pub content: String,
    pub sender_type: String,
    pub participant_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    pub received_at: u64,
    /// Absent while the conversation is under legal hold (`crate::erasure`).
    #[serde(default)]
    pub expires_at: u64,
}

impl MessageItem {
    pub fn new(
        batch: &super::MessageBatch<'_>,
        message: &TranscriptMessage,
        expires_at: u64,
    ) -> Self {
        let id_hash = hex(&Sha256::digest(message.message_id.as_bytes())[..8]);
        Self {
            pk: conversation_pk(batch.org, batch.conversation),
            sk: format!("MSG#{}", message.message_id),
            time_key: format!(
                "{MESSAGE_TIME_PREFIX}{:020}#{:020}#{id_hash}",
                message.start_time, message.end_time
            ),
            item_type: MESSAGE_ITEM.to_owned(),
            org_id: batch.org.to_string(),
            conversation_key: batch.conversation.as_str().to_owned(),
            vendor_call_key: batch.vendor_call_key.as_str().to_owned(),
            message_id: message.message_id.clone(),
            start_time: message.start_time,
            end_time: message.end_time,
            content: message.content.clone(),
            sender_type: message.sender_type.as_str().to_owned(),
            participant_id: message.participant_id.clone(),
            provider: batch.provider.map(str::to_owned),
            received_at: batch.received_at,
            expires_at,
        }
    }
}

/// One participant's sentiment over a stretch of the finished call. Its identity is
/// (participant, value, start, end): a retry overwrites it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostCallItem {
    pub pk: String,
    pub sk: String,
    pub item_type: String,
    pub org_id: String,
    pub conversation_key: String,
    pub vendor_call_key: String,
    pub service: String,
    /// `IntelligenceSignal__Sentiment` or `IntelligenceSignal__OverallSentimentScore`.
    #[serde(default = "turn_type")]
    pub signal_type: String,
    pub participant: String,
    /// As sent for an overall score (−5..5); the sentiment with 2 decimals for a turn.
    pub value: String,
    /// On the −1000..1000 scale (an overall score ×200).
    pub sentiment: f64,
    pub start_time: u64,
    pub end_time: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    pub received_at: u64,
    /// Absent while the conversation is under legal hold (`crate::erasure`).
    #[serde(default)]
    pub expires_at: u64,
}

fn turn_type() -> String {
    Signal::SENTIMENT_TYPE.to_owned()
}

impl PostCallItem {
    /// Contact Lens's overall score as sent (−5..5), for an overall item.
    pub fn overall_score(&self) -> Option<f64> {
        (self.signal_type == PostCallKind::OVERALL_TYPE)
            .then(|| self.value.parse().ok())
            .flatten()
    }
}

impl PostCallItem {
    pub fn new(
        batch: &super::PostCallBatch<'_>,
        event: &PostCallSentiment,
        expires_at: u64,
    ) -> Self {
        let mut hash = Sha256::new();
        if let PostCallKind::Overall { .. } = event.kind {
            // Turns keep the identity they always had; an overall score never collides with one.
            hash.update(PostCallKind::OVERALL_TYPE);
        }
        hash.update(event.participant.as_str());
        hash.update(event.value.hundredths().to_be_bytes());
        hash.update(event.end_time.to_be_bytes());
        Self {
            pk: conversation_pk(batch.org, batch.conversation),
            sk: format!(
                "PCS#{:020}#{}",
                event.start_time,
                hex(&hash.finalize()[..8])
            ),
            item_type: POST_CALL_ITEM.to_owned(),
            org_id: batch.org.to_string(),
            conversation_key: batch.conversation.as_str().to_owned(),
            vendor_call_key: batch.vendor_call_key.as_str().to_owned(),
            service: batch.service.to_owned(),
            signal_type: event.kind.type_name().to_owned(),
            participant: event.participant.as_str().to_owned(),
            value: match &event.kind {
                PostCallKind::Turn => event.value.to_string(),
                PostCallKind::Overall { score } => score.clone(),
            },
            sentiment: event.value.as_f64(),
            start_time: event.start_time,
            end_time: event.end_time,
            provider: batch.provider.map(str::to_owned),
            received_at: batch.received_at,
            expires_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantAttr {
    pub participant_key: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl From<&CallParticipant> for ParticipantAttr {
    fn from(p: &CallParticipant) -> Self {
        Self {
            participant_key: p.participant_key.clone(),
            kind: p.kind.clone(),
        }
    }
}

/// The voice call record, found by its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceCallItem {
    pub pk: String,
    pub sk: String,
    pub item_type: String,
    pub org_id: String,
    pub voice_call_id: String,
    pub vendor_call_key: String,
    pub conversation_key: String,
    pub call_center_api_name: String,
    pub to: String,
    pub from: String,
    pub initiation_method: String,
    pub start_time: String,
    pub start_time_millis: i64,
    pub participants: Vec<ParticipantAttr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_voice_call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_subtype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_attributes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    pub created_at: u64,
    /// Absent while the conversation is under legal hold (`crate::erasure`).
    #[serde(default)]
    pub expires_at: u64,
    /// What call updates (CONTRACT §2.6) set, by their Salesforce names; see
    /// [`super::updates::update_attributes`].
    #[serde(flatten)]
    pub updated: serde_json::Map<String, Value>,
}

/// Finds a voice call leg by the telephony system's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorKeyItem {
    pub pk: String,
    pub sk: String,
    pub item_type: String,
    pub voice_call_id: String,
    pub conversation_key: String,
    /// Absent while the conversation is under legal hold (`crate::erasure`).
    #[serde(default)]
    pub expires_at: u64,
}

/// A leg in its conversation's partition, so one Query over a conversation sees every leg.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegItem {
    pub pk: String,
    pub sk: String,
    pub item_type: String,
    pub voice_call_id: String,
    pub vendor_call_key: String,
    pub initiation_method: String,
    pub start_time_millis: i64,
    pub participants: Vec<ParticipantAttr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_voice_call_id: Option<String>,
    /// Unix seconds at which a call update (or a contact flow's `ended`) ended the leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<u64>,
    /// Absent while the conversation is under legal hold (`crate::erasure`).
    #[serde(default)]
    pub expires_at: u64,
}

/// The three items a new voice call record is written as, in one transaction.
pub struct VoiceCallItems {
    pub record: VoiceCallItem,
    pub vendor_key: VendorKeyItem,
    pub leg: LegItem,
}

impl VoiceCallItems {
    pub fn new(new: &super::NewLeg<'_>, expires_at: u64) -> Self {
        let call: &NewVoiceCall = new.call;
        let participants: Vec<ParticipantAttr> = call
            .participants
            .iter()
            .map(ParticipantAttr::from)
            .collect();
        let parent = call
            .parent_voice_call_id
            .as_ref()
            .map(|p| p.as_str().to_owned());
        Self {
            record: VoiceCallItem {
                pk: voice_call_pk(new.org, new.id),
                sk: "VC".to_owned(),
                item_type: VOICE_CALL_ITEM.to_owned(),
                org_id: new.org.to_string(),
                voice_call_id: new.id.to_string(),
                vendor_call_key: call.vendor_call_key.to_string(),
                conversation_key: new.conversation.as_str().to_owned(),
                call_center_api_name: call.call_center_api_name.clone(),
                to: call.to.clone(),
                from: call.from.clone(),
                initiation_method: call.initiation_method.as_str().to_owned(),
                start_time: call.start_time.text.clone(),
                start_time_millis: call.start_time.epoch_millis,
                participants: participants.clone(),
                parent_voice_call_id: parent.clone(),
                call_origin: call.call_origin.clone(),
                queue: call.queue.clone(),
                call_subtype: call.call_subtype.clone(),
                call_attributes: call.call_attributes.clone(),
                provider: new.provider.map(str::to_owned),
                created_at: new.now,
                expires_at,
                updated: serde_json::Map::new(),
            },
            vendor_key: VendorKeyItem {
                pk: vendor_key_pk(new.org, &call.vendor_call_key),
                sk: "VCK".to_owned(),
                item_type: VENDOR_KEY_ITEM.to_owned(),
                voice_call_id: new.id.to_string(),
                conversation_key: new.conversation.as_str().to_owned(),
                expires_at,
            },
            leg: LegItem {
                pk: conversation_pk(new.org, new.conversation),
                sk: format!("LEG#{}", new.id),
                item_type: LEG_ITEM.to_owned(),
                voice_call_id: new.id.to_string(),
                vendor_call_key: call.vendor_call_key.to_string(),
                initiation_method: call.initiation_method.as_str().to_owned(),
                start_time_millis: call.start_time.epoch_millis,
                participants,
                parent_voice_call_id: parent,
                ended_at: None,
                expires_at,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Participant, Sentiment};

    fn event(signal: Signal, start_time: u64, participant: Option<Participant>) -> SignalEvent {
        SignalEvent {
            signal,
            start_time,
            score: None,
            participant,
            details: None,
        }
    }

    #[test]
    fn identities_stay_what_they_were_written_as() {
        // Stored sort keys and published event keys: a retry of an event stored by an earlier
        // version must land on the same item.
        let (org, conv) = (OrgId::new("00D1"), ConversationKey::stored("c".into()));
        let angry = event(
            Signal::Category("Angry".into()),
            1573503450,
            Some(Participant::Agent),
        );
        assert_eq!(
            signal_identity(&org, &conv, &angry),
            "02d670ec45b03df23609cbd734368856"
        );
        let sentiment = event(
            Signal::Sentiment(Sentiment::from_hundredths(-51250).unwrap()),
            7,
            Some(Participant::Customer),
        );
        assert_eq!(
            signal_identity(&org, &conv, &sentiment),
            "129e494ce3c7ebb43f2a036fe06ffc4d"
        );
    }

    #[test]
    fn identity_ignores_score_and_details_but_not_participant() {
        let a = event(Signal::Category("CustomerAngry".into()), 5, None);
        let mut b = a.clone();
        b.score = crate::model::Score::new(3.0);
        b.details = Some(serde_json::json!({"x": 1}));
        let (org, conv) = (OrgId::new("00D1"), ConversationKey::stored("c".into()));
        let id = |e: &SignalEvent| signal_identity(&org, &conv, e);
        assert_eq!(id(&a), id(&b));
        let c = event(
            Signal::Category("CustomerAngry".into()),
            5,
            Some(Participant::Customer),
        );
        assert_ne!(id(&a), id(&c));
        let later = event(Signal::Category("CustomerAngry".into()), 6, None);
        assert_ne!(
            id(&a),
            id(&later),
            "the same category later is another event"
        );
        assert_ne!(
            id(&a),
            signal_identity(&OrgId::new("00D2"), &conv, &a),
            "unique across tenants"
        );
    }

    #[test]
    fn sort_keys_order_by_time() {
        let s = |t| {
            let e = event(
                Signal::Sentiment(Sentiment::from_hundredths(1).unwrap()),
                t,
                Some(Participant::Agent),
            );
            signal_sk(
                &e,
                &signal_identity(
                    &OrgId::new("00D1"),
                    &ConversationKey::stored("c".into()),
                    &e,
                ),
            )
        };
        assert!(s(9) < s(10));
        assert!(s(1573503450) < s(16898867880000));
        for t in [0, 9, 1573503450, u64::MAX] {
            let e = event(Signal::Category("A".into()), t, None);
            assert_eq!(signal_sk(&e, "id"), format!("SIG#{t:020}#id"));
        }
    }
}
