//! Offboarding a tenant (CONTRACT §7, §8): `DELETE /admin/v1/tenants/{orgId}` → `202`
//! `{erasureId, …}`.
//!
//! 1. An erasure job of kind `tenant` is saved (`crate::erasure::jobs`), then the record
//!    changes, in one conditional write: status `offboarding`, its keys, audiences, settings and
//!    Connect instances removed (the instances unmapped), `erasureId` kept. The admin function
//!    refuses its tokens at once; every other function within [`super::CACHE_TTL`].
//! 2. The job walks the org's index of conversations (`byTenant`) from [`OFFBOARD_SETTLE`]
//!    after the change on, when no function can still accept a token of the tenant's nor be
//!    writing for one, erasing each conversation as `DELETE …/conversations/{id}` does. It is
//!    moved on by the `DELETE` itself and by every `GET …/erasures/{erasureId}` (the operator's
//!    tool polls).
//! 3. Once the job is done, the record's status is `offboarded` (audited `offboarded`, with the
//!    counts). Conversations under legal hold are left and counted (`held`); release them and
//!    `DELETE` again to erase them. The audit items stay: they are the proof of the erasure, and
//!    hold no caller's data.
//!
//! A `DELETE` of a tenant being offboarded moves its job on; of an offboarded one, starts a new
//! job. A `PUT` of an offboarded org id onboards it afresh; while offboarding, every change but
//! this one is refused (`409` `TENANT_OFFBOARDING`).

use std::time::Duration;

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{json, Value};

use super::change::change;
use super::{existing, ok, unknown_tenant, AdminApp, Principal};
use crate::bus::EventPublisher;
use crate::clock::now_millis;
use crate::erasure::admin::{job_status, new_offboarding, status_of};
use crate::erasure::jobs::{ErasureJobs, Job};
use crate::erasure::ConversationEraser;
use crate::error::ApiError;
use crate::model::OrgId;
use crate::tenants::record::{Status, TenantRecord};
use crate::tenants::store::TenantAdminStore;

/// From the keys' removal to the job's first erasure: the tenant cache's bound (30 s) and the
/// longest a telephony request runs (its function's 10 s timeout), with room to spare.
pub const OFFBOARD_SETTLE: Duration = Duration::from_secs(60);

/// The `409` of a change to a tenant being offboarded.
pub fn refuse_while_offboarding(record: &TenantRecord) -> Result<(), ApiError> {
    if record.status == Status::Offboarding {
        return Err(ApiError::Conflict {
            code: "TENANT_OFFBOARDING",
            message: "The tenant is being offboarded: its data is being erased".into(),
        });
    }
    Ok(())
}

/// `DELETE /admin/v1/tenants/{orgId}`.
pub(super) async fn offboard<T, B, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
    by: &Principal,
) -> Result<Response<Bytes>, ApiError>
where
    T: TenantAdminStore,
    B: EventPublisher,
    C: ConversationEraser + ErasureJobs,
{
    let record = existing(&app.store, org).await?;
    let id = match (record.status, record.erasure_id) {
        (Status::Offboarding, Some(id)) => id,
        _ => start(app, org, by).await?,
    };
    let job = advance(app, org, &id, by).await?;
    ok(StatusCode::ACCEPTED, &status_of(&job))
}

/// The job saved, then the record changed to name it.
async fn start<T, B, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
    by: &Principal,
) -> Result<String, ApiError>
where
    T: TenantAdminStore,
    B: EventPublisher,
    C: ConversationEraser + ErasureJobs,
{
    let now = now_millis() / 1000;
    let not_before = now + app.offboard_settle.as_secs();
    let job = new_offboarding(&app.conversations, &OrgId::new(org), &by.0, now, not_before).await?;
    let id = job.erasure_id.clone();
    change(app, org, by, |current, _| {
        let current = current.ok_or_else(|| unknown_tenant(org))?;
        let keys = current.keys.len();
        let mut record = TenantRecord::new(org, &current.created_at);
        record.status = Status::Offboarding;
        record.erasure_id = Some(id.clone());
        let detail = json!({ "erasureId": id, "keysRemoved": keys, "notBefore": not_before });
        Ok(Some((record, "offboardingStarted", detail)))
    })
    .await?;
    tracing::info!(tenant = org, erasure = %id, "offboarding started: keys removed");
    Ok(id)
}

/// One slice of the job `id`; a tenant job done ends the offboarding.
async fn advance<T, B, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
    id: &str,
    by: &Principal,
) -> Result<Job, ApiError>
where
    T: TenantAdminStore,
    B: EventPublisher,
    C: ConversationEraser + ErasureJobs,
{
    let job = job_status(
        &app.conversations,
        &app.bus,
        &app.store,
        &OrgId::new(org),
        id,
        &by.0,
    )
    .await?;
    if job.is_offboarding() && job.is_done() {
        finish(app, org, &job, by).await?;
    }
    Ok(job)
}

/// `GET …/erasures/{erasureId}` of either kind.
pub(super) async fn erasure_status<T, B, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
    id: &str,
    by: &Principal,
) -> Result<Value, ApiError>
where
    T: TenantAdminStore,
    B: EventPublisher,
    C: ConversationEraser + ErasureJobs,
{
    Ok(status_of(&advance(app, org, id, by).await?))
}

/// The tenant `offboarded`, once (a later call finds it so and changes nothing).
async fn finish<T, B, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
    job: &Job,
    by: &Principal,
) -> Result<(), ApiError>
where
    T: TenantAdminStore,
    B: EventPublisher,
{
    change(app, org, by, |current, _| {
        let Some(mut record) = current else {
            return Ok(None);
        };
        if record.status != Status::Offboarding
            || record.erasure_id.as_deref() != Some(job.erasure_id.as_str())
        {
            return Ok(None);
        }
        record.status = Status::Offboarded;
        let detail = json!({ "erasureId": job.erasure_id, "conversations": job.conversations,
            "items": job.items, "held": job.held });
        Ok(Some((record, "offboarded", detail)))
    })
    .await
    .map(|_| ())
    .or_else(|e| match e {
        // The tenant is gone: nothing left to mark.
        ApiError::NotFound(_) => Ok(()),
        e => Err(e),
    })
}
