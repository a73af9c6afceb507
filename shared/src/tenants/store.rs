//! The tenant ports: what every function reads ([`TenantSource`], behind the cache of
//! [`super::Tenants`]) and what the admin function writes ([`TenantAdminStore`]).

use std::collections::HashSet;
use std::future::Future;

use futures::future::BoxFuture;
use serde_json::Value;

use super::record::TenantRecord;
use crate::store::StoreError;

/// The read side, object-safe so that one cache type serves every adapter. Reads only happen
/// on cache misses, so a boxed future per read costs nothing that matters.
pub trait TenantSource: Send + Sync {
    /// The record of `org`, read consistently; `None` when there is none.
    fn tenant<'a>(
        &'a self,
        org: &'a str,
    ) -> BoxFuture<'a, Result<Option<TenantRecord>, StoreError>>;

    /// Every org id that has a record: what lets the cache refuse a token naming an unknown
    /// org without a read of its own.
    fn roster(&self) -> BoxFuture<'_, Result<HashSet<String>, StoreError>>;

    /// The org an Amazon Connect instance id is mapped to.
    fn instance_owner<'a>(
        &'a self,
        instance_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>>;
}

/// Who changed what, when: one audit item per change. Never key material.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub org_id: String,
    pub at_millis: u64,
    /// The caller: an IAM principal's ARN in AWS, `local-admin` locally.
    pub by: String,
    /// `created`, `updated`, `keyAdded`, `keyRevoked`, …
    pub change: &'static str,
    /// What changed: field names, a key's id and fingerprint.
    pub detail: Value,
}

/// One change of one record, written whole or not at all.
#[derive(Debug, Clone)]
pub struct TenantChange<'a> {
    /// The record as it is to be, its `version` one more than `expected_version`'s.
    pub record: &'a TenantRecord,
    /// The version it was made from; `None`: the record must not exist yet.
    pub expected_version: Option<u64>,
    /// Instance ids to map to this org (each must be unmapped or mapped to it already).
    pub instances_added: Vec<String>,
    /// Instance ids to unmap from this org.
    pub instances_removed: Vec<String>,
    pub audit: &'a AuditEntry,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The record changed since it was read, or an instance was mapped to another org.
    #[error("the tenant changed concurrently")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One page of the tenant list, in org id order.
#[derive(Debug, Clone, Default)]
pub struct TenantPage {
    pub tenants: Vec<TenantRecord>,
    /// The last org id of the page when more follow.
    pub next_after: Option<String>,
}

/// The write side, for the admin API only.
pub trait TenantAdminStore: Send + Sync {
    fn load(
        &self,
        org: &str,
    ) -> impl Future<Output = Result<Option<TenantRecord>, StoreError>> + Send;

    fn save(&self, change: TenantChange<'_>) -> impl Future<Output = Result<(), SaveError>> + Send;

    /// Up to `limit` tenants after org id `after`.
    fn list(
        &self,
        limit: usize,
        after: Option<&str>,
    ) -> impl Future<Output = Result<TenantPage, StoreError>> + Send;

    fn instance_owner(
        &self,
        instance_id: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Records a change that is not a change of the record (an erasure, a legal hold).
    fn audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// `TenantChanged` on the bus. The change is stored and audited already: a bus outage is
/// logged, not answered (the audit item is the durable record).
pub async fn publish_change<B: crate::bus::EventPublisher>(bus: &B, audit: &AuditEntry) {
    let detail = serde_json::json!({
        "tenant": audit.org_id,
        "change": audit.change,
        "by": audit.by,
        "at": crate::clock::rfc3339(audit.at_millis),
        "detail": audit.detail,
    });
    let Ok(event) = crate::bus::BusEvent::new(crate::bus::TENANT_CHANGED_DETAIL_TYPE, &detail)
    else {
        return;
    };
    if bus.publish(vec![event]).await.is_err() {
        tracing::error!(tenant = %audit.org_id, "TenantChanged could not be published");
    }
}
