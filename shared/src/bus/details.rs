//! The `detail` documents of the writes other than real-time signals (CONTRACT §2.5): one bus
//! event per stored transcript entry, voice call change, routing request and post-call event.
//! Each names the tenant and the conversation, as [`super::SignalDetail`] does.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{
    BusEvent, PublishError, POST_CALL_DETAIL_TYPE, ROUTING_DETAIL_TYPE, TRANSCRIPT_DETAIL_TYPE,
    VOICE_CALL_DETAIL_TYPE,
};
use crate::model::{OrgId, PostCallKind, PostCallSentiment, TranscriptMessage};

/// Where a write happened: the fields every detail starts with.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Origin<'a> {
    pub tenant: &'a str,
    pub conversation_key: &'a str,
    pub vendor_call_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<&'a str>,
}

impl<'a> Origin<'a> {
    pub fn new(
        org: &'a OrgId,
        conversation_key: &'a str,
        vendor_call_key: &'a str,
        provider: Option<&'a str>,
    ) -> Self {
        Self {
            tenant: org.as_str(),
            conversation_key,
            vendor_call_key,
            provider,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TranscriptDetail<'a> {
    #[serde(flatten)]
    origin: Origin<'a>,
    message_id: &'a str,
    start_time: u64,
    end_time: u64,
    content: &'a str,
    sender_type: &'static str,
    participant_id: &'a str,
}

/// One `TranscriptEntry` per message.
pub fn transcript(
    origin: Origin<'_>,
    message: &TranscriptMessage,
) -> Result<BusEvent, PublishError> {
    BusEvent::new(
        TRANSCRIPT_DETAIL_TYPE,
        &TranscriptDetail {
            origin,
            message_id: &message.message_id,
            start_time: message.start_time,
            end_time: message.end_time,
            content: &message.content,
            sender_type: message.sender_type.as_str(),
            participant_id: &message.participant_id,
        },
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PostCallDetail<'a> {
    #[serde(flatten)]
    origin: Origin<'a>,
    service: &'a str,
    #[serde(rename = "type")]
    signal_type: &'static str,
    participant: &'static str,
    /// On the −1000..1000 scale (an overall score ×200).
    value: f64,
    /// An overall score as sent (−5..5).
    #[serde(skip_serializing_if = "Option::is_none")]
    overall_score: Option<&'a str>,
    start_time: u64,
    end_time: u64,
}

/// One `PostCallSentiment` per post-call event.
pub fn post_call(
    origin: Origin<'_>,
    service: &str,
    event: &PostCallSentiment,
) -> Result<BusEvent, PublishError> {
    BusEvent::new(
        POST_CALL_DETAIL_TYPE,
        &PostCallDetail {
            origin,
            service,
            signal_type: event.kind.type_name(),
            participant: event.participant.as_str(),
            value: event.value.as_f64(),
            overall_score: match &event.kind {
                PostCallKind::Overall { score } => Some(score),
                PostCallKind::Turn => None,
            },
            start_time: event.start_time,
            end_time: event.end_time,
        },
    )
}

/// What happened to a voice call record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CallChange {
    Created,
    Updated,
    /// Updated, and the update ended the leg.
    Ended,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VoiceCallDetail<'a> {
    #[serde(flatten)]
    origin: Origin<'a>,
    voice_call_id: &'a str,
    change: CallChange,
    /// The fields the request set (Salesforce's names).
    fields: &'a Map<String, Value>,
}

/// A `VoiceCallChanged`: a leg created (a transfer too), updated or ended.
pub fn voice_call(
    origin: Origin<'_>,
    voice_call_id: &str,
    change: CallChange,
    fields: &Map<String, Value>,
) -> Result<BusEvent, PublishError> {
    BusEvent::new(
        VOICE_CALL_DETAIL_TYPE,
        &VoiceCallDetail {
            origin,
            voice_call_id,
            change,
            fields,
        },
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoutingDetail<'a> {
    #[serde(flatten)]
    origin: Origin<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    voice_call_id: Option<&'a str>,
    operation: &'static str,
    /// The same for a retry of the same request: consumers can drop duplicates on it.
    request_id: &'a str,
    request: &'a Map<String, Value>,
}

/// A `RoutingRequest`: the operation and the fields it was given, for a rule to route.
pub fn routing(
    origin: Origin<'_>,
    voice_call_id: Option<&str>,
    request: &crate::model::RoutingRequest,
    request_id: &str,
) -> Result<BusEvent, PublishError> {
    BusEvent::new(
        ROUTING_DETAIL_TYPE,
        &RoutingDetail {
            origin,
            voice_call_id,
            operation: request.operation.as_str(),
            request_id,
            request: &request.fields,
        },
    )
}
