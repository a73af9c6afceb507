//! The admin routes of erasure and legal hold (CONTRACT §8), called by the admin API's router
//! (`crate::tenants::admin`):
//!
//! * `DELETE /admin/v1/tenants/{orgId}/conversations/{recordId}` → `200`
//!   `{"erased":{"conversations":1,"items":N}}`;
//! * `PUT /admin/v1/tenants/{orgId}/conversations/{recordId}/hold` `{"hold":true|false}` →
//!   `200` `{"hold":…,"items":N}`;
//! * `POST …/erasures` (a participant) and `GET …/erasures/{erasureId}`, and offboarding's job
//!   (`DELETE /admin/v1/tenants/{orgId}`, routed by `crate::tenants::offboard`).
//!
//! Each is audited (an audit item, `TenantChanged`) before it is answered; an erasure also
//! publishes `ConversationErased` (`tenant`, `conversationKey`, `items`) before its last step,
//! so a failed publication is retried with the erasure.

use serde::Serialize;
use serde_json::{json, Value};

use super::jobs::{advance, ErasureJobs, Job, Step, SLICE};
use super::{ConversationEraser, ErasureError};
use crate::audit::{publish_change, AuditEntry, AuditLog};
use crate::bus::{BusEvent, EventPublisher, ERASED_DETAIL_TYPE};
use crate::clock::now_millis;
use crate::error::ApiError;
use crate::model::OrgId;

/// The `detail` of `ConversationErased`: what downstream copies purge by.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErasedDetail<'a> {
    tenant: &'a str,
    conversation_key: &'a str,
    items: u64,
}

fn refusal(error: ErasureError, record_id: &str) -> ApiError {
    match error {
        ErasureError::NotFound => ApiError::NotFound(format!(
            "No conversation {record_id} is stored for this tenant"
        )),
        ErasureError::LegalHold => ApiError::Conflict {
            code: "LEGAL_HOLD",
            message: "The conversation is under legal hold: release the hold first".into(),
        },
        ErasureError::Erasing => ApiError::Conflict {
            code: "ERASURE_IN_PROGRESS",
            message: "The conversation is being erased: retry its erasure to finish it".into(),
        },
        ErasureError::Store(_) => ApiError::Unavailable,
    }
}

/// A record id as the path carries it: a voiceCallId or a vendorCallKey, never empty.
fn record_of(segment: &str) -> Result<String, ApiError> {
    let decoded = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map_err(|_| ApiError::invalid("recordId", "must be UTF-8"))?;
    if decoded.is_empty() || decoded.len() > 255 {
        return Err(ApiError::invalid(
            "recordId",
            "must be a voiceCallId or a vendorCallKey (1 to 255 characters)",
        ));
    }
    Ok(decoded.into_owned())
}

async fn audit<T: AuditLog, B: EventPublisher>(
    audits: &T,
    bus: &B,
    org: &OrgId,
    by: &str,
    change: &'static str,
    detail: Value,
) -> Result<(), ApiError> {
    let entry = AuditEntry {
        org_id: org.to_string(),
        at_millis: now_millis(),
        by: by.to_owned(),
        change,
        detail,
    };
    audits
        .audit(&entry)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    publish_change(bus, &entry).await;
    Ok(())
}

/// Erases the conversation `record_id` names, audited, announced on the bus.
pub async fn erase<E, B, T>(
    eraser: &E,
    bus: &B,
    audits: &T,
    org: &OrgId,
    segment: &str,
    by: &str,
) -> Result<Value, ApiError>
where
    E: ConversationEraser,
    B: EventPublisher,
    T: AuditLog,
{
    let record_id = record_of(segment)?;
    let items = erase_one(eraser, bus, audits, org, &record_id, by, None)
        .await
        .map_err(|e| refusal(e, &record_id))?;
    Ok(json!({ "erased": { "conversations": 1, "items": items } }))
}

