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
pub mod index;
pub mod jobs;
pub mod memory;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};

use crate::model::{ConversationKey, OrgId};
use crate::store::StoreError;

/// On a head: an erasure is under way (the unix seconds it began).
pub const ERASING: &str = "erasing";
/// On a head: the unix seconds an erasure of the partition finished.
pub const ERASED_AT: &str = "erasedAt";
/// On a conversation's head: a legal hold is placed.
pub const HOLD: &str = "legalHold";
/// On an item of a held conversation: the expiry it had, restored on release.
pub const HELD_EXPIRES_AT: &str = "heldExpiresAt";
/// How long a tombstone outlives its erasure: far longer than any request may run.
pub const TOMBSTONE_SECS: u64 = 86_400;

/// The condition a telephony write's head update carries: no erasure under way, and none
/// finished since the request began (`now`, unix seconds).
pub fn unless_erased(request: UpdateItemFluentBuilder, now: u64) -> UpdateItemFluentBuilder {
    request
        .condition_expression(ERASE_CONDITION)
        .expression_attribute_values(":startedAt", AttributeValue::N(now.to_string()))
}

const ERASE_CONDITION: &str =
    "attribute_not_exists(erasing) AND (attribute_not_exists(erasedAt) OR erasedAt < :startedAt)";

/// The same condition as a check in a transaction (the creation of a voice call record).
pub fn head_not_erased(table: &str, pk: String, now: u64) -> TransactWriteItem {
    let check = ConditionCheck::builder()
        .table_name(table)
        .key("pk", AttributeValue::S(pk))
        .key(
            "sk",
            AttributeValue::S(crate::store::analysis::HEAD_SK.into()),
        )
        .condition_expression(ERASE_CONDITION)
        .expression_attribute_values(":startedAt", AttributeValue::N(now.to_string()))
        .build()
        .expect("table, key and condition are set");
    TransactWriteItem::builder().condition_check(check).build()
}

/// Whether `item` is a head whose partition is being erased.
pub fn is_erasing(item: &HashMap<String, AttributeValue>) -> bool {
    matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk == crate::store::analysis::HEAD_SK)
        && item.contains_key(ERASING)
}

/// When the erasure of a head's partition finished, if it was erased.
pub fn erased_at(head: &HashMap<String, AttributeValue>) -> Option<u64> {
    match (head.get("sk"), head.get(ERASED_AT)) {
        (Some(AttributeValue::S(sk)), Some(AttributeValue::N(at)))
            if sk == crate::store::analysis::HEAD_SK =>
        {
            at.parse().ok()
        }
        _ => None,
    }
}

/// Whether a data item was received by `erased_at` (unix seconds): written by a request the
/// erasure refused. Items without `receivedAt` (legs, written in a transaction that checks the
/// head) are never such leftovers.
pub fn received_by(item: &HashMap<String, AttributeValue>, erased_at: u64) -> bool {
    match item.get("receivedAt") {
        Some(AttributeValue::N(at)) => at.parse::<u64>().is_ok_and(|at| at <= erased_at),
        _ => false,
    }
}

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
