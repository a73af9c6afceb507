//! Redaction of personal data in what callers send (CONTRACT §8): transcript `content` and
//! real-time event `details` strings lose card numbers, social security numbers, email addresses
//! and phone numbers before anything is stored, published, pushed live, summarised or logged.
//!
//! One pass over the text ([`scan`]) cuts it into words; [`numbers`] joins digits — of any
//! script, typed or spoken ("four one one one") — across spaces and dashes into numbers and
//! tells which are card numbers (Luhn-valid), SSNs or phone numbers; [`email`] finds addresses,
//! typed or spoken ("jane dot doe at example dot com"). Every step looks at each character a
//! bounded number of times: the cost is linear in the text, whatever it holds.
//!
//! A tenant's setting ([`Redactor`], compiled from its record) says which entities are masked
//! and how: `[PII]`, or the entity's name (`[CREDIT_DEBIT_NUMBER]`).

mod digits;
mod email;
mod numbers;
mod scan;

#[cfg(test)]
mod tests;

use std::borrow::Cow;

use serde_json::Value;

use crate::model::{RealtimeEvents, TranscriptMessage};

/// What can be masked: Amazon Transcribe's and Contact Lens's entity names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    CreditDebitNumber,
    Ssn,
    Email,
    Phone,
}

impl Entity {
    pub const ALL: [Entity; 4] = [
        Entity::CreditDebitNumber,
        Entity::Ssn,
        Entity::Email,
        Entity::Phone,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::CreditDebitNumber => "CREDIT_DEBIT_NUMBER",
            Self::Ssn => "SSN",
            Self::Email => "EMAIL",
            Self::Phone => "PHONE",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }

    fn mask(self, mask: Mask) -> &'static str {
        match (mask, self) {
            (Mask::Pii, _) => "[PII]",
            (Mask::EntityType, Self::CreditDebitNumber) => "[CREDIT_DEBIT_NUMBER]",
            (Mask::EntityType, Self::Ssn) => "[SSN]",
            (Mask::EntityType, Self::Email) => "[EMAIL]",
            (Mask::EntityType, Self::Phone) => "[PHONE]",
        }
    }
}

const MASKS: [&str; 5] = [
    "[PII]",
    "[CREDIT_DEBIT_NUMBER]",
    "[SSN]",
    "[EMAIL]",
    "[PHONE]",
];

/// Whether `word` (punctuation around it allowed) is a mask redaction wrote: what text
/// analysis must not take for a word the caller said ("credit", "email") or a name ("SSN").
pub fn is_mask(word: &str) -> bool {
    let core =
        word.trim_matches(|c: char| c != '[' && c != ']' && !c.is_alphanumeric() && c != '_');
    MASKS.contains(&core)
}

/// `text` with every mask replaced by a space, for analysis that counts words.
pub fn without_masks(text: &str) -> Cow<'_, str> {
    if !text.contains('[') {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for mask in MASKS {
        if out.contains(mask) {
            out = out.replace(mask, " ");
        }
    }
    Cow::Owned(out)
}

/// What a match becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// `[PII]`.
    Pii,
    /// The entity's name in brackets: `[CREDIT_DEBIT_NUMBER]`.
    EntityType,
}

/// A tenant's redaction: which entities, which mask. Small and `Copy`; the work is in the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redactor {
    entities: u8,
    mask: Mask,
}

/// A stretch of the text to mask, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    entity: Entity,
}

impl Redactor {
    /// Redaction off: every text is kept as sent.
    pub const OFF: Redactor = Redactor {
        entities: 0,
        mask: Mask::Pii,
    };

    pub fn new(entities: impl IntoIterator<Item = Entity>, mask: Mask) -> Self {
        Self {
            entities: entities.into_iter().fold(0, |bits, e| bits | e.bit()),
            mask,
        }
    }

    pub fn is_on(&self) -> bool {
        self.entities != 0
    }

    fn masks(&self, entity: Entity) -> bool {
        self.entities & entity.bit() != 0
    }

    /// `text` with every match masked; borrowed when nothing matched (or redaction is off).
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.is_on() || scan::too_plain(text) {
            return Cow::Borrowed(text);
        }
        let spans = self.spans(text);
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for span in spans {
            out.push_str(&text[at..span.start]);
            out.push_str(span.entity.mask(self.mask));
            at = span.end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }

    /// The stretches to mask: sorted, disjoint (overlapping matches are joined, under the
    /// entity of the one that starts first).
    fn spans(&self, text: &str) -> Vec<Span> {
        thread_local! {
            // The words of the text being scanned: one buffer a thread, not one a text.
            static TOKENS: std::cell::RefCell<Vec<scan::Token>> = const {
                std::cell::RefCell::new(Vec::new())
            };
        }
        let mut spans = Vec::new();
        TOKENS.with_borrow_mut(|tokens| {
            scan::tokens_into(text, tokens);
            if self.masks(Entity::Email) {
                email::typed(text, &mut spans);
                email::spoken(text, tokens, &mut spans);
            }
            numbers::find(text, tokens, self, &mut spans);
            // A huge text's words are not kept for the thread's lifetime.
            if tokens.capacity() > 1 << 16 {
                *tokens = Vec::new();
            }
        });
        spans.sort_unstable_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
        let mut joined: Vec<Span> = Vec::with_capacity(spans.len());
        for span in spans {
            match joined.last_mut() {
                Some(last) if span.start < last.end => last.end = last.end.max(span.end),
                _ => joined.push(span),
            }
        }
        joined
    }

    /// Masks every string in `value` (object values and array items, at any depth; object keys
    /// are names, kept).
    pub fn value(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Cow::Owned(masked) = self.text(s) {
                    *s = masked;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.value(v)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// Masks `what` in place; nothing when redaction is off.
    pub fn apply<T: Redact + ?Sized>(&self, what: &mut T) {
        if self.is_on() {
            what.redact(self);
        }
    }
}

/// What carries text that redaction applies to.
pub trait Redact {
    fn redact(&mut self, redactor: &Redactor);
}

impl Redact for TranscriptMessage {
    fn redact(&mut self, redactor: &Redactor) {
        if let Cow::Owned(masked) = redactor.text(&self.content) {
            self.content = masked;
        }
    }
}

impl Redact for RealtimeEvents {
    fn redact(&mut self, redactor: &Redactor) {
        for details in self.events.iter_mut().filter_map(|e| e.details.as_mut()) {
            redactor.value(details);
        }
    }
}

impl<T: Redact> Redact for [T] {
    fn redact(&mut self, redactor: &Redactor) {
        self.iter_mut().for_each(|item| item.redact(redactor));
    }
}

impl<T: Redact> Redact for Vec<T> {
    fn redact(&mut self, redactor: &Redactor) {
        self.as_mut_slice().redact(redactor);
    }
}
