//! Erasure and legal hold of a conversation (CONTRACT §8): its port ([`ConversationEraser`]),
//! the DynamoDB adapter ([`dynamo`]) and the admin routes ([`admin`]).
//!
//! ## How a write racing an erasure lands before it or after it
//!
//! The erasure marks the conversation partition's `HEAD` first (`erasing`, conditional on no
//! legal hold), then each transfer leg's own partition's head (`erasing`, `erasureOf`). From that
//! moment:
//!
//! * every read of the conversation answers nothing: the action's data Query starts at the head
//!   and a partition whose head is `erasing` reads as empty; a stored analysis is never fresh;
//! * every telephony write is refused: its head update (made after its data, before its 2xx)
//!   carries the condition [`unless_erased`], and the creation of a voice call record is a
//!   transaction with [`head_not_erased`]. A refused write answers `503`; its data, if any
//!   landed, is deleted by the erasure's passes, and the client's retry lands after the erasure.
//!
//! The erasure then deletes every item of every partition (Query, `BatchWriteItem` deletes,
//! repeated until a Query finds nothing, at most [`dynamo`]'s pass limit: a flood of refused
//! writes cannot hold it up), publishes `ConversationErased`, and finishes with one
//! transaction: each head replaced by a tombstone holding only its keys and `erasedAt` (unix
//! seconds), the voice call records and vendor keys deleted. A write whose request began at or
//! before `erasedAt` is still refused by that tombstone (so nothing half-written by a request
//! that overlapped the erasure is ever answered 2xx), and what such a refused write left in
//! the table (`receivedAt` ≤ `erasedAt`) is never read as part of the conversation; a write
//! begun after it starts a new conversation. The tombstone expires after [`TOMBSTONE_SECS`].
//!
//! A crash anywhere is finished by the retry: the marks stay (writes stay refused, reads stay
//! empty) and every step is idempotent; the leg list is kept on the head (`erasureLegs`) so the
//! retry knows the legs after their `LEG#` items are gone.

pub mod admin;
pub mod dynamo;
pub mod jobs;
pub mod memory;

#[cfg(test)]
mod tests;

use std::future::Future;

use crate::model::{ConversationKey, OrgId};
use crate::store::StoreError;

pub use crate::store::guards::{
    erased_at, head_not_erased, is_erasing, received_by, unless_erased, ERASED_AT, ERASING,
};
/// The participant index, kept by the store as it writes (`crate::store::participants`).
pub use crate::store::participants as index;

/// On a conversation's head: a legal hold is placed.
pub const HOLD: &str = "legalHold";
/// On an item of a held conversation: the expiry it had, restored on release.
pub const HELD_EXPIRES_AT: &str = "heldExpiresAt";
/// How long a tombstone outlives its erasure: far longer than any request may run.
pub const TOMBSTONE_SECS: u64 = 86_400;

/// A conversation erased but for its tombstones and voice call records (see [`ConversationEraser::finish`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub conversation: ConversationKey,
    /// Every partition erased: the conversation's, then its transfer legs' own keys.
    pub partitions: Vec<String>,
    /// The voiceCallIds of its legs.
    pub voice_calls: Vec<String>,
    /// The vendorCallKeys of its legs.
    pub vendor_keys: Vec<String>,
    /// Items deleted so far (this attempt and earlier interrupted ones).
    pub items: u64,
}

/// What placing or releasing a hold changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub conversation: ConversationKey,
    /// Items whose expiry was removed (hold) or restored (release).
    pub items: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    /// The record names nothing stored for this tenant.
    #[error("no such conversation")]
    NotFound,
    /// The conversation is under legal hold.
    #[error("the conversation is under legal hold")]
    LegalHold,
    /// A hold cannot be placed on a conversation being erased.
    #[error("the conversation is being erased")]
    Erasing,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Erasure and hold of stored conversations.
pub trait ConversationEraser: Send + Sync {
    /// Marks the conversation `record_id` names (a voiceCallId of any leg or a vendorCallKey)
    /// and deletes its items, vendor keys included; what is left for [`Self::finish`] is the
    /// heads and the voice call records. Idempotent: a retry after a crash carries on.
    fn erase(
        &self,
        org: &OrgId,
        record_id: &str,
        now: u64,
    ) -> impl Future<Output = Result<Erasure, ErasureError>> + Send;

    /// Ends an erasure once `ConversationErased` is published: tombstones for the heads, the
    /// voice call records deleted, in one transaction. Returns the items deleted.
    fn finish(
        &self,
        org: &OrgId,
        erasure: &Erasure,
        now: u64,
    ) -> impl Future<Output = Result<u64, ErasureError>> + Send;

    /// Places (`hold`) or releases a legal hold: the conversation's items lose their expiry
    /// (kept aside) or get it back, and erasure is refused while it holds.
    fn set_hold(
        &self,
        org: &OrgId,
        record_id: &str,
        hold: bool,
        now: u64,
    ) -> impl Future<Output = Result<Held, ErasureError>> + Send;
}
