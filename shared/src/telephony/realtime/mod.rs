//! `POST /telephony/v1/voiceCalls/{vendorCallKey}/realtimeConversationEvents` bodies
//! (CONTRACT §2.1) read into [`RealtimeEvents`].

use serde_json::Value;

use crate::error::ApiError;
use crate::format::Format;
use crate::model::{Participant, RealtimeEvents, Score, Sentiment, Signal, SignalEvent};
use crate::validate::{self, field, Check, Problems, Refusal, Scalar};

pub const MAX_EVENTS: usize = 1000;
const MAX_TEXT: usize = 255;
/// Vendor `details` are kept as sent, within a bound that keeps every stored item far below
/// DynamoDB's 400 KB and ten published events below EventBridge's 256 KB per `PutEvents`.
pub const MAX_DETAILS_BYTES: usize = 16 * 1024;

mod typed;

/// Reads a request body: `Err` when it cannot be read at all (too large, or not JSON or XML),
/// else what [`parse`] makes of it. A JSON body of the common shape is read straight into typed
/// events ([`typed::read`]); anything else is read as a tree.
pub fn read(body: &[u8], format: Format) -> Result<Result<RealtimeEvents, ApiError>, ApiError> {
    if format == Format::Json && body.len() <= crate::format::MAX_BODY_BYTES {
        if let Some(events) = typed::read(body) {
            return Ok(Ok(events));
        }
    }
    Ok(parse(format.parse(body)?, format))
}

/// The typed reading alone, for the fuzzer's check that it agrees with the tree reading.
pub fn read_typed(body: &[u8]) -> Option<RealtimeEvents> {
    typed::read(body)
}

/// Reads a request body (taken by value: category names and `details` move into the result).
pub fn parse(body: Value, format: Format) -> Result<RealtimeEvents, ApiError> {
    let mut problems = Problems::default();
    let Some(mut obj) = validate::object(body, &mut problems) else {
        return Err(problems.finish(()).unwrap_err());
    };

    let service = problems.take(
        validate::required(&obj, "service")
            .and_then(|v| validate::text(v, MAX_TEXT).map(str::to_owned)),
        || "service".into(),
    );
    let persist = match field(&obj, "persist") {
        None => Some(true),
        Some(v) => problems.take(validate::boolean(v), || "persist".into()),
    };

    let events = match obj.remove("events").filter(|v| !v.is_null()) {
        None => {
            problems.missing("events");
            Vec::new()
        }
        Some(v) => problems
            .take(validate::list(v, 1, MAX_EVENTS, format), || "events".into())
            .unwrap_or_default(),
    };
    let count = events.len();
    let events: Vec<SignalEvent> = events
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| event(e, i, &mut problems))
        .collect();
    if count > 0 && events.len() == count {
        check_sorted(&events, &mut problems);
    }

    let (Some(service), Some(persist)) = (service, persist) else {
        return Err(problems.finish(()).unwrap_err());
    };
    problems.finish(RealtimeEvents {
        service,
        persist,
        events,
    })
}

fn check_sorted(events: &[SignalEvent], problems: &mut Problems) {
    if let Some(i) = events
        .windows(2)
        .position(|w| w[1].start_time < w[0].start_time)
    {
        problems.invalid(
            format!("events[{}].startTime", i + 1),
            "events must be sorted in ascending order by startTime",
        );
    }
}

