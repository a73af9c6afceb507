//! Summary prompt templates (`SUMMARY_PROMPTS`): the default and per-tenant overrides, each
//! holding `{transcript}`. The generative summariser reads them (`crate::analysis`); an import
//! turns the overrides into tenant records' `summaryPrompt` (`crate::tenants::import`).

use std::collections::HashMap;

use serde::Deserialize;

/// The default prompt: `{transcript}` is replaced by the conversation's transcript.
pub const DEFAULT_PROMPT: &str = "You summarise customer service and sales phone calls for the \
agent's CRM. Read the transcript below (one line per turn: AGENT or CUSTOMER, then what they said) \
and answer with HTML only, using just the tags p, strong, ol, li and br, in exactly three sections:\n\
<p><strong>Customer Impression</strong></p><p>who the customer is where known, why they called, \
what they need or worry about, how they felt and how that changed</p>\n\
<p><strong>Call Summary</strong></p><p>what was discussed, offered and decided, naming the amounts, \
products, plans and competitors mentioned</p>\n\
<p><strong>Next Steps</strong></p><ol><li>who does what, and when, one item each</li></ol>\n\
Say only what the transcript says. Transcript:\n{transcript}";

/// Prompt templates: a default and per-tenant overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryPrompts {
    default: String,
    by_org: HashMap<String, String>,
}

impl Default for SummaryPrompts {
    fn default() -> Self {
        Self {
            default: DEFAULT_PROMPT.to_owned(),
            by_org: HashMap::new(),
        }
    }
}

impl SummaryPrompts {
    /// `{"default": "...", "orgs": {"00D...": "..."}}`; each template must hold `{transcript}`.
    pub fn from_json(doc: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            default: Option<String>,
            #[serde(default)]
            orgs: HashMap<String, String>,
        }
        let doc: Doc = serde_json::from_str(doc).map_err(|e| e.to_string())?;
        let default = doc.default.unwrap_or_else(|| DEFAULT_PROMPT.to_owned());
        for (name, template) in std::iter::once(("default", &default))
            .chain(doc.orgs.iter().map(|(k, v)| (k.as_str(), v)))
        {
            if !template.contains("{transcript}") {
                return Err(format!("the prompt of {name} has no {{transcript}}"));
            }
        }
        Ok(Self {
            default,
            by_org: doc.orgs,
        })
    }

    pub fn for_org(&self, org: &str) -> &str {
        self.by_org.get(org).unwrap_or(&self.default)
    }

    /// The per-org templates (what an import writes to tenant records).
    pub fn overrides(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_org.iter().map(|(o, t)| (o.as_str(), t.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_per_tenant_need_the_transcript() {
        let p =
            SummaryPrompts::from_json(r#"{"orgs":{"00DA":"Summarise: {transcript}"}}"#).unwrap();
        assert_eq!(p.for_org("00DA"), "Summarise: {transcript}");
        assert_eq!(p.for_org("00DB"), DEFAULT_PROMPT);
        assert!(SummaryPrompts::from_json(r#"{"default":"no placeholder"}"#).is_err());
        assert!(SummaryPrompts::from_json(r#"{"other":1}"#).is_err());
    }
}
