//! The items behind post-call analysis (CONTRACT §3.2) and their DynamoDB access patterns: the
//! conversation's `HEAD` (what makes a stored analysis stale) and its `ANALYSIS` record.
//!
//! | item      | pk                             | sk             | attributes                                   |
//! |-----------|--------------------------------|----------------|----------------------------------------------|
//! | head      | `{org}#CONV#{conversationKey}` | `HEAD`         | `version` (counter), `ended`, `partOf`       |
//! | analysis  | `{org}#CONV#{conversationKey}` | `ANALYSIS`     | `headVersion`, `outputs` (LZ4 JSON), …       |
//! | (a part)  | `{org}#CONV#{conversationKey}` | `ANALYSIS#{n}` | `outputs` (the rest of a record past 350 KB) |
//!
//! Both sort before every data item (`LEG#`, `MSG#`, `PCS#`, `ROUTE#`, `SIG#` all sort after
//! `HEAD`), so one Query `sk BETWEEN "ANALYSIS" AND "HEAD"` reads the record and the head
//! together, and `sk > "HEAD"` reads the data without them.
//!
//! The protocol: every write to a conversation partition, once its data is durable, adds 1 to
//! the partition's `HEAD.version` (an atomic counter). An analysis reads the head before the
//! data and stores the version it read; the record answers only while the head still has that
//! version. A write the analysis missed was made durable after the analysis read it, so its
//! head update came after the analysis read the head: the versions differ.

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::dynamo::{attributes, condition_failed, decode, unavailable, DynamoStore};
use super::items::conversation_pk;
use super::{ConversationReader, StoreError};
use crate::model::{ConversationKey, OrgId};

pub const HEAD_SK: &str = "HEAD";
pub const HEAD_ITEM: &str = "HEAD";
pub const ANALYSIS_SK: &str = "ANALYSIS";
pub const ANALYSIS_ITEM: &str = "ANALYSIS";
pub const ANALYSIS_PART_ITEM: &str = "ANALYSIS_PART";
/// The head attribute set (and kept) once a write may have ended the conversation: the stream
/// filter of the analysis function matches on it.
pub const ENDED_ATTRIBUTE: &str = "ended";
/// How many `partOf` links a head update follows (a transfer leg's own partition → its
/// conversation → …), as `find_conversation` follows transfers.
const MAX_PART_OF_DEPTH: usize = 8;
/// Compressed outputs per item: under DynamoDB's 400 KB item limit with room for the rest.
const PART_BYTES: usize = 350 * 1024;
/// A transaction writes at most 100 items: the record and 99 parts (about 34 MB compressed).
const MAX_PARTS: usize = 99;

/// What the head of a conversation partition says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeadItem {
    pub pk: String,
    pub sk: String,
    pub item_type: String,
    /// Raised by 1 after every write to the partition.
    #[serde(default)]
    pub version: u64,
    /// A write that may have ended the conversation (post-call events, a leg ended) was made.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ended: bool,
    /// For a transfer leg's own partition: the conversation the leg joined. Writes here also
    /// raise that conversation's head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<String>,
    /// Absent while the conversation is under legal hold (`crate::erasure`).
    #[serde(default)]
    pub expires_at: u64,
}

/// A conversation's stored analysis: the action's three outputs, and the head version of the
/// conversation partition they were computed at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisItem {
    pub pk: String,
    pub sk: String,
    pub item_type: String,
    pub conversation_key: String,
    pub head_version: u64,
    /// Unix seconds.
    pub analysed_at: u64,
    /// Which summariser wrote `callSummary` (CONTRACT §3.2).
    pub summariser: String,
    /// The partitions read (the conversation's, then its transfer legs' own keys).
    pub partitions: Vec<String>,
    /// The outputs as JSON, LZ4-compressed (size prepended); the first part when `parts` > 0.
    #[serde(with = "serde_bytes_b")]
    pub outputs: Vec<u8>,
    /// How many `ANALYSIS#{n}` items hold the rest of `outputs`.
    #[serde(default)]
    pub parts: u32,
    /// `ConversationAnalysed` was published for this record.
    #[serde(default)]
    pub published: bool,
    /// Absent while the conversation is under legal hold (`crate::erasure`).
    #[serde(default)]
    pub expires_at: u64,
}

/// The rest of a record's compressed outputs, past the first item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnalysisPart {
    pk: String,
    sk: String,
    item_type: String,
    head_version: u64,
    #[serde(with = "serde_bytes_b")]
    outputs: Vec<u8>,
    /// Absent while the conversation is under legal hold (`crate::erasure`).
    #[serde(default)]
    expires_at: u64,
}

/// serde_dynamo writes `Vec<u8>` as a list of numbers unless told it is bytes (a `B` attribute).
mod serde_bytes_b {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Bytes;
        impl serde::de::Visitor<'_> for Bytes {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        d.deserialize_byte_buf(Bytes)
    }
}

/// What one Query over a conversation's record and head found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordAndHead {
    pub record: Option<AnalysisItem>,
    pub head: Option<HeadItem>,
}

