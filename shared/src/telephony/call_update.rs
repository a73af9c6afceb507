//! `PATCH /telephony/v1/voiceCalls/{voiceCallId or vendorCallKey}` bodies (CONTRACT §2.6), read
//! into [`VoiceCallUpdate`]. Every field is optional; unknown ones (the official Lambdas send
//! `callCenterApiName`) are ignored.

use serde_json::{Map, Value};

use super::voice_calls::call_attributes;
use crate::error::ApiError;
use crate::model::{DisconnectReason, Instant, VoiceCallUpdate};
use crate::validate::{self, field, Problems, Refusal};

const MAX_TEXT: usize = 255;
/// `recordingLocation` is a URL: room for a long presigned one.
const MAX_LOCATION: usize = 2048;
/// A duration beyond a year is a mistake, and stays far inside what the store holds.
const MAX_DURATION_SECONDS: f64 = 366.0 * 86_400.0;

pub fn parse(body: Value) -> Result<VoiceCallUpdate, ApiError> {
    let mut problems = Problems::default();
    let obj = match body {
        Value::Null => Map::new(),
        body => match validate::object(body, &mut problems) {
            Some(obj) => obj,
            None => return Err(problems.finish(()).unwrap_err()),
        },
    };
    let p = &mut problems;
    let update = VoiceCallUpdate {
        start_time: instant(&obj, "startTime", p),
        end_time: instant(&obj, "endTime", p),
        enqueue_time: instant(&obj, "enqueueTime", p),
        accept_time: instant(&obj, "acceptTime", p),
        from_number: text(&obj, "fromNumber", MAX_TEXT, p),
        total_hold_duration: duration(&obj, "totalHoldDuration", p),
        longest_hold_duration: duration(&obj, "longestHoldDuration", p),
        number_of_holds: optional(&obj, "numberOfHolds", p, |v| {
            validate::unsigned(v).and_then(|n| match n {
                0..=100_000 => Ok(n),
                _ => Err(Refusal::Invalid("must be at most 100000".into())),
            })
        }),
        agent_interaction_duration: duration(&obj, "agentInteractionDuration", p),
        total_recording_duration: duration(&obj, "totalRecordingDuration", p),
        queue: text(&obj, "queue", MAX_TEXT, p),
        agent: text(&obj, "agent", MAX_TEXT, p),
        call_origin: text(&obj, "callOrigin", MAX_TEXT, p),
        recording_location: text(&obj, "recordingLocation", MAX_LOCATION, p),
        call_attributes: match field(&obj, "callAttributes") {
            None => None,
            Some(v) => p
                .take(call_attributes(v.clone()), || "callAttributes".into())
                .flatten(),
        },
        is_active_call: optional(&obj, "isActiveCall", p, validate::boolean),
        disconnect_reason: optional(&obj, "disconnectReason", p, disconnect_reason),
    };
    if let (Some(start), Some(end)) = (&update.start_time, &update.end_time) {
        if end.epoch_millis < start.epoch_millis {
            problems.invalid("endTime", "must not be before startTime");
        }
    }
    problems.finish(update)
}

fn optional<T>(
    obj: &Map<String, Value>,
    name: &'static str,
    problems: &mut Problems,
    check: impl FnOnce(&Value) -> Result<T, Refusal>,
) -> Option<T> {
    let value = field(obj, name)?;
    problems.take(check(value), || name.into())
}

fn text(
    obj: &Map<String, Value>,
    name: &'static str,
    max: usize,
    problems: &mut Problems,
) -> Option<String> {
    problems
        .take(validate::optional_text(obj, name, max), || name.into())
        .flatten()
}

fn instant(
    obj: &Map<String, Value>,
    name: &'static str,
    problems: &mut Problems,
) -> Option<Instant> {
    optional(obj, name, problems, |v| {
        Instant::parse_lenient(v).ok_or(Refusal::Invalid(
            "must be an ISO-8601 date-time (e.g. 2026-11-23T16:00:00Z) or epoch milliseconds up to year 9999"
                .into(),
        ))
    })
}

