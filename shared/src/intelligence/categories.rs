//! Moment categories: the three built in, and keyword categories each tenant configures
//! (`INSIGHT_CATEGORIES` / `INSIGHT_CATEGORIES_FILE`).
//!
//! What makes a moment (docs/api.md, "Moments"):
//! * **Question**: a sentence of the entry ends with `?`, or starts with a question opener
//!   ("what", "how", "can you", "do you", …).
//! * **Pricing**: a price word ("price", "cost", "quote", "discount", "budget", …) or an amount
//!   of money: a currency symbol before a number ("$1,200"), a number before a currency word
//!   ("55 dollars"), or a number before a rate ("55 per user", "1,200 a month").
//! * **Next Step**: a commitment to what happens after the call ("next step", "follow up",
//!   "send you", "schedule", "talk soon", "available next", "work on that", …).
//! * **Tenant categories**: any of the category's keywords or phrases.

use std::collections::HashMap;

use serde::Deserialize;

use super::text::{normalise, normalise_into, PhraseMatcher};

pub const QUESTION: &str = "Question";
pub const PRICING: &str = "Pricing";
pub const NEXT_STEP: &str = "Next Step";
pub const QUESTION_TYPE_ID: &str = "00000000-0000-0000-0000-000000001010";
pub const PRICING_TYPE_ID: &str = "00000000-0000-0000-0000-000000001001";
pub const NEXT_STEP_TYPE_ID: &str = "00000000-0000-0000-0000-000000001000";

pub const QUESTION_OPENERS: &[&str] = &[
    "who",
    "whom",
    "whose",
    "what",
    "when",
    "where",
    "which",
    "why",
    "how",
    "can you",
    "could you",
    "would you",
    "will you",
    "do you",
    "did you",
    "does it",
    "are you",
    "is there",
    "is it",
    "have you",
    "should we",
    "shall we",
];

/// The length of the longest of [`QUESTION_OPENERS`].
const LONGEST_OPENER: usize = {
    let mut longest = 0;
    let mut i = 0;
    while i < QUESTION_OPENERS.len() {
        if QUESTION_OPENERS[i].len() > longest {
            longest = QUESTION_OPENERS[i].len();
        }
        i += 1;
    }
    longest
};

const PRICE_WORDS: &[&str] = &[
    "price",
    "prices",
    "pricing",
    "priced",
    "cost",
    "costs",
    "costing",
    "quote",
    "quotes",
    "quoted",
    "discount",
    "discounts",
    "budget",
    "fee",
    "fees",
    "invoice",
    "billing",
    "how much",
    "rate card",
    "list price",
];

const CURRENCY_WORDS: &[&str] = &[
    "dollar", "dollars", "usd", "euro", "euros", "eur", "pound", "pounds", "gbp", "bucks", "cents",
];

const RATE_UNITS: &[&str] = &[
    "month", "year", "week", "day", "hour", "seat", "user", "license", "licence", "head",
];

pub(crate) const NEXT_STEP_PHRASES: &[&str] = &[
    "next step",
    "next steps",
    "next week",
    "next month",
    "available next",
    "follow up",
    "followup",
    "get back to you",
    "circle back",
    "send you",
    "send it over",
    "send over",
    "email you",
    "i ll send",
    "i will send",
    "we ll send",
    "schedule",
    "set up a call",
    "set up a meeting",
    "set up a demo",
    "book a",
    "put together",
    "work on that",
    "call you back",
    "reach out",
    "talk soon",
    "speak soon",
    "talk to you soon",
    "talk tomorrow",
    "by tomorrow",
    "by friday",
    "end of the week",
];

const CURRENCY_SYMBOLS: &[char] = &['$', '€', '£', '¥'];

/// A moment category, built in or configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub name: String,
    pub insight_type_id: String,
    /// Signals or moments of an alert category make the moments around them need attention.
    pub alert: bool,
}

/// The categories one tenant's transcripts are searched for, with their phrase matcher.
pub struct TenantCategories {
    /// Built-in categories first (Question, Pricing, Next Step), then the tenant's own.
    pub categories: Vec<Category>,
    /// The same for every tenant: built once, shared (10,000 tenants hold one).
    price_and_steps: &'static PhraseMatcher,
    keywords: PhraseMatcher,
}

