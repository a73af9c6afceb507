//! The common JSON body read straight into typed, borrowed events: no tree of the whole body
//! is built, no key is allocated, and only what the result keeps is copied.
//!
//! It accepts only bodies that [`super::parse`] accepts, and reads them to the same
//! [`RealtimeEvents`] with the same field checks; on anything else (a syntax error, an unexpected
//! type, a refused value, a duplicate key, a field it does not know, an XML-style lenient leaf) it
//! gives up and the body is read as a tree, which names every offending field. The fuzzer's
//! request target checks that both readings agree on every body it makes.
//!
//! Unknown fields are left to the tree reading because serde_json skips an ignored value without
//! reading it as the tree reading would: a lone surrogate escape, a number out of range or nesting
//! past the recursion limit pass when skipped and are refused when read. The recorded clients send
//! only the fields read here.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Number, Value};

use super::{check_sorted, details, kind, participant, score, sentiment, MAX_EVENTS, MAX_TEXT};
use crate::model::{RealtimeEvents, Signal, SignalEvent};
use crate::validate::{self, Problems, Scalar};

/// `Some` exactly when the tree reading would accept `body`, with what it would read.
pub fn read(body: &[u8]) -> Option<RealtimeEvents> {
    // Checked as UTF-8 once, the body's strings are not checked again one by one.
    let body = std::str::from_utf8(body).ok()?;
    let Object(body) = serde_json::from_str::<Object<Body<'_>>>(body).ok()?;
    let service = validate::text_str(&body.service, MAX_TEXT).ok()?.to_owned();
    if !(1..=MAX_EVENTS).contains(&body.events.len()) {
        return None;
    }
    let events = body
        .events
        .into_iter()
        .map(|Object(e)| event(e))
        .collect::<Option<Vec<_>>>()?;
    let mut problems = Problems::default();
    check_sorted(&events, &mut problems);
    problems.is_empty().then_some(RealtimeEvents {
        service,
        persist: body.persist.unwrap_or(true),
        events,
    })
}

fn event(e: Event<'_>) -> Option<SignalEvent> {
    let participant = match e.participant {
        None => None,
        Some(p) => Some(participant(Some(&p)).ok()?),
    };
    let signal = match kind(Some(&e.kind)).ok()? {
        Signal::CATEGORY_TYPE => match e.value {
            Leaf::Text(name) => {
                validate::text_str(&name, MAX_TEXT).ok()?;
                Signal::Category(name.into_owned())
            }
            Leaf::Number(_) => return None,
        },
        _ => {
            // A sentiment names its participant.
            participant?;
            Signal::Sentiment(sentiment(Some(e.value.scalar())).ok()?)
        }
    };
    let score = match e.score {
        None => None,
        Some(s) => Some(score(Some(s.scalar())).ok()?),
    };
    Some(SignalEvent {
        signal,
        start_time: e.start_time,
        score,
        participant,
        details: details(e.details).ok()?,
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Body<'a> {
    #[serde(borrow)]
    service: Cow<'a, str>,
    persist: Option<bool>,
    #[serde(borrow)]
    events: Vec<Object<Event<'a>>>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Event<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    value: Leaf<'a>,
    start_time: u64,
    #[serde(borrow)]
    score: Option<Leaf<'a>>,
    #[serde(borrow)]
    participant: Option<Cow<'a, str>>,
    details: Option<Value>,
}

/// A JSON object read as `T`. Derived structs also read arrays (field by field, in order),
/// which the tree reading refuses; this takes objects only.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Only<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Only<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer.deserialize_map(Only(PhantomData)).map(Object)
    }
}

/// A number or a string, as the tree reading's `Value` would hold it.
enum Leaf<'a> {
    Number(Number),
    Text(Cow<'a, str>),
}

