//! Domain types. Each can only hold a valid value; wire input becomes these once, at the edge.

pub mod call;
pub mod routing;
pub mod transcript;

use std::fmt;

use serde_json::Value;

pub use call::{
    CallParticipant, DisconnectReason, InitiationMethod, Instant, NewVoiceCall, ParentCall,
    VoiceCallId, VoiceCallUpdate,
};
pub use routing::{RoutingOperation, RoutingRequest};
pub use transcript::{
    PostCallEvents, PostCallKind, PostCallSentiment, SenderType, TranscriptMessage,
};

/// A tenant: a Salesforce org id, as proven by a verified token's `iss`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgId(String);

impl OrgId {
    /// Only verified tokens and the deployment's configuration name a tenant.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The telephony system's id of one voice call leg (the contact id in Amazon Connect):
/// 1..255 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VendorCallKey(String);

impl VendorCallKey {
    pub const MAX_CHARS: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let chars = raw.chars().count();
        if chars == 0 {
            return Err("must not be empty");
        }
        if chars > Self::MAX_CHARS {
            return Err("must be at most 255 characters");
        }
        if raw.chars().any(char::is_control) {
            return Err("must not contain control characters");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VendorCallKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One customer call, across all its transfer legs: the `vendorCallKey` of its first leg.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConversationKey(String);

impl ConversationKey {
    pub fn of_first_leg(key: &VendorCallKey) -> Self {
        Self(key.0.clone())
    }

    /// A key read back from storage, where only valid keys were written.
    pub fn stored(key: String) -> Self {
        Self(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A sentiment score in −1000.00..=1000.00, held exactly in hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sentiment(i32);

impl Sentiment {
    pub const LIMIT_HUNDREDTHS: i64 = 100_000;

    pub fn from_hundredths(h: i64) -> Option<Self> {
        (-Self::LIMIT_HUNDREDTHS..=Self::LIMIT_HUNDREDTHS)
            .contains(&h)
            .then_some(Self(h as i32))
    }

    pub fn hundredths(self) -> i32 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }
}

impl fmt::Display for Sentiment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// A vendor's confidence in a signal, 0..=1000, and a number DynamoDB can store (0 or at least
/// 1e-130).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Score(f64);

impl Score {
    pub fn new(v: f64) -> Option<Self> {
        ((0.0..=1000.0).contains(&v) && crate::validate::storable_f64(v)).then_some(Self(v))
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Participant {
    Agent,
    Customer,
}

impl Participant {
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.eq_ignore_ascii_case("AGENT") {
            Some(Self::Agent)
        } else if raw.eq_ignore_ascii_case("CUSTOMER") {
            Some(Self::Customer)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "AGENT",
            Self::Customer => "CUSTOMER",
        }
    }
}

/// What a real-time signal says.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// A vendor category matched, e.g. a Contact Lens rule (`CustomerAngry`).
    Category(String),
    /// A participant's sentiment; the participant is then always known.
    Sentiment(Sentiment),
}

impl Signal {
    pub const CATEGORY_TYPE: &'static str = "IntelligenceSignal__Category";
    pub const SENTIMENT_TYPE: &'static str = "IntelligenceSignal__Sentiment";

    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Category(_) => Self::CATEGORY_TYPE,
            Self::Sentiment(_) => Self::SENTIMENT_TYPE,
        }
    }

    /// The value as the wire carries it: the category name, or the sentiment with 2 decimals.
    pub fn value_text(&self) -> String {
        match self {
            Self::Category(name) => name.clone(),
            Self::Sentiment(s) => s.to_string(),
        }
    }
}

/// One validated real-time conversation event.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalEvent {
    pub signal: Signal,
    /// As the vendor gave it: the contract says milliseconds, real clients send seconds too.
    pub start_time: u64,
    pub score: Option<Score>,
    pub participant: Option<Participant>,
    /// Vendor details kept as sent (Contact Lens sends its first point of interest here).
    pub details: Option<Value>,
}

/// A validated `realtimeConversationEvents` request body.
#[derive(Debug, Clone, PartialEq)]
pub struct RealtimeEvents {
    pub service: String,
    pub persist: bool,
    pub events: Vec<SignalEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_call_key_limits() {
        assert!(VendorCallKey::parse("5324881f-1e84-4367-8930-f69a74b30ca6").is_ok());
        assert!(VendorCallKey::parse("").is_err());
        assert!(VendorCallKey::parse(&"é".repeat(255)).is_ok());
        assert!(VendorCallKey::parse(&"a".repeat(256)).is_err());
        assert!(VendorCallKey::parse("a\nb").is_err());
    }

    #[test]
    fn sentiment_display() {
        assert_eq!(
            Sentiment::from_hundredths(40013).unwrap().to_string(),
            "400.13"
        );
        assert_eq!(Sentiment::from_hundredths(-5).unwrap().to_string(), "-0.05");
        assert_eq!(
            Sentiment::from_hundredths(-100_000).unwrap().to_string(),
            "-1000.00"
        );
        assert!(Sentiment::from_hundredths(100_001).is_none());
    }

    #[test]
    fn participant_is_case_insensitive() {
        assert_eq!(Participant::parse("customer"), Some(Participant::Customer));
        assert_eq!(Participant::parse("BOT"), None);
    }
}
