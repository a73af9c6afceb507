//! The `/telephony/v1` routes (CONTRACT §2): routing, and the request flow every write shares:
//! token → format → body → validation → conversation → `jti` → durable write → answer.

pub mod messages;
pub mod post_call;
pub mod realtime;
pub mod voice_calls;

pub mod contact_flow;
mod flows;

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, Method, Request, Response};
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::app::{App, Store};
use crate::auth::{KeyRegistry, Permission, Verified};
use crate::bus::EventPublisher;
use crate::clock::now_secs;
use crate::error::ApiError;
use crate::format::Format;
use crate::model::{ConversationKey, OrgId, VendorCallKey};
use crate::respond;
use crate::store::{ReplayGuard, Resolution, TelephonyStore};

pub const BASE_PATH: &str = "/telephony/v1/";
pub const PROVIDER_HEADER: &str = "telephony-provider-name";

/// The telephony routes, matched on the raw (still percent-encoded) path.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    CreateVoiceCall,
    BulkMessages,
    Messages { raw_key: &'a str },
    RealtimeEvents { raw_key: &'a str },
    PostCallEvents { raw_key: &'a str },
}

fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix(BASE_PATH)?;
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["voiceCalls"] => Some(Route::CreateVoiceCall),
        ["voiceCalls", "messages"] => Some(Route::BulkMessages),
        ["voiceCalls", key, "messages"] => Some(Route::Messages { raw_key: key }),
        ["voiceCalls", key, "realtimeConversationEvents"] => {
            Some(Route::RealtimeEvents { raw_key: key })
        }
        ["voiceCalls", key, "postConversationEvents"] => {
            Some(Route::PostCallEvents { raw_key: key })
        }
        _ => None,
    }
}

/// Answers one `/telephony/v1` request. Never fails: every error becomes its Salesforce answer.
pub async fn handle<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    request: Request<Bytes>,
) -> Response<Bytes> {
    // Errors answer in the request's format when it names one we speak.
    let format = Format::of_request(request.headers()).unwrap_or(Format::Json);
    let outcome = match route(request.uri().path()) {
        None => Err(ApiError::NotFound(
            "The requested resource does not exist".into(),
        )),
        Some(_) if request.method() != Method::POST => {
            Err(ApiError::MethodNotAllowed { allow: "POST" })
        }
        Some(route) => dispatch(app, &request, route).await,
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

async fn dispatch<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    request: &Request<Bytes>,
    route: Route<'_>,
) -> Result<Response<Bytes>, ApiError> {
    let (caller, body) = Caller::intake(&app.keys, request)?;
    match route {
        Route::CreateVoiceCall => flows::create_voice_call(app, caller, body).await,
        Route::BulkMessages => flows::bulk_messages(app, caller, body).await,
        Route::Messages { raw_key } => flows::message(app, caller, body, raw_key).await,
        Route::RealtimeEvents { raw_key } => {
            flows::realtime_events(app, caller, body, raw_key).await
        }
        Route::PostCallEvents { raw_key } => {
            flows::post_call_events(app, caller, body, raw_key).await
        }
    }
}

/// Who is calling, in which format, and when: what every flow needs after the intake.
pub(crate) struct Caller {
    pub org: OrgId,
    pub token: Verified,
    pub format: Format,
    pub provider: Option<String>,
    pub now: u64,
}

impl Caller {
    /// Token (401), then `Content-Type` (415), then size (413) and syntax (400).
    fn intake(keys: &KeyRegistry, request: &Request<Bytes>) -> Result<(Self, Value), ApiError> {
        let now = now_secs();
        let headers = request.headers();
        let token = authenticate(keys, headers, Permission::EventsWrite, now)?;
        let format = Format::of_request(headers)?;
        let body = format.parse(request.body())?;
        let caller = Self {
            org: OrgId::new(token.org_id.clone()),
            token,
            format,
            provider: provider(headers).map(str::to_owned),
            now,
        };
        Ok((caller, body))
    }

    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }

    /// Records the token's `jti` so that a second use is refused (CONTRACT §1). Done once the
    /// request is known to be valid, so a refused request does not use up its token.
    pub async fn claim_token<S: ReplayGuard>(&self, store: &S) -> Result<(), ApiError> {
        let Some(jti) = &self.token.jti else {
            return Ok(());
        };
        let expires_at = self.token.expires_at.max(self.now) + 60;
        match store
            .claim_token_id(&self.org, jti, expires_at, self.now)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(ApiError::Unauthorized(
                "token already used (jti replay)".into(),
            )),
            Err(_) => Err(ApiError::Unavailable),
        }
    }

    /// Gives the `jti` back after a failed write, so that the caller's retry of a `503` with the
    /// same token is not refused as a replay. Best effort: if the store is down, so is the retry.
    pub async fn release_token<S: ReplayGuard>(&self, store: &S) {
        if let Some(jti) = &self.token.jti {
            if store.release_token_id(&self.org, jti).await.is_err() {
                tracing::warn!("could not release the token id after a failed write");
            }
        }
    }

    /// The conversation `key` belongs to; `field` names the key in errors.
    pub async fn conversation_of<S: TelephonyStore>(
        &self,
        store: &S,
        key: &VendorCallKey,
        field: impl FnOnce() -> String,
    ) -> Result<ConversationKey, ApiError> {
        match store.resolve(&self.org, key).await {
            Ok(Resolution::Conversation(conversation)) => Ok(conversation),
            Ok(Resolution::VoiceCallId) => Err(ApiError::invalid(
                field(),
                "must be the telephony system's call key, not a voiceCallId",
            )),
            Err(_) => Err(ApiError::Unavailable),
        }
    }
}

