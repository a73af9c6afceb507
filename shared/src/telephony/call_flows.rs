//! The flows that create and change voice call records: create (CONTRACT §2.2), update (§2.6)
//! and routing requests (§2.7). Each stores durably, then publishes, then answers.

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{json, Map, Value};

use super::flows::{claimed, publish};
use super::{call_update, routing, vendor_call_key, voice_calls, Caller};
use crate::app::{App, Store};
use crate::bus::details::{self, CallChange, Origin};
use crate::bus::EventPublisher;
use crate::error::ApiError;
use crate::model::{
    ConversationKey, InitiationMethod, OrgId, ParentCall, RoutingOperation, VoiceCallId,
    VoiceCallUpdate,
};
use crate::respond;
use crate::store::{Created, Leg, LegUpdate, NewLeg, RoutingBatch, TelephonyStore};

/// How often a fresh voiceCallId is tried when the random one is taken.
const ID_ATTEMPTS: usize = 3;

pub(super) async fn create_voice_call<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    caller: Caller,
    body: Value,
) -> Result<Response<Bytes>, ApiError> {
    let call = voice_calls::parse(body, caller.format)?;
    tracing::Span::current().record("vendor_call_key", call.vendor_call_key.as_str());
    let store = &app.store;
    // The key must not be one of our ids; resolving also tells an existing leg's conversation.
    caller
        .conversation_of(store, &call.vendor_call_key, || "vendorCallKey".into())
        .await?;
    if let Some(existing) = store
        .leg_of(&caller.org, &call.vendor_call_key)
        .await
        .map_err(|_| ApiError::Unavailable)?
    {
        // Idempotent, but a replayed token is still a replay.
        caller.claim_token(store).await?;
        return Ok(voice_call_answer(&caller, &existing.voice_call_id));
    }
    let conversation = match (&call.initiation_method, &call.parent_voice_call_id) {
        (InitiationMethod::Transfer, Some(parent)) => {
            parent_conversation(store, &caller.org, parent).await?
        }
        _ => ConversationKey::of_first_leg(&call.vendor_call_key),
    };

    let write = async {
        let mut created = None;
        for _ in 0..ID_ATTEMPTS {
            let id = VoiceCallId::generate();
            let leg = NewLeg {
                org: &caller.org,
                id: &id,
                conversation: &conversation,
                call: &call,
                provider: caller.provider(),
                now: caller.now,
            };
            match store
                .create_voice_call(leg)
                .await
                .map_err(|_| ApiError::Unavailable)?
            {
                Created::New => created = Some((id, true)),
                Created::Existing(existing) => created = Some((existing.voice_call_id, false)),
                Created::IdTaken => continue,
            }
            break;
        }
        let Some((id, new)) = created else {
            tracing::error!("no free voiceCallId after {ID_ATTEMPTS} attempts");
            return Err(ApiError::Unavailable);
        };
        if new {
            let origin = Origin::new(
                &caller.org,
                conversation.as_str(),
                call.vendor_call_key.as_str(),
                caller.provider(),
            );
            let fields = created_fields(&call);
            publish(
                app,
                details::voice_call(origin, id.as_str(), CallChange::Created, &fields)
                    .map(|e| vec![e]),
            )
            .await?;
        }
        Ok(id)
    };
    let id = claimed(store, &caller, write).await?;
    tracing::info!(voice_call_id = %id, conversation = conversation.as_str(), "voice call recorded");
    Ok(voice_call_answer(&caller, &id))
}

/// The conversation a transfer leg joins: its parent's, whether the parent is named by one of
/// our voiceCallIds or by its vendorCallKey, recorded yet or not (a parent key never seen names
/// the conversation its first leg will have).
async fn parent_conversation<S: TelephonyStore>(
    store: &S,
    org: &OrgId,
    parent: &ParentCall,
) -> Result<ConversationKey, ApiError> {
    let leg = store
        .find_leg(org, parent)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    Ok(leg.map_or_else(
        || ConversationKey::of_first_leg(parent),
        |leg| leg.conversation,
    ))
}

/// What a new leg's `VoiceCallChanged` carries.
fn created_fields(call: &crate::model::NewVoiceCall) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert(
        "initiationMethod".into(),
        json!(call.initiation_method.as_str()),
    );
    fields.insert("startTime".into(), json!(call.start_time.text));
    fields.insert("to".into(), json!(call.to));
    fields.insert("from".into(), json!(call.from));
    if let Some(parent) = &call.parent_voice_call_id {
        fields.insert("parentVoiceCallId".into(), json!(parent.as_str()));
    }
    for (name, value) in [("queue", &call.queue), ("callOrigin", &call.call_origin)] {
        if let Some(v) = value {
            fields.insert(name.into(), json!(v));
        }
    }
    fields
}