impl Leaf<'_> {
    fn scalar(&self) -> Scalar<'_> {
        match self {
            Self::Number(n) => Scalar::Number(n),
            Self::Text(s) => Scalar::Text(s),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Leaf<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Scalars<'a>(PhantomData<Leaf<'a>>);
        // The same conversions as `serde_json::Value`'s own visitor.
        impl<'de: 'a, 'a> Visitor<'de> for Scalars<'a> {
            type Value = Leaf<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Leaf<'a>, E> {
                Ok(Leaf::Number(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Leaf<'a>, E> {
                Ok(Leaf::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Leaf<'a>, E> {
                Number::from_f64(v)
                    .map(Leaf::Number)
                    .ok_or_else(|| E::custom("not a finite number"))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Leaf<'a>, E> {
                Ok(Leaf::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Leaf<'a>, E> {
                Ok(Leaf::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Leaf<'a>, E> {
                Ok(Leaf::Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_any(Scalars(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use serde_json::json;

    /// Both readings of `body`: the typed one, and the tree one if it accepts.
    fn both(body: &Value) -> (Option<RealtimeEvents>, Option<RealtimeEvents>) {
        let text = body.to_string();
        (
            read(text.as_bytes()),
            super::super::parse(body.clone(), Format::Json).ok(),
        )
    }

    fn event() -> Value {
        json!({"type": "IntelligenceSignal__Sentiment", "value": "-512.5", "startTime": 7,
               "score": 0.75, "participant": "customer", "details": {"a": [1, 2.5, "x"]}})
    }

    #[test]
    fn the_common_body_reads_as_the_tree_reads_it() {
        let body = json!({"service": "AmazonConnectContactLens", "events": [
            {"type": "IntelligenceSignal__Category", "value": "Customer\u{e9}Angry", "startTime": 5},
            event(),
        ]});
        let (typed, tree) = both(&body);
        assert!(typed.is_some());
        assert_eq!(typed, tree);
        // An empty string carries no details, in both readings.
        let mut empty_details = body.clone();
        empty_details["events"][1]["details"] = json!("");
        let (typed, tree) = both(&empty_details);
        assert_eq!(typed.as_ref().unwrap().events[1].details, None);
        assert_eq!(typed, tree);
        let escaped = r#"{"service":"s\u0041","persist":false,"events":[{"type":"IntelligenceSignal__Category","value":"a\"b","startTime":1,"participant":null,"score":null,"details":null}]}"#;
        let typed = read(escaped.as_bytes()).expect("reads");
        assert_eq!(typed.service, "sA");
        assert!(!typed.persist);
        assert_eq!(typed.events[0].signal, Signal::Category("a\"b".into()));
    }

    #[test]
    fn it_gives_up_on_whatever_the_tree_reading_treats_otherwise() {
        let with = |f: &dyn Fn(&mut Value)| {
            let mut body = json!({"service": "s", "events": [event()]});
            f(&mut body);
            body
        };
        let cases = [
            with(&|b| b["persist"] = json!("false")),
            with(&|b| b["service"] = json!("  ")),
            with(&|b| b["events"] = json!([])),
            with(&|b| b["events"] = event()),
            with(&|b| b["events"][0]["startTime"] = json!("7")),
            with(&|b| b["events"][0]["startTime"] = json!(7.0)),
            with(&|b| b["events"][0]["participant"] = json!("BOT")),
            with(&|b| {
                b["events"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("participant");
            }),
            with(&|b| b["events"][0]["value"] = json!("1000.01")),
            with(&|b| b["events"][0]["score"] = json!(1e-131)),
            with(&|b| b["events"][0]["details"] = json!([1])),
            with(
                &|b| b["events"] = json!([event(), {"type": "IntelligenceSignal__Category", "value": "A", "startTime": 1}]),
            ),
            json!([["s"], true, [event()]]),
        ];
        for body in cases {
            let (typed, tree) = both(&body);
            assert_eq!(typed, None, "{body}");
            if let Some(tree) = tree {
                // Lenient forms the tree reading accepts: the typed reading left them to it.
                assert!(!tree.events.is_empty(), "{body}");
            }
        }
        let array_event = r#"{"service":"s","events":[["IntelligenceSignal__Category","A",1]]}"#;
        assert_eq!(read(array_event.as_bytes()), None);
        // A field it does not read: left to the tree reading, which accepts it.
        let other = with(&|b| b["events"][0]["other"] = json!([1]));
        let (typed, tree) = both(&other);
        assert_eq!((typed, tree.is_some()), (None, true));
        let duplicate = r#"{"service":"s","service":"t","events":[{"type":"IntelligenceSignal__Category","value":"A","startTime":1}]}"#;
        assert_eq!(read(duplicate.as_bytes()), None);
    }

    /// Values the JSON parser skips without reading them as the tree reading does (found by the
    /// fuzzer's request target): under a field it does not know, the typed reading gives up.
    #[test]
    fn values_json_refuses_are_not_skipped_under_unknown_fields() {
        let event = r#"{"type":"IntelligenceSignal__Category","value":"A","startTime":1"#;
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for unknown in [
            r#"{"EndOffs\ud800etMillis":4200}"#.to_owned(),
            r#""\udc00""#.to_owned(),
            "1e400".to_owned(),
            deep,
        ] {
            for body in [
                format!(r#"{{"service":"s","x":{unknown},"events":[{event}}}]}}"#),
                format!(r#"{{"service":"s","events":[{event},"x":{unknown}}}]}}"#),
            ] {
                assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
                assert_eq!(read(body.as_bytes()), None, "{body}");
            }
        }
    }
}
