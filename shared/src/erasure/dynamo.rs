//! The DynamoDB adapter of [`ConversationEraser`]: the steps of the module's protocol, each
//! idempotent.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, DeleteRequest, Put, TransactWriteItem, WriteRequest,
};
use futures::stream::{self, StreamExt};

use super::index::{participant_hash, participant_pk};
use super::{
    ConversationEraser, Erasure, ErasureError, Held, ERASED_AT, ERASING, HELD_EXPIRES_AT, HOLD,
    TOMBSTONE_SECS,
};
use crate::model::{ConversationKey, OrgId};
use crate::store::analysis::{HEAD_ITEM, HEAD_SK};
use crate::store::dynamo::{all_pages, condition_failed, unavailable, DynamoStore};
use crate::store::items::{conversation_pk, vendor_key_pk, voice_call_pk, LEG_ITEM, MESSAGE_ITEM};
use crate::store::{ConversationReader, StoreError};

type Item = HashMap<String, AttributeValue>;

/// On a transfer leg's own partition's head, while erased: the conversation being erased.
const ERASURE_OF: &str = "erasureOf";
/// On the conversation's head, while erased: its legs, `voiceCallId#vendorCallKey` each.
const ERASURE_LEGS: &str = "erasureLegs";
/// On the conversation's head, while erased: the participants' index hashes.
const ERASURE_PARTICIPANTS: &str = "erasureParticipants";
/// On the conversation's head, while erased: the items deleted so far.
const ERASED_ITEMS: &str = "erasedItems";
/// A transaction holds at most 100 actions.
const TRANSACTION_LIMIT: usize = 100;
/// Query-and-delete passes over one partition.
const DELETE_PASSES: usize = 4;
/// `BatchWriteItem` deletes in flight at once.
const DELETE_CONCURRENCY: usize = 8;
/// Item updates of a hold in flight at once.
const HOLD_CONCURRENCY: usize = 16;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

