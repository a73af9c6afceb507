//! The items behind post-call analysis (CONTRACT §3.2): the conversation's `HEAD` (what makes a
//! stored analysis stale) and its `ANALYSIS` record, and how they read back. How they are
//! written is `super::analysis`.
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

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::codec::decode;
pub use super::items::{HEAD_ITEM, HEAD_SK};
use super::StoreError;

pub const ANALYSIS_SK: &str = "ANALYSIS";
pub const ANALYSIS_ITEM: &str = "ANALYSIS";
pub const ANALYSIS_PART_ITEM: &str = "ANALYSIS_PART";
/// The head attribute set (and kept) once a write may have ended the conversation: the stream
/// filter of the analysis function matches on it.
pub const ENDED_ATTRIBUTE: &str = "ended";

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
pub(super) struct AnalysisPart {
    pub pk: String,
    pub sk: String,
    pub item_type: String,
    pub head_version: u64,
    #[serde(with = "serde_bytes_b")]
    pub outputs: Vec<u8>,
    /// Absent while the conversation is under legal hold (`crate::erasure`).
    #[serde(default)]
    pub expires_at: u64,
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
                erasing |= super::guards::is_erasing(&item);
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
