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
/// A tenant record changed (CONTRACT §7): `tenant`, `change`, `by`; no conversation, so not
/// among [`DETAIL_TYPES`].
pub const TENANT_CHANGED_DETAIL_TYPE: &str = "TenantChanged";

/// A conversation was erased (CONTRACT §8): `tenant`, `conversationKey`, `items`. Downstream
/// copies purge on it; live subscribers get `{"type":"erased"}` and are dropped.
pub const ERASED_DETAIL_TYPE: &str = "ConversationErased";

/// Every `detail-type` this service publishes. Each `detail` names the tenant (`tenant`) and the
/// conversation (`conversationKey`), so that consumers (rules, the live channel) can route it.
pub const DETAIL_TYPES: [&str; 7] = [
    SIGNAL_DETAIL_TYPE,
    TRANSCRIPT_DETAIL_TYPE,
    VOICE_CALL_DETAIL_TYPE,
    ROUTING_DETAIL_TYPE,
    POST_CALL_DETAIL_TYPE,
    ANALYSED_DETAIL_TYPE,
    ERASED_DETAIL_TYPE,
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
        serde_json::to_writer(&mut json, detail).map_err(|e| unserialisable(detail_type, e))?;
        Ok(Self::of_json(detail_type, json))
    }

    /// The detail with `"watched"` appended, its last field: whether anyone watches the
    /// conversation live. The live-deliver rule passes every event but `watched: false` ones
    /// (template.yaml), and the local server's live channel does the same ([`Self::is_for_live`]);
    /// events of other types carry no `watched` and are always delivered.
    pub fn watched(mut self, watched: crate::store::Watched) -> Self {
        if self.detail.ends_with('}') {
            self.detail.pop();
            if !self.detail.ends_with('{') {
                self.detail.push(',');
            }
            self.detail.push_str(if watched.0 {
                WATCHED_TRUE
            } else {
                WATCHED_FALSE
            });
        }
        self
    }

    /// Whether live delivery takes the event: all but those marked `watched: false`.
    pub fn is_for_live(&self) -> bool {
        !self.detail.ends_with(WATCHED_FALSE)
    }

    /// An event of a detail already written as JSON by serde_json.
    fn of_json(detail_type: &'static str, json: Vec<u8>) -> Self {
        Self {
            detail_type,
            detail: String::from_utf8(json).expect("serde_json writes UTF-8"),
        }
    }
}

/// A detail that did not serialise: logged, and reported as the bus being unavailable.
const WATCHED_TRUE: &str = "\"watched\":true}";
const WATCHED_FALSE: &str = "\"watched\":false}";

fn unserialisable(detail_type: &'static str, e: serde_json::Error) -> PublishError {
    tracing::error!(error = %e, detail_type, "bus detail did not serialise");
    PublishError::Unavailable
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The bus could not be reached or kept failing entries after bounded retries (logged).
    #[error("event bus unavailable")]
    Unavailable,
}

/// Where a request's signals were accepted.
pub struct DetailContext<'a> {
    pub org: &'a OrgId,
    pub vendor_call_key: &'a VendorCallKey,
    pub conversation_key: &'a str,
    pub provider: Option<&'a str>,
    pub service: &'a str,
    pub persist: bool,
}

/// The fields a signal's `detail` starts with: the same for every signal of a request.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestFields<'a> {
    tenant: &'a str,
    vendor_call_key: &'a str,
    conversation_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'a str>,
    service: &'a str,
    persist: bool,
}

/// The fields of a signal's `detail` that are the signal's own.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignalFields<'a> {
    /// Same for every retry of the same event: consumers can drop duplicates on it.
    event_key: &'a str,
    #[serde(rename = "type")]
    signal_type: &'static str,
    value: SignalValue<'a>,
    start_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    participant: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Value>,
}

/// A category's name, or a sentiment as a number.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
enum SignalValue<'a> {
    Text(&'a str),
    Number(f64),
}

/// Writes the `detail` of each published signal of one request: what an EventBridge rule
/// matches on. One JSON object: the request's fields (`tenant`, `vendorCallKey`,
/// `conversationKey`, `provider`, `service`, `persist`), serialised once for the request, then
/// the signal's (`eventKey`, `type`, `value`, `startTime`, `score`, `participant`, `details`).
/// A sentiment's `value` is a JSON number so that numeric rules (`value < -500`) work.
pub struct SignalDetails {
    /// The request's fields as an object not yet closed: `{"tenant":…,"persist":true`.
    opening: Vec<u8>,
}

impl SignalDetails {
    pub fn new(ctx: &DetailContext<'_>) -> Result<Self, PublishError> {
        let mut opening = Vec::with_capacity(256);
        let fields = RequestFields {
            tenant: ctx.org.as_str(),
            vendor_call_key: ctx.vendor_call_key.as_str(),
            conversation_key: ctx.conversation_key,
            provider: ctx.provider,
            service: ctx.service,
            persist: ctx.persist,
        };
        serde_json::to_writer(&mut opening, &fields)
            .map_err(|e| unserialisable(SIGNAL_DETAIL_TYPE, e))?;
        opening.pop(); // its closing brace
        Ok(Self { opening })
    }

