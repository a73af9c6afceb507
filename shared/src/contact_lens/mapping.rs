//! What each Contact Lens segment becomes (docs/contact-lens.md, "What each field becomes"):
//! pure functions of a contact's records and its anchor.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::record::{Categories, SegmentRecord, Transcript, Utterance};
use crate::model::{Participant, SenderType, Sentiment, Signal, SignalEvent, TranscriptMessage};

/// The signals Contact Lens's records become, as the intelligence reads them
/// (`crate::intelligence::vendor`).
pub use crate::intelligence::vendor::{ISSUE_SIGNAL, SERVICE, SUMMARY_SIGNAL};
/// A transcript turn's sentiment on the service's −1000..1000 scale: Contact Lens gives a
/// label only. ±500 is the post-call overall score's ±2.5 (×200), and a `NEGATIVE` customer
/// turn reaches the −500 at which moments need attention (CONTRACT §3.1).
pub const LABEL_SCORE: i64 = 500;
/// Vendor details stay far below the signal item's bound.
const MAX_SUMMARY_CHARS: usize = 8 * 1024;

/// `AGENT` → `HUMAN_AGENT`, `CUSTOMER` → `END_USER` (CONTRACT §10); the API's other roles as
/// their names say; a bot or the system → `VIRTUAL_AGENT`.
pub fn sender_type(role: &str) -> SenderType {
    match role.to_ascii_uppercase().as_str() {
        "AGENT" => SenderType::HumanAgent,
        "CUSTOMER" => SenderType::EndUser,
        "SUPERVISOR" => SenderType::Supervisor,
        _ => SenderType::VirtualAgent,
    }
}

/// The sentiment of a label, `None` for a label this scale has no place for.
pub fn label_sentiment(label: &str) -> Option<Sentiment> {
    let hundredths = match label.to_ascii_uppercase().as_str() {
        "POSITIVE" => LABEL_SCORE * 100,
        "NEGATIVE" => -LABEL_SCORE * 100,
        "NEUTRAL" | "MIXED" => 0,
        _ => return None,
    };
    Sentiment::from_hundredths(hundredths)
}

/// A final transcript turn as a transcript entry (`messageId` its `Id`).
pub fn transcript_entry(t: &Transcript, anchor: u64) -> Option<TranscriptMessage> {
    let content = t.content.trim();
    if content.is_empty() || t.id.is_empty() || t.participant_id.is_empty() {
        return None;
    }
    let start = anchor + t.begin_offset_millis;
    Some(TranscriptMessage {
        message_id: clip(&t.id, 255),
        start_time: start,
        end_time: (anchor + t.end_offset_millis).max(start),
        content: clip(content, crate::telephony::messages::MAX_CONTENT_CHARS),
        sender_type: sender_type(&t.participant_role),
        participant_id: clip(&t.participant_id, 255),
    })
}

/// A turn's sentiment signal, for the agent's and the customer's turns.
pub fn sentiment_signal(
    role: &str,
    label: Option<&str>,
    begin: u64,
    anchor: u64,
) -> Option<SignalEvent> {
    let participant = Participant::parse(role)?;
    let sentiment = label_sentiment(label?)?;
    Some(SignalEvent {
        signal: Signal::Sentiment(sentiment),
        start_time: anchor + begin,
        score: None,
        participant: Some(participant),
        details: None,
    })
}

/// One issue signal per issue detected in the turn; details name the turn and the characters,
/// never the text (transcript text is only written as transcript entries).
pub fn issue_signals(t: &Transcript, anchor: u64) -> impl Iterator<Item = SignalEvent> + '_ {
    t.issues_detected.iter().map(move |issue| SignalEvent {
        signal: Signal::Category(ISSUE_SIGNAL.to_owned()),
        start_time: anchor + t.begin_offset_millis,
        score: None,
        participant: Participant::parse(&t.participant_role),
        details: Some(json!({
            "transcriptId": t.id,
            "beginOffsetChar": issue.character_offsets.begin_offset_char,
            "endOffsetChar": issue.character_offsets.end_offset_char,
        })),
    })
}

/// Each matched category as persisted category signals: one per point of interest (at its
/// start), or one at `fallback` (an offset) for a rule with no place in the transcript.
/// `is_alert` says which names are the tenant's alert categories.
pub fn category_signals(
    categories: &Categories,
    fallback: u64,
    anchor: u64,
    is_alert: impl Fn(&str) -> bool,
) -> Vec<SignalEvent> {
    let empty = Default::default();
    let mut names: Vec<&String> = categories.matched_categories.iter().collect();
    // A name only in the details is matched too.
    names.extend(
        categories
            .matched_details
            .keys()
            .filter(|k| !categories.matched_categories.contains(k)),
    );
    names.dedup();
    let mut events = Vec::new();
    for name in names {
        let details = categories.matched_details.get(name).unwrap_or(&empty);
        let alert = is_alert(name);
        let event = |start: u64, poi: Option<(u64, u64)>| {
            let mut d = serde_json::Map::new();
            if let Some((b, e)) = poi {
                d.insert("BeginOffsetMillis".into(), json!(b));
                d.insert("EndOffsetMillis".into(), json!(e));
            }
            if alert {
                d.insert("alert".into(), Value::Bool(true));
            }
            SignalEvent {
                signal: Signal::Category(clip(name, 255)),
                start_time: anchor + start,
                score: None,
                participant: None,
                details: (!d.is_empty()).then_some(Value::Object(d)),
            }
        };
        if details.points_of_interest.is_empty() {
            events.push(event(fallback, None));
        }
        for p in &details.points_of_interest {
            events.push(event(
                p.begin_offset_millis,
                Some((p.begin_offset_millis, p.end_offset_millis)),
            ));
        }
    }
    events
}

