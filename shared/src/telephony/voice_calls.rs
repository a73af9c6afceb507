//! `POST /telephony/v1/voiceCalls` bodies (CONTRACT §2.2) read into [`NewVoiceCall`].

use serde_json::Value;

use crate::error::ApiError;
use crate::format::Format;
use crate::model::{
    CallParticipant, InitiationMethod, Instant, NewVoiceCall, ParentCall, VendorCallKey,
};
use crate::validate::{self, field, Problems, Refusal};

const MAX_TEXT: usize = 255;
const MAX_PARTICIPANTS: usize = 50;
/// `callAttributes` is kept as given, within a bound that keeps the record item small.
pub const MAX_CALL_ATTRIBUTES_BYTES: usize = 32 * 1024;

pub fn parse(body: Value, format: Format) -> Result<NewVoiceCall, ApiError> {
    let mut problems = Problems::default();
    let Some(mut obj) = validate::object(body, &mut problems) else {
        return Err(problems.finish(()).unwrap_err());
    };
    let text =
        |obj: &serde_json::Map<String, Value>, problems: &mut Problems, name: &'static str| {
            problems.take(validate::required_text(obj, name, MAX_TEXT), || name.into())
        };
    let optional =
        |obj: &serde_json::Map<String, Value>, problems: &mut Problems, name: &'static str| {
            problems
                .take(validate::optional_text(obj, name, MAX_TEXT), || name.into())
                .flatten()
        };

    let call_center_api_name = text(&obj, &mut problems, "callCenterApiName");
    let vendor_call_key = problems.take(
        validate::required(&obj, "vendorCallKey").and_then(|v| {
            let raw = validate::text(v, usize::MAX)?;
            VendorCallKey::parse(raw).map_err(|why| Refusal::Invalid(why.into()))
        }),
        || "vendorCallKey".into(),
    );
    let to = text(&obj, &mut problems, "to");
    let from = text(&obj, &mut problems, "from");
    let initiation_method = problems.take(
        validate::required(&obj, "initiationMethod").and_then(|v| {
            v.as_str()
                .and_then(InitiationMethod::parse)
                .ok_or(Refusal::Invalid(
                    "must be Inbound, Outbound, Transfer or Callback".into(),
                ))
        }),
        || "initiationMethod".into(),
    );
    let start_time = problems.take(
        validate::required(&obj, "startTime").and_then(|v| {
            v.as_str().and_then(Instant::parse).ok_or(Refusal::Invalid(
                "must be an ISO-8601 date-time, e.g. 2026-11-23T16:00:00Z".into(),
            ))
        }),
        || "startTime".into(),
    );
    // A voiceCallId or the parent leg's vendorCallKey (CONTRACT §2.2): resolved when stored.
    let parent_voice_call_id = match field(&obj, "parentVoiceCallId") {
        None => None,
        Some(v) => problems.take(
            validate::text(v, MAX_TEXT).and_then(|raw| {
                ParentCall::parse(raw.trim()).map_err(|why| Refusal::Invalid(why.into()))
            }),
            || "parentVoiceCallId".into(),
        ),
    };
    if initiation_method == Some(InitiationMethod::Transfer)
        && field(&obj, "parentVoiceCallId").is_none()
    {
        problems.missing("parentVoiceCallId");
    }
    let call_origin = optional(&obj, &mut problems, "callOrigin");
    let queue = optional(&obj, &mut problems, "queue");
    let call_subtype = optional(&obj, &mut problems, "callSubtype");
    let call_attributes = match obj.remove("callAttributes") {
        None | Some(Value::Null) => None,
        Some(v) => problems
            .take(call_attributes(v), || "callAttributes".into())
            .flatten(),
    };

    let participants = match obj.remove("participants").filter(|v| !v.is_null()) {
        None => {
            problems.missing("participants");
            None
        }
        Some(v) => problems
            .take(validate::list(v, 1, MAX_PARTICIPANTS, format), || {
                "participants".into()
            })
            .map(|items| {
                items
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, p)| participant(p, i, &mut problems))
                    .collect::<Vec<_>>()
            }),
    };

    let (
        Some(call_center_api_name),
        Some(vendor_call_key),
        Some(to),
        Some(from),
        Some(initiation_method),
        Some(start_time),
        Some(participants),
    ) = (
        call_center_api_name,
        vendor_call_key,
        to,
        from,
        initiation_method,
        start_time,
        participants,
    )
    else {
        return Err(problems.finish(()).unwrap_err());
    };
    problems.finish(NewVoiceCall {
        call_center_api_name,
        vendor_call_key,
        to,
        from,
        initiation_method,
        start_time,
        participants,
        parent_voice_call_id,
        call_origin,
        queue,
        call_subtype,
        call_attributes,
    })
}

