//! Call-level insights (README, "Conversation insights"): sentiment per participant, real-time
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
    /// How long one speaker talked, from the transcript.
    #[serde(rename = "TalkTime", rename_all = "camelCase")]
    TalkTime {
        speaker_id: String,
        speaker_role: String,
        entries: usize,
        seconds: f64,
        /// Of all talk time, 0..1.
        share: f64,
    },
}

pub fn compute(record: &ConversationRecord, timeline: &Timeline) -> Vec<Insight> {
    let mut out = sentiment(record, timeline);
    out.extend(signals(record, timeline));
    out.extend(talk_time(record));
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

fn talk_time(record: &ConversationRecord) -> Vec<Insight> {
    let mut by_speaker: Vec<(&str, &str, usize, u64)> = Vec::new();
    for m in &record.messages {
        let millis = m.end_time.saturating_sub(m.start_time);
        match by_speaker.iter_mut().find(|s| s.0 == m.participant_id) {
            Some(s) => {
                s.2 += 1;
                s.3 = s.3.saturating_add(millis);
            }
            None => by_speaker.push((&m.participant_id, &m.sender_type, 1, millis)),
        }
    }
    // In f64: stored times may reach u64::MAX and no arithmetic may overflow (CONTRACT §2).
    let total: f64 = by_speaker.iter().map(|s| s.3 as f64).sum();
    by_speaker
        .into_iter()
        .map(|(speaker, role, entries, millis)| Insight::TalkTime {
            speaker_id: speaker.to_owned(),
            speaker_role: role.to_owned(),
            entries,
            seconds: millis as f64 / 1000.0,
            share: if total == 0.0 {
                0.0
            } else {
                round2(millis as f64 / total)
            },
        })
        .collect()
}