pub const QUESTION_INDEX: usize = 0;
pub const PRICING_INDEX: usize = 1;
pub const NEXT_STEP_INDEX: usize = 2;

impl TenantCategories {
    /// The built-in categories and `own` (name, keywords, alert), already checked with
    /// [`check_category`].
    pub fn configured<'a>(
        org: &str,
        own: impl IntoIterator<Item = (&'a str, &'a [String], bool)>,
    ) -> Self {
        let own = own
            .into_iter()
            .map(|(name, keywords, alert)| ConfiguredCategory {
                org_id: org.to_owned(),
                name: name.to_owned(),
                keywords: keywords.to_vec(),
                alert,
            })
            .collect();
        Self::new(own, org)
    }

    fn new(own: Vec<ConfiguredCategory>, org: &str) -> Self {
        let builtin = [
            (QUESTION, QUESTION_TYPE_ID),
            (PRICING, PRICING_TYPE_ID),
            (NEXT_STEP, NEXT_STEP_TYPE_ID),
        ];
        let mut categories: Vec<Category> = builtin
            .into_iter()
            .map(|(name, id)| Category {
                name: name.to_owned(),
                insight_type_id: id.to_owned(),
                alert: false,
            })
            .collect();
        for c in &own {
            categories.push(Category {
                name: c.name.clone(),
                insight_type_id: tenant_type_id(org, &c.name),
                alert: c.alert,
            });
        }
        let keywords = PhraseMatcher::new(own.iter().enumerate().flat_map(|(i, c)| {
            c.keywords
                .iter()
                .map(move |k| (NEXT_STEP_INDEX + 1 + i, k.as_str()))
        }));
        static PRICE_AND_STEPS: std::sync::OnceLock<PhraseMatcher> = std::sync::OnceLock::new();
        let price_and_steps = PRICE_AND_STEPS.get_or_init(|| {
            PhraseMatcher::new(
                PRICE_WORDS
                    .iter()
                    .map(|w| (PRICING_INDEX, *w))
                    .chain(NEXT_STEP_PHRASES.iter().map(|p| (NEXT_STEP_INDEX, *p))),
            )
        });
        Self {
            categories,
            price_and_steps,
            keywords,
        }
    }

    /// Marks in `hits` (one flag per category) every category `text` belongs to.
    pub fn classify(&self, text: &str, hits: &mut [bool]) {
        hits.iter_mut().for_each(|h| *h = false);
        let normalised = normalise(text);
        self.price_and_steps
            .each_match(&normalised, |c| hits[c] = true);
        self.keywords.each_match(&normalised, |c| hits[c] = true);
        let mut start = String::new();
        hits[QUESTION_INDEX] =
            super::text::sentences(text).any(|s| Self::is_question(s, &mut start));
        hits[PRICING_INDEX] |= mentions_money(text, &normalised);
    }

    /// `start` is a buffer for the sentence's first words.
    fn is_question(sentence: &str, start: &mut String) -> bool {
        if sentence.ends_with('?') {
            return true;
        }
        // An opener counts only at the very start of the sentence: only as much of it is
        // normalised as the longest opener needs, with its spaces on both sides.
        normalise_into(sentence, start, LONGEST_OPENER + 2);
        let words = &start[1..];
        QUESTION_OPENERS.iter().any(|q| {
            words
                .strip_prefix(q)
                .is_some_and(|rest| rest.starts_with(' '))
        })
    }
}

/// A currency symbol before a number, a number before a currency word, or a number before a
/// rate ("per user", "a month").
fn mentions_money(text: &str, normalised: &str) -> bool {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if CURRENCY_SYMBOLS.contains(&c) {
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            if chars.peek().is_some_and(char::is_ascii_digit) {
                return true;
            }
        }
    }
    // The rest needs a number.
    if !normalised.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    let tokens: Vec<&str> = normalised.split_whitespace().collect();
    tokens.windows(2).enumerate().any(|(i, w)| {
        let number = w[0].bytes().all(|b| b.is_ascii_digit());
        number
            && (CURRENCY_WORDS.contains(&w[1])
                || (w[1] == "per" && tokens.get(i + 2).is_some())
                || ((w[1] == "a" || w[1] == "an")
                    && tokens.get(i + 2).is_some_and(|u| RATE_UNITS.contains(u))))
    })
}

