//! The in-process adapter of the tenant ports: for a local run without a tenants table
//! (`TRUSTED_KEYS` alone), the benchmarks and unit tests. Clones share one set of records.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use futures::FutureExt;

use super::record::TenantRecord;
use super::store::{
    AuditEntry, AuditLog, SaveError, TenantAdminStore, TenantChange, TenantPage, TenantSource,
};
use crate::store::StoreError;

#[derive(Debug, Default)]
struct State {
    records: BTreeMap<String, TenantRecord>,
    instances: HashMap<String, String>,
    audit: Vec<AuditEntry>,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryTenants {
    state: Arc<Mutex<State>>,
}

impl MemoryTenants {
    /// Records as an import makes them (no audit).
    pub fn with_records(records: impl IntoIterator<Item = TenantRecord>) -> Self {
        let tenants = Self::default();
        {
            let mut state = tenants.lock();
            for record in records {
                for id in record.instance_ids() {
                    state.instances.insert(id, record.org_id.clone());
                }
                state.records.insert(record.org_id.clone(), record);
            }
        }
        tenants
    }

    /// The record of `org` as stored.
    pub fn load_sync(&self, org: &str) -> Option<TenantRecord> {
        self.lock().records.get(org).cloned()
    }

    /// The audit items written so far, oldest first.
    pub fn audit(&self) -> Vec<AuditEntry> {
        self.lock().audit.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TenantSource for MemoryTenants {
    fn tenant<'a>(
        &'a self,
        org: &'a str,
    ) -> BoxFuture<'a, Result<Option<TenantRecord>, StoreError>> {
        let record = self.lock().records.get(org).cloned();
        async move { Ok(record) }.boxed()
    }

    fn roster(&self) -> BoxFuture<'_, Result<HashSet<String>, StoreError>> {
        let orgs = self.lock().records.keys().cloned().collect();
        async move { Ok(orgs) }.boxed()
    }

    fn instance_owner<'a>(
        &'a self,
        instance_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        let owner = self.lock().instances.get(instance_id).cloned();
        async move { Ok(owner) }.boxed()
    }
}

impl AuditLog for MemoryTenants {
    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.lock().audit.push(entry.clone());
        Ok(())
    }
}

impl TenantAdminStore for MemoryTenants {
    async fn load(&self, org: &str) -> Result<Option<TenantRecord>, StoreError> {
        Ok(self.lock().records.get(org).cloned())
    }

    async fn save(&self, change: TenantChange<'_>) -> Result<(), SaveError> {
        let mut state = self.lock();
        let org = &change.record.org_id;
        let current = state.records.get(org).map(|r| r.version);
        if current != change.expected_version {
            return Err(SaveError::Conflict);
        }
        if change
            .instances_added
            .iter()
            .any(|id| state.instances.get(id).is_some_and(|owner| owner != org))
        {
            return Err(SaveError::Conflict);
        }
        for id in &change.instances_removed {
            if state.instances.get(id) == Some(org) {
                state.instances.remove(id);
            }
        }
        for id in &change.instances_added {
            state.instances.insert(id.clone(), org.clone());
        }
        state.records.insert(org.clone(), change.record.clone());
        state.audit.push(change.audit.clone());
        Ok(())
    }

    async fn list(&self, limit: usize, after: Option<&str>) -> Result<TenantPage, StoreError> {
        let state = self.lock();
        let mut tenants: Vec<TenantRecord> = state
            .records
            .range::<str, _>((
                after.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded),
                std::ops::Bound::Unbounded,
            ))
            .take(limit + 1)
            .map(|(_, r)| r.clone())
            .collect();
        let more = tenants.len() > limit;
        tenants.truncate(limit);
        let next_after = more
            .then(|| tenants.last().map(|r| r.org_id.clone()))
            .flatten();
        Ok(TenantPage {
            tenants,
            next_after,
        })
    }

    async fn instance_owner(&self, instance_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock().instances.get(instance_id).cloned())
    }
}
