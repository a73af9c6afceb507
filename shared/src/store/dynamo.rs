//! The DynamoDB adapter of the storage ports. Every access pattern of the table lives here.

use std::collections::HashMap;
use std::sync::Arc;

use crate::aws_sdk::OnFirstUse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, PutRequest, TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value;

use super::analysis_items::{
    decompress, read_record_and_head, RecordAndHead, ANALYSIS_ITEM, ANALYSIS_PART_ITEM,
    ANALYSIS_SK, HEAD_ITEM, HEAD_SK,
};
use super::codec::{attributes, decode};
use super::items::{
    conversation_pk, LEG_ITEM, MESSAGE_ITEM, POST_CALL_ITEM, ROUTING_ITEM, SIGNAL_ITEM,
};
use super::items::{
    token_pk, vendor_key_pk, voice_call_pk, MessageItem, PostCallItem, SignalItem, TokenIdItem,
    VendorKeyItem, VoiceCallItem, VoiceCallItems, TOKEN_ITEM,
};
use super::updates::update_attributes;
use super::{
    Backoff, ConversationReader, ConversationRecord, Created, Leg, LegUpdate, MessageBatch, NewLeg,
    PostCallBatch, ReplayGuard, RoutingBatch, RoutingItem, SignalBatch, StoreError, TelephonyStore,
    Watched,
};
use crate::model::{ConversationKey, OrgId, VendorCallKey, VoiceCallId};

/// `BatchWriteItem` takes at most 25 requests.
const BATCH_WRITE_LIMIT: usize = 25;

/// Where a store reads a tenant's own retention (CONTRACT §8): the tenant directory's cache
/// (`crate::tenants::Tenants`), so a write costs no extra read.
pub trait RetentionSource: Send + Sync {
    /// The tenant's own `retentionDays`; `None`: the stack's (no record, none set, unreadable).
    fn retention_days<'a>(&'a self, org: &'a OrgId) -> BoxFuture<'a, Option<u32>>;
}

/// The source, held without a `Debug` of its cache.
#[derive(Clone)]
struct TenantRetention(Arc<dyn RetentionSource>);

impl std::fmt::Debug for TenantRetention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TenantRetention")
    }
}

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: OnFirstUse<Client>,
    table: String,
    retention_secs: u64,
    /// Where a tenant's own `retentionDays` is read (its cache); `None`: `retention_secs` for all.
    tenants: Option<TenantRetention>,
    backoff: Backoff,
}

impl DynamoStore {
    /// `client`: a client, or [`OnFirstUse`] to make it on the first request.
    pub fn new(
        client: impl Into<OnFirstUse<Client>>,
        table: impl Into<String>,
        retention_days: u32,
    ) -> Self {
        Self {
            client: client.into(),
            table: table.into(),
            retention_secs: u64::from(retention_days) * 86_400,
            tenants: None,
            backoff: Backoff::default(),
        }
    }

    /// Items written for a tenant expire after its `retentionDays` (CONTRACT §8), read through
    /// `tenants` (the cache the request was admitted through: no extra read), else after the
    /// stack's retention.
    pub fn with_tenant_retention(mut self, tenants: impl RetentionSource + 'static) -> Self {
        self.tenants = Some(TenantRetention(Arc::new(tenants)));
        self
    }

    /// The stack's retention (`RETENTION_DAYS`), in seconds.
    pub(crate) fn retention_secs_of_stack(&self) -> u64 {
        self.retention_secs
    }

