//! The `/telephony/v1` routes (CONTRACT §2): routing, and the request flow every write shares:
//! token → format → body → validation → conversation → `jti` → durable write → answer.

pub mod call_update;
pub mod messages;
pub mod post_call;
pub mod realtime;
pub mod routing;
pub mod voice_calls;

mod call_flows;
pub mod contact_flow;
mod flows;

// What other capabilities (Contact Lens) write through: the same flows as the HTTP routes.
pub(crate) use call_flows::apply_update;
pub(crate) use flows::{accept_signals, store_messages, Accepted};

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, Method, Request, Response};
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::app::{App, Store};
use crate::auth::{Permission, Verified};
use crate::bus::EventPublisher;
use crate::clock::now_secs;
use crate::error::ApiError;
use crate::format::Format;
use crate::model::{ConversationKey, OrgId, RoutingOperation, VendorCallKey};
use crate::respond;
use crate::store::{ReplayGuard, Resolution, TelephonyStore};
use crate::tenants::{Refusal, Tenant, Tenants};

pub const BASE_PATH: &str = "/telephony/v1/";
pub const PROVIDER_HEADER: &str = "telephony-provider-name";

/// The telephony routes, matched on the method and the raw (still percent-encoded) path.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    CreateVoiceCall,
    UpdateVoiceCall {
        raw_key: &'a str,
    },
    BulkMessages,
    Messages {
        raw_key: &'a str,
    },
    RealtimeEvents {
        raw_key: &'a str,
    },
    PostCallEvents {
        raw_key: &'a str,
    },
    Routing {
        raw_key: &'a str,
        operation: RoutingOperation,
    },
}

impl Route<'_> {
    /// The route's name in metrics (a fixed set).
    fn name(&self) -> &'static str {
        match self {
            Route::CreateVoiceCall => "createVoiceCall",
            Route::UpdateVoiceCall { .. } => "updateVoiceCall",
            Route::BulkMessages => "bulkMessages",
            Route::Messages { .. } => "messages",
            Route::RealtimeEvents { .. } => "realtimeConversationEvents",
            Route::PostCallEvents { .. } => "postConversationEvents",
            Route::Routing { .. } => "routing",
        }
    }
}

/// The route of `path`, or `Err` with the methods the path takes when it exists with others.
fn route<'a>(method: &Method, path: &'a str) -> Option<Result<Route<'a>, &'static str>> {
    let rest = path.strip_prefix(BASE_PATH)?;
    let segments: Vec<&str> = rest.split('/').collect();
    let post = |route| {
        Some(if method == Method::POST {
            Ok(route)
        } else {
            Err("POST")
        })
    };
    let patch = |route| {
        Some(if method == Method::PATCH {
            Ok(route)
        } else {
            Err("PATCH")
        })
    };
    let post_or_patch = |route| {
        Some(if method == Method::POST || method == Method::PATCH {
            Ok(route)
        } else {
            Err("PATCH, POST")
        })
    };
    match segments.as_slice() {
        ["voiceCalls"] => post(Route::CreateVoiceCall),
        // `PATCH /voiceCalls/messages` updates the call whose key is "messages".
        ["voiceCalls", "messages"] if method == Method::POST => Some(Ok(Route::BulkMessages)),
        ["voiceCalls", key] if method == Method::PATCH => {
            Some(Ok(Route::UpdateVoiceCall { raw_key: key }))
        }
        ["voiceCalls", _] => Some(Err(if segments[1] == "messages" {
            "PATCH, POST"
        } else {
            "PATCH"
        })),
        ["voiceCalls", key, "messages"] => post(Route::Messages { raw_key: key }),
        ["voiceCalls", key, "realtimeConversationEvents"] => {
            post(Route::RealtimeEvents { raw_key: key })
        }
        ["voiceCalls", key, "postConversationEvents"] => {
            post(Route::PostCallEvents { raw_key: key })
        }
        ["voiceCalls", key, segment] => {
            let operation = RoutingOperation::from_segment(segment)?;
            let route = Route::Routing {
                raw_key: key,
                operation,
            };
            match operation {
                RoutingOperation::OmniFlow | RoutingOperation::ClearRouting => patch(route),
                // Salesforce's pages name both methods for these (by version and sample).
                RoutingOperation::RouteVoiceCall
                | RoutingOperation::Reroute
                | RoutingOperation::RequestCallback => post_or_patch(route),
            }
        }
        _ => None,
    }
}

