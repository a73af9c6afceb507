//! The admin API's audit trail (CONTRACT §7–8): one item per change an operator made (a tenant
//! record's, an erasure's, a legal hold's), and `TenantChanged` on the bus. The tenant store
//! keeps the items (`crate::tenants::dynamo`); erasure and tenant routes both write them.

use std::future::Future;

use serde_json::Value;

use crate::bus::{BusEvent, EventPublisher, TENANT_CHANGED_DETAIL_TYPE};
use crate::store::StoreError;

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

/// Where audit items are kept.
pub trait AuditLog: Send + Sync {
    /// Records a change that is not a change of the record (an erasure, a legal hold).
    fn audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// `TenantChanged` on the bus. The change is stored and audited already: a bus outage is
/// logged, not answered (the audit item is the durable record).
pub async fn publish_change<B: EventPublisher>(bus: &B, audit: &AuditEntry) {
    let detail = serde_json::json!({
        "tenant": audit.org_id,
        "change": audit.change,
        "by": audit.by,
        "at": crate::clock::rfc3339(audit.at_millis),
        "detail": audit.detail,
    });
    let Ok(event) = BusEvent::new(TENANT_CHANGED_DETAIL_TYPE, &detail) else {
        return;
    };
    if bus.publish(vec![event]).await.is_err() {
        tracing::error!(tenant = %audit.org_id, "TenantChanged could not be published");
    }
}
