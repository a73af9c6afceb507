//! The summariser port and the choice between the two summarisers.

use std::fmt::Write;
use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::sanitise::{sanitise, visible_text};
use crate::intelligence::summary;
pub use crate::prompts::{SummaryPrompts, DEFAULT_PROMPT};
use crate::store::ConversationRecord;

/// Which summariser wrote a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "summariser", rename_all = "camelCase")]
pub enum Summariser {
    /// The deterministic one in [`crate::intelligence::summary`].
    BuiltIn,
    /// A generative model, by its id.
    #[serde(rename_all = "camelCase")]
    Generative { model_id: String },
}

/// A conversation's summary and who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WrittenSummary {
    /// HTML with the sections Customer Impression, Call Summary, Next Steps; `None` when there
    /// was nothing to summarise.
    pub call_summary: Option<String>,
    #[serde(flatten)]
    pub by: Summariser,
}

/// Why a generative summary could not be had. Every kind falls back to the built-in summary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerativeError {
    #[error("throttled")]
    Throttled,
    #[error("timed out")]
    TimedOut,
    #[error("service unavailable or refused the request")]
    Unavailable,
    #[error("the answer holds no usable summary")]
    Unusable,
}

/// A generative summariser: from a prompt to the model's text.
pub trait GenerativeSummariser: Send + Sync {
    /// The model's id, recorded with what it wrote.
    fn model_id(&self) -> &str;

    /// The prompt template for `org` (the tenant's own, else the default).
    fn prompt_for(&self, org: &str) -> &str;

    /// The longest the summariser may take.
    fn time_limit(&self) -> Duration;

    /// Asks the model; returns its text as it answered.
    fn generate(
        &self,
        prompt: &str,
    ) -> impl Future<Output = Result<String, GenerativeError>> + Send;
}

/// The generative summariser's configuration, read once at start-up. In AWS the prompts are
/// per tenant (the record's `summaryPrompt`); `SUMMARY_PROMPTS` serves local runs and imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryConfig {
    /// `SUMMARY_MODEL_ID`: the Bedrock model (or inference profile) id; empty: off.
    pub model_id: Option<String>,
    /// `SUMMARY_PROMPTS`: the prompt templates (JSON, see [`SummaryPrompts::from_json`]).
    pub prompts: SummaryPrompts,
    /// `SUMMARY_TIMEOUT_MS`: the most one summary may take (default 20 s).
    pub time_limit: Duration,
}

impl SummaryConfig {
    pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(20);

    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let prompts = match var("SUMMARY_PROMPTS") {
            Some(doc) => {
                SummaryPrompts::from_json(&doc).map_err(|e| format!("SUMMARY_PROMPTS: {e}"))?
            }
            None => SummaryPrompts::default(),
        };
        let time_limit = match var("SUMMARY_TIMEOUT_MS") {
            Some(ms) => Duration::from_millis(
                ms.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|ms| *ms > 0)
                    .ok_or("SUMMARY_TIMEOUT_MS: a positive number of milliseconds")?,
            ),
            None => Self::DEFAULT_TIME_LIMIT,
        };
        Ok(Self {
            model_id: var("SUMMARY_MODEL_ID").map(|m| m.trim().to_owned()),
            prompts,
            time_limit,
        })
    }
}

/// The most transcript text a prompt carries: the start and the end of a longer call.
const PROMPT_TRANSCRIPT_CHARS: usize = 60_000;

/// The transcript as the prompt shows it: `AGENT: …` / `CUSTOMER: …`, one line per entry.
pub fn transcript_text(record: &ConversationRecord) -> String {
    let mut text = String::new();
    for m in &record.messages {
        let side = match m.sender_type.as_str() {
            "END_USER" | "EXTERNAL_USER" => "CUSTOMER",
            _ => "AGENT",
        };
        let _ = writeln!(text, "{side}: {}", m.content.replace('\n', " "));
    }
    if text.len() > PROMPT_TRANSCRIPT_CHARS {
        let half = PROMPT_TRANSCRIPT_CHARS / 2;
        let head_end = floor_char_boundary(&text, half);
        let tail_start = floor_char_boundary(&text, text.len() - half);
        text = format!("{}\n[…]\n{}", &text[..head_end], &text[tail_start..]);
    }
    text
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The sections a usable generative summary has.
const SECTIONS: [&str; 3] = ["Customer Impression", "Call Summary", "Next Steps"];

/// The conversation's summary: the generative summariser's when one is given and it answers in
/// time with a usable summary (sanitised), else the built-in one.
pub async fn summarise<G: GenerativeSummariser>(
    generative: Option<&G>,
    org: &str,
    own_prompt: Option<&str>,
    record: &ConversationRecord,
) -> WrittenSummary {
    let built_in = || WrittenSummary {
        call_summary: summary::summarise(record),
        by: Summariser::BuiltIn,
    };
    let Some(model) = generative else {
        crate::metrics::analysis("builtIn", "none");
        return built_in();
    };
    if record.messages.is_empty() {
        crate::metrics::analysis("builtIn", "noTranscript");
        return built_in();
    }
    // The tenant's own template (its record's summaryPrompt), else the configured default.
    let prompt = own_prompt
        .unwrap_or_else(|| model.prompt_for(org))
        .replace("{transcript}", &transcript_text(record));
    let answer = match tokio::time::timeout(model.time_limit(), model.generate(&prompt)).await {
        Ok(answer) => answer,
        Err(_) => Err(GenerativeError::TimedOut),
    };
    match answer.and_then(|text| usable(&text)) {
        Ok(html) => {
            crate::metrics::analysis("generative", "none");
            WrittenSummary {
                call_summary: Some(html),
                by: Summariser::Generative {
                    model_id: model.model_id().to_owned(),
                },
            }
        }
        Err(why) => {
            crate::metrics::analysis(
                "builtIn",
                match why {
                    GenerativeError::Throttled => "throttled",
                    GenerativeError::TimedOut => "timedOut",
                    GenerativeError::Unavailable => "unavailable",
                    GenerativeError::Unusable => "unusable",
                },
            );
            tracing::warn!(model = model.model_id(), reason = %why, "generative summary unavailable; the built-in summary is used");
            built_in()
        }
    }
}

/// The model's answer, sanitised, when it has the three sections with something in them.
fn usable(answer: &str) -> Result<String, GenerativeError> {
    // Models like to wrap HTML in a Markdown code fence.
    let answer = answer.trim();
    let answer = answer
        .strip_prefix("```html")
        .or_else(|| answer.strip_prefix("```"))
        .map_or(answer, |a| a.trim().trim_end_matches("```").trim());
    let html = sanitise(answer);
    let text = visible_text(&html);
    let positions: Option<Vec<usize>> = SECTIONS.iter().map(|s| text.find(s)).collect();
    match positions {
        Some(p) if p.windows(2).all(|w| w[0] < w[1]) && text.len() > 80 => Ok(html),
        _ => Err(GenerativeError::Unusable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_without_the_three_sections_is_unusable() {
        assert_eq!(
            usable("I cannot help with that."),
            Err(GenerativeError::Unusable)
        );
        let good = "```html\n<p><strong>Customer Impression</strong></p><p>Sam called about evening outages on the internet line.</p><p><strong>Call Summary</strong></p><p>An upgrade was offered.</p><p><strong>Next Steps</strong></p><ol><li>Technician visit Thursday.</li></ol>\n```";
        let html = usable(good).unwrap();
        assert!(html.starts_with("<p><strong>Customer Impression"), "{html}");
        assert!(!html.contains("```"));
    }
}
