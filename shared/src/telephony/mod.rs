//! The `/telephony/v1` routes (CONTRACT §2): routing, and the request flow every write shares.

pub mod messages;
pub mod post_call;
pub mod realtime;
pub mod voice_calls;

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::json;

use crate::app::{App, Store};
use crate::auth::{KeyRegistry, Permission, Verified};
use crate::bus::{DetailContext, EventPublisher, SignalDetail};
use crate::clock::now_secs;
use crate::error::ApiError;
use crate::format::Format;
use crate::model::{ConversationKey, OrgId, VendorCallKey};
use crate::respond;
use crate::store::{IdentifiedSignal, SignalBatch};

pub const BASE_PATH: &str = "/telephony/v1/";
pub const PROVIDER_HEADER: &str = "telephony-provider-name";

/// The telephony routes, matched on the raw (still percent-encoded) path.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    RealtimeEvents { raw_key: &'a str },
}

fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix(BASE_PATH)?;
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["voiceCalls", key, "realtimeConversationEvents"] => Some(Route::RealtimeEvents { raw_key: key }),
        _ => None,
    }
}

/// Answers one `/telephony/v1` request. Never fails: every error becomes its Salesforce answer.
pub async fn handle<S: Store, B: EventPublisher>(app: &App<S, B>, request: Request<Bytes>) -> Response<Bytes> {
    // Errors answer in the request's format when it names one we speak.
    let format = Format::of_request(request.headers()).unwrap_or(Format::Json);
    let outcome = match route(request.uri().path()) {
        None => Err(ApiError::NotFound("The requested resource does not exist".into())),
        Some(_) if request.method() != Method::POST => Err(ApiError::MethodNotAllowed { allow: "POST" }),
        Some(Route::RealtimeEvents { raw_key }) => realtime_events(app, &request, raw_key).await,
    };
    match outcome {
        Ok(response) => response,
        Err(err) => {
            if matches!(err, ApiError::Unavailable) {
                tracing::warn!("answering 503: storage or event bus unavailable");
            } else {
                tracing::info!(status = err.status().as_u16(), error = %err, "request refused");
            }
            respond::error(format, &err)
        }
    }
}

/// Verifies the bearer token for `needed` and records the tenant on the request's span.
fn authenticate(keys: &KeyRegistry, headers: &HeaderMap, needed: Permission, now: u64) -> Result<Verified, ApiError> {
    let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let verified = keys.verify(header, needed, now).map_err(|e| ApiError::Unauthorized(e.to_string()))?;
    tracing::Span::current().record("tenant", verified.org_id.as_str());
    Ok(verified)
}

/// Records a token's `jti` so that a second use is refused (CONTRACT §1).
async fn refuse_replay<S: Store>(store: &S, token: &Verified, now: u64) -> Result<(), ApiError> {
    let Some(jti) = &token.jti else { return Ok(()) };
    let org = OrgId::new(token.org_id.clone());
    match store.claim_token_id(&org, jti, token.expires_at.max(now) + 60, now).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::Unauthorized("token already used (jti replay)".into())),
        Err(_) => Err(ApiError::Unavailable),
    }
}

fn vendor_call_key(raw: &str) -> Result<VendorCallKey, ApiError> {
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ApiError::invalid("vendorCallKey", "must be UTF-8"))?;
    let key = VendorCallKey::parse(&decoded).map_err(|why| ApiError::invalid("vendorCallKey", why))?;
    tracing::Span::current().record("vendor_call_key", key.as_str());
    Ok(key)
}

fn provider(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(PROVIDER_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

async fn realtime_events<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    request: &Request<Bytes>,
    raw_key: &str,
) -> Result<Response<Bytes>, ApiError> {
    let now = now_secs();
    let headers = request.headers();
    let token = authenticate(&app.keys, headers, Permission::EventsWrite, now)?;
    let format = Format::of_request(headers)?;
    let body = format.parse(request.body())?;
    let key = vendor_call_key(raw_key);
    let parsed = realtime::parse(body);
    let (key, parsed) = match (key, parsed) {
        (Ok(key), Ok(parsed)) => (key, parsed),
        (Err(ApiError::Validation(mut a)), Err(ApiError::Validation(b))) => {
            a.extend(b);
            return Err(ApiError::Validation(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    refuse_replay(&app.store, &token, now).await?;

    let org = OrgId::new(token.org_id);
    let conversation = ConversationKey::of_first_leg(&key);
    let provider = provider(headers);
    let events: Vec<IdentifiedSignal> = parsed.events.into_iter().map(IdentifiedSignal::new).collect();
    if parsed.persist {
        let batch = SignalBatch {
            org: &org,
            conversation: &conversation,
            vendor_call_key: &key,
            service: &parsed.service,
            provider,
            events: &events,
            received_at: now,
        };
        app.store.put_signals(batch).await.map_err(|_| ApiError::Unavailable)?;
    }

    let ctx = DetailContext {
        org: &org,
        vendor_call_key: &key,
        conversation_key: conversation.as_str(),
        provider,
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
    app.bus.publish(details).await.map_err(|_| ApiError::Unavailable)?;
    tracing::info!(events = events.len(), persist = parsed.persist, "real-time events accepted");
    Ok(respond::object(format, StatusCode::ACCEPTED, &json!({"status": "202 Accepted"})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("/telephony/v1/voiceCalls/abc%2Fdef/realtimeConversationEvents"),
            Some(Route::RealtimeEvents { raw_key: "abc%2Fdef" })
        );
        assert_eq!(route("/telephony/v1/voiceCalls//realtimeConversationEvents"), Some(Route::RealtimeEvents { raw_key: "" }));
        assert_eq!(route("/telephony/v1/voiceCalls/a/b/realtimeConversationEvents"), None);
        assert_eq!(route("/telephony/v2/voiceCalls/a/realtimeConversationEvents"), None);
    }

    #[test]
    fn empty_key_is_named() {
        let err = vendor_call_key("").unwrap_err();
        assert!(matches!(err, ApiError::Validation(f) if f[0].path == "vendorCallKey"));
        assert_eq!(vendor_call_key("a%20b").unwrap().as_str(), "a b");
        assert!(vendor_call_key("a%0Ab").is_err());
    }
}