    /// Seconds until what is written now for `org` expires.
    pub(crate) async fn retention_secs_of(&self, org: &OrgId) -> u64 {
        let Some(TenantRetention(tenants)) = &self.tenants else {
            return self.retention_secs;
        };
        tenants
            .retention_days(org)
            .await
            .map_or(self.retention_secs, |days| u64::from(days) * 86_400)
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub(crate) fn client(&self) -> &Client {
        self.client.get()
    }

    /// Writes every request, 25 at a time, re-sending `UnprocessedItems` with backoff until they
    /// are all written or the retries run out.
    pub(crate) async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for chunk in requests.chunks(BATCH_WRITE_LIMIT) {
            let mut pending = HashMap::from([(self.table.clone(), chunk.to_vec())]);
            let mut retry = 0;
            loop {
                let output = self
                    .client()
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .send()
                    .await
                    .map_err(|e| unavailable("BatchWriteItem", e))?;
                match output.unprocessed_items {
                    Some(unprocessed) if unprocessed.values().any(|v| !v.is_empty()) => {
                        pending = unprocessed;
                    }
                    _ => break,
                }
                if retry == self.backoff.retries {
                    tracing::error!(table = %self.table, "BatchWriteItem left items unprocessed after {retry} retries");
                    return Err(StoreError::Unavailable);
                }
                crate::metrics::storage_retry("BatchWriteItem");
                tokio::time::sleep(self.backoff.delay(retry)).await;
                retry += 1;
            }
        }
        Ok(())
    }
}

/// Logs the SDK's whole error chain (never sent to a caller) and reports the store unavailable.
pub(crate) fn unavailable<E, R>(operation: &str, error: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    tracing::error!(operation, error = %DisplayErrorContext(&error), "DynamoDB request failed");
    StoreError::Unavailable
}

/// Whether a conditional write was refused by its condition (and nothing else).
pub(crate) fn condition_failed<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
        == Some("ConditionalCheckFailedException")
}

/// A `BatchWriteItem` request that puts `item`.
pub(crate) fn put(item: HashMap<String, AttributeValue>) -> WriteRequest {
    WriteRequest::builder()
        .put_request(
            PutRequest::builder()
                .set_item(Some(item))
                .build()
                .expect("item is set"),
        )
        .build()
}

/// Put requests for `items`, one per key: BatchWriteItem refuses a key twice in one call, and a
/// request may repeat itself (the same event twice). The last copy wins, as a retry would.
fn put_requests<T: Serialize>(
    items: impl IntoIterator<Item = (String, T)>,
) -> Result<Vec<WriteRequest>, StoreError> {
    let unique: HashMap<String, T> = items.into_iter().collect();
    unique
        .into_values()
        .map(|item| attributes(item).map(put))
        .collect()
}

impl DynamoStore {
    /// Reads one item with a strongly consistent read: a leg recorded a moment ago must be seen.
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, StoreError> {
        let output = self
            .client()
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        output.item.map(decode).transpose()
    }

    fn conditional_put(
        &self,
        item: HashMap<String, AttributeValue>,
        only_new: bool,
    ) -> TransactWriteItem {
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = if only_new {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put
        };
        TransactWriteItem::builder()
            .put(put.build().expect("table and item are set"))
            .build()
    }
}

impl TelephonyStore for DynamoStore {
    async fn put_signals(&self, mut batch: SignalBatch<'_>) -> Result<Watched, StoreError> {
        let expires_at = batch.received_at + self.retention_secs_of(batch.org).await;
        let pk = conversation_pk(batch.org, batch.conversation);
        let events = std::mem::take(&mut batch.events);
        let items = events.into_iter().map(|event| {
            let item = SignalItem::new(&batch, &pk, event, expires_at);
            (item.sk.clone(), item)
        });
        self.batch_write(put_requests(items)?).await?;
        self.touch(batch.org, batch.conversation, false, batch.received_at)
            .await
    }