impl RecordAndHead {
    /// The record, when it was computed at the head's current version.
    pub fn fresh(&self) -> Option<&AnalysisItem> {
        let (record, head) = (self.record.as_ref()?, self.head.as_ref()?);
        (record.head_version == head.version).then_some(record)
    }
}

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

/// The compressed outputs of a record, first item then parts.
pub fn compress(json: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress_prepend_size(json)
}

/// The outputs' JSON text of a record read back (`parts` already appended).
pub fn decompress(bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    lz4_flex::block::decompress_size_prepended(bytes).map_err(|e| {
        tracing::error!(error = %e, "stored analysis did not decompress");
        StoreError::Unavailable
    })
}

impl DynamoStore {
    /// Raises the head of `conversation`'s partition after a write to it (its data is durable),
    /// and the heads it is `partOf`. `ends`: the write may have ended the conversation. Answers
    /// whether a live subscription marked one of those heads ([`crate::live::WATCHED`]).
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
            let result = crate::erasure::unless_erased(request, now)
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
                head.get(crate::live::WATCHED),
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
    /// One strongly consistent Query (two pages only when a record is larger than 1 MB
    /// compressed).
    async fn record_and_head(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<RecordAndHead, StoreError> {
        let mut pages = self
            .client()
            .query()
            .table_name(self.table())
            .key_condition_expression("pk = :pk AND sk BETWEEN :record AND :head")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(conversation_pk(org, conversation)),
            )
            .expression_attribute_values(":record", AttributeValue::S(ANALYSIS_SK.into()))
            .expression_attribute_values(":head", AttributeValue::S(HEAD_SK.into()))
            .consistent_read(true)
            .into_paginator()
            .send();
        let mut items = Vec::new();
        while let Some(page) = pages.next().await {
            items.extend(
                page.map_err(|e| unavailable("Query", e))?
                    .items
                    .unwrap_or_default(),
            );
        }
        read_record_and_head(items)
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

/// The record and the head among the items of the Query `sk BETWEEN "ANALYSIS" AND "HEAD"`,
/// the record's parts appended to its outputs (a record whose parts do not all match it reads
/// as absent: stale).
pub fn read_record_and_head(
    items: Vec<HashMap<String, AttributeValue>>,
) -> Result<RecordAndHead, StoreError> {
    let mut found = RecordAndHead::default();
    let mut parts: Vec<AnalysisPart> = Vec::new();
    let mut erasing = false;
    for item in items {
        match item.get("itemType") {
            Some(AttributeValue::S(t)) if t == HEAD_ITEM => {
                erasing |= crate::erasure::is_erasing(&item);
                found.head = Some(decode(item)?);
            }
            Some(AttributeValue::S(t)) if t == ANALYSIS_ITEM => {
                found.record = Some(decode(item)?);
            }
            Some(AttributeValue::S(t)) if t == ANALYSIS_PART_ITEM => parts.push(decode(item)?),
            _ => tracing::warn!("an unexpected item between ANALYSIS and HEAD"),
        }
    }
    if erasing {
        // An erasure is under way: nothing of the conversation answers (see `crate::erasure`).
        found.record = None;
    }
    if let Some(record) = found.record.as_mut() {
        if record.parts > 0 {
            // Parts of another version (a record being replaced) make the record unusable.
            parts.retain(|p| p.head_version == record.head_version);
            if parts.len() != record.parts as usize {
                tracing::warn!("analysis record parts missing: read as stale");
                found.record = None;
            } else {
                parts.sort_by(|a, b| a.sk.cmp(&b.sk));
                for part in parts {
                    record.outputs.extend(part.outputs);
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_and_head_sort_before_every_data_item() {
        for data in ["LEG#0LQ", "MSG#m1", "PCS#000", "ROUTE#ab", "SIG#000"] {
            assert!(HEAD_SK < data, "{data}");
        }
        assert!(ANALYSIS_SK < "ANALYSIS#01" && "ANALYSIS#99" < HEAD_SK);
    }

    #[test]
    fn fresh_only_at_the_same_version() {
        let head = |version| HeadItem {
            pk: "p".into(),
            sk: HEAD_SK.into(),
            item_type: HEAD_ITEM.into(),
            version,
            ended: true,
            part_of: None,
            expires_at: 0,
        };
        let record = AnalysisItem {
            pk: "p".into(),
            sk: ANALYSIS_SK.into(),
            item_type: ANALYSIS_ITEM.into(),
            conversation_key: "c".into(),
            head_version: 3,
            analysed_at: 0,
            summariser: "built-in".into(),
            partitions: vec!["c".into()],
            outputs: compress(b"{}"),
            parts: 0,
            published: false,
            expires_at: 0,
        };
        let found = |v| RecordAndHead {
            record: Some(record.clone()),
            head: Some(head(v)),
        };
        assert!(found(3).fresh().is_some());
        assert!(found(4).fresh().is_none());
        assert!(RecordAndHead {
            record: Some(record.clone()),
            head: None
        }
        .fresh()
        .is_none());
        assert_eq!(decompress(&record.outputs).unwrap(), b"{}");
    }
}
