//! One flow per telephony route: validate, resolve the conversation, claim the token, write,
//! answer. Every write is idempotent, and every failed write gives the token back.

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{json, Value};

use super::{both, key_and_body, messages, post_call, realtime, voice_calls, Caller};
use crate::app::{App, Store};
use crate::bus::{DetailContext, EventPublisher, SignalDetail};
use crate::error::ApiError;
use crate::model::{
    ConversationKey, InitiationMethod, OrgId, RealtimeEvents, VendorCallKey, VoiceCallId,
};
use crate::respond;
use crate::store::{Created, IdentifiedSignal, MessageBatch, NewLeg, PostCallBatch, SignalBatch};

/// How often a fresh voiceCallId is tried when the random one is taken.
const ID_ATTEMPTS: usize = 3;

/// Claims the token, runs `write`, and gives the token back if the write fails.
async fn claimed<S: Store, T>(
    store: &S,
    caller: &Caller,
    write: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    caller.claim_token(store).await?;
    let result = write.await;
    if result.is_err() {
        caller.release_token(store).await;
    }
    result
}

pub(super) async fn realtime_events<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    caller: Caller,
    body: Value,
    raw_key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let (key, conversation, parsed) = key_and_body(
        &caller,
        &app.store,
        raw_key,
        realtime::parse(body, caller.format),
    )
    .await?;
    let accepted = Accepted {
        org: &caller.org,
        key: &key,
        conversation: &conversation,
        provider: caller.provider(),
        now: caller.now,
    };
    let write = async { accept_signals(app, &accepted, parsed).await.map(|_| ()) };
    claimed(&app.store, &caller, write).await?;
    Ok(respond::object(
        caller.format,
        StatusCode::ACCEPTED,
        &json!({"status": "202 Accepted"}),
    ))
}

/// Where accepted real-time events belong.
pub(crate) struct Accepted<'a> {
    pub org: &'a OrgId,
    pub key: &'a VendorCallKey,
    pub conversation: &'a ConversationKey,
    pub provider: Option<&'a str>,
    pub now: u64,
}

/// Stores (when `persist`) and then publishes validated real-time events; answers their event
/// keys. Publishing after storing means an event on the bus always refers to stored data.
pub(crate) async fn accept_signals<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    at: &Accepted<'_>,
    parsed: RealtimeEvents,
) -> Result<Vec<String>, ApiError> {
    let events: Vec<IdentifiedSignal> = parsed
        .events
        .into_iter()
        .map(|event| IdentifiedSignal::new(at.org, at.conversation, event))
        .collect();
    if parsed.persist {
        let batch = SignalBatch {
            org: at.org,
            conversation: at.conversation,
            vendor_call_key: at.key,
            service: &parsed.service,
            provider: at.provider,
            events: &events,
            received_at: at.now,
        };
        app.store
            .put_signals(batch)
            .await
            .map_err(|_| ApiError::Unavailable)?;
    }
    let ctx = DetailContext {
        org: at.org,
        vendor_call_key: at.key,
        conversation_key: at.conversation.as_str(),
        provider: at.provider,
        service: &parsed.service,
        persist: parsed.persist,
    };
    let details = events
        .iter()
        .map(|e| {
            // A detail is a few hundred bytes: one allocation instead of a growing buffer.
            let mut json = Vec::with_capacity(512);
            serde_json::to_writer(&mut json, &SignalDetail::new(&ctx, &e.event, &e.identity))
                .map(|()| String::from_utf8(json).expect("serde_json writes UTF-8"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            tracing::error!(error = %e, "signal detail did not serialise");
            ApiError::Unavailable
        })?;
    app.bus
        .publish(details)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    tracing::info!(
        events = events.len(),
        persist = parsed.persist,
        "real-time events accepted"
    );
    Ok(events.into_iter().map(|e| e.identity).collect())
}

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
            let parent = store
                .voice_call(&caller.org, parent)
                .await
                .map_err(|_| ApiError::Unavailable)?;
            parent
                .ok_or_else(|| {
                    ApiError::invalid(
                        "parentVoiceCallId",
                        "no voice call record with this id exists",
                    )
                })?
                .conversation
        }
        _ => ConversationKey::of_first_leg(&call.vendor_call_key),
    };

    let write = async {
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
                Created::New => return Ok(id),
                Created::Existing(existing) => return Ok(existing.voice_call_id),
                Created::IdTaken => continue,
            }
        }
        tracing::error!("no free voiceCallId after {ID_ATTEMPTS} attempts");
        Err(ApiError::Unavailable)
    };
    let id = claimed(store, &caller, write).await?;
    tracing::info!(voice_call_id = %id, conversation = conversation.as_str(), "voice call recorded");
    Ok(voice_call_answer(&caller, &id))
}

