//! One flow per telephony route: validate, resolve the conversation, claim the token, write,
//! answer. Every write is idempotent, and every failed write gives the token back.

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{json, Value};

use super::{both, key_and_body, messages, post_call, Caller};
use crate::app::{App, Store};
use crate::bus::details::{self, Origin};
use crate::bus::{BusEvent, DetailContext, EventPublisher, PublishError, SignalDetails};
use crate::error::ApiError;
use crate::model::{ConversationKey, OrgId, RealtimeEvents, VendorCallKey};
use crate::respond;
use crate::store::{IdentifiedSignal, MessageBatch, PostCallBatch, SignalBatch};

/// Claims the token, runs `write`, and gives the token back if the write fails.
pub(super) async fn claimed<S: Store, T>(
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
    parsed: Result<RealtimeEvents, ApiError>,
    raw_key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let (key, conversation, parsed) = key_and_body(&caller, &app.store, raw_key, parsed).await?;
    let parsed = caller.redacted(parsed);
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
/// keys. Publishing after storing means an event on the bus always refers to stored data (the
/// bus events are written first, so that the store can take the events).
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
    let ctx = DetailContext {
        org: at.org,
        vendor_call_key: at.key,
        conversation_key: at.conversation.as_str(),
        provider: at.provider,
        service: &parsed.service,
        persist: parsed.persist,
    };
    let writer = SignalDetails::new(&ctx).map_err(|_| ApiError::Unavailable)?;
    let details = events
        .iter()
        .map(|e| writer.event(&e.event, &e.identity))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::Unavailable)?;
    let keys: Vec<String> = events.iter().map(|e| e.identity.clone()).collect();
    // Events that are not stored read no head: they go live as they always did.
    let mut details = details;
    if parsed.persist {
        let batch = SignalBatch {
            org: at.org,
            conversation: at.conversation,
            vendor_call_key: at.key,
            service: &parsed.service,
            provider: at.provider,
            events,
            received_at: at.now,
        };
        let watched = app
            .store
            .put_signals(batch)
            .await
            .map_err(|_| ApiError::Unavailable)?;
        details = details.into_iter().map(|d| d.watched(watched)).collect();
    }
    app.bus
        .publish(details)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    tracing::info!(
        events = keys.len(),
        persist = parsed.persist,
        "real-time events accepted"
    );
    crate::metrics::accepted("realtimeConversationEvents", keys.len());
    Ok(keys)
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
    let message = caller.redacted(message);
    let batch = MessageBatch {
        org: &caller.org,
        conversation: &conversation,
        vendor_call_key: &key,
        provider: caller.provider(),
        messages: std::slice::from_ref(&message),
        received_at: caller.now,
    };
    let write = async { store_messages(app, &[batch]).await };
    claimed(&app.store, &caller, write).await?;
    crate::metrics::accepted("messages", 1);
    Ok(transcript_accepted(&caller))
}

/// Stores transcript entries, then publishes one `TranscriptEntry` per entry. Every transcript
/// text of the service is written here (the HTTP routes and Contact Lens).
pub(crate) async fn store_messages<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    batches: &[MessageBatch<'_>],
) -> Result<(), ApiError> {
    let watched = app
        .store
        .put_messages(batches)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let events = batches
        .iter()
        .zip(watched)
        .flat_map(|(b, watched)| {
            let origin = Origin::new(
                b.org,
                b.conversation.as_str(),
                b.vendor_call_key.as_str(),
                b.provider,
            );
            b.messages
                .iter()
                .map(move |m| details::transcript(origin, m).map(|e| e.watched(watched)))
        })
        .collect::<Result<Vec<_>, _>>();
    publish(app, events).await
}

/// Publishes what a stored write produced; an outage is a `503` (the caller's retry of the
/// idempotent write publishes again).
pub(super) async fn publish<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    events: Result<Vec<BusEvent>, PublishError>,
) -> Result<(), ApiError> {
    let events = events.map_err(|_| ApiError::Unavailable)?;
    app.bus
        .publish(events)
        .await
        .map_err(|_| ApiError::Unavailable)
}

pub(super) async fn bulk_messages<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    caller: Caller,
    body: Value,
) -> Result<Response<Bytes>, ApiError> {
    let entries = caller.redacted(messages::parse_bulk(body, caller.format)?);
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
    let write = async { store_messages(app, &batches).await };
    claimed(&app.store, &caller, write).await?;
    crate::metrics::accepted(
        "bulkMessages",
        entries.iter().map(|e| e.messages.len()).sum(),
    );
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
            .map_err(|_| ApiError::Unavailable)?;
        let origin = Origin::new(
            &caller.org,
            conversation.as_str(),
            key.as_str(),
            caller.provider(),
        );
        let events = parsed
            .events
            .iter()
            .map(|e| details::post_call(origin, &parsed.service, e))
            .collect();
        publish(app, events).await
    };
    claimed(&app.store, &caller, write).await?;
    crate::metrics::accepted("postConversationEvents", parsed.events.len());
    Ok(respond::object(
        caller.format,
        StatusCode::ACCEPTED,
        &json!({"status": "202 Accepted"}),
    ))
}