fn strings(item: &Item, name: &str) -> Vec<String> {
    match item.get(name) {
        Some(AttributeValue::L(list)) => list
            .iter()
            .filter_map(|v| match v {
                AttributeValue::S(v) => Some(v.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn number(item: &Item, name: &str) -> u64 {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(0),
        _ => 0,
    }
}

fn is_head(item: &Item) -> bool {
    text(item, "sk") == Some(HEAD_SK)
}

fn key_of(item: &Item) -> Option<(String, String)> {
    Some((text(item, "pk")?.to_owned(), text(item, "sk")?.to_owned()))
}

fn delete_request(pk: String, sk: String) -> WriteRequest {
    WriteRequest::builder()
        .delete_request(
            DeleteRequest::builder()
                .key("pk", s(pk))
                .key("sk", s(sk))
                .build()
                .expect("key is set"),
        )
        .build()
}

/// A leg as the erasure remembers it on the head.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ErasedLeg {
    voice_call_id: String,
    vendor_call_key: String,
}

impl ErasedLeg {
    fn of_item(item: &Item) -> Option<Self> {
        (text(item, "itemType") == Some(LEG_ITEM)).then_some(())?;
        Some(Self {
            voice_call_id: text(item, "voiceCallId")?.to_owned(),
            vendor_call_key: text(item, "vendorCallKey")?.to_owned(),
        })
    }

    fn remembered(head: &Item) -> Vec<Self> {
        match head.get(ERASURE_LEGS) {
            Some(AttributeValue::L(legs)) => legs
                .iter()
                .filter_map(|l| match l {
                    AttributeValue::S(text) => text.split_once('#').map(|(id, key)| Self {
                        voice_call_id: id.to_owned(),
                        vendor_call_key: key.to_owned(),
                    }),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl DynamoStore {
    /// The head of a partition, read strongly consistently.
    async fn head_item(&self, pk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client()
            .get_item()
            .table_name(self.table())
            .key("pk", s(pk))
            .key("sk", s(HEAD_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        Ok(output.item)
    }

    /// The conversation `record_id` names, and its head. A transfer leg's own partition whose
    /// erasure is under way names the conversation being erased.
    async fn conversation_named(
        &self,
        org: &OrgId,
        record_id: &str,
    ) -> Result<Option<(ConversationKey, Option<Item>)>, StoreError> {
        let Some(found) = self.find_conversation(org, record_id).await? else {
            return Ok(None);
        };
        let head = self.head_item(&conversation_pk(org, &found)).await?;
        if let Some(of) = head.as_ref().and_then(|h| text(h, ERASURE_OF)) {
            let conversation = ConversationKey::stored(of.to_owned());
            let head = self.head_item(&conversation_pk(org, &conversation)).await?;
            return Ok(Some((conversation, head)));
        }
        Ok(Some((found, head)))
    }

    /// Marks a partition's head `erasing` (creating it if need be). The conversation's own
    /// mark is refused under legal hold; a leg partition's names its conversation.
    async fn mark_erasing(
        &self,
        pk: &str,
        now: u64,
        part_of: Option<&ConversationKey>,
    ) -> Result<(), ErasureError> {
        let mut request = self
            .client()
            .update_item()
            .table_name(self.table())
            .key("pk", s(pk))
            .key("sk", s(HEAD_SK))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":head", s(HEAD_ITEM))
            .expression_attribute_values(
                ":expires",
                AttributeValue::N((now + self.retention_secs_of_stack()).to_string()),
            );
        let mut set = format!("{ERASING} = if_not_exists({ERASING}, :now), itemType = :head");
        match part_of {
            Some(conversation) => {
                set.push_str(&format!(", {ERASURE_OF} = :of"));
                request =
                    request.expression_attribute_values(":of", s(conversation.as_str().to_owned()));
            }
            None => {
                request = request
                    .condition_expression(format!("attribute_not_exists({HOLD}) OR {HOLD} = :no"))
                    .expression_attribute_values(":no", AttributeValue::Bool(false));
            }
        }
        // A held item has no expiry; an erasing head keeps one, so an abandoned erasure ends.
        set.push_str(", expiresAt = if_not_exists(expiresAt, :expires)");
        match request.update_expression(format!("SET {set}")).send().await {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Err(ErasureError::LegalHold),
            Err(e) => Err(unavailable("UpdateItem", e).into()),
        }
    }

    /// Deletes every item of the partition but its head, Query after Query until one finds
    /// nothing (what a refused write left while the erasure ran is deleted by the next pass),
    /// or [`DELETE_PASSES`] passes: what refused writes keep leaving is never read (it was
    /// received before `erasedAt`).
    ///
    /// `speakers`: the conversation head's key and its remembered participant hashes, to which
    /// the transcript's speakers are added (and remembered) before their entries are deleted.
    async fn delete_partition(
        &self,
        pk: &str,
        mut speakers: Option<(&str, &mut Vec<String>)>,
    ) -> Result<u64, StoreError> {
        let mut deleted = 0;
        for _ in 0..DELETE_PASSES {
            let found = self
                .query_projected(pk, None, "pk, sk, itemType, participantId")
                .await?;
            if let Some((head, known)) = speakers.as_mut() {
                let before = known.len();
                for item in &found {
                    if text(item, "itemType") != Some(MESSAGE_ITEM) {
                        continue;
                    }
                    let Some(p) = text(item, "participantId").map(str::trim) else {
                        continue;
                    };
                    let hash = participant_hash(p);
                    if !p.is_empty() && !known.contains(&hash) {
                        known.push(hash);
                    }
                }
                if known.len() != before {
                    self.remember(head, ERASURE_PARTICIPANTS, known).await?;
                }
            }
            let requests: Vec<WriteRequest> = found
                .iter()
                .filter(|i| !is_head(i))
                .filter_map(key_of)
                .map(|(pk, sk)| delete_request(pk, sk))
                .collect();
            if requests.is_empty() {
                return Ok(deleted);
            }
            deleted += requests.len() as u64;
            self.delete_all(requests).await?;
        }
        Ok(deleted)
    }

    /// `BatchWriteItem` deletes, [`DELETE_CONCURRENCY`] chunks of 25 in flight at once.
    async fn delete_all(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        let chunks: Vec<Vec<WriteRequest>> = requests.chunks(25).map(<[_]>::to_vec).collect();
        let mut writes = stream::iter(chunks)
            .map(|chunk| self.batch_write(chunk))
            .buffer_unordered(DELETE_CONCURRENCY);
        while let Some(result) = writes.next().await {
            result?;
        }
        Ok(())
    }

    /// The items of a partition (those whose sort key begins with `prefix`, if given), with
    /// only the `projection`'s attributes, page by page.
    async fn query_projected(
        &self,
        pk: &str,
        prefix: Option<&str>,
        projection: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let query = self
            .partition_query(pk.to_owned())
            .projection_expression(projection)
            .consistent_read(true);
        let query = match prefix {
            Some(prefix) => query
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":prefix", s(prefix)),
            None => query.key_condition_expression("pk = :pk"),
        };
        all_pages(query).await
    }

    async fn add_erased(&self, pk: &str, items: u64) -> Result<(), StoreError> {
        self.client()
            .update_item()
            .table_name(self.table())
            .key("pk", s(pk))
            .key("sk", s(HEAD_SK))
            .update_expression(format!("ADD {ERASED_ITEMS} :n"))
            .expression_attribute_values(":n", AttributeValue::N(items.to_string()))
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem", e))?;
        Ok(())
    }

    async fn remember_legs(&self, pk: &str, legs: &[ErasedLeg]) -> Result<(), StoreError> {
        let legs: Vec<String> = legs
            .iter()
            .map(|l| format!("{}#{}", l.voice_call_id, l.vendor_call_key))
            .collect();
        self.remember(pk, ERASURE_LEGS, &legs).await
    }

    /// Keeps a list on the head of an erasure under way.
    async fn remember(&self, pk: &str, name: &str, values: &[String]) -> Result<(), StoreError> {
        self.client()
            .update_item()
            .table_name(self.table())
            .key("pk", s(pk))
            .key("sk", s(HEAD_SK))
            .update_expression("SET #list = :list")
            .expression_attribute_names("#list", name)
            .expression_attribute_values(
                ":list",
                AttributeValue::L(values.iter().map(|v| s(v.clone())).collect()),
            )
            .send()
            .await
            .map_err(|e| unavailable("UpdateItem", e))?;
        Ok(())
    }

    async fn get_item(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client()
            .get_item()
            .table_name(self.table())
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        Ok(output.item)
    }

    /// The keys of every item a hold changes: every item of every partition of the
    /// conversation, the voice call records and the vendor keys.
    async fn conversation_keys(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let pk = conversation_pk(org, conversation);
        let items = self.query_partition(pk).await?;
        let legs: Vec<ErasedLeg> = items.iter().filter_map(ErasedLeg::of_item).collect();
        let mut keys: Vec<(String, String)> = items.iter().filter_map(key_of).collect();
        for leg in &legs {
            if leg.vendor_call_key != conversation.as_str() {
                let own = ConversationKey::stored(leg.vendor_call_key.clone());
                let part = self.query_partition(conversation_pk(org, &own)).await?;
                keys.extend(part.iter().filter_map(key_of));
            }
            if let Some(id) = crate::model::VoiceCallId::parse(&leg.voice_call_id) {
                keys.push((voice_call_pk(org, &id), "VC".into()));
            }
            if let Ok(key) = crate::model::VendorCallKey::parse(&leg.vendor_call_key) {
                keys.push((vendor_key_pk(org, &key), "VCK".into()));
            }
        }
        Ok(keys)
    }

    /// One item's expiry taken aside (`hold`) or put back. `false`: nothing to do (already so,
    /// or the item is gone).
    async fn hold_item(&self, pk: String, sk: String, hold: bool) -> Result<bool, StoreError> {
        let (expression, condition) = if hold {
            (
                format!("SET {HELD_EXPIRES_AT} = expiresAt REMOVE expiresAt"),
                "attribute_exists(expiresAt)".to_owned(),
            )
        } else {
            (
                format!("SET expiresAt = {HELD_EXPIRES_AT} REMOVE {HELD_EXPIRES_AT}"),
                format!("attribute_exists({HELD_EXPIRES_AT})"),
            )
        };
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(expression)
            .condition_expression(condition)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }
}

impl ConversationEraser for DynamoStore {
    async fn erase(&self, org: &OrgId, record_id: &str, now: u64) -> Result<Erasure, ErasureError> {
        let (conversation, head) = self
            .conversation_named(org, record_id)
            .await?
            .ok_or(ErasureError::NotFound)?;
        let pk = conversation_pk(org, &conversation);
        let resumed = head.as_ref().is_some_and(super::is_erasing);
        if !resumed && !self.holds_data(&pk).await? {
            return Err(ErasureError::NotFound);
        }
        if head
            .as_ref()
            .is_some_and(|h| matches!(h.get(HOLD), Some(AttributeValue::Bool(true))))
        {
            return Err(ErasureError::LegalHold);
        }
        // From here no write lands and no read answers (the module's protocol).
        self.mark_erasing(&pk, now, None).await?;
        // Read after the mark: no leg can be created any more.
        let mut legs = head.as_ref().map(ErasedLeg::remembered).unwrap_or_default();
        let remembered = legs.len();
        for item in self
            .query_projected(&pk, Some("LEG#"), "itemType, voiceCallId, vendorCallKey")
            .await?
        {
            if let Some(leg) = ErasedLeg::of_item(&item) {
                if !legs.contains(&leg) {
                    legs.push(leg);
                }
            }
        }
        if legs.len() != remembered {
            self.remember_legs(&pk, &legs).await?;
        }
        let mut partitions = vec![conversation.as_str().to_owned()];
        for leg in &legs {
            if !partitions.contains(&leg.vendor_call_key) {
                partitions.push(leg.vendor_call_key.clone());
                let own = ConversationKey::stored(leg.vendor_call_key.clone());
                self.mark_erasing(&conversation_pk(org, &own), now, Some(&conversation))
                    .await?;
            }
        }
        // Who took part, for the participant index (remembered: the retry of a crash after the
        // transcript's deletion still knows).
        let mut participants = head
            .as_ref()
            .map(|h| strings(h, ERASURE_PARTICIPANTS))
            .unwrap_or_default();
        let known = participants.len();
        let mut add = |participant: &str| {
            let participant = participant.trim();
            if !participant.is_empty() {
                let hash = participant_hash(participant);
                if !participants.contains(&hash) {
                    participants.push(hash);
                }
            }
        };
        for leg in &legs {
            let Some(id) = crate::model::VoiceCallId::parse(&leg.voice_call_id) else {
                continue;
            };
            if let Some(record) = self.get_item(voice_call_pk(org, &id), "VC").await? {
                for field in ["from", "to"] {
                    if let Some(p) = text(&record, field) {
                        add(p);
                    }
                }
                if let Some(AttributeValue::L(list)) = record.get("participants") {
                    for p in list {
                        if let AttributeValue::M(p) = p {
                            if let Some(key) = text(p, "participantKey") {
                                add(key);
                            }
                        }
                    }
                }
            }
        }
        if participants.len() != known {
            self.remember(&pk, ERASURE_PARTICIPANTS, &participants)
                .await?;
        }
        let mut items = head.as_ref().map_or(0, |h| number(h, ERASED_ITEMS));
        for key in &partitions {
            let part_pk = conversation_pk(org, &ConversationKey::stored(key.clone()));
            let deleted = self
                .delete_partition(&part_pk, Some((&pk, &mut participants)))
                .await?;
            if deleted > 0 {
                self.add_erased(&pk, deleted).await?;
                items += deleted;
            }
        }
        // The participant index's entries of every partition.
        let entries: Vec<WriteRequest> = participants
            .iter()
            .flat_map(|hash| {
                partitions
                    .iter()
                    .map(move |key| delete_request(participant_pk(org, hash), key.clone()))
            })
            .collect();
        items += entries.len() as u64;
        // The Contact Lens start anchors of its contacts (a contact id is a vendorCallKey, and
        // each partition is keyed by one), apart from the partitions; absent ones cost nothing
        // but the request's slot.
        let anchors = partitions.iter().map(|key| {
            delete_request(
                crate::store::items::anchor_pk(org, key),
                crate::store::items::ANCHOR_ITEM.to_owned(),
            )
        });
        self.batch_write(entries.into_iter().chain(anchors).collect())
            .await?;
        Ok(Erasure {
            conversation,
            partitions,
            voice_calls: legs.iter().map(|l| l.voice_call_id.clone()).collect(),
            vendor_keys: legs.into_iter().map(|l| l.vendor_call_key).collect(),
            items,
        })
    }

    async fn finish(&self, org: &OrgId, erasure: &Erasure, now: u64) -> Result<u64, ErasureError> {
        let delete = |pk: String, sk: &str| {
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(self.table())
                        .key("pk", s(pk))
                        .key("sk", s(sk))
                        .build()
                        .expect("table and key are set"),
                )
                .build()
        };
        let mut actions = Vec::new();
        for key in &erasure.vendor_keys {
            if let Ok(key) = crate::model::VendorCallKey::parse(key) {
                actions.push(delete(vendor_key_pk(org, &key), "VCK"));
            }
        }
        for id in &erasure.voice_calls {
            if let Some(id) = crate::model::VoiceCallId::parse(id) {
                actions.push(delete(voice_call_pk(org, &id), "VC"));
            }
        }
        let records = actions.len() as u64;
        for key in &erasure.partitions {
            let tombstone = HashMap::from([
                (
                    "pk".to_owned(),
                    s(conversation_pk(org, &ConversationKey::stored(key.clone()))),
                ),
                ("sk".to_owned(), s(HEAD_SK)),
                ("itemType".to_owned(), s(HEAD_ITEM)),
                (ERASED_AT.to_owned(), AttributeValue::N(now.to_string())),
                (
                    "expiresAt".to_owned(),
                    AttributeValue::N((now + TOMBSTONE_SECS).to_string()),
                ),
            ]);
            let put = Put::builder()
                .table_name(self.table())
                .set_item(Some(tombstone))
                .build()
                .expect("table and item are set");
            actions.push(TransactWriteItem::builder().put(put).build());
        }
        // The records and the tombstones together (one transaction unless the conversation
        // has more than 33 legs): a crash leaves either all of them to the retry or none.
        let mut chunks: Vec<Vec<TransactWriteItem>> = Vec::new();
        while actions.len() > TRANSACTION_LIMIT {
            let rest = actions.split_off(actions.len() - TRANSACTION_LIMIT);
            chunks.push(rest);
        }
        chunks.push(actions);
        for chunk in chunks.into_iter().rev() {
            self.client()
                .transact_write_items()
                .set_transact_items(Some(chunk))
                .send()
                .await
                .map_err(|e| unavailable("TransactWriteItems", e))?;
        }
        // An analysis that read the conversation before the mark may have stored its record
        // since the last pass.
        let late = self
            .delete_partition(&conversation_pk(org, &erasure.conversation), None)
            .await?;
        Ok(erasure.items + records + late)
    }

    async fn set_hold(
        &self,
        org: &OrgId,
        record_id: &str,
        hold: bool,
        _now: u64,
    ) -> Result<Held, ErasureError> {
        let (conversation, head) = self
            .conversation_named(org, record_id)
            .await?
            .ok_or(ErasureError::NotFound)?;
        if head.as_ref().is_some_and(super::is_erasing) {
            return Err(ErasureError::Erasing);
        }
        let pk = conversation_pk(org, &conversation);
        if !self.holds_data(&pk).await? {
            return Err(ErasureError::NotFound);
        }
        let flag = self
            .client()
            .update_item()
            .table_name(self.table())
            .key("pk", s(pk.clone()))
            .key("sk", s(HEAD_SK))
            .condition_expression(format!("attribute_not_exists({ERASING})"));
        let flag = if hold {
            flag.update_expression(format!("SET {HOLD} = :yes, itemType = :head"))
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .expression_attribute_values(":head", s(HEAD_ITEM))
        } else {
            flag.update_expression(format!("REMOVE {HOLD}"))
        };
        match flag.send().await {
            Ok(_) => {}
            Err(e) if condition_failed(&e) => return Err(ErasureError::Erasing),
            Err(e) => return Err(unavailable("UpdateItem", e).into()),
        }
        let keys = self.conversation_keys(org, &conversation).await?;
        let mut changed = 0;
        let mut updates = stream::iter(keys)
            .map(|(pk, sk)| self.hold_item(pk, sk, hold))
            .buffer_unordered(HOLD_CONCURRENCY);
        while let Some(result) = updates.next().await {
            changed += u64::from(result?);
        }
        Ok(Held {
            conversation,
            items: changed,
        })
    }
}
