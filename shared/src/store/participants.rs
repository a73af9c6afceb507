//! The participant index (CONTRACT §8): which conversations of an org a participant appears
//! in, kept as data is written, so that a participant's erasure never reads the whole table.
//!
//! | item | pk | sk | |
//! |---|---|---|---|
//! | participant entry | `{org}#PART#{hash}` | `{conversationKey}` | `conversationKey`, `expiresAt` |
//!
//! `hash` is the first 16 bytes of SHA-256 of the participant as sent (a voice call record's
//! `from`, `to`, a `participantKey`, a transcript entry's `participantId`), hex: the index holds
//! no phone number. Entries are written with the record (in its creation transaction) and with
//! transcript entries (in their `BatchWriteItem`), and deleted with the conversation.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Put, PutRequest, TransactWriteItem, WriteRequest};
use sha2::{Digest, Sha256};

use crate::model::{ConversationKey, NewVoiceCall, OrgId};

pub const PARTICIPANT_ITEM: &str = "PARTICIPANT";
/// Most index entries one voice call record writes (`from`, `to`, its participants).
const MAX_RECORD_ENTRIES: usize = 16;

/// The participant's index key: no phone number in clear.
pub fn participant_hash(participant: &str) -> String {
    super::items::hex(&Sha256::digest(participant.trim().as_bytes())[..16])
}

pub fn participant_pk(org: &OrgId, hash: &str) -> String {
    format!("{org}#PART#{hash}")
}

fn entry(
    org: &OrgId,
    hash: &str,
    conversation: &str,
    expires_at: u64,
) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (
            "pk".to_owned(),
            AttributeValue::S(participant_pk(org, hash)),
        ),
        ("sk".to_owned(), AttributeValue::S(conversation.to_owned())),
        (
            "itemType".to_owned(),
            AttributeValue::S(PARTICIPANT_ITEM.into()),
        ),
        (
            "conversationKey".to_owned(),
            AttributeValue::S(conversation.to_owned()),
        ),
        (
            "expiresAt".to_owned(),
            AttributeValue::N(expires_at.to_string()),
        ),
    ])
}

/// The distinct participants of a voice call record.
pub fn record_participants(call: &NewVoiceCall) -> Vec<&str> {
    let mut all: Vec<&str> = Vec::new();
    let named = [call.from.as_str(), call.to.as_str()]
        .into_iter()
        .chain(call.participants.iter().map(|p| p.participant_key.as_str()));
    for p in named.map(str::trim).filter(|p| !p.is_empty()) {
        if !all.contains(&p) && all.len() < MAX_RECORD_ENTRIES {
            all.push(p);
        }
    }
    all
}

/// The index entries of a new voice call record, for its creation transaction.
pub fn record_entries(
    table: &str,
    org: &OrgId,
    conversation: &ConversationKey,
    call: &NewVoiceCall,
    expires_at: u64,
) -> Vec<TransactWriteItem> {
    record_participants(call)
        .into_iter()
        .map(|p| {
            let put = Put::builder()
                .table_name(table)
                .set_item(Some(entry(
                    org,
                    &participant_hash(p),
                    conversation.as_str(),
                    expires_at,
                )))
                .build()
                .expect("table and item are set");
            TransactWriteItem::builder().put(put).build()
        })
        .collect()
}

/// An index entry as a `BatchWriteItem` put, keyed for de-duplication.
pub fn entry_request(
    org: &OrgId,
    participant: &str,
    conversation: &ConversationKey,
    expires_at: u64,
) -> Option<(String, WriteRequest)> {
    let participant = participant.trim();
    if participant.is_empty() {
        return None;
    }
    let hash = participant_hash(participant);
    let key = format!("{}\n{}", participant_pk(org, &hash), conversation.as_str());
    let put = PutRequest::builder()
        .set_item(Some(entry(org, &hash, conversation.as_str(), expires_at)))
        .build()
        .expect("item is set");
    Some((key, WriteRequest::builder().put_request(put).build()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_holds_no_phone_number() {
        let org = OrgId::new("00D1");
        let (_, request) =
            entry_request(&org, " +15550199 ", &ConversationKey::stored("k".into()), 9).unwrap();
        let text = format!("{request:?}");
        assert!(!text.contains("15550199"), "{text}");
        assert_eq!(
            participant_hash("+15550199"),
            participant_hash(" +15550199")
        );
        assert_ne!(participant_hash("+15550199"), participant_hash("+15550198"));
        assert!(entry_request(&org, "  ", &ConversationKey::stored("k".into()), 9).is_none());
    }
}
