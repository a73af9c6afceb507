//! `POST /voiceCalls/{vendorCallKey}/postConversationEvents` bodies (CONTRACT §2.4): per-turn
//! sentiment after the call.

use serde_json::Value;

use crate::error::ApiError;
use crate::format::Format;
use crate::model::{
    Participant, PostCallEvents, PostCallKind, PostCallSentiment, Sentiment, Signal,
};
use crate::validate::{self, Problems, Refusal};

pub const MAX_EVENTS: usize = 1000;
const MAX_TEXT: usize = 255;

pub fn parse(body: Value, format: Format) -> Result<PostCallEvents, ApiError> {
    let mut problems = Problems::default();
    let Some(mut obj) = validate::object(body, &mut problems) else {
        return Err(problems.finish(()).unwrap_err());
    };
    let service = problems.take(validate::required_text(&obj, "service", MAX_TEXT), || {
        "service".into()
    });
    let events = match obj.remove("events").filter(|v| !v.is_null()) {
        None => {
            problems.missing("events");
            Vec::new()
        }
        Some(v) => problems
            .take(validate::list(v, 1, MAX_EVENTS, format), || "events".into())
            .unwrap_or_default(),
    };
    let events: Vec<PostCallSentiment> = events
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| event(e, i, &mut problems))
        .collect();
    let Some(service) = service else {
        return Err(problems.finish(()).unwrap_err());
    };
    problems.finish(PostCallEvents { service, events })
}

fn event(value: Value, index: usize, problems: &mut Problems) -> Option<PostCallSentiment> {
    let at = |name: &'static str| move || format!("events[{index}].{name}");
    let Value::Object(obj) = value else {
        problems.invalid(format!("events[{index}]"), "must be an object");
        return None;
    };
    let before = problems.len();
    let overall = problems.take(
        validate::required(&obj, "type").and_then(|v| {
            match v.as_str() {
            Some(Signal::SENTIMENT_TYPE) => Ok(false),
            Some(PostCallKind::OVERALL_TYPE) => Ok(true),
            _ => Err(Refusal::Invalid(
                "must be IntelligenceSignal__Sentiment or IntelligenceSignal__OverallSentimentScore"
                    .into(),
            )),
        }
        }),
        at("type"),
    );
    let value = match overall {
        // The value's range depends on the type; with an unknown type it is read as a turn's.
        None | Some(false) => problems.take(
            validate::required(&obj, "value").and_then(|v| {
                validate::decimal_text(v)
                    .and_then(|t| validate::hundredths_within(&t, 1000))
                    .and_then(Sentiment::from_hundredths)
                    .map(|s| (PostCallKind::Turn, s))
                    .ok_or(Refusal::Invalid(
                        "sentiment must be a number between -1000 and 1000".into(),
                    ))
            }),
            at("value"),
        ),
        Some(true) => problems.take(
            validate::required(&obj, "value").and_then(|v| {
                overall_score(v).ok_or(Refusal::Invalid(
                    "an overall sentiment score must be a number between -5 and 5".into(),
                ))
            }),
            at("value"),
        ),
    };
    let start_time = problems.take(
        validate::required(&obj, "startTime").and_then(validate::epoch_millis),
        at("startTime"),
    );
    let end_time = problems.take(
        validate::required(&obj, "endTime").and_then(validate::epoch_millis),
        at("endTime"),
    );
    if let (Some(start), Some(end)) = (start_time, end_time) {
        if end < start {
            problems.invalid(at("endTime")(), "must not be before startTime");
        }
    }
    let participant = problems.take(
        validate::required(&obj, "participant").and_then(|v| {
            v.as_str()
                .and_then(Participant::parse)
                .ok_or(Refusal::Invalid("must be AGENT or CUSTOMER".into()))
        }),
        at("participant"),
    );
    if problems.len() != before {
        return None;
    }
    let (kind, value) = value?;
    Some(PostCallSentiment {
        kind,
        participant: participant?,
        value,
        start_time: start_time?,
        end_time: end_time?,
    })
}

/// An overall score (−5..5) kept as sent, and scaled ×200 onto the sentiment scale.
fn overall_score(value: &Value) -> Option<(PostCallKind, Sentiment)> {
    let text = validate::decimal_text(value)?;
    let hundredths = validate::hundredths_within(&text, PostCallKind::OVERALL_LIMIT)?;
    let scaled = Sentiment::from_hundredths(hundredths * PostCallKind::OVERALL_SCALE)?;
    let score = text.trim_start_matches('+').to_owned();
    Some((PostCallKind::Overall { score }, scaled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<PostCallEvents, ApiError> {
        super::parse(body, Format::Json)
    }

    use crate::error::field_paths as fields;

    #[test]
    fn sentiment_turns() {
        let parsed = parse(json!({"service": "AmazonConnectContactLens", "events": [
            {"type": "IntelligenceSignal__Sentiment", "value": "-250.555", "startTime": 1000, "endTime": 4000, "participant": "CUSTOMER"},
            {"type": "IntelligenceSignal__Sentiment", "value": 300, "startTime": 4000, "endTime": 9000, "participant": "AGENT"}]}))
        .unwrap();
        assert_eq!(parsed.events[0].value.to_string(), "-250.56");
        assert_eq!(parsed.events[1].participant, Participant::Agent);
    }

    #[test]
    fn overall_scores_are_kept_and_scaled() {
        let parsed = parse(json!({"service": "AmazonConnectContactLens", "events": [
            {"type": "IntelligenceSignal__OverallSentimentScore", "value": "3.2", "startTime": 1000, "endTime": 9000, "participant": "AGENT"},
            {"type": "IntelligenceSignal__OverallSentimentScore", "value": -1.4, "startTime": 1000, "endTime": 9000, "participant": "CUSTOMER"},
            {"type": "IntelligenceSignal__Sentiment", "value": "-1000", "startTime": 2000, "endTime": 3000, "participant": "CUSTOMER"}]}))
        .unwrap();
        assert_eq!(
            parsed.events[0].kind,
            PostCallKind::Overall {
                score: "3.2".into()
            }
        );
        assert_eq!(parsed.events[0].value.to_string(), "640.00");
        assert_eq!(parsed.events[1].value.to_string(), "-280.00");
        assert_eq!(parsed.events[2].kind, PostCallKind::Turn);
        let err = parse(json!({"service": "s", "events": [
            {"type": "IntelligenceSignal__OverallSentimentScore", "value": "5.5", "startTime": 1, "endTime": 2, "participant": "AGENT"},
            {"type": "IntelligenceSignal__OverallSentimentScore", "value": "-6", "startTime": 1, "endTime": 2, "participant": "AGENT"}]}))
        .unwrap_err();
        assert_eq!(fields(err), ["events[0].value", "events[1].value"]);
    }

    #[test]
    fn every_field_is_required() {
        let err = parse(json!({"events": [{"type": "IntelligenceSignal__Category", "value": 2000, "startTime": 5, "endTime": 4}]})).unwrap_err();
        assert_eq!(
            fields(err),
            [
                "service",
                "events[0].type",
                "events[0].value",
                "events[0].endTime",
                "events[0].participant"
            ]
        );
    }
}
