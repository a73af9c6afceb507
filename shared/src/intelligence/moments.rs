//! Moments: transcript entries that belong to a category, grouped by category.

use super::categories::TenantCategories;
use super::timeline::{signal_millis, Timeline};
use super::{MomentInsight, MomentTime};
use crate::model::Signal;
use crate::store::ConversationRecord;

/// A moment's window opens this long before its entry starts.
const LEAD_IN_MILLIS: u64 = 5_000;
/// A customer sentiment at or below this makes the moments around it need attention.
pub const ATTENTION_SENTIMENT: f64 = -500.0;

pub fn detect<'a>(
    record: &'a ConversationRecord,
    categories: &TenantCategories,
    timeline: &Timeline,
) -> Vec<MomentInsight<'a>> {
    let count = categories.categories.len();
    let mut found: Vec<Vec<(usize, u64, u64)>> = vec![Vec::new(); count];
    let mut hits = vec![false; count];
    for (index, message) in record.messages.iter().enumerate() {
        categories.classify(&message.content, &mut hits);
        for (category, hit) in hits.iter().enumerate() {
            if *hit {
                found[category].push((index, message.start_time, message.end_time));
            }
        }
    }
    let attention = Attention::new(attention_spans(record, categories, &found));

    let mut insights: Vec<(usize, MomentInsight)> = found
        .into_iter()
        .enumerate()
        .filter(|(_, moments)| !moments.is_empty())
        .map(|(category, moments)| {
            let first = moments[0].0;
            let c = &categories.categories[category];
            let moment_times = moments
                .into_iter()
                .enumerate()
                .map(|(mention_id, (index, start, end))| {
                    let message = &record.messages[index];
                    let window_start = start.saturating_sub(LEAD_IN_MILLIS).max(timeline.start);
                    MomentTime {
                        action: None,
                        end_offset: timeline.offset(end),
                        entries: [&message.content],
                        is_followup: false,
                        mention_id,
                        moment_offset: timeline.offset(start),
                        needs_attention: attention.overlaps(window_start, end),
                        sequences: [index + 1],
                        speaker_id: &message.participant_id,
                        speaker_role: Some(&message.sender_type),
                        start_offset: timeline.offset(window_start),
                    }
                })
                .collect();
            let insight = MomentInsight {
                category: c.name.clone(),
                insight_type_id: c.insight_type_id.clone(),
                keyword: c.name.clone(),
                moment_times,
                source: None,
            };
            (first, insight)
        })
        .collect();
    // In order of each category's first moment; the sort is stable, so ties keep category order.
    insights.sort_by_key(|(first, _)| *first);
    insights.into_iter().map(|(_, insight)| insight).collect()
}

/// Stretches of the call that need attention, sorted by start, each with the latest end among
/// it and those before it: whether any overlaps a window is then a binary search, not a scan
/// (a 2-hour call has thousands of moments and of spans).
struct Attention {
    /// (start, latest end so far), by start.
    spans: Vec<(u64, u64)>,
}

impl Attention {
    fn new(mut spans: Vec<(u64, u64)>) -> Self {
        spans.sort_unstable();
        let mut latest = 0;
        for span in &mut spans {
            latest = latest.max(span.1);
            span.1 = latest;
        }
        Self { spans }
    }

    /// Whether a span (from, to) with `from <= end` and `to >= start` exists.
    fn overlaps(&self, start: u64, end: u64) -> bool {
        let starting_by_end = self.spans.partition_point(|&(from, _)| from <= end);
        starting_by_end > 0 && self.spans[starting_by_end - 1].1 >= start
    }
}

/// Stretches of the call (epoch ms) that need attention: a customer's sentiment at or below
/// −500 (real-time, or a post-call turn), a real-time category signal named like an alert
/// category, and the entries in which an alert category was found.
fn attention_spans(
    record: &ConversationRecord,
    categories: &TenantCategories,
    found: &[Vec<(usize, u64, u64)>],
) -> Vec<(u64, u64)> {
    let is_alert = |name: &str| {
        categories
            .categories
            .iter()
            .any(|c| c.alert && c.name.eq_ignore_ascii_case(name))
    };
    let customer = |p: Option<&str>| p == Some("CUSTOMER");
    let signals = record.signals.iter().filter(|s| {
        if s.signal_type == Signal::SENTIMENT_TYPE {
            customer(s.participant.as_deref())
                && s.sentiment.is_some_and(|v| v <= ATTENTION_SENTIMENT)
        } else {
            is_alert(&s.value)
        }
    });
    let post_call = record
        .post_call
        .iter()
        .filter(|p| customer(Some(&p.participant)) && p.sentiment <= ATTENTION_SENTIMENT)
        .map(|p| (p.start_time, p.end_time));
    let alert_moments = categories
        .categories
        .iter()
        .zip(found)
        .filter(|(c, _)| c.alert)
        .flat_map(|(_, moments)| moments.iter().map(|&(_, start, end)| (start, end)));
    signals
        .map(|s| (signal_millis(s), signal_millis(s)))
        .chain(post_call)
        .chain(alert_moments)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Attention;

    #[test]
    fn attention_overlaps_as_a_scan_of_the_spans_would_find() {
        let spans = vec![(50, 60), (10, 20), (30, 100), (5, 7), (200, 200)];
        let attention = Attention::new(spans.clone());
        for start in (0..220).step_by(3) {
            for end in (start..230).step_by(7) {
                let scan = spans.iter().any(|&(from, to)| from <= end && to >= start);
                assert_eq!(attention.overlaps(start, end), scan, "{start}..{end}");
            }
        }
        assert!(!Attention::new(Vec::new()).overlaps(0, u64::MAX));
    }
}
