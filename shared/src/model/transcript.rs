//! Transcript entries (CONTRACT §2.3) and post-call sentiment (§2.4).

use super::{Participant, Sentiment};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderType {
    EndUser,
    HumanAgent,
    VirtualAgent,
    Supervisor,
    ExternalUser,
}

impl SenderType {
    pub const ALL: [Self; 5] = [
        Self::EndUser,
        Self::HumanAgent,
        Self::VirtualAgent,
        Self::Supervisor,
        Self::ExternalUser,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(raw))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EndUser => "END_USER",
            Self::HumanAgent => "HUMAN_AGENT",
            Self::VirtualAgent => "VIRTUAL_AGENT",
            Self::Supervisor => "SUPERVISOR",
            Self::ExternalUser => "EXTERNAL_USER",
        }
    }
}

/// One transcript entry. `message_id` is its idempotency key within the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptMessage {
    pub message_id: String,
    /// Epoch milliseconds.
    pub start_time: u64,
    /// Epoch milliseconds, not before `start_time`.
    pub end_time: u64,
    pub content: String,
    pub sender_type: SenderType,
    pub participant_id: String,
}

/// What a post-call event measures (CONTRACT §2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostCallKind {
    /// One turn's sentiment, −1000..1000 (`IntelligenceSignal__Sentiment`).
    Turn,
    /// Contact Lens's overall score for the participant, −5..5, as sent
    /// (`IntelligenceSignal__OverallSentimentScore`); `value` holds it scaled ×200.
    Overall { score: String },
}

impl PostCallKind {
    pub const OVERALL_TYPE: &'static str = "IntelligenceSignal__OverallSentimentScore";
    /// The overall score's range, and the factor onto the sentiment scale.
    pub const OVERALL_LIMIT: u64 = 5;
    pub const OVERALL_SCALE: i64 = 200;

    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Turn => super::Signal::SENTIMENT_TYPE,
            Self::Overall { .. } => Self::OVERALL_TYPE,
        }
    }
}

/// One participant's sentiment over a stretch of the finished call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostCallSentiment {
    pub kind: PostCallKind,
    pub participant: Participant,
    /// On the −1000..1000 scale (an overall score scaled ×200).
    pub value: Sentiment,
    /// Epoch milliseconds.
    pub start_time: u64,
    pub end_time: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostCallEvents {
    pub service: String,
    pub events: Vec<PostCallSentiment>,
}
