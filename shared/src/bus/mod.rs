//! The event-bus port: real-time publication of accepted signals (CONTRACT §2.5).

pub mod details;
pub mod eventbridge;
pub mod memory;

use std::future::Future;

use serde::Serialize;
use serde_json::Value;

use crate::model::{OrgId, Signal, SignalEvent, VendorCallKey};

/// `detail-type` of every published real-time signal.
pub const SIGNAL_DETAIL_TYPE: &str = "IntelligenceSignal";
/// `detail-type` of a stored transcript entry.
pub const TRANSCRIPT_DETAIL_TYPE: &str = "TranscriptEntry";
/// `detail-type` of a voice call record created, updated or ended.
pub const VOICE_CALL_DETAIL_TYPE: &str = "VoiceCallChanged";
/// `detail-type` of a routing request (CONTRACT §2.7).
pub const ROUTING_DETAIL_TYPE: &str = "RoutingRequest";
/// `detail-type` of stored post-call sentiment.
pub const POST_CALL_DETAIL_TYPE: &str = "PostCallSentiment";
/// `detail-type` of a stored post-call analysis (CONTRACT §3.2).
pub const ANALYSED_DETAIL_TYPE: &str = "ConversationAnalysed";

/// Every `detail-type` this service publishes. Each `detail` names the tenant (`tenant`) and the
/// conversation (`conversationKey`), so that consumers (rules, the live channel) can route it.
pub const DETAIL_TYPES: [&str; 6] = [
    SIGNAL_DETAIL_TYPE,
    TRANSCRIPT_DETAIL_TYPE,
    VOICE_CALL_DETAIL_TYPE,
    ROUTING_DETAIL_TYPE,
    POST_CALL_DETAIL_TYPE,
    ANALYSED_DETAIL_TYPE,
];

/// One event for the bus: its `detail-type` and its already-serialised `detail` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusEvent {
    pub detail_type: &'static str,
    pub detail: String,
}

impl BusEvent {
    /// Serialises `detail`; a failure is logged and reported as the bus being unavailable (it
    /// cannot happen for the service's own detail types).
    pub fn new(detail_type: &'static str, detail: &impl Serialize) -> Result<Self, PublishError> {
        // A detail is a few hundred bytes: one allocation instead of a growing buffer.
        let mut json = Vec::with_capacity(512);
        serde_json::to_writer(&mut json, detail).map_err(|e| {
            tracing::error!(error = %e, detail_type, "bus detail did not serialise");
            PublishError::Unavailable
        })?;
        Ok(Self {
            detail_type,
            detail: String::from_utf8(json).expect("serde_json writes UTF-8"),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The bus could not be reached or kept failing entries after bounded retries (logged).
    #[error("event bus unavailable")]
    Unavailable,
}

/// The `detail` of one published signal: what an EventBridge rule matches on. A sentiment's
/// `value` is a JSON number so that numeric rules (`value < -500`) work.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalDetail<'a> {
    pub tenant: &'a str,
    pub vendor_call_key: &'a str,
    pub conversation_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<&'a str>,
    pub service: &'a str,
    pub persist: bool,
    /// Same for every retry of the same event: consumers can drop duplicates on it.
    pub event_key: &'a str,
    #[serde(rename = "type")]
    pub signal_type: &'static str,
    pub value: SignalValue<'a>,
    pub start_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<&'a Value>,
}

/// A category's name, or a sentiment as a number.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
pub enum SignalValue<'a> {
    Text(&'a str),
    Number(f64),
}

pub struct DetailContext<'a> {
    pub org: &'a OrgId,
    pub vendor_call_key: &'a VendorCallKey,
    pub conversation_key: &'a str,
    pub provider: Option<&'a str>,
    pub service: &'a str,
    pub persist: bool,
}

impl<'a> SignalDetail<'a> {
    pub fn new(ctx: &DetailContext<'a>, event: &'a SignalEvent, event_key: &'a str) -> Self {
        Self {
            tenant: ctx.org.as_str(),
            vendor_call_key: ctx.vendor_call_key.as_str(),
            conversation_key: ctx.conversation_key,
            provider: ctx.provider,
            service: ctx.service,
            persist: ctx.persist,
            event_key,
            signal_type: event.signal.type_name(),
            value: match &event.signal {
                Signal::Category(name) => SignalValue::Text(name),
                Signal::Sentiment(s) => SignalValue::Number(s.as_f64()),
            },
            start_time: event.start_time,
            score: event.score.map(|s| s.get()),
            participant: event.participant.map(|p| p.as_str()),
            details: event.details.as_ref(),
        }
    }
}

/// Puts events on the bus.
pub trait EventPublisher: Send + Sync {
    fn publish(
        &self,
        events: Vec<BusEvent>,
    ) -> impl Future<Output = Result<(), PublishError>> + Send;
}