/// Verifies the bearer token for `needed` and records the tenant on the request's span.
pub(crate) fn authenticate(
    keys: &KeyRegistry,
    headers: &HeaderMap,
    needed: Permission,
    now: u64,
) -> Result<Verified, ApiError> {
    let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let verified = keys.verify(header, needed, now).map_err(|e| {
        tracing::info!(reason = %e, "token refused");
        ApiError::Unauthorized(e.caller_message())
    })?;
    tracing::Span::current().record("tenant", verified.org_id.as_str());
    Ok(verified)
}

/// The `{vendorCallKey}` path segment, URL-decoded and checked.
fn vendor_call_key(raw: &str) -> Result<VendorCallKey, ApiError> {
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ApiError::invalid("vendorCallKey", "must be UTF-8"))?;
    let key =
        VendorCallKey::parse(&decoded).map_err(|why| ApiError::invalid("vendorCallKey", why))?;
    tracing::Span::current().record("vendor_call_key", key.as_str());
    Ok(key)
}

/// Joins two checks into one answer: both passed, or every field either refused in one `400`.
fn both<A, B>(a: Result<A, ApiError>, b: Result<B, ApiError>) -> Result<(A, B), ApiError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(ApiError::Validation(mut x)), Err(ApiError::Validation(y))) => {
            x.extend(y);
            Err(ApiError::Validation(x))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// The path's key, resolved to its conversation, and the parsed body: every field refused by
/// either (the key's syntax, a key that is one of our voiceCallIds, the body) in one `400`.
async fn key_and_body<S: TelephonyStore, T>(
    caller: &Caller,
    store: &S,
    raw_key: &str,
    parsed: Result<T, ApiError>,
) -> Result<(VendorCallKey, ConversationKey, T), ApiError> {
    let resolved = match vendor_call_key(raw_key) {
        Ok(key) => match caller
            .conversation_of(store, &key, || "vendorCallKey".into())
            .await
        {
            Ok(conversation) => Ok((key, conversation)),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let ((key, conversation), parsed) = both(resolved, parsed)?;
    Ok((key, conversation, parsed))
}

fn provider(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(PROVIDER_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("/telephony/v1/voiceCalls/abc%2Fdef/realtimeConversationEvents"),
            Some(Route::RealtimeEvents {
                raw_key: "abc%2Fdef"
            })
        );
        assert_eq!(
            route("/telephony/v1/voiceCalls"),
            Some(Route::CreateVoiceCall)
        );
        assert_eq!(
            route("/telephony/v1/voiceCalls/messages"),
            Some(Route::BulkMessages)
        );
        assert_eq!(
            route("/telephony/v1/voiceCalls/messages/messages"),
            Some(Route::Messages {
                raw_key: "messages"
            })
        );
        assert_eq!(
            route("/telephony/v1/voiceCalls/k/postConversationEvents"),
            Some(Route::PostCallEvents { raw_key: "k" })
        );
        assert_eq!(
            route("/telephony/v1/voiceCalls//realtimeConversationEvents"),
            Some(Route::RealtimeEvents { raw_key: "" })
        );
        assert_eq!(
            route("/telephony/v1/voiceCalls/a/b/realtimeConversationEvents"),
            None
        );
        assert_eq!(
            route("/telephony/v2/voiceCalls/a/realtimeConversationEvents"),
            None
        );
    }

    #[test]
    fn keys_are_url_decoded_and_checked() {
        let err = vendor_call_key("").unwrap_err();
        assert!(matches!(err, ApiError::Validation(f) if f[0].path == "vendorCallKey"));
        assert_eq!(vendor_call_key("a%20b").unwrap().as_str(), "a b");
        assert!(vendor_call_key("a%0Ab").is_err());
    }
}
