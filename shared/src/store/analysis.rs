//! How post-call analysis items are written (CONTRACT §3.2): every write raises the
//! conversation's `HEAD`, and a computed analysis is stored as its `ANALYSIS` record (the items
//! and how they read back: `super::analysis_items`).
//!
//! The protocol: every write to a conversation partition, once its data is durable, adds 1 to
//! the partition's `HEAD.version` (an atomic counter). An analysis reads the head before the
//! data and stores the version it read; the record answers only while the head still has that
//! version. A write the analysis missed was made durable after the analysis read it, so its
//! head update came after the analysis read the head: the versions differ.

use std::future::Future;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};

use super::analysis_items::AnalysisPart;
pub use super::analysis_items::{
    compress, decompress, read_record_and_head, AnalysisItem, HeadItem, RecordAndHead,
    ANALYSIS_ITEM, ANALYSIS_PART_ITEM, ANALYSIS_SK, ENDED_ATTRIBUTE, HEAD_ITEM, HEAD_SK,
};
use super::codec::attributes;
use super::dynamo::{condition_failed, unavailable, DynamoStore};
use super::items::conversation_pk;
use super::{ConversationReader, StoreError};
use crate::model::{ConversationKey, OrgId};

/// How many `partOf` links a head update follows (a transfer leg's own partition → its
/// conversation → …), as `find_conversation` follows transfers.
const MAX_PART_OF_DEPTH: usize = 8;
/// Compressed outputs per item: under DynamoDB's 400 KB item limit with room for the rest.
const PART_BYTES: usize = 350 * 1024;
/// A transaction writes at most 100 items: the record and 99 parts (about 34 MB compressed).
const MAX_PARTS: usize = 99;

/// A record to store: the outputs' JSON and what they were computed from.
#[derive(Debug, Clone)]
pub struct NewAnalysis<'a> {
    pub org: &'a OrgId,
    pub conversation: &'a ConversationKey,
    pub head_version: u64,
    pub summariser: &'a str,
    pub partitions: Vec<String>,
    pub outputs_json: &'a [u8],
    pub now: u64,
}

/// What storing a record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    Stored,
    /// A record of the same or a later head version is already there (a concurrent or repeated
    /// analysis): nothing was written.
    AlreadyCurrent,
}

impl DynamoStore {
    /// Raises the head of `conversation`'s partition after a write to it (its data is durable),
    /// and the heads it is `partOf`. `ends`: the write may have ended the conversation. Answers
    /// whether a live subscription marked one of those heads ([`super::items::WATCHED`]).
    pub(super) async fn touch(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
        ends: bool,
        now: u64,
    ) -> Result<super::Watched, StoreError> {
        let mut key = conversation.as_str().to_owned();
        let mut watched = false;
        let retention = self.retention_secs_of(org).await;
        for _ in 0..MAX_PART_OF_DEPTH {
            // `tenantIndex`: the org's index of conversations (`super::items`, offboarding).
            let mut set = format!(
                "itemType = :head, expiresAt = :expires, {} = :tenant",
                super::items::TENANT_KEY
            );
            let mut request = self
                .client()
                .update_item()
                .table_name(self.table())
                .key(
                    "pk",
                    AttributeValue::S(conversation_pk(org, &ConversationKey::stored(key.clone()))),
                )
                .key("sk", AttributeValue::S(HEAD_SK.into()))
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":head", AttributeValue::S(HEAD_ITEM.into()))
                .expression_attribute_values(":tenant", AttributeValue::S(org.to_string()))
                .expression_attribute_values(
                    ":expires",
                    AttributeValue::N((now + retention).to_string()),
                )
                .return_values(ReturnValue::AllNew);
            if ends {
                set.push_str(", ended = :ended");
                request = request.expression_attribute_values(":ended", AttributeValue::Bool(true));
            }
            // A write racing an erasure of the partition is refused (503: the client's retry
            // lands after it, as a new conversation): see `crate::erasure`.
            let result = super::guards::unless_erased(request, now)
                .update_expression(format!("ADD version :one SET {set}"))
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(e) if condition_failed(&e) => {
                    tracing::warn!(
                        "a write raced the conversation's erasure: refused, to be retried"
                    );
                    return Err(StoreError::Unavailable);
                }
                Err(e) => return Err(unavailable("UpdateItem", e)),
            };
            let head = output.attributes.unwrap_or_default();
            watched |= matches!(
                head.get(super::items::WATCHED),
                Some(AttributeValue::Bool(true))
            );
            match head.get("partOf") {
                Some(AttributeValue::S(parent)) if *parent != key => key = parent.clone(),
                _ => return Ok(super::Watched(watched)),
            }
        }
        tracing::warn!("head updates stopped at the partOf depth limit");
        Ok(super::Watched(watched))
    }

    /// The transaction item that links a transfer leg's own partition (`leg_key`) to the
    /// conversation it joins: later writes there raise that conversation's head too.
    pub(super) fn part_of_item(
        &self,
        org: &OrgId,
        leg_key: &str,
        conversation: &ConversationKey,
        expires_at: u64,
    ) -> TransactWriteItem {
        let update = Update::builder()
            .table_name(self.table())
            .key(
                "pk",
                AttributeValue::S(conversation_pk(
                    org,
                    &ConversationKey::stored(leg_key.to_owned()),
                )),
            )
            .key("sk", AttributeValue::S(HEAD_SK.into()))
            .update_expression("SET partOf = :conversation, itemType = :head, expiresAt = :expires")
            .expression_attribute_values(
                ":conversation",
                AttributeValue::S(conversation.as_str().to_owned()),
            )
            .expression_attribute_values(":head", AttributeValue::S(HEAD_ITEM.into()))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .build()
            .expect("table, key and expression are set");
        TransactWriteItem::builder().update(update).build()
    }
}

