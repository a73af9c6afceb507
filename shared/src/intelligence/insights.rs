//! Call-level insights (docs/architecture.md, "Conversation insights"): sentiment per participant, real-time
//! category signals, and talk time per speaker.

use std::collections::BTreeMap;

use serde::Serialize;

use super::timeline::{signal_millis, Timeline};
use crate::model::Signal;
use crate::store::ConversationRecord;

/// How far the second half's average must move from the first half's to be a trend.
const TREND_THRESHOLD: f64 = 50.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "insightType")]
pub enum Insight {
    /// One participant's sentiment (−1000..1000) from real-time and post-call sentiment.
    #[serde(rename = "Sentiment", rename_all = "camelCase")]
    Sentiment {
        participant: String,
        samples: usize,
        average: f64,
        minimum: f64,
        latest: f64,
        /// Average in each quarter of the call; `null` where there was none.
        by_quarter: [Option<f64>; 4],
        /// `improving`, `declining` or `steady`: second half against first half.
        trend: &'static str,
        /// Contact Lens's overall score after the call (−5..5, as sent), when one was sent.
        #[serde(skip_serializing_if = "Option::is_none")]
        overall_score: Option<f64>,
        /// The overall score on this scale (×200).
        #[serde(skip_serializing_if = "Option::is_none")]
        overall_sentiment: Option<f64>,
    },
    /// One real-time category (`CustomerAngry`, …): how often, when, how sure.
    #[serde(rename = "Signal", rename_all = "camelCase")]
    Signal {
        category: String,
        count: usize,
        /// `startTime` as the vendor sent it.
        first_time: u64,
        last_time: u64,
        /// Seconds from the conversation's start.
        first_offset: f64,
        last_offset: f64,
        highest_score: Option<f64>,
    },
    /// How long one speaker talked, from the transcript, and how.
    #[serde(rename = "TalkTime", rename_all = "camelCase")]
    TalkTime {
        speaker_id: String,
        speaker_role: String,
        entries: usize,
        seconds: f64,
        /// Of all talk time, 0..1.
        share: f64,
        /// Of all talk time, the others' part: 1 − share.
        listen_share: f64,
        /// The longest run of this speaker's consecutive entries, first start to last end.
        longest_monologue_seconds: f64,
        /// Entries of this speaker that start before the other speaker's entry before it ends.
        interruptions: usize,
        /// Words spoken per minute of this speaker's talk time (0 with no talk time).
        words_per_minute: f64,
    },
    /// A vendor's own conversation characteristics (Contact Lens's post-call file: sentiment
    /// overall and by quarter, interruptions, non-talk time, talk speed and time, by role), as
    /// it measured them, next to ours.
    #[serde(rename = "VendorAnalysis", rename_all = "camelCase")]
    VendorAnalysis {
        source: String,
        characteristics: serde_json::Value,
    },
    /// The call's time in which nobody talked: its length less the union of all entries.
    #[serde(rename = "NonTalkTime", rename_all = "camelCase")]
    NonTalkTime {
        seconds: f64,
        /// Of the call's length, 0..1.
        share: f64,
    },
}

pub fn compute(record: &ConversationRecord, timeline: &Timeline) -> Vec<Insight> {
    let mut out = sentiment(record, timeline);
    out.extend(signals(record, timeline));
    out.extend(talk_time(record));
    out.extend(non_talk_time(record, timeline));
    out
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn average(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| round2(sum / n as f64))
}

