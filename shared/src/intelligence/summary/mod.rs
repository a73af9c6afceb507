//! The built-in call summary: HTML with the sections of the seed's sample — Customer
//! Impression (who the customer is, why they called, what worries them, how they felt), Call
//! Summary (what was discussed, offered and decided, with the amounts and names said) and Next
//! Steps (who does what, when). Extractive and deterministic: it picks the participants' most
//! telling sentences by their cues and retells them in the third person. Linear in the length
//! of the transcript. Every piece of transcript or vendor text in it is HTML-escaped.

mod facts;
mod reported;

use std::fmt::Write;

use quick_xml::escape::escape;

use super::insights::{self, Insight};
use super::timeline::Timeline;
use crate::store::ConversationRecord;
use facts::{Cue, Sentence, Side};
use reported::{report, Voices};

/// The summary in plain text, section by section: what the HTML is rendered from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub impression: Vec<String>,
    pub call: Vec<String>,
    pub next_steps: Vec<String>,
}

impl Summary {
    /// The sentences, section after section, without the headings: what the summary says.
    pub fn plain(&self) -> String {
        [&self.impression, &self.call, &self.next_steps]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The seed sample's HTML, every piece of text escaped.
    pub fn to_html(&self) -> String {
        let mut html = String::new();
        for (title, sentences) in [
            ("Customer Impression", &self.impression),
            ("Call Summary", &self.call),
        ] {
            let body: Vec<String> = sentences
                .iter()
                .map(|s| escape(s.as_str()).into_owned())
                .collect();
            let _ = write!(
                html,
                "<p><strong> {title}</strong></p><p>{}</p><p><br></p>",
                body.join(" ")
            );
        }
        html.push_str("<p><strong> Next Steps</strong></p><ol>");
        for step in &self.next_steps {
            let _ = write!(html, "<li>{}</li>", escape(step.as_str()));
        }
        if self.next_steps.is_empty() {
            html.push_str("<li>None.</li>");
        }
        html.push_str("</ol><p><br></p>");
        html
    }
}

/// The built-in summary of a conversation, as HTML; `None` when there is nothing to summarise.
/// A pure function of what was stored: the same conversation always gives the same summary.
pub fn summarise(record: &ConversationRecord) -> Option<String> {
    let timeline = Timeline::new(record);
    compose(record, &insights::compute(record, &timeline))
}

/// How the participants are to be named in the summary. A name left out is taken from the
/// transcript ("this is Alex", "Hi Sam"), else the role ("the customer", "the agent").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Participants {
    pub customer: Option<String>,
    pub agent: Option<String>,
}

/// The built-in summary by section, the participants named as `participants` says; `None`
/// when there is nothing to summarise.
pub fn summary(record: &ConversationRecord, participants: &Participants) -> Option<Summary> {
    if record.messages.is_empty() && record.signals.is_empty() && record.post_call.is_empty() {
        return None;
    }
    let timeline = Timeline::new(record);
    let insights = insights::compute(record, &timeline);
    Some(summary_of(record, &insights, participants))
}

/// [`summarise`] with the call-level insights already computed.
pub fn compose(record: &ConversationRecord, insights: &[Insight]) -> Option<String> {
    if record.messages.is_empty() && record.signals.is_empty() && record.post_call.is_empty() {
        return None;
    }
    Some(summary_of(record, insights, &Participants::default()).to_html())
}

/// How the two sides are named: a name they gave, else their role.
struct Names {
    customer: String,
    agent: String,
    customer_named: bool,
}

impl Names {
    fn voices(&self, side: Side) -> Voices<'_> {
        match side {
            Side::Customer => Voices {
                speaker: &self.customer,
                listener: &self.agent,
            },
            Side::Agent => Voices {
                speaker: &self.agent,
                listener: &self.customer,
            },
        }
    }

    fn retell(&self, s: &Sentence<'_>) -> String {
        report(s.text, self.voices(s.side))
    }
}

