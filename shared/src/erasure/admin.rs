//! The admin routes of erasure and legal hold (CONTRACT §8), called by the admin API's router
//! (`crate::tenants::admin`):
//!
//! * `DELETE /admin/v1/tenants/{orgId}/conversations/{recordId}` → `200`
//!   `{"erased":{"conversations":1,"items":N}}`;
//! * `PUT /admin/v1/tenants/{orgId}/conversations/{recordId}/hold` `{"hold":true|false}` →
//!   `200` `{"hold":…,"items":N}`.
//!
//! Each is audited (an audit item, `TenantChanged`) before it is answered; an erasure also
//! publishes `ConversationErased` (`tenant`, `conversationKey`, `items`) before its last step,
//! so a failed publication is retried with the erasure.

use serde::Serialize;
use serde_json::{json, Value};

use super::{ConversationEraser, ErasureError};
use crate::bus::{BusEvent, EventPublisher, ERASED_DETAIL_TYPE};
use crate::clock::now_millis;
use crate::error::ApiError;
use crate::model::OrgId;
use crate::tenants::store::{publish_change, AuditEntry, TenantAdminStore};

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

async fn audit<T: TenantAdminStore, B: EventPublisher>(
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
    T: TenantAdminStore,
{
    let record_id = record_of(segment)?;
    let now = now_millis() / 1000;
    let erasure = eraser
        .erase(org, &record_id, now)
        .await
        .map_err(|e| refusal(e, &record_id))?;
    // Audited and announced before the last step: a failure of either is a 503 whose retry
    // finds the conversation still marked and carries on.
    audit(
        audits,
        bus,
        org,
        by,
        "conversationErased",
        json!({ "recordId": record_id, "conversationKey": erasure.conversation.as_str() }),
    )
    .await?;
    let detail = ErasedDetail {
        tenant: org.as_str(),
        conversation_key: erasure.conversation.as_str(),
        // What the last step deletes too: the vendor keys and the voice call records.
        items: erasure.items + (erasure.vendor_keys.len() + erasure.voice_calls.len()) as u64,
    };
    let event = BusEvent::new(ERASED_DETAIL_TYPE, &detail).map_err(|_| ApiError::Unavailable)?;
    bus.publish(vec![event])
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let items = eraser
        .finish(org, &erasure, now)
        .await
        .map_err(|e| refusal(e, &record_id))?;
    tracing::info!(tenant = %org, items, by, "conversation erased");
    Ok(json!({ "erased": { "conversations": 1, "items": items } }))
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
    T: TenantAdminStore,
{
    let record_id = record_of(segment)?;
    let Some(on) = body.get("hold").and_then(Value::as_bool) else {
        return Err(ApiError::invalid("hold", "must be true or false"));
    };
    if let Some(other) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| k.as_str() != "hold"))
    {
        return Err(ApiError::invalid(
            other.chars().take(64).collect::<String>(),
            "is not a field of a hold (hold)",
        ));
    }
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