/// The erasure of one conversation, as the route and participant jobs (`job`) make it.
async fn erase_one<E, B, T>(
    eraser: &E,
    bus: &B,
    audits: &T,
    org: &OrgId,
    record_id: &str,
    by: &str,
    job: Option<&str>,
) -> Result<u64, ErasureError>
where
    E: ConversationEraser,
    B: EventPublisher,
    T: AuditLog,
{
    let now = now_millis() / 1000;
    let erasure = eraser.erase(org, record_id, now).await?;
    let unavailable = || ErasureError::Store(crate::store::StoreError::Unavailable);
    // Audited and announced before the last step: a failure of either is a 503 whose retry
    // finds the conversation still marked and carries on.
    let mut detail =
        json!({ "recordId": record_id, "conversationKey": erasure.conversation.as_str() });
    if let Some(job) = job {
        detail["erasureId"] = json!(job);
    }
    audit(audits, bus, org, by, "conversationErased", detail)
        .await
        .map_err(|_| unavailable())?;
    let detail = ErasedDetail {
        tenant: org.as_str(),
        conversation_key: erasure.conversation.as_str(),
        // What the last step deletes too: the vendor keys and the voice call records.
        items: erasure.items + (erasure.vendor_keys.len() + erasure.voice_calls.len()) as u64,
    };
    let event = BusEvent::new(ERASED_DETAIL_TYPE, &detail).map_err(|_| unavailable())?;
    bus.publish(vec![event]).await.map_err(|_| unavailable())?;
    let items = eraser.finish(org, &erasure, now).await?;
    tracing::info!(tenant = %org, items, by, "conversation erased");
    Ok(items)
}

/// `POST …/erasures {"participant": …}`: a job erasing every conversation of the org the
/// participant appears in; its first slice runs now. `202` `{erasureId, status, …}`.
pub async fn start_participant<E, B, T>(
    eraser: &E,
    bus: &B,
    audits: &T,
    org: &OrgId,
    body: &Value,
    by: &str,
) -> Result<Value, ApiError>
where
    E: ConversationEraser + ErasureJobs,
    B: EventPublisher,
    T: AuditLog,
{
    let participant = body
        .get("participant")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|p| !p.is_empty() && p.len() <= 255)
        .ok_or_else(|| {
            ApiError::invalid(
                "participant",
                "must be a phone number or participant key (1 to 255 characters)",
            )
        })?;
    only_field(body, "participant", "an erasure")?;
    let job = Job::new(org, participant, by, now_millis() / 1000);
    if !eraser
        .save_job(&job, None)
        .await
        .map_err(|_| ApiError::Unavailable)?
    {
        return Err(ApiError::Unavailable);
    }
    // Audited by its id: the participant is in no audit item, log or answer.
    audit(
        audits,
        bus,
        org,
        by,
        "participantErasureStarted",
        json!({ "erasureId": job.erasure_id }),
    )
    .await?;
    let job = run(eraser, bus, audits, job, by).await;
    Ok(status_of(&job))
}

/// Offboarding's job, saved (`crate::tenants::offboard` starts it): every conversation of the
/// org erased from `not_before` (unix seconds) on.
pub async fn new_offboarding<E: ErasureJobs>(
    eraser: &E,
    org: &OrgId,
    by: &str,
    now: u64,
    not_before: u64,
) -> Result<Job, ApiError> {
    let job = Job::offboarding(org, by, now, not_before);
    if !eraser
        .save_job(&job, None)
        .await
        .map_err(|_| ApiError::Unavailable)?
    {
        return Err(ApiError::Unavailable);
    }
    Ok(job)
}

/// `GET …/erasures/{erasureId}`: the job, after one more slice of its work.
pub async fn job_status<E, B, T>(
    eraser: &E,
    bus: &B,
    audits: &T,
    org: &OrgId,
    id: &str,
    by: &str,
) -> Result<Job, ApiError>
where
    E: ConversationEraser + ErasureJobs,
    B: EventPublisher,
    T: AuditLog,
{
    let unknown = || ApiError::NotFound(format!("No erasure {id} of this tenant"));
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(unknown());
    }
    let job = eraser
        .job(org, id)
        .await
        .map_err(|_| ApiError::Unavailable)?
        .ok_or_else(unknown)?;
    Ok(if job.is_done() {
        job
    } else {
        run(eraser, bus, audits, job, by).await
    })
}