/// A tenant category's `insightTypeId`: a UUID (v5) of the tenant and the name, stable across
/// deployments and restarts.
pub fn tenant_type_id(org: &str, name: &str) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1c_2a4e_8b7d_4c3a_9e5f_0a1b_2c3d_4e5f);
    uuid::Uuid::new_v5(&NAMESPACE, format!("{org}/{name}").as_bytes()).to_string()
}

/// One entry of an `INSIGHT_CATEGORIES` document.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfiguredCategory {
    pub org_id: String,
    pub name: String,
    pub keywords: Vec<String>,
    #[serde(default)]
    pub alert: bool,
}

/// Why a tenant category cannot be configured, if it cannot: `earlier` are the names of the
/// tenant's categories before it.
pub fn check_category<'a>(
    name: &str,
    keywords: &[String],
    mut earlier: impl Iterator<Item = &'a str>,
) -> Result<(), &'static str> {
    if name.trim().is_empty() {
        return Err("name must not be empty");
    }
    if [QUESTION, PRICING, NEXT_STEP]
        .iter()
        .any(|b| b.eq_ignore_ascii_case(name.trim()))
    {
        return Err("name is a built-in category");
    }
    if keywords.iter().all(|k| normalise(k).trim().is_empty()) {
        return Err("keywords must hold at least one word");
    }
    if earlier.any(|o| o.eq_ignore_ascii_case(name)) {
        return Err("name is configured twice for this org");
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesDocument {
    categories: Vec<ConfiguredCategory>,
}

#[derive(Debug, thiserror::Error)]
pub enum CategoriesError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("not a valid categories document: {0}")]
    Json(String),
    #[error("category {index}: {why}")]
    Category { index: usize, why: &'static str },
}

/// Every tenant's categories, built once at start-up.
pub struct InsightCategories {
    by_org: HashMap<String, TenantCategories>,
    builtin_only: TenantCategories,
}

impl Default for InsightCategories {
    fn default() -> Self {
        Self {
            by_org: HashMap::new(),
            builtin_only: TenantCategories::new(Vec::new(), ""),
        }
    }
}

impl InsightCategories {
    /// `{"categories":[{"orgId":…,"name":…,"keywords":[…],"alert":false}]}`.
    pub fn from_json(doc: &str) -> Result<Self, CategoriesError> {
        let grouped = Self::entries_from_json(doc)?;
        let by_org = grouped.into_iter().map(|(org, own)| {
            let categories = TenantCategories::new(own, &org);
            (org, categories)
        });
        Ok(Self {
            by_org: by_org.collect(),
            ..Self::default()
        })
    }

    /// The document's categories, checked, by org (what an import writes to tenant records).
    pub fn entries_from_json(
        doc: &str,
    ) -> Result<HashMap<String, Vec<ConfiguredCategory>>, CategoriesError> {
        let doc: CategoriesDocument =
            serde_json::from_str(doc).map_err(|e| CategoriesError::Json(e.to_string()))?;
        let mut grouped: HashMap<String, Vec<ConfiguredCategory>> = HashMap::new();
        for (index, c) in doc.categories.into_iter().enumerate() {
            let own = grouped.entry(c.org_id.clone()).or_default();
            check_category(&c.name, &c.keywords, own.iter().map(|o| o.name.as_str()))
                .map_err(|why| CategoriesError::Category { index, why })?;
            own.push(c);
        }
        Ok(grouped)
    }

    /// From `INSIGHT_CATEGORIES` (the document) or `INSIGHT_CATEGORIES_FILE` (its path); none
    /// configured means the built-in categories only.
    pub fn from_env() -> Result<Self, CategoriesError> {
        Self::from_json(&Self::document_from_env()?)
    }

