//! The action's description, answered to `GET` (and its headers to `HEAD`).

use serde_json::{json, Value};

use super::ACTION_NAME;

pub fn description() -> Value {
    let output = |name: &str, label: &str, description: &str, kind: &str| {
        json!({"name": name, "label": label, "description": description, "type": kind,
               "maxOccurs": if kind == "LIST" { 2000 } else { 1 }})
    };
    json!({
        "name": ACTION_NAME,
        "label": "Get Conversation Intelligence",
        "description": "Gets intelligence information about a voice or video call, including any insights and a conversation summary.",
        "type": "GET_CONVERSATION_INTELLIGENCE",
        "standard": true,
        "inputs": [{
            "name": "recordId",
            "label": "Record ID",
            "description": "The voice call record's ID (any leg of the call), or the telephony system's vendorCallKey for a call without a record.",
            "type": "STRING",
            "required": true,
            "maxOccurs": 1,
        }],
        "outputs": [
            output("conversationInsights", "Conversation Insights",
                   "Call-level insights: sentiment per participant, real-time category signals, talk time per speaker.", "LIST"),
            output("conversationIntelligence", "Conversation Intelligence",
                   "The call summary (HTML: Customer Impression, Call Summary, Next Steps), or null.", "OBJECT"),
            output("momentInsights", "Moment Insights",
                   "Moments found in the transcript, grouped by category (Question, Pricing, Next Step, tenant categories).", "LIST"),
        ],
    })
}
