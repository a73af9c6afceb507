//! Transcript bodies (CONTRACT §2.3): one message, or the bulk form of at most 25 conversations
//! with at most 100 messages each (Salesforce documents 5 × 5; the official Contact Lens
//! forwarder sends more, and would lose them).

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::format::Format;
use crate::model::{SenderType, TranscriptMessage, VendorCallKey};
use crate::redaction::{Redact, Redactor};
use crate::validate::{self, path, Problems, Refusal};

pub const MAX_BULK_ENTRIES: usize = 25;
pub const MAX_BULK_MESSAGES: usize = 100;
const MAX_TEXT: usize = 255;
/// A transcript entry's text: far below DynamoDB's item limit (the 1 MiB body limit bounds a
/// bulk request as a whole).
pub const MAX_CONTENT_CHARS: usize = 32 * 1024;

/// One conversation's messages in a bulk request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkEntry {
    pub vendor_call_key: VendorCallKey,
    pub messages: Vec<TranscriptMessage>,
}

impl Redact for BulkEntry {
    fn redact(&mut self, redactor: &Redactor) {
        self.messages.redact(redactor);
    }
}

/// `POST /voiceCalls/{vendorCallKey}/messages`.
pub fn parse_one(body: Value) -> Result<TranscriptMessage, ApiError> {
    let mut problems = Problems::default();
    let message = match body {
        Value::Object(obj) => message(&obj, "", &mut problems),
        _ => {
            problems.invalid("body", "must be an object");
            None
        }
    };
    match message {
        Some(m) => problems.finish(m),
        None => Err(problems.finish(()).unwrap_err()),
    }
}

/// `POST /voiceCalls/messages`.
pub fn parse_bulk(body: Value, format: Format) -> Result<Vec<BulkEntry>, ApiError> {
    let mut problems = Problems::default();
    let Some(mut obj) = validate::object(body, &mut problems) else {
        return Err(problems.finish(()).unwrap_err());
    };
    let entries = match obj.remove("entries").filter(|v| !v.is_null()) {
        None => {
            problems.missing("entries");
            Vec::new()
        }
        Some(v) => problems
            .take(validate::list(v, 1, MAX_BULK_ENTRIES, format), || {
                "entries".into()
            })
            .unwrap_or_default(),
    };
    let entries: Vec<BulkEntry> = entries
        .into_iter()
        .enumerate()
        .filter_map(|(i, entry)| bulk_entry(entry, i, format, &mut problems))
        .collect();
    problems.finish(entries)
}

fn bulk_entry(
    value: Value,
    index: usize,
    format: Format,
    problems: &mut Problems,
) -> Option<BulkEntry> {
    let prefix = format!("entries[{index}]");
    let Value::Object(mut obj) = value else {
        problems.invalid(prefix, "must be an object");
        return None;
    };
    let key = problems.take(
        validate::required(&obj, "vendorCallKey").and_then(|v| {
            VendorCallKey::parse(validate::text(v, usize::MAX)?)
                .map_err(|why| Refusal::Invalid(why.into()))
        }),
        || path(&prefix, "vendorCallKey"),
    );
    let messages = match obj.remove("messages").filter(|v| !v.is_null()) {
        None => {
            problems.missing(path(&prefix, "messages"));
            None
        }
        Some(v) => problems.take(validate::list(v, 1, MAX_BULK_MESSAGES, format), || {
            path(&prefix, "messages")
        }),
    };
    let messages: Vec<TranscriptMessage> = messages?
        .into_iter()
        .enumerate()
        .filter_map(|(j, m)| {
            let at = format!("{prefix}.messages[{j}]");
            match m {
                Value::Object(obj) => message(&obj, &at, problems),
                _ => {
                    problems.invalid(at, "must be an object");
                    None
                }
            }
        })
        .collect();
    Some(BulkEntry {
        vendor_call_key: key?,
        messages,
    })
}