    /// The `IntelligenceSignal` event of `event`, identified by `event_key`.
    pub fn event(&self, event: &SignalEvent, event_key: &str) -> Result<BusEvent, PublishError> {
        let fields = SignalFields {
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
        };
        let mut json = Vec::with_capacity(self.opening.len() + 256);
        json.extend_from_slice(&self.opening);
        json.push(b',');
        // The signal's fields continue the object: their own opening brace is left out.
        serde_json::to_writer(Continuing::new(&mut json), &fields)
            .map_err(|e| unserialisable(SIGNAL_DETAIL_TYPE, e))?;
        Ok(BusEvent::of_json(SIGNAL_DETAIL_TYPE, json))
    }
}

/// Appends all it is given but the first byte.
struct Continuing<'a> {
    out: &'a mut Vec<u8>,
    skip: bool,
}

impl<'a> Continuing<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, skip: true }
    }
}

impl std::io::Write for Continuing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let kept = if self.skip && !buf.is_empty() {
            self.skip = false;
            &buf[1..]
        } else {
            buf
        };
        self.out.extend_from_slice(kept);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Puts events on the bus.
pub trait EventPublisher: Send + Sync {
    fn publish(
        &self,
        events: Vec<BusEvent>,
    ) -> impl Future<Output = Result<(), PublishError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Participant, Score, Sentiment};
    use serde_json::json;

    #[test]
    fn watched_is_the_details_last_field_and_only_false_keeps_an_event_from_live() {
        let event =
            BusEvent::new(TRANSCRIPT_DETAIL_TYPE, &json!({"tenant": "t", "x": "}"})).unwrap();
        assert!(event.is_for_live(), "an event without the mark");
        let watched = event.clone().watched(crate::store::Watched(true));
        let unwatched = event.watched(crate::store::Watched(false));
        let read = |e: &BusEvent| serde_json::from_str::<Value>(&e.detail).unwrap();
        assert_eq!(
            read(&watched),
            json!({"tenant": "t", "x": "}", "watched": true})
        );
        assert_eq!(
            read(&unwatched),
            json!({"tenant": "t", "x": "}", "watched": false})
        );
        assert!(watched.is_for_live() && !unwatched.is_for_live());
        let empty = BusEvent::new(TRANSCRIPT_DETAIL_TYPE, &json!({})).unwrap();
        assert_eq!(
            read(&empty.watched(crate::store::Watched(false))),
            json!({"watched": false})
        );
    }

    #[test]
    fn a_signal_detail_is_one_object_of_the_request_and_the_signal_fields() {
        let org = OrgId::new("00D\"q");
        let key = VendorCallKey::parse("k\u{e9}").unwrap();
        let ctx = |provider| DetailContext {
            org: &org,
            vendor_call_key: &key,
            conversation_key: "conv",
            provider,
            service: "svc",
            persist: false,
        };
        let sentiment = SignalEvent {
            signal: Signal::Sentiment(Sentiment::from_hundredths(-51250).unwrap()),
            start_time: 7,
            score: Score::new(0.5),
            participant: Some(Participant::Customer),
            details: Some(json!({"a": [1, "b"]})),
        };
        let detail = SignalDetails::new(&ctx(Some("amazon-connect")))
            .unwrap()
            .event(&sentiment, "id1")
            .unwrap();
        assert_eq!(detail.detail_type, SIGNAL_DETAIL_TYPE);
        let parsed: Value = serde_json::from_str(&detail.detail).unwrap();
        assert_eq!(
            parsed,
            json!({"tenant": "00D\"q", "vendorCallKey": "k\u{e9}", "conversationKey": "conv",
                   "provider": "amazon-connect", "service": "svc", "persist": false,
                   "eventKey": "id1", "type": "IntelligenceSignal__Sentiment", "value": -512.5,
                   "startTime": 7, "score": 0.5, "participant": "CUSTOMER",
                   "details": {"a": [1, "b"]}})
        );
        let category = SignalEvent {
            signal: Signal::Category("Angry".into()),
            start_time: 8,
            score: None,
            participant: None,
            details: None,
        };
        let detail = SignalDetails::new(&ctx(None))
            .unwrap()
            .event(&category, "id2")
            .unwrap()
            .detail;
        assert_eq!(
            detail,
            "{\"tenant\":\"00D\\\"q\",\"vendorCallKey\":\"k\u{e9}\",\"conversationKey\":\"conv\",\
             \"service\":\"svc\",\"persist\":false,\"eventKey\":\"id2\",\
             \"type\":\"IntelligenceSignal__Category\",\"value\":\"Angry\",\"startTime\":8}"
        );
    }
}
