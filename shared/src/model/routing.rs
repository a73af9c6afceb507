//! Routing requests (CONTRACT §2.7), as validated by `telephony::routing`.

use serde_json::{json, Map, Value};

/// One routing operation of the telephony API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoutingOperation {
    /// `PATCH /voiceCalls/{id}/omniFlow`: Execute an Omni-Channel Flow.
    OmniFlow,
    /// `POST /voiceCalls/{id}/routeVoiceCall`, or `PATCH …/route`: Route a Voice Call.
    RouteVoiceCall,
    /// `POST /voiceCalls/{id}/requestCallback`: Request a Callback.
    RequestCallback,
    /// `PATCH /voiceCalls/{id}/reroute`: Reroute a Voice Call.
    Reroute,
    /// `PATCH /voiceCalls/{id}/clearRouting`: Clear Routing.
    ClearRouting,
}

impl RoutingOperation {
    /// The operation a path segment names (`route` is the demo connector's name for
    /// `routeVoiceCall`).
    pub fn from_segment(segment: &str) -> Option<Self> {
        Some(match segment {
            "omniFlow" => Self::OmniFlow,
            "routeVoiceCall" | "route" => Self::RouteVoiceCall,
            "requestCallback" => Self::RequestCallback,
            "reroute" => Self::Reroute,
            "clearRouting" => Self::ClearRouting,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OmniFlow => "omniFlow",
            Self::RouteVoiceCall => "routeVoiceCall",
            Self::RequestCallback => "requestCallback",
            Self::Reroute => "reroute",
            Self::ClearRouting => "clearRouting",
        }
    }

    /// Whether the body is read at all: `reroute` and `clearRouting` take none.
    pub fn takes_body(self) -> bool {
        !matches!(self, Self::Reroute | Self::ClearRouting)
    }
}

/// A validated routing request: its operation and the fields it was given, normalised (kept
/// in this form on the conversation and on the bus).
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingRequest {
    pub operation: RoutingOperation,
    pub fields: Map<String, Value>,
}

impl RoutingRequest {
    /// Salesforce's documented success body for the operation. `recordId` is the id of the
    /// recorded callback request.
    pub fn answer(&self, record_id: &str) -> Value {
        match self.operation {
            // No Omni-Channel decides here: no agent, and the fallback queue when one was named.
            RoutingOperation::OmniFlow => json!({
                "agent": null,
                "queue": self.fields.get("fallbackQueue").cloned().unwrap_or(Value::Null),
            }),
            RoutingOperation::RequestCallback => json!({"recordId": record_id}),
            RoutingOperation::RouteVoiceCall
            | RoutingOperation::Reroute
            | RoutingOperation::ClearRouting => json!({"status": "Success"}),
        }
    }
}