fn message(
    obj: &Map<String, Value>,
    prefix: &str,
    problems: &mut Problems,
) -> Option<TranscriptMessage> {
    let before = problems.len();
    let at = |name: &'static str| move || path(prefix, name);
    let message_id = problems.take(
        validate::required_text(obj, "messageId", MAX_TEXT),
        at("messageId"),
    );
    let start_time = problems.take(
        validate::required(obj, "startTime").and_then(validate::epoch_millis),
        at("startTime"),
    );
    let end_time = problems.take(
        validate::required(obj, "endTime").and_then(validate::epoch_millis),
        at("endTime"),
    );
    if let (Some(start), Some(end)) = (start_time, end_time) {
        if end < start {
            problems.invalid(at("endTime")(), "must not be before startTime");
        }
    }
    let content = problems.take(
        validate::required_text(obj, "content", MAX_CONTENT_CHARS),
        at("content"),
    );
    let sender_type = problems.take(
        validate::required(obj, "senderType").and_then(|v| {
            v.as_str()
                .and_then(SenderType::parse)
                .ok_or(Refusal::Invalid(
                    "must be END_USER, HUMAN_AGENT, VIRTUAL_AGENT, SUPERVISOR or EXTERNAL_USER"
                        .into(),
                ))
        }),
        at("senderType"),
    );
    let participant_id = problems.take(
        validate::required_text(obj, "participantId", MAX_TEXT),
        at("participantId"),
    );
    if problems.len() != before {
        return None;
    }
    Some(TranscriptMessage {
        message_id: message_id?,
        start_time: start_time?,
        end_time: end_time?,
        content: content?,
        sender_type: sender_type?,
        participant_id: participant_id?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_bulk(body: Value) -> Result<Vec<BulkEntry>, ApiError> {
        super::parse_bulk(body, Format::Json)
    }

    use crate::error::field_paths as fields;

    fn msg(id: &str) -> Value {
        json!({"messageId": id, "startTime": 1795449600000u64, "endTime": 1795449603500u64,
               "content": "How can I help?", "senderType": "HUMAN_AGENT", "participantId": "agent-1"})
    }

    #[test]
    fn one_message() {
        let m = parse_one(msg("m1")).unwrap();
        assert_eq!(m.sender_type, SenderType::HumanAgent);
        assert_eq!(m.end_time - m.start_time, 3500);
    }

    #[test]
    fn one_message_errors() {
        let err = parse_one(json!({"messageId": "m", "startTime": 10, "endTime": 9, "content": "", "senderType": "BOT"})).unwrap_err();
        assert_eq!(
            fields(err),
            ["endTime", "content", "senderType", "participantId"]
        );
    }

    #[test]
    fn bulk_limits_and_paths() {
        let entry = |key: &str, n: usize| json!({"vendorCallKey": key, "messages": (0..n).map(|i| msg(&format!("{key}-{i}"))).collect::<Vec<_>>()});
        let ok = parse_bulk(json!({"entries": [entry("a", 5), entry("b", 1)]})).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].messages.len(), 5);

        let too_many = (0..=MAX_BULK_ENTRIES)
            .map(|i| entry(&format!("k{i}"), 1))
            .collect::<Vec<_>>();
        assert_eq!(
            fields(parse_bulk(json!({"entries": too_many})).unwrap_err()),
            ["entries"]
        );
        assert_eq!(
            fields(
                parse_bulk(json!({"entries": [entry("a", MAX_BULK_MESSAGES + 1)]})).unwrap_err()
            ),
            ["entries[0].messages"]
        );

        let mut bad = entry("a", 2);
        bad["messages"][1]["senderType"] = json!("ROBOT");
        bad["vendorCallKey"] = json!("");
        assert_eq!(
            fields(parse_bulk(json!({"entries": [entry("ok", 1), bad]})).unwrap_err()),
            [
                "entries[1].vendorCallKey",
                "entries[1].messages[1].senderType"
            ]
        );
        assert_eq!(fields(parse_bulk(json!({})).unwrap_err()), ["entries"]);
    }

    #[test]
    fn bulk_from_xml_shapes() {
        let xml_shaped = json!({"entries": {"vendorCallKey": "a", "messages": msg("m")}});
        assert_eq!(
            fields(parse_bulk(xml_shaped.clone()).unwrap_err()),
            ["entries"]
        );
        let parsed = super::parse_bulk(xml_shaped, Format::Xml).unwrap();
        assert_eq!(parsed[0].messages[0].message_id, "m");
    }
}
