//! What a vendor's own analysis adds next to ours (CONTRACT §10): Contact Lens's conversation
//! characteristics as a `VendorAnalysis` insight, and its categories' points of interest and
//! the issues, outcomes and action items it detected as moments, each marked with its source.
//! Ours are never replaced: where both exist, both are shown.

use std::collections::BTreeMap;

use serde_json::Value;

use super::categories::tenant_type_id;
use super::timeline::{signal_millis, Timeline};
use super::{Insight, MomentInsight, MomentTime};
use crate::model::Signal;
use crate::store::items::SignalItem;
use crate::store::ConversationRecord;

/// The `service` of every signal read from Contact Lens (`crate::contact_lens`).
pub const SERVICE: &str = "AmazonConnectContactLens";
/// The category signal that carries Contact Lens's post-contact summary (`details.content`).
pub const SUMMARY_SIGNAL: &str = "ContactLens.PostContactSummary";
/// The category signal of each issue Contact Lens detected in a transcript turn.
pub const ISSUE_SIGNAL: &str = "ContactLens.IssueDetected";
/// The signal of one outcome or action item of a turn (the post-call file).
pub const OUTCOME_SIGNAL: &str = "ContactLens.OutcomeDetected";
pub const ACTION_ITEM_SIGNAL: &str = "ContactLens.ActionItemDetected";
/// The signal carrying the file's conversation characteristics (`details`: numbers by role).
pub const CHARACTERISTICS_SIGNAL: &str = "ContactLens.ConversationCharacteristics";

const LEAD_IN_MILLIS: u64 = 5_000;

/// Signals that carry a vendor's document rather than a category occurrence.
pub fn is_document(value: &str) -> bool {
    value == SUMMARY_SIGNAL || value == CHARACTERISTICS_SIGNAL
}

/// The latest conversation characteristics a vendor's file gave.
pub fn insights(record: &ConversationRecord) -> Vec<Insight> {
    record
        .signals
        .iter()
        .filter(|s| s.value == CHARACTERISTICS_SIGNAL)
        .filter_map(|s| {
            Some(Insight::VendorAnalysis {
                source: s.service.clone(),
                characteristics: s.details.clone()?,
            })
        })
        .next_back()
        .into_iter()
        .collect()
}

/// The moment category a vendor signal is shown under.
fn category_of(value: &str) -> &str {
    match value {
        ISSUE_SIGNAL => "Issue",
        OUTCOME_SIGNAL => "Outcome",
        ACTION_ITEM_SIGNAL => "Action Item",
        other => other,
    }
}

/// The transcript entry a vendor signal points at: the turn it names, else the entry its start
/// falls in.
fn entry_of(record: &ConversationRecord, signal: &SignalItem, details: &Value) -> Option<usize> {
    if let Some(id) = details["transcriptId"].as_str() {
        if let Some(i) = record.messages.iter().position(|m| m.message_id == id) {
            return Some(i);
        }
    }
    let at = signal_millis(signal);
    record
        .messages
        .iter()
        .position(|m| m.start_time <= at && at <= m.end_time)
}

pub fn moments<'a>(record: &'a ConversationRecord, timeline: &Timeline) -> Vec<MomentInsight<'a>> {
    // category → (entry index, needs attention), in time order of the signals.
    let mut found: BTreeMap<&str, Vec<(usize, bool)>> = BTreeMap::new();
    let mut first_seen: Vec<&str> = Vec::new();
    for s in record.signals.iter().filter(|s| {
        s.service == SERVICE && s.signal_type == Signal::CATEGORY_TYPE && !is_document(&s.value)
    }) {
        let Some(details) = &s.details else { continue };
        if details.get("BeginOffsetMillis").is_none() && details.get("transcriptId").is_none() {
            continue;
        }
        let Some(index) = entry_of(record, s, details) else {
            continue;
        };
        let category = category_of(&s.value);
        let list = found.entry(category).or_insert_with(|| {
            first_seen.push(category);
            Vec::new()
        });
        let alert = details["alert"] == true;
        match list.iter_mut().find(|(i, _)| *i == index) {
            Some(existing) => existing.1 |= alert,
            None => list.push((index, alert)),
        }
    }
    first_seen
        .into_iter()
        .map(|category| {
            let mut entries = found.remove(category).unwrap_or_default();
            entries.sort_by_key(|(i, _)| *i);
            let moment_times = entries
                .into_iter()
                .enumerate()
                .map(|(mention_id, (index, needs_attention))| {
                    let m = &record.messages[index];
                    let window = m
                        .start_time
                        .saturating_sub(LEAD_IN_MILLIS)
                        .max(timeline.start);
                    MomentTime {
                        action: None,
                        end_offset: timeline.offset(m.end_time),
                        entries: [&m.content],
                        is_followup: false,
                        mention_id,
                        moment_offset: timeline.offset(m.start_time),
                        needs_attention,
                        sequences: [index + 1],
                        speaker_id: &m.participant_id,
                        speaker_role: Some(&m.sender_type),
                        start_offset: timeline.offset(window),
                    }
                })
                .collect();
            MomentInsight {
                category: category.to_owned(),
                insight_type_id: tenant_type_id(SERVICE, category),
                keyword: category.to_owned(),
                moment_times,
                source: Some(SERVICE),
            }
        })
        .collect()
}