fn participant(value: Value, index: usize, problems: &mut Problems) -> Option<CallParticipant> {
    let at = |name: &'static str| move || format!("participants[{index}].{name}");
    let Value::Object(obj) = value else {
        problems.invalid(format!("participants[{index}]"), "must be an object");
        return None;
    };
    let participant_key = problems.take(
        validate::required_text(&obj, "participantKey", MAX_TEXT),
        at("participantKey"),
    );
    let kind = problems.take(validate::required_text(&obj, "type", MAX_TEXT), at("type"));
    Some(CallParticipant {
        participant_key: participant_key?,
        kind: kind?,
    })
}

/// A JSON document given as a string (as Salesforce takes it); an object is accepted and kept
/// as its JSON text.
pub(super) fn call_attributes(value: Value) -> Result<Option<String>, Refusal> {
    let text = match value {
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => {
            serde_json::from_str::<Value>(&s).map_err(|_| {
                Refusal::Invalid("must be a JSON document given as a string".into())
            })?;
            s
        }
        v @ Value::Object(_) => v.to_string(),
        _ => {
            return Err(Refusal::Invalid(
                "must be a JSON document given as a string".into(),
            ))
        }
    };
    if text.len() > MAX_CALL_ATTRIBUTES_BYTES {
        return Err(Refusal::Invalid("must be at most 32 KiB".into()));
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<NewVoiceCall, ApiError> {
        super::parse(body, Format::Json)
    }

    use crate::error::field_paths as fields;

    fn inbound() -> Value {
        json!({"callCenterApiName": "scv4cc1", "vendorCallKey": "contact-1", "to": "+15550100", "from": "+15550199",
               "initiationMethod": "Inbound", "startTime": "2026-11-23T16:00:00Z",
               "participants": [{"participantKey": "+15550199", "type": "END_USER"}],
               "callAttributes": "{\"queue\":\"sales\"}"})
    }

    #[test]
    fn an_inbound_call() {
        let call = parse(inbound()).unwrap();
        assert_eq!(call.vendor_call_key.as_str(), "contact-1");
        assert_eq!(call.initiation_method, InitiationMethod::Inbound);
        assert_eq!(call.participants[0].kind, "END_USER");
        assert_eq!(
            call.call_attributes.as_deref(),
            Some("{\"queue\":\"sales\"}")
        );
        assert_eq!(call.parent_voice_call_id, None);
    }

    #[test]
    fn a_transfer_needs_its_parent() {
        let mut body = inbound();
        body["initiationMethod"] = json!("Transfer");
        assert_eq!(
            fields(parse(body.clone()).unwrap_err()),
            ["parentVoiceCallId"]
        );
        body["parentVoiceCallId"] = json!("bad\u{0}key");
        assert_eq!(
            fields(parse(body.clone()).unwrap_err()),
            ["parentVoiceCallId"]
        );
        // The parent's vendorCallKey, as both public clients send it, or one of our ids.
        body["parentVoiceCallId"] = json!("73bdece1-3ac5-4eab-a589-1efa94ab5f2b");
        assert!(parse(body.clone()).is_ok());
        body["parentVoiceCallId"] = json!(crate::model::VoiceCallId::generate().as_str());
        assert!(parse(body).is_ok());
    }

    #[test]
    fn every_bad_field_is_named() {
        let body = json!({"vendorCallKey": "", "to": 5, "initiationMethod": "Sideways", "startTime": "noon",
                          "participants": [{"participantKey": "p"}, "x"], "callAttributes": "{not json"});
        assert_eq!(
            fields(parse(body).unwrap_err()),
            [
                "callCenterApiName",
                "vendorCallKey",
                "to",
                "from",
                "initiationMethod",
                "startTime",
                "callAttributes",
                "participants[0].type",
                "participants[1]"
            ]
        );
    }

    #[test]
    fn xml_shapes_are_accepted() {
        let mut body = inbound();
        body["participants"] = json!({"participantKey": "+15550199", "type": "END_USER"});
        body["callAttributes"] = json!({"queue": "sales"});
        let call = super::parse(body, Format::Xml).unwrap();
        assert_eq!(call.participants.len(), 1);
        assert_eq!(
            call.call_attributes.as_deref(),
            Some(r#"{"queue":"sales"}"#)
        );
    }
}