fn event(value: Value, index: usize, problems: &mut Problems) -> Option<SignalEvent> {
    let at = |name: &'static str| move || format!("events[{index}].{name}");
    let Value::Object(mut obj) = value else {
        problems.invalid(format!("events[{index}]"), "must be an object");
        return None;
    };
    let before = problems.len();

    let participant_field = field(&obj, "participant");
    let participant =
        participant_field.and_then(|v| problems.take(participant(v.as_str()), at("participant")));

    let kind = problems.take(
        validate::required(&obj, "type").and_then(|v| kind(v.as_str())),
        at("type"),
    );

    let signal = match (kind, validate::required(&obj, "value")) {
        (_, Err(missing)) => problems.take::<()>(Err(missing), at("value")).and(None),
        (None, Ok(_)) => None,
        (Some(Signal::CATEGORY_TYPE), Ok(v)) => problems
            .take(validate::text(v, MAX_TEXT).map(str::to_owned), at("value"))
            .map(Signal::Category),
        (Some(_), Ok(v)) => {
            if participant_field.is_none() {
                problems.missing(at("participant")());
            }
            problems
                .take(sentiment(Scalar::of(v)), at("value"))
                .map(Signal::Sentiment)
        }
    };

    let start_time = problems.take(
        validate::required(&obj, "startTime").and_then(validate::unsigned),
        at("startTime"),
    );

    let score = field(&obj, "score").and_then(|v| problems.take(score(Scalar::of(v)), at("score")));

    let details = problems.take(details(obj.remove("details")), at("details"));

    if problems.len() != before {
        return None;
    }
    Some(SignalEvent {
        signal: signal?,
        start_time: start_time?,
        score,
        participant,
        details: details?,
    })
}

// The checks of single fields, shared by the tree reading above and the typed one of `typed`.

fn participant(value: Option<&str>) -> Check<Participant> {
    value
        .and_then(Participant::parse)
        .ok_or(Refusal::Invalid("must be AGENT or CUSTOMER".into()))
}

fn kind(value: Option<&str>) -> Check<&'static str> {
    match value {
        Some(Signal::CATEGORY_TYPE) => Ok(Signal::CATEGORY_TYPE),
        Some(Signal::SENTIMENT_TYPE) => Ok(Signal::SENTIMENT_TYPE),
        _ => Err(Refusal::Invalid(
            "must be IntelligenceSignal__Category or IntelligenceSignal__Sentiment".into(),
        )),
    }
}

fn sentiment(value: Option<Scalar<'_>>) -> Check<Sentiment> {
    value
        .and_then(validate::decimal_scalar)
        .and_then(|t| validate::hundredths_within(&t, 1000))
        .and_then(Sentiment::from_hundredths)
        .ok_or(Refusal::Invalid(
            "sentiment must be a number between -1000 and 1000".into(),
        ))
}

fn score(value: Option<Scalar<'_>>) -> Check<Score> {
    value
        .and_then(|v| match v {
            // What its decimal text would parse back to: an integer's nearest `f64`, or the
            // very `f64` whose shortest form the text is.
            Scalar::Number(n) => n.as_f64(),
            text => validate::decimal_scalar(text).and_then(|t| t.parse::<f64>().ok()),
        })
        .and_then(Score::new)
        .ok_or(Refusal::Invalid(
            "must be 0 or a number between 1e-130 and 1000".into(),
        ))
}

/// Vendor `details`: an object kept as sent, within bounds; absent, null or an empty XML
/// element carries none.
fn details(value: Option<Value>) -> Check<Option<Value>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(v @ Value::Object(_)) => {
            if json_len(&v) > MAX_DETAILS_BYTES {
                return Err(Refusal::Invalid("must be at most 16 KiB as JSON".into()));
            }
            validate::storable_tree(&v, validate::MAX_DETAILS_DEPTH)?;
            Ok(Some(v))
        }
        Some(_) => Err(Refusal::Invalid("must be an object".into())),
    }
}

