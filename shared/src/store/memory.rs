//! An in-process implementation of the storage ports, for the benchmark and handler unit tests.
//! Every storage behaviour is also tested against a real DynamoDB-compatible server.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use super::items::{token_pk, SignalItem};
use super::{ReplayGuard, SignalBatch, SignalStore, StoreError};
use crate::model::OrgId;

#[derive(Debug, Default)]
pub struct MemoryStore {
    signals: Mutex<BTreeMap<(String, String), SignalItem>>,
    token_ids: Mutex<HashMap<String, u64>>,
    retention_secs: u64,
}

impl MemoryStore {
    pub fn new(retention_days: u32) -> Self {
        Self { retention_secs: u64::from(retention_days) * 86_400, ..Self::default() }
    }

    /// Every stored signal, in key order.
    pub fn signals(&self) -> Vec<SignalItem> {
        self.signals.lock().expect("lock").values().cloned().collect()
    }
}

impl SignalStore for MemoryStore {
    async fn put_signals(&self, batch: SignalBatch<'_>) -> Result<(), StoreError> {
        let expires_at = batch.received_at + self.retention_secs;
        let mut signals = self.signals.lock().expect("lock");
        for event in batch.events {
            let item = SignalItem::new(&batch, event, expires_at);
            signals.insert((item.pk.clone(), item.sk.clone()), item);
        }
        Ok(())
    }
}

impl ReplayGuard for MemoryStore {
    async fn claim_token_id(&self, org: &OrgId, jti: &str, expires_at: u64, now: u64) -> Result<bool, StoreError> {
        let mut seen = self.token_ids.lock().expect("lock");
        let key = token_pk(org, jti);
        match seen.get(&key) {
            Some(&until) if until >= now => Ok(false),
            _ => {
                seen.insert(key, expires_at);
                Ok(true)
            }
        }
    }
}