/// Answers one `/telephony/v1` request. Never fails: every error becomes its Salesforce answer.
pub async fn handle<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    request: Request<Bytes>,
) -> Response<Bytes> {
    let started = std::time::Instant::now();
    // Errors answer in the request's format when it names one we speak.
    let format = Format::of_request(request.headers()).unwrap_or(Format::Json);
    let matched = route(request.method(), request.uri().path());
    let name = match &matched {
        Some(Ok(route)) => route.name(),
        _ => "unknown",
    };
    let outcome = match matched {
        None => Err(ApiError::NotFound(
            "The requested resource does not exist".into(),
        )),
        Some(Err(allow)) => Err(ApiError::MethodNotAllowed { allow }),
        Some(Ok(route)) => dispatch(app, &request, route).await,
    };
    let (response, code) = match outcome {
        Ok(response) => (response, None),
        Err(err) => {
            if matches!(err, ApiError::Unavailable) {
                tracing::warn!("answering 503: storage or event bus unavailable");
            } else {
                tracing::info!(status = err.status().as_u16(), error = %err, "request refused");
            }
            (respond::error(format, &err), Some(err.error_code()))
        }
    };
    crate::metrics::answered("telephony", name, response.status(), code, started);
    response
}

async fn dispatch<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    request: &Request<Bytes>,
    route: Route<'_>,
) -> Result<Response<Bytes>, ApiError> {
    if let Route::Routing { raw_key, operation } = route {
        // Reroute and clear routing take no body: none is read, whatever it holds.
        let (caller, body) = Caller::intake(&app.tenants, request, operation.takes_body()).await?;
        return call_flows::routing_request(app, caller, body, raw_key, operation).await;
    }
    if let Route::RealtimeEvents { raw_key } = route {
        // The most frequent request: its body is read straight into typed events.
        let caller = Caller::admit(&app.tenants, request, true).await?;
        let parsed = realtime::read(request.body(), caller.format)?;
        return flows::realtime_events(app, caller, parsed, raw_key).await;
    }
    let (caller, body) = Caller::intake(&app.tenants, request, true).await?;
    let body = body.unwrap_or(Value::Null);
    match route {
        Route::CreateVoiceCall => call_flows::create_voice_call(app, caller, body).await,
        Route::UpdateVoiceCall { raw_key } => {
            call_flows::update_voice_call(app, caller, body, raw_key).await
        }
        Route::BulkMessages => flows::bulk_messages(app, caller, body).await,
        Route::Messages { raw_key } => flows::message(app, caller, body, raw_key).await,
        Route::Routing { .. } | Route::RealtimeEvents { .. } => unreachable!("answered above"),
        Route::PostCallEvents { raw_key } => {
            flows::post_call_events(app, caller, body, raw_key).await
        }
    }
}

/// Who is calling, in which format, and when: what every flow needs after the intake.
pub(crate) struct Caller {
    pub org: OrgId,
    pub token: Verified,
    /// The tenant's settings, as cached when the token was verified.
    pub tenant: std::sync::Arc<Tenant>,
    pub format: Format,
    pub provider: Option<String>,
    pub now: u64,
}

impl Caller {
    /// Token (401), then `Content-Type` (415), then size (413) and syntax (400). `read_body`
    /// false: the operation takes no body, so neither its type nor its content matters (an
    /// empty body is `None`); `PATCH` bodies may be empty too.
    async fn intake(
        tenants: &Tenants,
        request: &Request<Bytes>,
        read_body: bool,
    ) -> Result<(Self, Option<Value>), ApiError> {
        let empty = request.body().iter().all(u8::is_ascii_whitespace);
        let read_body = read_body && !(empty && request.method() == Method::PATCH);
        let caller = Self::admit(tenants, request, read_body).await?;
        let body = if read_body {
            Some(caller.format.parse(request.body())?)
        } else {
            None
        };
        Ok((caller, body))
    }