/// The length of `value` as compact JSON, without building the text.
fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_or(usize::MAX, |()| count.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<RealtimeEvents, ApiError> {
        super::parse(body, Format::Json)
    }

    use crate::error::field_paths as fields;

    #[test]
    fn seed_examples_parse() {
        let first = parse(json!({
            "service": "AmazonConnectContactLens",
            "events": [
                {"type": "IntelligenceSignal__Category", "value": "OrderStatusCheckingHelp", "startTime": 1573503300},
                {"type": "IntelligenceSignal__Category", "value": "CustomerAngry", "startTime": 1573503450}
            ]
        }))
        .unwrap();
        assert!(first.persist);
        assert_eq!(first.events.len(), 2);
        assert_eq!(
            first.events[1].signal,
            Signal::Category("CustomerAngry".into())
        );

        let second = parse(json!({
            "service": "CxoneAgentAssistService", "persist": false,
            "events": [{"type": "IntelligenceSignal__Sentiment", "value": "400.13",
                        "startTime": 16898867880000u64, "score": 10, "participant": "CUSTOMER"}]
        }))
        .unwrap();
        assert!(!second.persist);
        let e = &second.events[0];
        assert_eq!(
            e.signal,
            Signal::Sentiment(Sentiment::from_hundredths(40013).unwrap())
        );
        assert_eq!(e.score.unwrap().get(), 10.0);
        assert_eq!(e.participant, Some(Participant::Customer));
    }

    #[test]
    fn xml_shaped_single_event_with_string_leaves() {
        let parsed = super::parse(json!({
            "service": "AmazonConnectContactLens", "persist": "false",
            "events": {"type": "IntelligenceSignal__Sentiment", "value": "-512.5", "startTime": "1700000000123",
                       "score": "0.9", "participant": "CUSTOMER",
                       "details": {"BeginOffsetMillis": "1200", "EndOffsetMillis": "4400"}}
        }), Format::Xml)
        .unwrap();
        assert!(!parsed.persist);
        assert_eq!(parsed.events[0].start_time, 1_700_000_000_123);
        assert_eq!(
            parsed.events[0].details.as_ref().unwrap()["EndOffsetMillis"],
            "4400"
        );
    }

    #[test]
    fn every_offending_field_is_named() {
        let err = parse(json!({
            "service": "",
            "persist": "maybe",
            "events": [
                {"type": "IntelligenceSignal__Sentiment", "value": "1000.5", "startTime": 10},
                {"type": "Bogus", "value": "x", "startTime": -1},
                {"type": "IntelligenceSignal__Category", "startTime": 5, "score": 1001, "participant": "BOT"},
                {"type": "IntelligenceSignal__Category", "value": "x".repeat(256), "startTime": 6, "details": "no"}
            ]
        }))
        .unwrap_err();
        assert_eq!(
            fields(err),
            [
                "service",
                "persist",
                "events[0].participant",
                "events[0].value",
                "events[1].type",
                "events[1].startTime",
                "events[2].participant",
                "events[2].value",
                "events[2].score",
                "events[3].value",
                "events[3].details",
            ]
        );
    }

    #[test]
    fn first_out_of_order_index_is_named() {
        let ev =
            |t: u64| json!({"type": "IntelligenceSignal__Category", "value": "A", "startTime": t});
        let err = parse(json!({"service": "s", "events": [ev(5), ev(5), ev(7), ev(6), ev(1)]}))
            .unwrap_err();
        assert_eq!(fields(err), ["events[3].startTime"]);
    }

    #[test]
    fn event_count_limits() {
        let ev = json!({"type": "IntelligenceSignal__Category", "value": "A", "startTime": 1});
        assert_eq!(
            fields(parse(json!({"service": "s", "events": []})).unwrap_err()),
            ["events"]
        );
        let many = vec![ev.clone(); MAX_EVENTS + 1];
        assert_eq!(
            fields(parse(json!({"service": "s", "events": many})).unwrap_err()),
            ["events"]
        );
        let max = vec![ev; MAX_EVENTS];
        assert_eq!(
            parse(json!({"service": "s", "events": max}))
                .unwrap()
                .events
                .len(),
            MAX_EVENTS
        );
    }

    #[test]
    fn missing_everything() {
        assert_eq!(fields(parse(json!({})).unwrap_err()), ["service", "events"]);
        assert_eq!(fields(parse(json!([1])).unwrap_err()), ["body"]);
    }

    #[test]
    fn json_needs_an_events_array() {
        let single = json!({"service": "s", "events": {"type": "IntelligenceSignal__Category", "value": "A", "startTime": 1}});
        assert_eq!(fields(parse(single.clone()).unwrap_err()), ["events"]);
        assert!(super::parse(single, Format::Xml).is_ok());
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let parsed = parse(json!({"service": "s", "extra": {"a": 1},
            "events": [{"type": "IntelligenceSignal__Category", "value": "A", "startTime": 1, "other": true}]}));
        assert!(parsed.is_ok());
    }
}
