//! Serves the Lambda handlers over plain HTTP on loopback: the same handler code as the deployed
//! functions, for local runs (`make run`) and for the tests.

pub mod contact_lens;
pub mod dev_keys;
pub mod guard;
pub mod live;

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use shared::actions::ActionsApp;
use shared::app::{App, Store};
use shared::bus::eventbridge::EventBridgeBus;
use shared::bus::EventPublisher;
use shared::error::ApiError;
use shared::format::{Format, MAX_BODY_BYTES};
use shared::store::dynamo::DynamoStore;
use shared::store::ConversationReader;
use shared::tenants::admin::{self, AdminApp};
use shared::tenants::dynamo::DynamoTenants;
use tokio::net::TcpListener;
use tracing::Instrument;

/// How long a client may take to send a request's head, and then its body. A client that
/// declares more body than it sends cannot hold a connection open.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
pub const BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// Both APIs: the telephony routes (the ingest function's) and the actions route (the
/// get-intelligence function's); the live channel (`/live`) and its console page (`/console`).
pub struct Services<S, B, R> {
    pub telephony: App<S, B>,
    pub actions: ActionsApp<R>,
    pub live: Arc<live::LocalLive>,
    /// The admin API (`/admin/v1`, the admin-api function's), opened by the admin token.
    pub admin: Option<Admin>,
}

/// The admin API as `make run` serves it: the tenants table and the bus, and the token that
/// stands in for AWS_IAM authorization (CONTRACT §7).
pub struct Admin {
    pub app: AdminApp<DynamoTenants, live::LivePublisher<EventBridgeBus>, DynamoStore>,
    pub token: String,
}

/// Accepts connections until `shutdown` completes.
pub async fn serve<S, B, R>(
    listener: TcpListener,
    app: Arc<Services<S, B, R>>,
    shutdown: impl Future<Output = ()>,
) where
    S: Store + 'static,
    B: EventPublisher + 'static,
    R: ConversationReader + 'static,
{
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let app = app.clone();
                tokio::spawn(async move {
                    let (stream, head) = guard::Guarded::new(stream);
                    let service = hyper::service::service_fn(move |request| {
                        let app = app.clone();
                        let head = head.clone();
                        async move {
                            let mut response = answer(&app, request, &head).await;
                            // One request per connection: the guard scans a connection's first
                            // head only. (Said per response rather than by turning keep-alive
                            // off, which would also refuse the live channel's upgrade.)
                            if response.status() != http::StatusCode::SWITCHING_PROTOCOLS {
                                response.headers_mut().insert(
                                    http::header::CONNECTION,
                                    http::HeaderValue::from_static("close"),
                                );
                            }
                            Ok::<_, Infallible>(response)
                        }
                    });
                    // A head up to the guard's limit reaches the handlers, which answer an
                    // oversized Authorization with 401 like any other bad token.
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEAD_TIMEOUT)
                        .max_buf_size(guard::MAX_HEAD_BYTES + 64 * 1024)
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades();
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "connection closed with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
}

/// Binds `127.0.0.1:port` (0 picks a free port) and serves in the background; for tests.
pub async fn spawn<S, B, R>(
    app: Arc<Services<S, B, R>>,
    port: u16,
) -> std::io::Result<std::net::SocketAddr>
where
    S: Store + 'static,
    B: EventPublisher + 'static,
    R: ConversationReader + 'static,
{
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(listener, app, std::future::pending()));
    Ok(addr)
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);

async fn answer<S: Store, B: EventPublisher, R: ConversationReader>(
    app: &Services<S, B, R>,
    request: Request<Incoming>,
    head: &guard::HeadFacts,
) -> Response<Full<Bytes>> {
    match request.uri().path() {
        shared::live::LOCAL_LIVE_PATH => return live::accept(app.live.clone(), request),
        shared::live::CONSOLE_PATH => {
            return shared::live::console::handle(&request, None).map(Full::new)
        }
        _ => {}
    }
    let request_id = format!("local-{}", REQUESTS.fetch_add(1, Ordering::Relaxed));
    let span = shared::request_span(&request_id, request.method(), request.uri().path());
    let format = Format::of_request(request.headers()).unwrap_or(Format::Json);
    if head.both_framings() {
        // Which of the two framings a proxy in front used is unknowable: refuse, never guess.
        let err = ApiError::invalid(
            "Transfer-Encoding",
            "must not be sent together with Content-Length",
        );
        return shared::respond::error(format, &err).map(Full::new);
    }
    let (parts, body) = request.into_parts();
    // One byte over the limit is enough for the handler to answer 413 itself. Not whitespace:
    // a blank PATCH body counts as no body, and an oversized one must still be refused.
    let collected = tokio::time::timeout(
        BODY_TIMEOUT,
        Limited::new(body, MAX_BODY_BYTES + 1).collect(),
    );
    let body = match collected.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            Bytes::from(vec![b'x'; MAX_BODY_BYTES + 1])
        }
        Ok(Err(_)) => Bytes::new(),
        Err(_elapsed) => {
            return shared::respond::error(format, &ApiError::RequestTimeout).map(Full::new);
        }
    };
    let request = Request::from_parts(parts, body);
    let path = request.uri().path();
    let response = if path.starts_with(shared::telephony::BASE_PATH) {
        shared::telephony::handle(&app.telephony, request)
            .instrument(span)
            .await
    } else if path.starts_with(shared::actions::BASE_PATH) {
        shared::actions::handle(&app.actions, request)
            .instrument(span)
            .await
    } else if let (true, Some(admin)) = (path.starts_with(admin::BASE_PATH), &app.admin) {
        let principal = admin::token_principal(request.headers(), &admin.token);
        admin::handle(&admin.app, request, principal)
            .instrument(span)
            .await
    } else {
        shared::respond::error(
            format,
            &ApiError::NotFound("The requested resource does not exist".into()),
        )
    };
    response.map(Full::new)
}