    /// Token (401), then `Content-Type` (415) when the body is to be read; the body is left to
    /// the caller.
    async fn admit(
        tenants: &Tenants,
        request: &Request<Bytes>,
        read_body: bool,
    ) -> Result<Self, ApiError> {
        let now = now_secs();
        let headers = request.headers();
        let (token, tenant) = authenticate(tenants, headers, Permission::EventsWrite, now).await?;
        let format = if read_body {
            Format::of_request(headers)?
        } else {
            // Answers follow the request's format when it names one we speak.
            Format::of_request(headers).unwrap_or(Format::Json)
        };
        Ok(Self {
            org: OrgId::new(token.org_id.clone()),
            token,
            tenant,
            format,
            provider: provider(headers).map(str::to_owned),
            now,
        })
    }

    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }

    /// `validated` with the tenant's redaction applied (CONTRACT §8): called once per entry
    /// point, right after validation, so that nothing later — store, bus, live channel,
    /// summariser, logs — ever holds the original.
    pub fn redacted<T: crate::redaction::Redact>(&self, mut validated: T) -> T {
        self.tenant.redactor.apply(&mut validated);
        validated
    }

    /// Records the token's `jti` so that a second use is refused (CONTRACT §1). Done once the
    /// request is known to be valid, so a refused request does not use up its token.
    pub async fn claim_token<S: ReplayGuard>(&self, store: &S) -> Result<(), ApiError> {
        let Some(jti) = &self.token.jti else {
            return Ok(());
        };
        if self.token.allow_token_reuse {
            // The key's owner reuses one token for many requests (CONTRACT §1).
            return Ok(());
        }
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
        if self.token.allow_token_reuse {
            return;
        }
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

/// Verifies the bearer token for `needed` against its tenant's keys and records the tenant on
/// the request's span.
pub(crate) async fn authenticate(
    tenants: &Tenants,
    headers: &HeaderMap,
    needed: Permission,
    now: u64,
) -> Result<(Verified, std::sync::Arc<Tenant>), ApiError> {
    let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    let admitted = tenants
        .verify(header, needed, now)
        .await
        .map_err(|refusal| match refusal {
            Refusal::Auth(e) => {
                tracing::info!(reason = %e, "token refused");
                ApiError::Unauthorized(e.caller_message())
            }
            Refusal::Unavailable => ApiError::Unavailable,
        })?;
    tracing::Span::current().record("tenant", admitted.token.org_id.as_str());
    // Over its limits: refused before anything is read, checked or stored (its jti included).
    tenants
        .admit_request(&admitted.tenant)
        .await
        .map_err(|e| ApiError::RequestLimit {
            status: http::StatusCode::TOO_MANY_REQUESTS,
            retry_after_secs: e.retry_after_secs,
        })?;
    Ok((admitted.token, admitted.tenant))
}

/// The `{vendorCallKey}` path segment, URL-decoded and checked.
pub(crate) fn vendor_call_key(raw: &str) -> Result<VendorCallKey, ApiError> {
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
        let post = |path| route(&Method::POST, path);
        let patch = |path| route(&Method::PATCH, path);
        assert_eq!(
            post("/telephony/v1/voiceCalls/abc%2Fdef/realtimeConversationEvents"),
            Some(Ok(Route::RealtimeEvents {
                raw_key: "abc%2Fdef"
            }))
        );
        assert_eq!(
            post("/telephony/v1/voiceCalls"),
            Some(Ok(Route::CreateVoiceCall))
        );
        assert_eq!(
            post("/telephony/v1/voiceCalls/messages"),
            Some(Ok(Route::BulkMessages))
        );
        assert_eq!(
            patch("/telephony/v1/voiceCalls/messages"),
            Some(Ok(Route::UpdateVoiceCall {
                raw_key: "messages"
            }))
        );
        assert_eq!(
            post("/telephony/v1/voiceCalls/messages/messages"),
            Some(Ok(Route::Messages {
                raw_key: "messages"
            }))
        );
        assert_eq!(
            post("/telephony/v1/voiceCalls/k/postConversationEvents"),
            Some(Ok(Route::PostCallEvents { raw_key: "k" }))
        );
        assert_eq!(
            post("/telephony/v1/voiceCalls//realtimeConversationEvents"),
            Some(Ok(Route::RealtimeEvents { raw_key: "" }))
        );
        assert_eq!(
            patch("/telephony/v1/voiceCalls/0LQ1/omniFlow"),
            Some(Ok(Route::Routing {
                raw_key: "0LQ1",
                operation: RoutingOperation::OmniFlow
            }))
        );
        assert_eq!(
            patch("/telephony/v1/voiceCalls/k/route"),
            Some(Ok(Route::Routing {
                raw_key: "k",
                operation: RoutingOperation::RouteVoiceCall
            }))
        );
        assert_eq!(
            post("/telephony/v1/voiceCalls/k/omniFlow"),
            Some(Err("PATCH"))
        );
        assert_eq!(post("/telephony/v1/voiceCalls/k"), Some(Err("PATCH")));
        assert_eq!(
            route(&Method::GET, "/telephony/v1/voiceCalls"),
            Some(Err("POST"))
        );
        assert_eq!(post("/telephony/v1/voiceCalls/k/unknown"), None);
        assert_eq!(
            post("/telephony/v1/voiceCalls/a/b/realtimeConversationEvents"),
            None
        );
        assert_eq!(
            post("/telephony/v2/voiceCalls/a/realtimeConversationEvents"),
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