fn sentiment(record: &ConversationRecord, timeline: &Timeline) -> Vec<Insight> {
    // (participant, epoch ms, value), from both sources.
    let mut samples: Vec<(&str, u64, f64)> = record
        .signals
        .iter()
        .filter(|s| s.signal_type == Signal::SENTIMENT_TYPE)
        .filter_map(|s| Some((s.participant.as_deref()?, signal_millis(s), s.sentiment?)))
        .chain(
            record
                .post_call
                .iter()
                .filter(|p| p.overall_score().is_none())
                .map(|p| (p.participant.as_str(), p.start_time, p.sentiment)),
        )
        .collect();
    samples.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));

    let mut out = Vec::new();
    for participant in ["CUSTOMER", "AGENT"] {
        let own: Vec<(u64, f64)> = samples
            .iter()
            .filter(|s| s.0 == participant)
            .map(|s| (s.1, s.2))
            .collect();
        // The latest overall score sent for the participant (a resend replaces it).
        let overall = record
            .post_call
            .iter()
            .filter(|p| p.participant == participant)
            .filter_map(|p| Some((p.received_at, p.overall_score()?, p.sentiment)))
            .max_by(|a, b| a.0.cmp(&b.0));
        let latest = match (own.last(), overall) {
            (Some(&(_, latest)), _) => latest,
            (None, Some((_, _, scaled))) => scaled,
            (None, None) => continue,
        };
        let values = || own.iter().map(|s| s.1);
        let by_quarter = [0, 1, 2, 3].map(|q| {
            average(
                own.iter()
                    .filter(|s| timeline.quarter(s.0) == q)
                    .map(|s| s.1),
            )
        });
        let half = own.len() / 2;
        let trend = match (
            average(own[..half].iter().map(|s| s.1)),
            average(own[half..].iter().map(|s| s.1)),
        ) {
            (Some(first), Some(second)) if second - first > TREND_THRESHOLD => "improving",
            (Some(first), Some(second)) if first - second > TREND_THRESHOLD => "declining",
            _ => "steady",
        };
        out.push(Insight::Sentiment {
            participant: participant.to_owned(),
            samples: own.len(),
            average: average(values()).unwrap_or(latest),
            minimum: if own.is_empty() {
                latest
            } else {
                values().fold(f64::INFINITY, f64::min)
            },
            latest,
            by_quarter,
            trend,
            overall_score: overall.map(|o| o.1),
            overall_sentiment: overall.map(|o| o.2),
        });
    }
    out
}

fn signals(record: &ConversationRecord, timeline: &Timeline) -> Vec<Insight> {
    let mut by_category: BTreeMap<&str, Vec<&crate::store::items::SignalItem>> = BTreeMap::new();
    for s in record
        .signals
        .iter()
        .filter(|s| s.signal_type == Signal::CATEGORY_TYPE)
        // A vendor's summary travels as a signal; it is shown as the summary, not counted.
        .filter(|s| !super::vendor::is_document(&s.value))
    {
        by_category.entry(s.value.as_str()).or_default().push(s);
    }
    let mut out: Vec<(u64, Insight)> = by_category
        .into_iter()
        .map(|(category, signals)| {
            let first = signals
                .iter()
                .min_by_key(|s| signal_millis(s))
                .expect("a category has a signal");
            let last = signals
                .iter()
                .max_by_key(|s| signal_millis(s))
                .expect("a category has a signal");
            let highest_score = signals.iter().filter_map(|s| s.score).reduce(f64::max);
            let insight = Insight::Signal {
                category: category.to_owned(),
                count: signals.len(),
                first_time: first.start_time,
                last_time: last.start_time,
                first_offset: timeline.offset(signal_millis(first)),
                last_offset: timeline.offset(signal_millis(last)),
                highest_score,
            };
            (signal_millis(first), insight)
        })
        .collect();
    out.sort_by_key(|(first, _)| *first);
    out.into_iter().map(|(_, i)| i).collect()
}

/// One speaker's totals, in f64 so that no sum of huge times can overflow.
struct Talk<'a> {
    speaker: &'a str,
    role: &'a str,
    entries: usize,
    millis: f64,
    words: usize,
    longest_run: f64,
    interruptions: usize,
}

fn talk_time(record: &ConversationRecord) -> Vec<Insight> {
    let mut by_speaker: Vec<Talk<'_>> = Vec::new();
    // The entry before, and the current run of one speaker's entries (start, end).
    let mut previous: Option<(&str, u64)> = None;
    let mut run: (u64, u64) = (0, 0);
    for m in &record.messages {
        let index = match by_speaker
            .iter()
            .position(|s| s.speaker == m.participant_id)
        {
            Some(i) => i,
            None => {
                by_speaker.push(Talk {
                    speaker: &m.participant_id,
                    role: &m.sender_type,
                    entries: 0,
                    millis: 0.0,
                    words: 0,
                    longest_run: 0.0,
                    interruptions: 0,
                });
                by_speaker.len() - 1
            }
        };
        let talk = &mut by_speaker[index];
        talk.entries += 1;
        talk.millis += m.end_time.saturating_sub(m.start_time) as f64;
        talk.words += m.content.split_whitespace().count();
        match previous {
            Some((speaker, _)) if speaker == m.participant_id => {
                run.1 = run.1.max(m.end_time);
            }
            Some((_, end)) => {
                if m.start_time < end {
                    talk.interruptions += 1;
                }
                run = (m.start_time, m.end_time);
            }
            None => run = (m.start_time, m.end_time),
        }
        talk.longest_run = talk.longest_run.max(run.1.saturating_sub(run.0) as f64);
        previous = Some((&m.participant_id, m.end_time));
    }
    let total: f64 = by_speaker.iter().map(|s| s.millis).sum();
    by_speaker
        .into_iter()
        .map(|t| {
            let share = if total > 0.0 {
                round2(t.millis / total)
            } else {
                0.0
            };
            Insight::TalkTime {
                speaker_id: t.speaker.to_owned(),
                speaker_role: t.role.to_owned(),
                entries: t.entries,
                seconds: t.millis / 1000.0,
                share,
                listen_share: if total > 0.0 {
                    round2(1.0 - t.millis / total)
                } else {
                    0.0
                },
                longest_monologue_seconds: t.longest_run / 1000.0,
                interruptions: t.interruptions,
                words_per_minute: if t.millis > 0.0 {
                    round2(t.words as f64 / (t.millis / 60_000.0))
                } else {
                    0.0
                },
            }
        })
        .collect()
}

