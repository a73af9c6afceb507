//! The requests the OpenAPI test sends: the router's routes, a valid and a refused body per
//! operation, concrete paths.

use serde_json::{json, Value};
use testkit::realtime::{body_of, category, fresh_key, sentiment};
use testkit::telephony::{
    bulk_entry, bulk_of, inbound_call, message, post_call_of, post_call_sentiment,
};

/// The routes `shared::telephony::route()` and `shared::actions` match, as (method, path
/// template). The document must hold exactly these.
pub const ROUTER: [(&str, &str); 19] = [
    ("POST", "/telephony/v1/voiceCalls"),
    ("PATCH", "/telephony/v1/voiceCalls/{voiceCallId}"),
    ("POST", "/telephony/v1/voiceCalls/messages"),
    ("POST", "/telephony/v1/voiceCalls/{vendorCallKey}/messages"),
    (
        "POST",
        "/telephony/v1/voiceCalls/{vendorCallKey}/realtimeConversationEvents",
    ),
    (
        "POST",
        "/telephony/v1/voiceCalls/{vendorCallKey}/postConversationEvents",
    ),
    ("PATCH", "/telephony/v1/voiceCalls/{voiceCallId}/omniFlow"),
    (
        "POST",
        "/telephony/v1/voiceCalls/{voiceCallId}/routeVoiceCall",
    ),
    (
        "PATCH",
        "/telephony/v1/voiceCalls/{voiceCallId}/routeVoiceCall",
    ),
    ("POST", "/telephony/v1/voiceCalls/{voiceCallId}/route"),
    ("PATCH", "/telephony/v1/voiceCalls/{voiceCallId}/route"),
    (
        "POST",
        "/telephony/v1/voiceCalls/{voiceCallId}/requestCallback",
    ),
    (
        "PATCH",
        "/telephony/v1/voiceCalls/{voiceCallId}/requestCallback",
    ),
    ("POST", "/telephony/v1/voiceCalls/{voiceCallId}/reroute"),
    ("PATCH", "/telephony/v1/voiceCalls/{voiceCallId}/reroute"),
    (
        "PATCH",
        "/telephony/v1/voiceCalls/{voiceCallId}/clearRouting",
    ),
    (
        "GET",
        "/services/data/{version}/actions/standard/getConversationIntelligence",
    ),
    (
        "HEAD",
        "/services/data/{version}/actions/standard/getConversationIntelligence",
    ),
    (
        "POST",
        "/services/data/{version}/actions/standard/getConversationIntelligence",
    ),
];

/// A valid body for each operation that takes one (the JSON form; the XML form is the same
/// tree written as CONTRACT §5 says).
pub fn valid_body(operation: &str, key: &str) -> Option<Value> {
    Some(match operation {
        "createVoiceCall" => inbound_call(key),
        "updateVoiceCall" => {
            json!({"isActiveCall": true, "queue": "Support", "totalHoldDuration": 12.5,
                                    "numberOfHolds": 1, "enqueueTime": "2026-11-23T16:00:05Z",
                                    "disconnectReason": {"value": "CUSTOMER_DISCONNECT", "isError": false}})
        }
        "createBulkMessages" => bulk_of(vec![
            bulk_entry(
                key,
                vec![message(
                    &format!("b-{}", fresh_key()),
                    0,
                    900,
                    "Hello there",
                    "HUMAN_AGENT",
                )],
            ),
            bulk_entry(
                &fresh_key(),
                vec![
                    message("b-1", 0, 900, "Hi", "END_USER"),
                    message("b-2", 1000, 1900, "Hello", "HUMAN_AGENT"),
                ],
            ),
        ]),
        "createMessage" => message(
            &format!("m-{}", fresh_key()),
            2_000,
            4_000,
            "How much is the premium plan?",
            "END_USER",
        ),
        "sendRealtimeConversationEvents" => body_of(vec![
            category("CustomerAngry", 1_795_449_601),
            sentiment(json!(-600.5), 1_795_449_602, "CUSTOMER"),
        ]),
        "sendPostConversationEvents" => post_call_of(vec![
            post_call_sentiment(json!("250"), 0, 4_000, "AGENT"),
            json!({"type": "IntelligenceSignal__OverallSentimentScore", "value": "-1.5",
                   "startTime": 1_795_449_600_000u64, "endTime": 1_795_449_660_000u64, "participant": "CUSTOMER"}),
        ]),
        "executeOmniFlow" => json!({"dialedNumber": "+15550100", "fallbackQueue": "Support",
                                    "flowInputParameters": {"language": "en"}}),
        "routeVoiceCall" | "routeVoiceCallPatch" | "routePost" | "routePatch" => {
            json!({"routingTarget": "Sales", "fallbackQueue": "Support"})
        }
        "requestCallback" | "requestCallbackPatch" => json!({"callbackNumber": "+15550199",
            "isPreviewCallback": true, "scheduledRoutingDateTime": "2026-11-23T17:00:00Z"}),
        "getConversationIntelligence" => json!({"inputs": [{"recordId": key}]}),
        _ => return None,
    })
}

/// A body refused field by field (`400` with `fields`), for operations that read one.
pub fn invalid_body(operation: &str) -> Option<Value> {
    Some(match operation {
        "createVoiceCall" => json!({"vendorCallKey": "", "participants": []}),
        "updateVoiceCall" => json!({"numberOfHolds": -1, "isActiveCall": "maybe"}),
        "createBulkMessages" => json!({"entries": [{"messages": [{}]}]}),
        "createMessage" => json!({"messageId": "m", "startTime": 5, "endTime": 1}),
        "sendRealtimeConversationEvents" => json!({"service": "", "events": [{"type": "Nope"}]}),
        "sendPostConversationEvents" => {
            json!({"service": "s", "events": [{"type": "IntelligenceSignal__Sentiment", "value": 5000}]})
        }
        "executeOmniFlow" => json!({"fallbackQueue": 5}),
        "routeVoiceCall" | "routeVoiceCallPatch" | "routePost" | "routePatch" => json!({}),
        "requestCallback" | "requestCallbackPatch" => json!({"isPreviewCallback": "maybe"}),
        "getConversationIntelligence" => json!({"inputs": []}),
        _ => return None,
    })
}

/// The concrete path of `template` for the call `id` (and API version v65.0).
pub fn concrete(template: &str, id: &str) -> String {
    template
        .replace("{voiceCallId}", id)
        .replace("{vendorCallKey}", id)
        .replace("{version}", "v65.0")
}