    async fn put_messages(&self, batches: &[MessageBatch<'_>]) -> Result<Vec<Watched>, StoreError> {
        let mut retention = Vec::with_capacity(batches.len());
        for batch in batches {
            retention.push(self.retention_secs_of(batch.org).await);
        }
        let items = batches
            .iter()
            .zip(retention.iter().copied())
            .flat_map(|(batch, retention)| {
                let expires_at = batch.received_at + retention;
                batch.messages.iter().map(move |m| {
                    let item = MessageItem::new(batch, m, expires_at);
                    (format!("{}\n{}", item.pk, item.sk), item)
                })
            });
        let mut requests = put_requests(items)?;
        // The participant index (`super::participants`): one entry per speaker and conversation.
        let mut entries: HashMap<String, WriteRequest> = HashMap::new();
        for (batch, retention) in batches.iter().zip(&retention) {
            for m in batch.messages {
                entries.extend(super::participants::entry_request(
                    batch.org,
                    &m.participant_id,
                    batch.conversation,
                    batch.received_at + retention,
                ));
            }
        }
        requests.extend(entries.into_values());
        self.batch_write(requests).await?;
        // Each conversation written to, once (bulk transcripts span conversations).
        let mut touched: Vec<(&OrgId, &ConversationKey, Watched)> = Vec::new();
        for batch in batches.iter().filter(|b| !b.messages.is_empty()) {
            if !touched
                .iter()
                .any(|(o, c, _)| (*o, *c) == (batch.org, batch.conversation))
            {
                let watched = self
                    .touch(batch.org, batch.conversation, false, batch.received_at)
                    .await?;
                touched.push((batch.org, batch.conversation, watched));
            }
        }
        Ok(batches
            .iter()
            .map(|b| {
                touched
                    .iter()
                    .find(|(o, c, _)| (*o, *c) == (b.org, b.conversation))
                    .map_or(Watched(false), |t| t.2)
            })
            .collect())
    }

    async fn put_post_call(&self, batch: PostCallBatch<'_>) -> Result<(), StoreError> {
        let expires_at = batch.received_at + self.retention_secs_of(batch.org).await;
        let items = batch.events.iter().map(|event| {
            let item = PostCallItem::new(&batch, event, expires_at);
            (item.sk.clone(), item)
        });
        self.batch_write(put_requests(items)?).await?;
        // Post-call events end the conversation (CONTRACT §3.2).
        self.touch(batch.org, batch.conversation, true, batch.received_at)
            .await
            .map(|_| ())
    }

    async fn voice_call(&self, org: &OrgId, id: &VoiceCallId) -> Result<Option<Leg>, StoreError> {
        let record: Option<VoiceCallItem> = self.get(voice_call_pk(org, id), "VC").await?;
        Ok(record.and_then(|r| {
            Some(Leg {
                voice_call_id: id.clone(),
                vendor_call_key: VendorCallKey::parse(&r.vendor_call_key).ok()?,
                conversation: ConversationKey::stored(r.conversation_key),
            })
        }))
    }

    async fn leg_of(&self, org: &OrgId, key: &VendorCallKey) -> Result<Option<Leg>, StoreError> {
        let item: Option<VendorKeyItem> = self.get(vendor_key_pk(org, key), "VCK").await?;
        Ok(item.and_then(|i| {
            Some(Leg {
                voice_call_id: VoiceCallId::parse(&i.voice_call_id)?,
                vendor_call_key: key.clone(),
                conversation: ConversationKey::stored(i.conversation_key),
            })
        }))
    }

    async fn create_voice_call(&self, leg: NewLeg<'_>) -> Result<Created, StoreError> {
        let expires_at = leg.now + self.retention_secs_of(leg.org).await;
        let items = VoiceCallItems::new(&leg, expires_at);
        let mut transaction = self
            .client()
            .transact_write_items()
            .transact_items(self.conditional_put(attributes(items.vendor_key)?, true))
            .transact_items(self.conditional_put(attributes(items.record)?, true))
            .transact_items(self.conditional_put(attributes(items.leg)?, false))
            // Never into a conversation being (or just) erased: see `crate::erasure`.
            .transact_items(super::guards::head_not_erased(
                self.table(),
                conversation_pk(leg.org, leg.conversation),
                leg.now,
            ));
        for entry in super::participants::record_entries(
            self.table(),
            leg.org,
            leg.conversation,
            leg.call,
            expires_at,
        ) {
            transaction = transaction.transact_items(entry);
        }
        let key = leg.call.vendor_call_key.as_str();
        if key != leg.conversation.as_str() {
            // A transfer leg: what was sent with its own key lives in its own partition, read
            // into the conversation; later writes there must make the conversation's record stale.
            transaction = transaction.transact_items(self.part_of_item(
                leg.org,
                key,
                leg.conversation,
                expires_at,
            ));
        }
        let result = transaction.send().await;
        match result {
            Ok(_) => {
                self.touch(leg.org, leg.conversation, false, leg.now)
                    .await?;
                Ok(Created::New)
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_transaction_canceled_exception()) =>
            {
                // Either the vendorCallKey is recorded (idempotent create) or the id is taken.
                match self.leg_of(leg.org, &leg.call.vendor_call_key).await? {
                    Some(existing) => {
                        // A retry: the first try may have failed before its head update.
                        self.touch(leg.org, &existing.conversation, false, leg.now)
                            .await?;
                        Ok(Created::Existing(existing))
                    }
                    None => Ok(Created::IdTaken),
                }
            }
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }

    async fn update_voice_call(&self, update: LegUpdate<'_>) -> Result<bool, StoreError> {
        let mut attributes = update_attributes(update.update);
        attributes.insert("updatedAt".into(), update.now.into());
        if let Some(provider) = update.provider {
            attributes.insert("provider".into(), provider.into());
        }
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut sets = Vec::with_capacity(attributes.len());
        for (i, (name, value)) in attributes.into_iter().enumerate() {
            names.insert(format!("#a{i}"), name);
            values.insert(
                format!(":v{i}"),
                to_attribute_value(value).map_err(|e| {
                    tracing::error!(error = %e, "call update did not serialise");
                    StoreError::Unavailable
                })?,
            );
            sets.push(format!("#a{i} = :v{i}"));
        }
        let leg = update.leg;
        let record = Update::builder()
            .table_name(&self.table)
            .key(
                "pk",
                AttributeValue::S(voice_call_pk(update.org, &leg.voice_call_id)),
            )
            .key("sk", AttributeValue::S("VC".into()))
            .update_expression(format!("SET {}", sets.join(", ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("table, key and expression are set");
        let mut transaction = self
            .client()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(record).build());
        if let Some(ended_at) = update.ends_at() {
            // The leg in its conversation's partition: what the conversation's end is read from.
            // A leg ended before keeps its first end, so a retry changes nothing.
            let leg_item = Update::builder()
                .table_name(&self.table)
                .key(
                    "pk",
                    AttributeValue::S(conversation_pk(update.org, &leg.conversation)),
                )
                .key(
                    "sk",
                    AttributeValue::S(format!("LEG#{}", leg.voice_call_id)),
                )
                .update_expression("SET endedAt = if_not_exists(endedAt, :ended)")
                .expression_attribute_values(":ended", AttributeValue::N(ended_at.to_string()))
                .condition_expression("attribute_exists(pk)")
                .build()
                .expect("table, key and expression are set");
            transaction =
                transaction.transact_items(TransactWriteItem::builder().update(leg_item).build());
        }
        match transaction.send().await {
            Ok(_) => {
                if update.ends_at().is_some() {
                    self.touch(update.org, &leg.conversation, true, update.now)
                        .await?;
                }
                Ok(true)
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_transaction_canceled_exception()) =>
            {
                tracing::warn!("call update of a record that no longer exists");
                Ok(false)
            }
            Err(e) => Err(unavailable("TransactWriteItems", e)),
        }
    }

    async fn put_routing(&self, batch: RoutingBatch<'_>, identity: &str) -> Result<(), StoreError> {
        let retention = self.retention_secs_of(batch.org).await;
        let item = RoutingItem::new(&batch, identity, batch.received_at + retention);
        self.client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(attributes(item)?))
            .send()
            .await
            .map_err(|e| unavailable("PutItem", e))?;
        self.touch(batch.org, batch.conversation, false, batch.received_at)
            .await
            .map(|_| ())
    }
}

impl DynamoStore {
    /// Every item of one partition, page by page (each page up to DynamoDB's 1 MB).
    pub(crate) async fn query_partition(
        &self,
        pk: String,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
        self.query_items(pk, None).await
    }

    /// The conversation data of one conversation partition: its `HEAD` and every item after it
    /// (never a stored analysis). A partition whose head says an erasure is under way reads as
    /// empty: nothing half-erased is ever answered (see `crate::erasure`).
    async fn query_data(
        &self,
        pk: String,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
        let mut items = self.query_items(pk, Some(HEAD_SK)).await?;
        if items.first().is_some_and(super::guards::is_erasing) {
            return Ok(Vec::new());
        }
        if let Some(erased_at) = items.first().and_then(super::guards::erased_at) {
            // What a write refused by the erasure left (it began before the erasure ended):
            // never part of the conversation; its retry rewrites it later.
            items.retain(|item| !super::guards::received_by(item, erased_at));
        }
        Ok(items)
    }

    /// The conversation's analysis record and head, read together: one strongly consistent Query
    /// (two pages only when a record is larger than 1 MB compressed).
    pub(crate) async fn query_record_and_head(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<RecordAndHead, StoreError> {
        let query = self
            .partition_query(conversation_pk(org, conversation))
            .key_condition_expression("pk = :pk AND sk BETWEEN :record AND :head")
            .expression_attribute_values(":record", AttributeValue::S(ANALYSIS_SK.into()))
            .expression_attribute_values(":head", AttributeValue::S(HEAD_SK.into()))
            .consistent_read(true);
        read_record_and_head(all_pages(query).await?)
    }

    /// A Query of the table with `:pk` bound to `pk`; the caller adds its key condition.
    pub(crate) fn partition_query(&self, pk: String) -> QueryFluentBuilder {
        self.client()
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":pk", AttributeValue::S(pk))
    }

    /// Whether the partition `pk` holds anything but its head: a single Query.
    pub(crate) async fn holds_data(&self, pk: &str) -> Result<bool, StoreError> {
        let output = self
            .partition_query(pk.to_owned())
            .key_condition_expression("pk = :pk")
            .projection_expression("sk")
            // The head sorts before every data item: two items tell a partition that holds
            // data from one holding only a head (an erased conversation's tombstone).
            .limit(2)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("Query", e))?;
        Ok(output
            .items()
            .iter()
            .any(|i| !matches!(i.get("sk"), Some(AttributeValue::S(sk)) if sk == HEAD_SK)))
    }

    /// Every item of the partition from sort key `from` on (all of them for `None`).
    async fn query_items(
        &self,
        pk: String,
        from: Option<&str>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
        let query = self.partition_query(pk);
        let query = match from {
            Some(sk) => query
                .key_condition_expression("pk = :pk AND sk >= :after")
                .expression_attribute_values(":after", AttributeValue::S(sk.to_owned())),
            None => query.key_condition_expression("pk = :pk"),
        };
        // A call recorded a moment ago must be found.
        all_pages(query.consistent_read(true)).await
    }
}

/// Every item a Query answers, page by page (each page up to DynamoDB's 1 MB).
pub(crate) async fn all_pages(
    query: QueryFluentBuilder,
) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
    let mut pages = query.into_paginator().send();
    let mut items = Vec::new();
    while let Some(page) = pages.next().await {
        items.extend(
            page.map_err(|e| unavailable("Query", e))?
                .items
                .unwrap_or_default(),
        );
    }
    Ok(items)
}

impl ConversationReader for DynamoStore {
    async fn find_conversation(
        &self,
        org: &OrgId,
        record_id: &str,
    ) -> Result<Option<ConversationKey>, StoreError> {
        // (the conversation, the key of the leg that named it)
        let mut found = None;
        if let Some(id) = VoiceCallId::parse(record_id) {
            let record = self.query_partition(voice_call_pk(org, &id)).await?;
            if let Some(item) = record.into_iter().next() {
                let record = decode::<VoiceCallItem>(item)?;
                found = Some((record.conversation_key, record.vendor_call_key));
            }
            // Not one of this tenant's records: it may still be a telephony system's key.
        }
        if found.is_none() {
            let Ok(key) = VendorCallKey::parse(record_id) else {
                return Ok(None);
            };
            let leg = self.query_partition(vendor_key_pk(org, &key)).await?;
            found = Some(match leg.into_iter().next() {
                Some(item) => (
                    decode::<VendorKeyItem>(item)?.conversation_key,
                    key.to_string(),
                ),
                None => return Ok(Some(ConversationKey::of_first_leg(&key))),
            });
        }
        let Some((mut conversation, mut via)) = found else {
            return Ok(None);
        };
        // A leg created while its parent was not recorded yet named the parent's key as its
        // conversation; the parent, recorded later as a transfer itself, may belong to another.
        for _ in 0..MAX_TRANSFER_DEPTH {
            if conversation == via {
                break;
            }
            let Ok(key) = VendorCallKey::parse(&conversation) else {
                break;
            };
            let Some(item) = self
                .query_partition(vendor_key_pk(org, &key))
                .await?
                .into_iter()
                .next()
            else {
                break;
            };
            via = conversation;
            conversation = decode::<VendorKeyItem>(item)?.conversation_key;
        }
        Ok(Some(ConversationKey::stored(conversation)))
    }