    /// The document `INSIGHT_CATEGORIES` holds or `INSIGHT_CATEGORIES_FILE` names; an empty
    /// one when neither is set.
    pub fn document_from_env() -> Result<String, CategoriesError> {
        if let Ok(doc) = std::env::var("INSIGHT_CATEGORIES") {
            if !doc.trim().is_empty() {
                return Ok(doc);
            }
        }
        match std::env::var("INSIGHT_CATEGORIES_FILE") {
            Ok(path) if !path.trim().is_empty() => std::fs::read_to_string(&path)
                .map_err(|source| CategoriesError::Read { path, source }),
            _ => Ok(r#"{"categories":[]}"#.to_owned()),
        }
    }

    pub fn for_org(&self, org: &str) -> &TenantCategories {
        self.by_org.get(org).unwrap_or(&self.builtin_only)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(categories: &TenantCategories, text: &str) -> Vec<String> {
        let mut flags = vec![false; categories.categories.len()];
        categories.classify(text, &mut flags);
        categories
            .categories
            .iter()
            .zip(flags)
            .filter(|(_, f)| *f)
            .map(|(c, _)| c.name.clone())
            .collect()
    }

    #[test]
    fn the_seed_sample_entries() {
        let c = InsightCategories::default();
        let c = c.for_org("00D");
        assert_eq!(hits(c, "Long you been with Solutions?"), ["Question"]);
        assert_eq!(hits(c, "Like how pay, can you break me?"), ["Question"]);
        assert_eq!(
            hits(c, "Like monthly it quarterly or annual?"),
            ["Question"]
        );
        assert_eq!(hits(c, "You said 16 licenses, correct?"), ["Question"]);
        assert_eq!(
            hits(c, "It's monthly can access it via once customer. intermediate subscription about $1,200 a month. the premium, an additional $55 per you include looking at about 20."),
            ["Pricing"]
        );
        assert_eq!(
            hits(c, "Like to subscription. available next be great just to prove out concept little me work on that with my Linda, that she can be on it have a large deal of influence."),
            ["Next Step"]
        );
        assert_eq!(hits(c, "Talk soon."), ["Next Step"]);
        assert!(hits(c, "Sounds good, thanks for explaining that.").is_empty());
    }

    #[test]
    fn money_forms() {
        let c = InsightCategories::default();
        let c = c.for_org("00D");
        for text in [
            "It's 55 per user.",
            "That comes to 1,200 a month",
            "About € 40",
            "Twenty dollars",
            "We'd want 30 dollars off",
        ] {
            let found = hits(c, text);
            if text == "Twenty dollars" {
                assert!(found.is_empty(), "{text}: a number must be in digits");
            } else {
                assert_eq!(found, ["Pricing"], "{text}");
            }
        }
        assert!(hits(c, "We have 16 licenses and 20 users.").is_empty());
    }

    #[test]
    fn questions_without_a_question_mark() {
        let c = InsightCategories::default();
        let c = c.for_org("00D");
        assert_eq!(hits(c, "How many licenses do you need."), ["Question"]);
        assert!(hits(c, "Somehow it works.").is_empty());
    }

    #[test]
    fn tenant_keywords_with_stable_ids() {
        let doc = r#"{"categories":[{"orgId":"00DA","name":"Competitor","keywords":["Genius Solutions","Acme"],"alert":true}]}"#;
        let all = InsightCategories::from_json(doc).unwrap();
        let a = all.for_org("00DA");
        assert_eq!(
            hits(a, "We've used GENIUS solutions for years."),
            ["Competitor"]
        );
        assert!(hits(
            all.for_org("00DB"),
            "We've used Genius Solutions for years."
        )
        .is_empty());
        assert_eq!(
            a.categories[3].insight_type_id,
            tenant_type_id("00DA", "Competitor")
        );
        assert_ne!(
            tenant_type_id("00DA", "Competitor"),
            tenant_type_id("00DB", "Competitor")
        );
        assert!(a.categories[3].alert);
    }

    #[test]
    fn bad_documents() {
        assert!(InsightCategories::from_json("{").is_err());
        assert!(InsightCategories::from_json(
            r#"{"categories":[{"orgId":"o","name":"Pricing","keywords":["x"]}]}"#
        )
        .is_err());
        assert!(InsightCategories::from_json(
            r#"{"categories":[{"orgId":"o","name":"C","keywords":["..."]}]}"#
        )
        .is_err());
    }
}
