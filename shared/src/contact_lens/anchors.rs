//! The start anchor of a contact: the epoch millisecond its Contact Lens offsets count from.
//!
//! The segment stream carries offsets only. The first record of a contact the service handles
//! proposes an anchor (its Kinesis arrival time less the latest offset it names) and the store
//! keeps the first proposal it is given, conditionally, once per contact: every later record —
//! a retry, a duplicate, a record of another shard handled first or in parallel — reads the
//! same anchor, so a transcript entry's times never move.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::clock::now_secs;
use crate::model::OrgId;
use crate::store::dynamo::{condition_failed, unavailable, DynamoStore};
use crate::store::StoreError;

/// Anchors held by one function instance (an anchor never changes once stored).
const CACHED_ANCHORS: usize = 10_000;
pub use crate::store::items::{anchor_pk, ANCHOR_ITEM};

/// Where anchors are kept.
pub trait ContactAnchors: Send + Sync {
    /// The anchor of `contact`: the one stored, else `proposed`, stored now.
    fn anchor(
        &self,
        org: &OrgId,
        contact: &str,
        proposed: u64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// Anchors in the service's table, with a per-instance cache.
#[derive(Debug)]
pub struct DynamoAnchors {
    store: DynamoStore,
    retention_secs: u64,
    cache: Mutex<HashMap<String, u64>>,
}

impl DynamoAnchors {
    pub fn new(store: DynamoStore, retention_days: u32) -> Self {
        Self {
            store,
            retention_secs: u64::from(retention_days) * 86_400,
            cache: Mutex::new(HashMap::new()),
        }
    }

    async fn stored(&self, pk: &str) -> Result<Option<u64>, StoreError> {
        let output = self
            .store
            .client()
            .get_item()
            .table_name(self.store.table())
            .key("pk", AttributeValue::S(pk.to_owned()))
            .key("sk", AttributeValue::S(ANCHOR_ITEM.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        Ok(output
            .item
            .as_ref()
            .and_then(|i| i.get("anchorMillis"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok()))
    }
}

impl ContactAnchors for DynamoAnchors {
    async fn anchor(&self, org: &OrgId, contact: &str, proposed: u64) -> Result<u64, StoreError> {
        let pk = anchor_pk(org, contact);
        if let Some(&anchor) = lock(&self.cache).get(&pk) {
            return Ok(anchor);
        }
        let result = self
            .store
            .client()
            .put_item()
            .table_name(self.store.table())
            .item("pk", AttributeValue::S(pk.clone()))
            .item("sk", AttributeValue::S(ANCHOR_ITEM.to_owned()))
            .item("itemType", AttributeValue::S(ANCHOR_ITEM.to_owned()))
            .item("orgId", AttributeValue::S(org.as_str().to_owned()))
            .item("anchorMillis", AttributeValue::N(proposed.to_string()))
            .item(
                "expiresAt",
                AttributeValue::N((now_secs() + self.retention_secs).to_string()),
            )
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        let anchor = match result {
            Ok(_) => proposed,
            Err(e) if condition_failed(&e) => self.stored(&pk).await?.ok_or_else(|| {
                tracing::error!("contact anchor refused as existing but not readable");
                StoreError::Unavailable
            })?,
            Err(e) => return Err(unavailable("PutItem", e)),
        };
        let mut cache = lock(&self.cache);
        if cache.len() >= CACHED_ANCHORS {
            cache.clear();
        }
        cache.insert(pk, anchor);
        Ok(anchor)
    }
}

/// Anchors in memory (tests, benches).
#[derive(Debug, Default)]
pub struct MemoryAnchors {
    anchors: Mutex<HashMap<String, u64>>,
    /// Calls made (as a store would count requests).
    pub calls: std::sync::atomic::AtomicU64,
}

impl ContactAnchors for MemoryAnchors {
    async fn anchor(&self, org: &OrgId, contact: &str, proposed: u64) -> Result<u64, StoreError> {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(*lock(&self.anchors)
            .entry(anchor_pk(org, contact))
            .or_insert(proposed))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