    /// One item of the conversation's partition besides its head is enough: a single Query.
    async fn has_conversation(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<bool, StoreError> {
        self.holds_data(&conversation_pk(org, conversation)).await
    }

    /// The conversation's partition, and the partition of every transfer leg's own key (what
    /// was sent with the leg's key before its record joined it to the conversation).
    async fn read_conversation(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<ConversationRecord, StoreError> {
        let mut record =
            decode_conversation(self.query_data(conversation_pk(org, conversation)).await?)?;
        let mut read = vec![conversation.as_str().to_owned()];
        let mut pending: Vec<String> = Vec::new();
        loop {
            for leg in &record.legs {
                let key = &leg.vendor_call_key;
                if !read.contains(key) && !pending.contains(key) {
                    pending.push(key.clone());
                }
            }
            let Some(key) = pending.pop() else { break };
            if read.len() > MAX_LEG_PARTITIONS {
                tracing::warn!("conversation has more legs than are read");
                break;
            }
            let leg = ConversationKey::stored(key.clone());
            let part = decode_conversation(self.query_data(conversation_pk(org, &leg)).await?)?;
            read.push(key);
            record.absorb(part);
        }
        record.sort();
        Ok(record)
    }

    /// One Query for the record and the head (`sk BETWEEN "ANALYSIS" AND "HEAD"`).
    async fn fresh_outputs(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let found = self.query_record_and_head(org, conversation).await?;
        found
            .fresh()
            .map(|record| decompress(&record.outputs))
            .transpose()
    }
}

/// How many transfers `find_conversation` follows up from a leg to its conversation.
const MAX_TRANSFER_DEPTH: usize = 8;
/// How many leg partitions one conversation read covers.
const MAX_LEG_PARTITIONS: usize = 100;

/// A conversation partition's items, each read as the type its `itemType` names, in time order.
pub fn decode_conversation(
    items: Vec<HashMap<String, AttributeValue>>,
) -> Result<ConversationRecord, StoreError> {
    let mut record = ConversationRecord::default();
    for item in items {
        let Some(AttributeValue::S(kind)) = item.get("itemType") else {
            tracing::warn!("an item without itemType in a conversation partition");
            continue;
        };
        match kind.as_str() {
            SIGNAL_ITEM => record.signals.push(decode(item)?),
            MESSAGE_ITEM => record.messages.push(decode(item)?),
            POST_CALL_ITEM => record.post_call.push(decode(item)?),
            LEG_ITEM => record.legs.push(decode(item)?),
            ROUTING_ITEM => record.routing.push(decode(item)?),
            HEAD_ITEM | ANALYSIS_ITEM | ANALYSIS_PART_ITEM => {}
            other => tracing::warn!(
                item_type = other,
                "unknown item in a conversation partition"
            ),
        }
    }
    record.sort();
    Ok(record)
}

impl ReplayGuard for DynamoStore {
    async fn release_token_id(&self, org: &OrgId, jti: &str) -> Result<(), StoreError> {
        self.client()
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(token_pk(org, jti)))
            .key("sk", AttributeValue::S(TOKEN_ITEM.to_owned()))
            .send()
            .await
            .map_err(|e| unavailable("DeleteItem", e))?;
        Ok(())
    }

    async fn claim_token_id(
        &self,
        org: &OrgId,
        jti: &str,
        expires_at: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        let item = TokenIdItem {
            pk: token_pk(org, jti),
            sk: TOKEN_ITEM.to_owned(),
            item_type: TOKEN_ITEM.to_owned(),
            expires_at,
        };
        let item = attributes(item)?;
        // TTL deletion lags by up to days: an expired record must not block a reuse.
        let result = self
            .client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR expiresAt < :now")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(unavailable("PutItem", e)),
        }
    }
}