fn voice_call_answer(caller: &Caller, id: &VoiceCallId) -> Response<Bytes> {
    respond::object(
        caller.format,
        StatusCode::OK,
        &json!({"voiceCallId": id.as_str(), "errors": []}),
    )
}

fn transcript_accepted(caller: &Caller) -> Response<Bytes> {
    respond::object(
        caller.format,
        StatusCode::ACCEPTED,
        &json!({"result": "Accepted"}),
    )
}

pub(super) async fn message<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    caller: Caller,
    body: Value,
    raw_key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let (key, conversation, message) =
        key_and_body(&caller, &app.store, raw_key, messages::parse_one(body)).await?;
    let batch = MessageBatch {
        org: &caller.org,
        conversation: &conversation,
        vendor_call_key: &key,
        provider: caller.provider(),
        messages: std::slice::from_ref(&message),
        received_at: caller.now,
    };
    let write = async {
        app.store
            .put_messages(&[batch])
            .await
            .map_err(|_| ApiError::Unavailable)
    };
    claimed(&app.store, &caller, write).await?;
    Ok(transcript_accepted(&caller))
}

pub(super) async fn bulk_messages<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    caller: Caller,
    body: Value,
) -> Result<Response<Bytes>, ApiError> {
    let entries = messages::parse_bulk(body, caller.format)?;
    // Every entry keyed by one of our voiceCallIds is named, not just the first.
    let mut conversations: Result<Vec<ConversationKey>, ApiError> =
        Ok(Vec::with_capacity(entries.len()));
    for (i, entry) in entries.iter().enumerate() {
        let field = || format!("entries[{i}].vendorCallKey");
        let conversation = caller
            .conversation_of(&app.store, &entry.vendor_call_key, field)
            .await;
        conversations = both(conversations, conversation).map(|(mut all, one)| {
            all.push(one);
            all
        });
    }
    let conversations = conversations?;
    let batches: Vec<MessageBatch<'_>> = entries
        .iter()
        .zip(&conversations)
        .map(|(entry, conversation)| MessageBatch {
            org: &caller.org,
            conversation,
            vendor_call_key: &entry.vendor_call_key,
            provider: caller.provider(),
            messages: &entry.messages,
            received_at: caller.now,
        })
        .collect();
    let write = async {
        app.store
            .put_messages(&batches)
            .await
            .map_err(|_| ApiError::Unavailable)
    };
    claimed(&app.store, &caller, write).await?;
    Ok(transcript_accepted(&caller))
}

pub(super) async fn post_call_events<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    caller: Caller,
    body: Value,
    raw_key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let (key, conversation, parsed) = key_and_body(
        &caller,
        &app.store,
        raw_key,
        post_call::parse(body, caller.format),
    )
    .await?;
    let batch = PostCallBatch {
        org: &caller.org,
        conversation: &conversation,
        vendor_call_key: &key,
        service: &parsed.service,
        provider: caller.provider(),
        events: &parsed.events,
        received_at: caller.now,
    };
    let write = async {
        app.store
            .put_post_call(batch)
            .await
            .map_err(|_| ApiError::Unavailable)
    };
    claimed(&app.store, &caller, write).await?;
    Ok(respond::object(
        caller.format,
        StatusCode::ACCEPTED,
        &json!({"status": "202 Accepted"}),
    ))
}