fn summary_of(
    record: &ConversationRecord,
    insights: &[Insight],
    participants: &Participants,
) -> Summary {
    let sentences = facts::read(record);
    let (customer, agent) = facts::participant_names(&sentences);
    let names = Names {
        customer_named: participants.customer.is_none() && customer.is_some(),
        customer: (participants.customer.clone().or(customer))
            .unwrap_or_else(|| "the customer".to_owned()),
        agent: (participants.agent.clone().or(agent)).unwrap_or_else(|| "the agent".to_owned()),
    };
    let substantive: Vec<usize> = (0..sentences.len())
        .filter(|&i| !sentences[i].is_small_talk())
        .collect();
    let mut used = vec![false; sentences.len()];
    let mut summary = Summary::default();

    // Customer Impression: why they called, what worries them, how they felt.
    if let Some(reason) = reason(&sentences, &substantive) {
        used[reason] = true;
        let mut text = names.retell(&sentences[reason]);
        let named = format!("{} ", names.customer);
        if names.customer_named && text.starts_with(&named) {
            text = format!("{}, the customer, {}", names.customer, &text[named.len()..]);
        }
        summary.impression.push(text);
    }
    let worries = best(
        &sentences,
        &substantive,
        &used,
        1 + substantive.len() / 60,
        |s| {
            (s.side == Side::Customer && s.has(Cue::Worry))
                .then(|| 2.0 * s.cue(Cue::Worry) + s.cue(Cue::Problem))
        },
    );
    for &i in &worries {
        used[i] = true;
        summary.impression.push(names.retell(&sentences[i]));
    }
    summary
        .impression
        .extend(feeling(insights, &names, &sentences));

    // Call Summary: what the call was about, then offers, comparisons, decisions, amounts.
    // Not the participants' own names: the sentence names them already.
    let named = [names.customer.to_lowercase(), names.agent.to_lowercase()];
    let topics: Vec<String> = facts::topics(&sentences, 5)
        .into_iter()
        .filter(|t| !named.contains(t))
        .take(3)
        .collect();
    if !topics.is_empty() {
        summary.call.push(format!(
            "{} and {} talk about {}.",
            capitalise(&names.agent),
            names.customer,
            listed(&topics)
        ));
    }
    let most_steps = (substantive.len() / 4).clamp(1, 5);
    let steps: Vec<usize> = best(&sentences, &substantive, &used, most_steps, |s| {
        (s.has(Cue::Commitment) && !s.question && s.content_words >= 3)
            .then(|| s.cue(Cue::Commitment) + s.cue(Cue::When) + 0.5 * s.cue(Cue::Decision))
    });
    for &i in &steps {
        used[i] = true;
    }
    let room = (substantive.len() / 12).min(5);
    let mut discussed = best(&sentences, &substantive, &used, room, |s| {
        let weight = match s.side {
            Side::Agent => 2.0 * s.cue(Cue::Offer) + s.cue(Cue::Decision),
            Side::Customer => 2.0 * s.cue(Cue::Decision) + s.cue(Cue::Problem) + s.cue(Cue::Intent),
        };
        Some(
            weight
                + 1.5 * s.cue(Cue::Comparison)
                + 2.0 * s.amounts.len() as f64
                + s.names.len() as f64
                + (s.content_words.min(15) as f64) / 15.0
                + s.topic.min(3.0)
                - if s.question { 1.0 } else { 0.0 },
        )
    });
    // The last decision the customer voiced, if it is not among them.
    if let Some(decision) = substantive.iter().rev().copied().find(|&i| {
        let s = &sentences[i];
        s.side == Side::Customer && s.has(Cue::Decision) && !s.question && !used[i]
    }) {
        if !discussed.contains(&decision) {
            discussed.push(decision);
            discussed.sort_unstable();
        }
    }
    for &i in &discussed {
        used[i] = true;
        summary.call.push(names.retell(&sentences[i]));
    }
    if record.messages.is_empty() {
        summary
            .call
            .push("No transcript was recorded for this call.".to_owned());
    }
    let mut told: String = summary.impression.join(" ") + " " + &summary.call.join(" ");
    for &i in &steps {
        told.push(' ');
        told.push_str(sentences[i].text);
    }
    if let Some(also) = also_mentioned(&sentences, &told, &names) {
        summary.call.push(also);
    }
    if let Some(flags) = flagged(insights) {
        summary.call.push(flags);
    }

    // Next Steps, in the order they were said.
    for &i in &steps {
        let step = names.retell(&sentences[i]);
        if !summary.next_steps.contains(&step) {
            summary.next_steps.push(step);
        }
    }
    summary
}

