//! A bus event as the live channel pushes it: the detail's fields plus `"type"`, the
//! detail-type. A signal's own `type` (`IntelligenceSignal__Category`, …) and a post-call
//! event's would collide with it: they travel as `signalType`.

use serde_json::{Map, Value};

use crate::bus::{BusEvent, DETAIL_TYPES};
use crate::model::{ConversationKey, OrgId};

/// One pushed message and the conversation it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEvent {
    pub org: OrgId,
    pub conversation: ConversationKey,
    /// The JSON text sent to every subscriber.
    pub message: String,
    /// The conversation was erased: its subscribers get `{"type":"erased"}` and are dropped.
    pub erased: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    #[error("detail-type {0} is not one the service publishes")]
    UnknownType(String),
    #[error("the detail is not a JSON object")]
    NotAnObject,
    #[error("the detail lacks {0}")]
    Missing(&'static str),
}

/// The live message of `event`; an event that names no tenant or conversation cannot be routed.
pub fn live_event(event: &BusEvent) -> Result<LiveEvent, EventError> {
    let detail =
        serde_json::from_str::<Value>(&event.detail).map_err(|_| EventError::NotAnObject)?;
    from_detail(event.detail_type, detail)
}

/// The live message of a detail given as JSON (as the EventBridge envelope carries it).
pub fn from_detail(detail_type: &str, detail: Value) -> Result<LiveEvent, EventError> {
    let detail_type = DETAIL_TYPES
        .iter()
        .find(|t| **t == detail_type)
        .ok_or_else(|| EventError::UnknownType(detail_type.to_owned()))?;
    let Value::Object(mut fields) = detail else {
        return Err(EventError::NotAnObject);
    };
    let text = |fields: &Map<String, Value>, name: &'static str| match fields.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(EventError::Missing(name)),
    };
    let org = OrgId::new(text(&fields, "tenant")?);
    let conversation = ConversationKey::stored(text(&fields, "conversationKey")?);
    if *detail_type == crate::bus::ERASED_DETAIL_TYPE {
        return Ok(LiveEvent {
            org,
            conversation,
            message: r#"{"type":"erased"}"#.to_owned(),
            erased: true,
        });
    }
    if let Some(own_type) = fields.remove("type") {
        fields.insert("signalType".into(), own_type);
    }
    let rest = serde_json::to_string(&fields).expect("a JSON map serialises");
    // `type` first, so a reader sees what it is before the rest.
    let message = if fields.is_empty() {
        format!(r#"{{"type":"{detail_type}"}}"#)
    } else {
        format!(r#"{{"type":"{detail_type}",{}"#, &rest[1..])
    };
    Ok(LiveEvent {
        org,
        conversation,
        message,
        erased: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{SIGNAL_DETAIL_TYPE, TRANSCRIPT_DETAIL_TYPE};

    #[test]
    fn the_message_is_the_detail_with_its_type() {
        let event = BusEvent {
            detail_type: SIGNAL_DETAIL_TYPE,
            detail: r#"{"tenant":"00DA","conversationKey":"k1","type":"IntelligenceSignal__Sentiment","value":-600}"#.into(),
        };
        let live = live_event(&event).unwrap();
        assert_eq!(live.org.as_str(), "00DA");
        assert_eq!(live.conversation.as_str(), "k1");
        assert!(live.message.starts_with(r#"{"type":"IntelligenceSignal","#));
        let json: Value = serde_json::from_str(&live.message).unwrap();
        assert_eq!(json["signalType"], "IntelligenceSignal__Sentiment");
        assert_eq!(json["value"], -600);
        assert_eq!(json["tenant"], "00DA");
    }

    #[test]
    fn an_erasure_is_pushed_as_erased_alone() {
        let event = BusEvent {
            detail_type: crate::bus::ERASED_DETAIL_TYPE,
            detail: r#"{"tenant":"00DA","conversationKey":"k1","items":12}"#.into(),
        };
        let live = live_event(&event).unwrap();
        assert_eq!(live.message, r#"{"type":"erased"}"#);
        assert!(live.erased);
        assert_eq!(live.conversation.as_str(), "k1");
    }

    #[test]
    fn unroutable_events_are_refused() {
        let event = |detail: &str| BusEvent {
            detail_type: TRANSCRIPT_DETAIL_TYPE,
            detail: detail.into(),
        };
        assert_eq!(
            live_event(&event(r#"{"conversationKey":"k"}"#)),
            Err(EventError::Missing("tenant"))
        );
        assert_eq!(
            live_event(&event(r#"{"tenant":"o"}"#)),
            Err(EventError::Missing("conversationKey"))
        );
        assert_eq!(live_event(&event("[1]")), Err(EventError::NotAnObject));
        assert!(matches!(
            from_detail("Other", serde_json::json!({})),
            Err(EventError::UnknownType(_))
        ));
    }
}
