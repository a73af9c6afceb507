//! The DynamoDB adapter of the storage ports. Every access pattern of the table lives here.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use serde_dynamo::aws_sdk_dynamodb_1::to_item;

use super::items::{token_pk, SignalItem, TokenIdItem, TOKEN_ITEM};
use super::{Backoff, ReplayGuard, SignalBatch, SignalStore, StoreError};
use crate::model::OrgId;

/// `BatchWriteItem` takes at most 25 requests.
const BATCH_WRITE_LIMIT: usize = 25;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    retention_secs: u64,
    backoff: Backoff,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>, retention_days: u32) -> Self {
        Self {
            client,
            table: table.into(),
            retention_secs: u64::from(retention_days) * 86_400,
            backoff: Backoff::default(),
        }
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Writes every request, 25 at a time, re-sending `UnprocessedItems` with backoff until they
    /// are all written or the retries run out.
    async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for chunk in requests.chunks(BATCH_WRITE_LIMIT) {
            let mut pending = HashMap::from([(self.table.clone(), chunk.to_vec())]);
            let mut retry = 0;
            loop {
                let output = self
                    .client
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
                tokio::time::sleep(self.backoff.delay(retry)).await;
                retry += 1;
            }
        }
        Ok(())
    }
}

/// Logs the SDK's whole error chain (never sent to a caller) and reports the store unavailable.
fn unavailable<E, R>(operation: &str, error: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    tracing::error!(operation, error = %DisplayErrorContext(&error), "DynamoDB request failed");
    StoreError::Unavailable
}

fn put(item: HashMap<String, AttributeValue>) -> WriteRequest {
    WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build().expect("item is set"))
        .build()
}

impl SignalStore for DynamoStore {
    async fn put_signals(&self, batch: SignalBatch<'_>) -> Result<(), StoreError> {
        let expires_at = batch.received_at + self.retention_secs;
        // One request may repeat an event; BatchWriteItem refuses duplicate keys in one call.
        let mut by_key: HashMap<String, SignalItem> = HashMap::with_capacity(batch.events.len());
        for event in batch.events {
            let item = SignalItem::new(&batch, event, expires_at);
            by_key.insert(item.sk.clone(), item);
        }
        let requests = by_key
            .into_values()
            .map(|item| {
                to_item(item).map(put).map_err(|e| {
                    tracing::error!(error = %e, "signal item did not serialise");
                    StoreError::Unavailable
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.batch_write(requests).await
    }
}

impl ReplayGuard for DynamoStore {
    async fn claim_token_id(&self, org: &OrgId, jti: &str, expires_at: u64, now: u64) -> Result<bool, StoreError> {
        let item = TokenIdItem {
            pk: token_pk(org, jti),
            sk: TOKEN_ITEM.to_owned(),
            item_type: TOKEN_ITEM.to_owned(),
            expires_at,
        };
        let item = to_item(item).map_err(|e| {
            tracing::error!(error = %e, "token id item did not serialise");
            StoreError::Unavailable
        })?;
        // TTL deletion lags by up to days: an expired record must not block a reuse.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR expiresAt < :now")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(unavailable("PutItem", e)),
        }
    }
}