/// The customer's most telling sentence early in the call about why they called; else their
/// first substantive sentence; else anyone's.
fn reason(sentences: &[Sentence<'_>], substantive: &[usize]) -> Option<usize> {
    let early = (sentences.len() / 2).max(8);
    let mut best: Option<(f64, usize)> = None;
    for &i in substantive.iter().filter(|&&i| i < early) {
        let s = &sentences[i];
        if s.side != Side::Customer {
            continue;
        }
        let score = 3.0 * s.cue(Cue::Intent)
            + 2.0 * s.cue(Cue::Problem)
            + s.cue(Cue::Comparison)
            + 0.5 * s.amounts.len() as f64
            + 0.5 * s.topic.min(3.0)
            - if s.question { 0.5 } else { 0.0 };
        if (s.has(Cue::Intent) || s.has(Cue::Problem)) && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, i));
        }
    }
    best.map(|(_, i)| i)
        .or_else(|| {
            let customer = |i: &&usize| {
                let s = &sentences[**i];
                s.side == Side::Customer && s.content_words >= 3 && !s.question
            };
            let mut first: Vec<usize> = substantive
                .iter()
                .filter(customer)
                .take(4)
                .copied()
                .collect();
            first.sort_by(|a, b| {
                sentences[*b]
                    .topic
                    .total_cmp(&sentences[*a].topic)
                    .then(a.cmp(b))
            });
            first.first().copied()
        })
        .or_else(|| substantive.first().copied())
}

/// Up to `k` unused substantive sentences with the highest score (those `score` gives one
/// for, above zero), in transcript order. Ties go to the earlier sentence.
fn best(
    sentences: &[Sentence<'_>],
    substantive: &[usize],
    used: &[bool],
    k: usize,
    score: impl Fn(&Sentence<'_>) -> Option<f64>,
) -> Vec<usize> {
    let mut scored: Vec<(f64, usize)> = substantive
        .iter()
        .filter(|&&i| !used[i])
        .filter_map(|&i| score(&sentences[i]).filter(|v| *v > 0.0).map(|v| (v, i)))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut picked: Vec<usize> = scored.into_iter().take(k).map(|(_, i)| i).collect();
    picked.sort_unstable();
    picked
}

/// How the customer felt and how that changed: from their sentiment when it was measured,
/// else from their words when they voiced a worry.
fn feeling(insights: &[Insight], names: &Names, sentences: &[Sentence<'_>]) -> Option<String> {
    let customer = capitalise(&names.customer);
    let measured = insights.iter().find_map(|i| match i {
        Insight::Sentiment {
            participant,
            average,
            by_quarter,
            ..
        } if participant == "CUSTOMER" => Some((*average, *by_quarter)),
        _ => None,
    });
    if let Some((average, quarters)) = measured {
        let first = quarters.iter().flatten().next().copied();
        let last = quarters.iter().flatten().last().copied();
        return Some(match (first, last) {
            (Some(a), Some(b)) if mood(a) != mood(b) => {
                format!("{customer} started out {} and ended {}.", mood(a), mood(b))
            }
            _ => format!("{customer} sounded {} overall.", mood(average)),
        });
    }
    let said = |cue: Cue, from: usize| {
        sentences[from..]
            .iter()
            .any(|s| s.side == Side::Customer && s.has(cue))
    };
    let late = sentences.len().saturating_sub(sentences.len() / 4 + 1);
    let worried = sentences
        .iter()
        .any(|s| s.side == Side::Customer && s.has(Cue::Worry) && s.has(Cue::Problem));
    worried.then(|| {
        if said(Cue::Decision, late) {
            format!("{customer} sounded frustrated at first and satisfied by the end.")
        } else {
            format!("{customer} sounded frustrated.")
        }
    })
}

/// A word for a sentiment score (−1000..1000).
fn mood(score: f64) -> &'static str {
    match score {
        s if s <= -500.0 => "upset",
        s if s <= -150.0 => "frustrated",
        s if s < 150.0 => "calm",
        s if s < 500.0 => "satisfied",
        _ => "pleased",
    }
}

/// Amounts and names said in the call that the sentences chosen do not already tell.
fn also_mentioned(sentences: &[Sentence<'_>], told: &str, names: &Names) -> Option<String> {
    const MOST: usize = 8;
    let mut missing: Vec<&str> = Vec::new();
    let amounts = sentences
        .iter()
        .flat_map(|s| s.amounts.iter().map(String::as_str));
    let named = sentences.iter().flat_map(|s| s.names.iter().copied());
    for item in amounts.chain(named) {
        if missing.len() == MOST {
            break;
        }
        let participant = item == names.customer || item == names.agent;
        if !participant && !told.contains(item) && !missing.contains(&item) {
            missing.push(item);
        }
    }
    (!missing.is_empty()).then(|| format!("Also mentioned: {}.", missing.join(", ")))
}

/// The real-time categories raised during the call, with how often.
fn flagged(insights: &[Insight]) -> Option<String> {
    let raised: Vec<String> = insights
        .iter()
        .filter_map(|i| match i {
            Insight::Signal {
                category, count, ..
            } => Some(format!("{category} ({count})")),
            _ => None,
        })
        .collect();
    (!raised.is_empty()).then(|| format!("Flagged during the call: {}.", raised.join(", ")))
}

/// "a", "a and b", "a, b and c".
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}