/// The call's length less the time covered by at least one entry (entries are in start order).
fn non_talk_time(record: &ConversationRecord, timeline: &Timeline) -> Option<Insight> {
    if record.messages.is_empty() {
        return None;
    }
    let mut covered = 0.0;
    let mut cursor = timeline.start;
    for m in &record.messages {
        let start = m.start_time.max(cursor);
        if m.end_time > start {
            covered += (m.end_time - start) as f64;
            cursor = m.end_time;
        }
    }
    let length = timeline.end.saturating_sub(timeline.start) as f64;
    let silent = (length - covered).max(0.0);
    Some(Insight::NonTalkTime {
        seconds: silent / 1000.0,
        share: if length > 0.0 {
            round2(silent / length)
        } else {
            0.0
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::items::MessageItem;

    fn entry(speaker: &str, start: u64, end: u64, words: &str) -> MessageItem {
        MessageItem {
            pk: String::new(),
            sk: String::new(),
            time_key: format!("{start:020}"),
            item_type: String::new(),
            org_id: String::new(),
            conversation_key: String::new(),
            vendor_call_key: String::new(),
            message_id: format!("{start}"),
            start_time: start,
            end_time: end,
            content: words.to_owned(),
            sender_type: if speaker == "a" {
                "HUMAN_AGENT"
            } else {
                "END_USER"
            }
            .to_owned(),
            participant_id: speaker.to_owned(),
            provider: None,
            received_at: 0,
            expires_at: 0,
        }
    }

    #[test]
    fn monologues_interruptions_pace_and_silence() {
        let record = ConversationRecord {
            messages: vec![
                entry("a", 0, 10_000, "one two three four five"),
                entry("a", 11_000, 20_000, "six seven eight nine ten"),
                // Starts 2 s before the agent's entry ends: an interruption.
                entry("c", 18_000, 30_000, "eleven twelve"),
                entry("a", 40_000, 60_000, "x"),
            ],
            ..ConversationRecord::default()
        };
        let insights = compute(&record, &Timeline::new(&record));
        let Insight::TalkTime {
            seconds,
            share,
            listen_share,
            longest_monologue_seconds,
            interruptions,
            words_per_minute,
            ..
        } = &insights[0]
        else {
            panic!("{insights:?}")
        };
        assert_eq!((*seconds, *share, *listen_share), (39.0, 0.76, 0.24));
        assert_eq!(*longest_monologue_seconds, 20.0);
        assert_eq!(*interruptions, 0);
        assert_eq!(*words_per_minute, round2(11.0 / (39.0 / 60.0)));
        let Insight::TalkTime {
            interruptions,
            longest_monologue_seconds,
            ..
        } = &insights[1]
        else {
            panic!("{insights:?}")
        };
        assert_eq!((*interruptions, *longest_monologue_seconds), (1, 12.0));
        // 60 s long; covered 0–30 and 40–60 less the 1 s gap at 10–11.
        assert_eq!(
            insights[2],
            Insight::NonTalkTime {
                seconds: 11.0,
                share: 0.18
            }
        );
    }

    #[test]
    fn huge_times_do_not_overflow() {
        let record = ConversationRecord {
            messages: vec![
                entry("a", 0, u64::MAX, "a"),
                entry("c", 1, u64::MAX, "b"),
                entry("a", 2, u64::MAX - 1, "c"),
            ],
            ..ConversationRecord::default()
        };
        let insights = compute(&record, &Timeline::new(&record));
        assert_eq!(insights.len(), 3);
    }
}
