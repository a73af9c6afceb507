//! The tenant ports: what every function reads ([`TenantSource`], behind the cache of
//! [`super::Tenants`]) and what the admin function writes ([`TenantAdminStore`]).

use std::collections::HashSet;
use std::future::Future;

use futures::future::BoxFuture;

use super::record::TenantRecord;
pub use crate::audit::{publish_change, AuditEntry, AuditLog};
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

/// The write side, for the admin API only; its audit trail is [`AuditLog`]'s.
pub trait TenantAdminStore: AuditLog + Send + Sync {
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
}