/// Seconds, as a number or numeric text, 0..=a year, with at most millisecond precision kept.
fn duration(obj: &Map<String, Value>, name: &'static str, problems: &mut Problems) -> Option<f64> {
    optional(obj, name, problems, |v| {
        let seconds = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        seconds
            .filter(|s| s.is_finite() && (0.0..=MAX_DURATION_SECONDS).contains(s))
            .map(|s| (s * 1000.0).round() / 1000.0)
            .ok_or(Refusal::Invalid(
                "must be a number of seconds between 0 and 31622400".into(),
            ))
    })
}

/// `{"value": "…", "isError": bool}`; a bare string is read as its `value`.
fn disconnect_reason(value: &Value) -> Result<DisconnectReason, Refusal> {
    match value {
        Value::String(_) => Ok(DisconnectReason {
            value: validate::text(value, MAX_TEXT)?.to_owned(),
            is_error: false,
        }),
        Value::Object(obj) => {
            let reason = validate::required(obj, "value")
                .and_then(|v| validate::text(v, MAX_TEXT))
                .map_err(|_| {
                    Refusal::Invalid("value must be text of at most 255 characters".into())
                })?;
            let is_error = match field(obj, "isError") {
                None => false,
                Some(v) => validate::boolean(v)
                    .map_err(|_| Refusal::Invalid("isError must be a boolean".into()))?,
            };
            Ok(DisconnectReason {
                value: reason.to_owned(),
                is_error,
            })
        }
        _ => Err(Refusal::Invalid(
            "must be an object {\"value\": \"…\", \"isError\": false}".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::field_paths as fields;
    use serde_json::json;

    #[test]
    fn what_the_official_lambdas_send() {
        let update = parse(json!({"recordingLocation": "https://s3.amazonaws.com/vm/x.wav", "totalRecordingDuration": 42,
            "startTime": "1795971246447", "endTime": "1795971306447", "callOrigin": "Voicemail", "isActiveCall": true,
            "callCenterApiName": "scv4cc1"}))
        .unwrap();
        assert_eq!(update.total_recording_duration, Some(42.0));
        assert_eq!(
            update.end_time.as_ref().unwrap().epoch_millis,
            1_795_971_306_447
        );
        assert!(update.ends_leg(), "an endTime ends the leg");
        let empty = parse(json!({"callCenterApiName": "scv4cc1"})).unwrap();
        assert_eq!(empty, VoiceCallUpdate::default());
        assert!(!empty.ends_leg());
    }

    #[test]
    fn inactive_ends_and_reasons_read() {
        let update = parse(json!({"isActiveCall": "false",
            "disconnectReason": {"value": "TELECOM_PROBLEM", "isError": true}}))
        .unwrap();
        assert!(update.ends_leg());
        assert_eq!(
            update.disconnect_reason,
            Some(DisconnectReason {
                value: "TELECOM_PROBLEM".into(),
                is_error: true
            })
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let err = parse(
            json!({"startTime": "noon", "endTime": "99999999999999999", "totalHoldDuration": -1,
            "numberOfHolds": 1.5, "isActiveCall": "maybe", "disconnectReason": 5, "queue": 7,
            "callAttributes": "{oops", "agentInteractionDuration": "1e300"}),
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            [
                "startTime",
                "endTime",
                "totalHoldDuration",
                "numberOfHolds",
                "agentInteractionDuration",
                "queue",
                "callAttributes",
                "isActiveCall",
                "disconnectReason"
            ]
        );
        let err =
            parse(json!({"startTime": "2026-11-29T17:00:00Z", "endTime": "2026-11-29T16:00:00Z"}))
                .unwrap_err();
        assert_eq!(fields(err), ["endTime"]);
        assert_eq!(fields(parse(json!([1])).unwrap_err()), ["body"]);
    }
}
