//! The call summary: HTML with the sections of the seed's sample (Customer Impression, Call
//! Summary, Next Steps), composed from the transcript, the signals and the moments. Every piece
//! of transcript or vendor text in it is HTML-escaped.

use std::fmt::Write;

use quick_xml::escape::escape;

use super::categories::{NEXT_STEP, PRICING, QUESTION};
use super::insights::Insight;
use super::timeline::Timeline;
use super::MomentInsight;
use crate::store::ConversationRecord;

pub fn compose(
    record: &ConversationRecord,
    timeline: &Timeline,
    moments: &[MomentInsight],
    insights: &[Insight],
) -> Option<String> {
    if record.messages.is_empty() && record.signals.is_empty() && record.post_call.is_empty() {
        return None;
    }
    let mut html = String::new();
    section(
        &mut html,
        "Customer Impression",
        &impression(insights, moments),
    );
    section(
        &mut html,
        "Call Summary",
        &call_summary(record, timeline, moments),
    );
    html.push_str("<p><strong> Next Steps</strong></p><ol>");
    let steps = moments
        .iter()
        .find(|m| m.category == NEXT_STEP)
        .map(|m| m.moment_times.as_slice())
        .unwrap_or_default();
    if steps.is_empty() {
        html.push_str("<li>No next steps were identified.</li>");
    }
    for step in steps {
        let _ = write!(html, "<li>{}</li>", escape(step.entries.join(" ").as_str()));
    }
    html.push_str("</ol><p><br></p>");
    Some(html)
}

fn section(html: &mut String, title: &str, body: &str) {
    let _ = write!(
        html,
        "<p><strong> {title}</strong></p><p>{body}</p><p><br></p>"
    );
}

fn count(moments: &[MomentInsight], category: &str) -> usize {
    moments
        .iter()
        .find(|m| m.category == category)
        .map_or(0, |m| m.moment_times.len())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn impression(insights: &[Insight], moments: &[MomentInsight]) -> String {
    let mut text = String::new();
    let customer = insights.iter().find_map(|i| match i {
        Insight::Sentiment {
            participant,
            average,
            minimum,
            trend,
            ..
        } if participant == "CUSTOMER" => Some((*average, *minimum, *trend)),
        _ => None,
    });
    match customer {
        Some((average, minimum, trend)) => {
            let mood = if average >= 200.0 {
                "positive"
            } else if average <= -200.0 {
                "negative"
            } else {
                "neutral"
            };
            let _ = write!(
                text,
                "The customer's sentiment was {mood} overall (average {average:.2}, lowest {minimum:.2}) and {} over the call.",
                if trend == "steady" { "held steady" } else { trend }
            );
        }
        None => text.push_str("No customer sentiment was recorded for this call."),
    }
    let raised: Vec<String> = insights
        .iter()
        .filter_map(|i| match i {
            Insight::Signal {
                category, count, ..
            } => Some(format!("{} ({count})", escape(category.as_str()))),
            _ => None,
        })
        .collect();
    if !raised.is_empty() {
        let _ = write!(
            text,
            " Signals raised during the call: {}.",
            raised.join(", ")
        );
    }
    let pricing = count(moments, PRICING);
    if pricing > 0 {
        let _ = write!(
            text,
            " Pricing came up {}.",
            plural(pricing, "time", "times")
        );
    }
    text
}

fn call_summary(
    record: &ConversationRecord,
    timeline: &Timeline,
    moments: &[MomentInsight],
) -> String {
    let mut text = String::new();
    let minutes = (timeline.end.saturating_sub(timeline.start) as f64 / 60_000.0).round() as u64;
    let mut speakers: Vec<&str> = Vec::new();
    for m in &record.messages {
        if !speakers.contains(&m.participant_id.as_str()) {
            speakers.push(&m.participant_id);
        }
    }
    let legs = record.legs.len().max(1);
    let _ = write!(
        text,
        "A {} call over {} with {}",
        if minutes == 0 {
            "short".to_owned()
        } else {
            format!("{minutes}-minute")
        },
        plural(legs, "leg", "legs"),
        plural(
            record.messages.len(),
            "transcript entry",
            "transcript entries"
        ),
    );
    if !speakers.is_empty() {
        let names: Vec<String> = speakers.iter().map(|s| escape(*s).into_owned()).collect();
        let _ = write!(text, " from {}", names.join(", "));
    }
    text.push('.');
    let _ = write!(
        text,
        " It included {}, {} and {}.",
        plural(count(moments, QUESTION), "question", "questions"),
        plural(count(moments, PRICING), "pricing moment", "pricing moments"),
        plural(count(moments, NEXT_STEP), "next step", "next steps"),
    );
    if let Some(first) = moments
        .iter()
        .find(|m| m.category == QUESTION)
        .and_then(|m| m.moment_times.first())
    {
        let _ = write!(
            text,
            " The first question was: “{}”",
            escape(first.entries.join(" ").as_str())
        );
    }
    for m in moments
        .iter()
        .filter(|m| ![QUESTION, PRICING, NEXT_STEP].contains(&m.category.as_str()))
    {
        let _ = write!(
            text,
            " {} was mentioned {}.",
            escape(m.category.as_str()),
            plural(m.moment_times.len(), "time", "times")
        );
    }
    text
}