/// What an analysis needs from the store besides reading the conversation.
pub trait AnalysisStore: ConversationReader {
    /// The conversation's record and head, read together (the head before the data: see the
    /// module's protocol).
    fn record_and_head(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> impl Future<Output = Result<RecordAndHead, StoreError>> + Send;

    /// Stores a record unless one of the same or a later head version is there.
    fn put_analysis(
        &self,
        new: NewAnalysis<'_>,
    ) -> impl Future<Output = Result<StoreOutcome, StoreError>> + Send;

    /// Notes that `ConversationAnalysed` went out for the record of `head_version`.
    fn mark_published(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
        head_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl AnalysisStore for DynamoStore {
    async fn record_and_head(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<RecordAndHead, StoreError> {
        self.query_record_and_head(org, conversation).await
    }

    /// A record past one item's size is split into parts written in the same transaction.
    async fn put_analysis(&self, new: NewAnalysis<'_>) -> Result<StoreOutcome, StoreError> {
        let pk = conversation_pk(new.org, new.conversation);
        let expires_at = new.now + self.retention_secs_of(new.org).await;
        let compressed = compress(new.outputs_json);
        let mut chunks = compressed.chunks(PART_BYTES);
        let first = chunks.next().unwrap_or_default().to_vec();
        let rest: Vec<&[u8]> = chunks.collect();
        if rest.len() > MAX_PARTS {
            tracing::error!(
                bytes = compressed.len(),
                "analysis record too large to store"
            );
            return Err(StoreError::Unavailable);
        }
        let record = AnalysisItem {
            pk: pk.clone(),
            sk: ANALYSIS_SK.into(),
            item_type: ANALYSIS_ITEM.into(),
            conversation_key: new.conversation.as_str().to_owned(),
            head_version: new.head_version,
            analysed_at: new.now,
            summariser: new.summariser.to_owned(),
            partitions: new.partitions,
            outputs: first,
            parts: u32::try_from(rest.len()).expect("at most 99 parts"),
            published: false,
            expires_at,
        };
        let condition = "attribute_not_exists(pk) OR headVersion < :version";
        let version = AttributeValue::N(new.head_version.to_string());
        if rest.is_empty() {
            let result = self
                .client()
                .put_item()
                .table_name(self.table())
                .set_item(Some(attributes(record)?))
                .condition_expression(condition)
                .expression_attribute_values(":version", version)
                .send()
                .await;
            return match result {
                Ok(_) => Ok(StoreOutcome::Stored),
                Err(e) if condition_failed(&e) => Ok(StoreOutcome::AlreadyCurrent),
                Err(e) => Err(unavailable("PutItem", e)),
            };
        }
        let put = |item, condition: Option<&str>| {
            let put = Put::builder().table_name(self.table()).set_item(Some(item));
            let put = match condition {
                Some(c) => put
                    .condition_expression(c)
                    .expression_attribute_values(":version", version.clone()),
                None => put,
            };
            TransactWriteItem::builder()
                .put(put.build().expect("table and item are set"))
                .build()
        };
        let mut transaction = self
            .client()
            .transact_write_items()
            .transact_items(put(attributes(record)?, Some(condition)));
        for (i, bytes) in rest.into_iter().enumerate() {
            let part = AnalysisPart {
                pk: pk.clone(),
                sk: format!("{ANALYSIS_SK}#{:02}", i + 1),
                item_type: ANALYSIS_PART_ITEM.into(),
                head_version: new.head_version,
                outputs: bytes.to_vec(),
                expires_at,
            };
            transaction = transaction.transact_items(put(attributes(part)?, None));
        }
        match transaction.send().await {
            Ok(_) => Ok(StoreOutcome::Stored),
            // Only the record has a condition: its failure means a record as new is there. Any
            // other cancellation (a conflicting transaction, throttling) is retried.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(TransactWriteItemsError::TransactionCanceledException(c))
                        if c.cancellation_reasons()
                            .iter()
                            .any(|r| r.code() == Some("ConditionalCheckFailed"))
                ) =>
            {
                Ok(StoreOutcome::AlreadyCurrent)
            }
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }

    /// A record replaced since keeps its own flag.
    async fn mark_published(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
        head_version: u64,
    ) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key("pk", AttributeValue::S(conversation_pk(org, conversation)))
            .key("sk", AttributeValue::S(ANALYSIS_SK.into()))
            .update_expression("SET published = :yes")
            .condition_expression("headVersion = :version")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":version", AttributeValue::N(head_version.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }
}