/// A completed post-contact summary as its signal (at `offset`): `details.content`.
pub fn summary_signal(content: &str, offset: u64, anchor: u64) -> Option<SignalEvent> {
    let content = content.trim();
    (!content.is_empty()).then(|| SignalEvent {
        signal: Signal::Category(SUMMARY_SIGNAL.to_owned()),
        start_time: anchor + offset,
        score: None,
        participant: None,
        details: Some(json!({ "content": clip(content, MAX_SUMMARY_CHARS) })),
    })
}

/// A partial transcript as the live channel pushes it: a `TranscriptEntry` with
/// `partial: true`, keyed by its turn (`messageId` = `TranscriptId`), so a console replaces it
/// with the final entry of the same `messageId`. Never stored.
pub fn partial_detail(u: &Utterance, anchor: u64) -> Value {
    json!({
        "messageId": u.transcript_id.as_deref().unwrap_or(&u.id),
        "utteranceId": u.id,
        "partial": true,
        "startTime": anchor + u.begin_offset_millis,
        "endTime": anchor + u.end_offset_millis.max(u.begin_offset_millis),
        "content": u.partial_content,
        "senderType": sender_type(&u.participant_role).as_str(),
        "participantId": u.participant_id,
    })
}

/// What one contact's records of a batch amount to.
#[derive(Debug, Default)]
pub struct ContactWrites {
    /// By `messageId`: a turn sent twice is written once.
    pub entries: BTreeMap<String, TranscriptMessage>,
    pub signals: Vec<SignalEvent>,
    pub partials: Vec<Value>,
    /// A `COMPLETED` or `FAILED` record was among them.
    pub ends: bool,
}

impl ContactWrites {
    pub fn collect<'a>(
        records: impl IntoIterator<Item = &'a SegmentRecord>,
        anchor: u64,
        is_alert: impl Fn(&str) -> bool,
    ) -> Self {
        let mut w = Self::default();
        for record in records {
            w.ends |= record.event_type.ends_session();
            let fallback = record.latest_offset();
            for segment in &record.segments {
                if let Some(t) = &segment.transcript {
                    if let Some(entry) = transcript_entry(t, anchor) {
                        w.entries.insert(entry.message_id.clone(), entry);
                    }
                    w.signals.extend(sentiment_signal(
                        &t.participant_role,
                        t.sentiment.as_deref(),
                        t.begin_offset_millis,
                        anchor,
                    ));
                    w.signals.extend(issue_signals(t, anchor));
                }
                if let Some(u) = &segment.utterance {
                    w.partials.push(partial_detail(u, anchor));
                }
                if let Some(c) = &segment.categories {
                    w.signals
                        .extend(category_signals(c, fallback, anchor, &is_alert));
                }
                if let Some(s) = &segment.post_contact_summary {
                    if s.status.eq_ignore_ascii_case("COMPLETED") {
                        w.signals.extend(
                            s.content
                                .as_deref()
                                .and_then(|c| summary_signal(c, fallback, anchor)),
                        );
                    }
                }
            }
        }
        // Signals in time order, as the HTTP route requires of a request.
        w.signals.sort_by_key(|s| s.start_time);
        w
    }
}

fn clip(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_labels() {
        assert_eq!(sender_type("AGENT"), SenderType::HumanAgent);
        assert_eq!(sender_type("CUSTOMER"), SenderType::EndUser);
        assert_eq!(sender_type("SYSTEM"), SenderType::VirtualAgent);
        assert_eq!(label_sentiment("NEGATIVE").unwrap().to_string(), "-500.00");
        assert_eq!(label_sentiment("positive").unwrap().to_string(), "500.00");
        assert_eq!(label_sentiment("NEUTRAL").unwrap().to_string(), "0.00");
        assert!(label_sentiment("ANGRY").is_none());
        // Sentiment only for the two parties it has a participant for.
        assert!(sentiment_signal("SYSTEM", Some("NEGATIVE"), 0, 0).is_none());
    }

    #[test]
    fn categories_one_signal_per_point_of_interest() {
        let c: Categories = serde_json::from_str(
            r#"{"MatchedCategories":["Cancel","Mood"],"MatchedDetails":{"Cancel":{"PointsOfInterest":[{"BeginOffsetMillis":100,"EndOffsetMillis":900},{"BeginOffsetMillis":2000,"EndOffsetMillis":2500}]}}}"#,
        )
        .unwrap();
        let events = category_signals(&c, 3000, 1_000_000, |n| n == "Cancel");
        let times: Vec<_> = events.iter().map(|e| e.start_time).collect();
        assert_eq!(times, [1_000_100, 1_002_000, 1_003_000]);
        assert_eq!(events[0].details.as_ref().unwrap()["alert"], true);
        assert_eq!(events[0].details.as_ref().unwrap()["EndOffsetMillis"], 900);
        assert!(events[2].details.is_none());
    }
}