fn voice_call_answer(caller: &Caller, id: &VoiceCallId) -> Response<Bytes> {
    respond::object(
        caller.format,
        StatusCode::OK,
        &json!({"voiceCallId": id.as_str(), "errors": []}),
    )
}

/// The recorded leg a `{voiceCallId or vendorCallKey}` path segment names; `404` otherwise
/// (another tenant's is answered exactly as an unknown one).
async fn recorded_leg<S: TelephonyStore>(
    store: &S,
    org: &OrgId,
    raw_key: &str,
) -> Result<Leg, ApiError> {
    let key = vendor_call_key(raw_key)?;
    store
        .find_leg(org, &key)
        .await
        .map_err(|_| ApiError::Unavailable)?
        .ok_or_else(|| ApiError::NotFound("No voice call record found for this id".into()))
}

pub(super) async fn update_voice_call<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    caller: Caller,
    body: Value,
    raw_key: &str,
) -> Result<Response<Bytes>, ApiError> {
    // Both refusals in one answer would need the leg to name the body's fields: a body error
    // is reported first, as it needs no read.
    let update = call_update::parse(body)?;
    let leg = recorded_leg(&app.store, &caller.org, raw_key).await?;
    let write = apply_update(
        app,
        &caller.org,
        &leg,
        &update,
        caller.provider(),
        caller.now,
    );
    claimed(&app.store, &caller, write).await?;
    Ok(respond::object(
        caller.format,
        StatusCode::OK,
        &json!({"status": "pending"}),
    ))
}

/// Stores a call update on `leg`, then publishes `VoiceCallChanged`. Shared by the `PATCH`
/// route and a contact flow's `ended`.
pub(crate) async fn apply_update<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    org: &OrgId,
    leg: &Leg,
    update: &VoiceCallUpdate,
    provider: Option<&str>,
    now: u64,
) -> Result<(), ApiError> {
    let change = LegUpdate {
        org,
        leg,
        update,
        provider,
        now,
    };
    let stored = app
        .store
        .update_voice_call(change)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    if !stored {
        return Err(ApiError::NotFound("No voice call record found".into()));
    }
    let origin = Origin::new(
        org,
        leg.conversation.as_str(),
        leg.vendor_call_key.as_str(),
        provider,
    );
    let kind = if update.ends_leg() {
        CallChange::Ended
    } else {
        CallChange::Updated
    };
    let fields = crate::store::updates::update_attributes(update);
    publish(
        app,
        details::voice_call(origin, leg.voice_call_id.as_str(), kind, &fields).map(|e| vec![e]),
    )
    .await?;
    tracing::info!(voice_call_id = %leg.voice_call_id, ended = update.ends_leg(), "voice call updated");
    Ok(())
}

pub(super) async fn routing_request<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    caller: Caller,
    body: Option<Value>,
    raw_key: &str,
    operation: RoutingOperation,
) -> Result<Response<Bytes>, ApiError> {
    let request = routing::parse(operation, body)?;
    let leg = recorded_leg(&app.store, &caller.org, raw_key).await?;
    let batch = RoutingBatch {
        org: &caller.org,
        conversation: &leg.conversation,
        vendor_call_key: leg.vendor_call_key.as_str(),
        voice_call_id: Some(leg.voice_call_id.as_str()),
        request: &request,
        provider: caller.provider(),
        received_at: caller.now,
    };
    let identity = batch.identity();
    let write = async {
        app.store
            .put_routing(batch, &identity)
            .await
            .map_err(|_| ApiError::Unavailable)?;
        let origin = Origin::new(
            &caller.org,
            leg.conversation.as_str(),
            leg.vendor_call_key.as_str(),
            caller.provider(),
        );
        publish(
            app,
            details::routing(origin, batch.voice_call_id, &request, &identity).map(|e| vec![e]),
        )
        .await
    };
    claimed(&app.store, &caller, write).await?;
    tracing::info!(operation = operation.as_str(), "routing request recorded");
    Ok(respond::object(
        caller.format,
        StatusCode::OK,
        &request.answer(&callback_id(&identity)),
    ))
}

/// The `recordId` answered for a callback request: Salesforce-shaped (18 characters, the
/// ContactRequest key prefix `0SR`), derived from the request's identity so that a retry gets
/// the same one.
fn callback_id(identity: &str) -> String {
    let mut id = String::from("0SR");
    id.extend(identity.chars().take(15));
    id
}