/// One slice of a job; a failure is logged and left to the next call.
async fn run<E, B, T>(eraser: &E, bus: &B, audits: &T, job: Job, by: &str) -> Job
where
    E: ConversationEraser + ErasureJobs,
    B: EventPublisher,
    T: AuditLog,
{
    let org = OrgId::new(job.org_id.clone());
    let id = job.erasure_id.clone();
    let was_done = job.is_done();
    let before = job.clone();
    let outcome = advance(eraser, job, SLICE, now_millis() / 1000, |conversation| {
        let (org, id) = (&org, &id);
        async move {
            match erase_one(eraser, bus, audits, org, &conversation, by, Some(id)).await {
                Ok(items) => Ok(Step::Erased(items)),
                Err(ErasureError::LegalHold) => Ok(Step::Held),
                Err(ErasureError::NotFound) => Ok(Step::Gone),
                Err(ErasureError::Erasing) => Ok(Step::Gone),
                Err(ErasureError::Store(e)) => Err(e),
            }
        }
    })
    .await;
    let job = match outcome {
        Ok(job) => job,
        Err(_) => {
            tracing::warn!(erasure = %id, "erasure job interrupted; the next status call resumes it");
            eraser.job(&org, &id).await.ok().flatten().unwrap_or(before)
        }
    };
    // A tenant's job ends in the tenant's own change (`offboarded`), audited there.
    if job.is_done() && !was_done && !job.is_offboarding() {
        let detail = json!({ "erasureId": id, "conversations": job.conversations,
            "items": job.items, "held": job.held });
        if audit(audits, bus, &org, by, "participantErasureDone", detail)
            .await
            .is_err()
        {
            tracing::error!(erasure = %id, "the end of a participant erasure was not audited");
        }
    }
    job
}

/// A job as the admin API shows it.
pub fn status_of(job: &Job) -> Value {
    json!({
        "erasureId": job.erasure_id,
        "kind": job.kind,
        "status": job.status,
        "conversations": job.conversations,
        "items": job.items,
        "held": job.held,
    })
}

/// Places or releases a legal hold on the conversation `record_id` names.
pub async fn hold<E, B, T>(
    eraser: &E,
    bus: &B,
    audits: &T,
    org: &OrgId,
    segment: &str,
    body: &Value,
    by: &str,
) -> Result<Value, ApiError>
where
    E: ConversationEraser,
    B: EventPublisher,
    T: AuditLog,
{
    let record_id = record_of(segment)?;
    let Some(on) = body.get("hold").and_then(Value::as_bool) else {
        return Err(ApiError::invalid("hold", "must be true or false"));
    };
    only_field(body, "hold", "a hold")?;
    let held = eraser
        .set_hold(org, &record_id, on, now_millis() / 1000)
        .await
        .map_err(|e| refusal(e, &record_id))?;
    let change = if on { "holdPlaced" } else { "holdReleased" };
    audit(
        audits,
        bus,
        org,
        by,
        change,
        json!({ "recordId": record_id, "conversationKey": held.conversation.as_str() }),
    )
    .await?;
    tracing::info!(tenant = %org, items = held.items, by, change, "legal hold changed");
    Ok(json!({ "hold": on, "items": held.items }))
}

/// Refuses a body with any member but `field`, naming the first other one (64 characters at
/// most: it is echoed).
fn only_field(body: &Value, field: &str, what: &str) -> Result<(), ApiError> {
    match body
        .as_object()
        .and_then(|o| o.keys().find(|k| k.as_str() != field))
    {
        Some(other) => Err(ApiError::invalid(
            other.chars().take(64).collect::<String>(),
            format!("is not a field of {what} ({field})"),
        )),
        None => Ok(()),
    }
}
