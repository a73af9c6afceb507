//! One change of a tenant record, as every admin route that changes one makes it: read, changed,
//! written over the version it was made from, audited and published, retried when a
//! concurrent change wins.

use serde_json::Value;

use super::{load, unknown_tenant, AdminApp, Principal};
use crate::audit::AuditEntry;
use crate::bus::EventPublisher;
use crate::clock::{now_millis, rfc3339};
use crate::error::ApiError;
use crate::tenants::record::TenantRecord;
use crate::tenants::store::{SaveError, TenantAdminStore, TenantChange};

/// Attempts at a change that keeps meeting a concurrent one.
const ATTEMPTS: usize = 3;

/// One change made by `change` to the current record (or `None`, none yet), written over the
/// version it was made from, audited and published; retried when a concurrent change wins.
pub(crate) async fn change<T, B, C, F>(
    app: &AdminApp<T, B, C>,
    org: &str,
    by: &Principal,
    mut change: F,
) -> Result<TenantRecord, ApiError>
where
    T: TenantAdminStore,
    B: EventPublisher,
    F: FnMut(
        Option<TenantRecord>,
        &str,
    ) -> Result<Option<(TenantRecord, &'static str, Value)>, ApiError>,
{
    for _ in 0..ATTEMPTS {
        let current = load(&app.store, org).await?;
        let expected_version = current.as_ref().map(|r| r.version);
        let before = current
            .as_ref()
            .map(TenantRecord::instance_ids)
            .unwrap_or_default();
        let at_millis = now_millis();
        let now = rfc3339(at_millis);
        let Some((mut record, what, detail)) = change(current.clone(), &now)? else {
            // Nothing to write (a key already there).
            return current.ok_or_else(|| unknown_tenant(org));
        };
        record.version = expected_version.map_or(1, |v| v + 1);
        record.updated_at = now.clone();
        let after = record.instance_ids();
        let added: Vec<String> = after
            .iter()
            .filter(|i| !before.contains(i))
            .cloned()
            .collect();
        let removed: Vec<String> = before
            .iter()
            .filter(|i| !after.contains(i))
            .cloned()
            .collect();
        for id in &added {
            match app.store.instance_owner(id).await {
                Ok(Some(owner)) if owner != org => {
                    return Err(ApiError::Conflict {
                        code: "DUPLICATE_VALUE",
                        message: format!(
                            "connectInstances: the Amazon Connect instance {id} belongs to another tenant"
                        ),
                    })
                }
                Ok(_) => {}
                Err(_) => return Err(ApiError::Unavailable),
            }
        }
        let audit = AuditEntry {
            org_id: org.to_owned(),
            at_millis,
            by: by.0.clone(),
            change: what,
            detail: detail.clone(),
        };
        let saved = app
            .store
            .save(TenantChange {
                record: &record,
                expected_version,
                instances_added: added,
                instances_removed: removed,
                audit: &audit,
            })
            .await;
        match saved {
            Ok(()) => {
                publish(app, &audit).await;
                tracing::info!(tenant = org, change = what, by = %by.0, "tenant changed");
                return Ok(record);
            }
            Err(SaveError::Conflict) => continue,
            Err(SaveError::Store(_)) => return Err(ApiError::Unavailable),
        }
    }
    Err(ApiError::Conflict {
        code: "CONFLICT",
        message: "The tenant is being changed concurrently; retry the request".into(),
    })
}

/// `TenantChanged` on the bus (see [`crate::audit::publish_change`]).
async fn publish<T, B: EventPublisher, C>(app: &AdminApp<T, B, C>, audit: &AuditEntry) {
    crate::audit::publish_change(&app.bus, audit).await;
}
