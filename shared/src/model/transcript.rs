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

/// One participant's sentiment over a stretch of the finished call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostCallSentiment {
    pub participant: Participant,
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
