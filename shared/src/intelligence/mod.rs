//! The intelligence behind `getConversationIntelligence` (CONTRACT §3.1): moments found in the
//! transcript, a call summary, and call-level insights, computed from what one conversation
//! stored. Deterministic: the same conversation always gives the same answer.

pub mod categories;
mod insights;
pub mod moments;
pub mod summary;
pub mod text;
mod timeline;
pub mod vendor;

use serde::Serialize;

pub use categories::{InsightCategories, TenantCategories};
pub use insights::Insight;
use timeline::Timeline;

use crate::store::ConversationRecord;

/// The three outputs of the action, as the seed's sample names and orders them. Moments quote
/// the conversation's record rather than copying from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Intelligence<'a> {
    pub conversation_insights: Vec<Insight>,
    pub conversation_intelligence: ConversationIntelligence,
    pub moment_insights: Vec<MomentInsight<'a>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationIntelligence {
    /// HTML: Customer Impression, Call Summary, Next Steps. `None` when there is nothing to
    /// summarise.
    pub call_summary: Option<String>,
    /// The telephony vendor's own summary, next to ours: Contact Lens's post-contact summary
    /// when its segment stream carried one (docs/contact-lens.md). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_summary: Option<VendorSummary>,
}

/// A summary written by the vendor, with its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorSummary {
    pub source: String,
    pub content: String,
}

/// The latest vendor summary stored as a signal ([`vendor::SUMMARY_SIGNAL`]).
fn vendor_summary(record: &ConversationRecord) -> Option<VendorSummary> {
    record
        .signals
        .iter()
        .filter(|s| s.value == vendor::SUMMARY_SIGNAL)
        .filter_map(|s| {
            let content = s.details.as_ref()?.get("content")?.as_str()?;
            Some(VendorSummary {
                source: s.service.clone(),
                content: content.to_owned(),
            })
        })
        .next_back()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MomentInsight<'a> {
    pub category: String,
    pub insight_type_id: String,
    pub keyword: String,
    pub moment_times: Vec<MomentTime<'a>>,
    /// Whose analysis found them: absent for ours, the vendor's service (Contact Lens) for its.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'static str>,
}

/// One moment. Offsets are seconds from the conversation's start.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MomentTime<'a> {
    pub action: Option<String>,
    pub end_offset: f64,
    /// The one transcript entry of the moment (a list in the contract).
    pub entries: [&'a str; 1],
    pub is_followup: bool,
    pub mention_id: usize,
    pub moment_offset: f64,
    pub needs_attention: bool,
    /// The entry's place in the transcript, from 1 (a list in the contract).
    pub sequences: [usize; 1],
    pub speaker_id: &'a str,
    pub speaker_role: Option<&'a str>,
    pub start_offset: f64,
}

/// Computes the action's outputs for one conversation of a tenant with `categories`.
pub fn compute<'a>(
    record: &'a ConversationRecord,
    categories: &TenantCategories,
) -> Intelligence<'a> {
    let timeline = Timeline::new(record);
    let mut moments = moments::detect(record, categories, &timeline);
    moments.extend(vendor::moments(record, &timeline));
    let mut insights = insights::compute(record, &timeline);
    insights.extend(vendor::insights(record));
    let call_summary = summary::compose(record, &insights);
    Intelligence {
        conversation_insights: insights,
        conversation_intelligence: ConversationIntelligence {
            call_summary,
            vendor_summary: vendor_summary(record),
        },
        moment_insights: moments,
    }
}
