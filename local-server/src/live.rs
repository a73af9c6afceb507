//! The live channel on the local server: `ws://127.0.0.1:$PORT/live`, the protocol of CONTRACT
//! §6 answered by the same domain code as the live-socket function (`shared::live`), and fed by
//! the same delivery as the live-deliver function. Only the connections adapter is local: an
//! in-process registry of open WebSockets instead of API Gateway's management API.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use shared::app::{App, AwsLiveApp};
use shared::bus::{BusEvent, EventPublisher, PublishError};
use shared::live::{ConnectionError, Connections, Posted, ServerMessage};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// API Gateway's WebSocket frame limit is 32 KB; a client message is a few hundred bytes.
const MAX_CLIENT_MESSAGE: usize = 32 * 1024;

/// The open WebSockets of this process, by connection id.
#[derive(Default)]
pub struct LocalConnections {
    open: Mutex<HashMap<String, mpsc::UnboundedSender<String>>>,
}

impl LocalConnections {
    fn register(&self, id: &str) -> mpsc::UnboundedReceiver<String> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.open.lock().expect("lock").insert(id.to_owned(), tx);
        rx
    }

    fn forget(&self, id: &str) {
        self.open.lock().expect("lock").remove(id);
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        self.open.lock().expect("lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Connections for LocalConnections {
    async fn post(&self, connection: &str, message: &str) -> Result<Posted, ConnectionError> {
        let sender = self.open.lock().expect("lock").get(connection).cloned();
        match sender {
            Some(tx) if tx.send(message.to_owned()).is_ok() => Ok(Posted::Delivered),
            _ => Ok(Posted::Gone),
        }
    }

    async fn close(&self, connection: &str) -> Result<(), ConnectionError> {
        // The connection's task ends when its sender is dropped.
        self.forget(connection);
        Ok(())
    }
}

/// The live channel's state on the local server, and its delivery queue: events are delivered
/// in the order they were published, after the write's answer is on its way.
pub struct LocalLive {
    pub app: AwsLiveApp,
    pub connections: LocalConnections,
    /// How long a connection may stay without a subscription (30 s; tests shorten it).
    pub idle: Duration,
    queue: mpsc::UnboundedSender<Vec<BusEvent>>,
}

impl LocalLive {
    /// Starts the delivery task; call within a Tokio runtime.
    pub fn start(app: AwsLiveApp, idle: Duration) -> Arc<Self> {
        let (queue, mut events) = mpsc::unbounded_channel::<Vec<BusEvent>>();
        let live = Arc::new(Self {
            app,
            connections: LocalConnections::default(),
            idle,
            queue,
        });
        let weak = Arc::downgrade(&live);
        tokio::spawn(async move {
            while let Some(batch) = events.recv().await {
                let Some(live) = weak.upgrade() else { break };
                if let Err(e) =
                    shared::live::deliver(&live.app.subscriptions, &live.connections, &batch).await
                {
                    tracing::warn!(error = %e, "live delivery failed");
                }
            }
        });
        live
    }
}

/// The local server's publisher: the bus (EventBridge on moto), then the live channel, as the
/// bus's rule feeds the live-deliver function in AWS.
pub struct LivePublisher<B> {
    pub bus: B,
    pub live: Arc<LocalLive>,
}

impl<B: EventPublisher> EventPublisher for LivePublisher<B> {
    async fn publish(&self, events: Vec<BusEvent>) -> Result<(), PublishError> {
        // Only a published event goes live, and of those what the live-deliver rule passes in
        // AWS (not `watched: false`); the queue lives as long as the server.
        let live: Vec<BusEvent> = events.iter().filter(|e| e.is_for_live()).cloned().collect();
        self.bus.publish(events).await?;
        if !live.is_empty() {
            let _ = self.live.queue.send(live);
        }
        Ok(())
    }
}

/// `app` with its bus feeding the live channel too.
pub fn publishing_live<S, B>(app: App<S, B>, live: Arc<LocalLive>) -> App<S, LivePublisher<B>> {
    App {
        tenants: app.tenants,
        store: app.store,
        bus: LivePublisher { bus: app.bus, live },
    }
}

fn refuse(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(text.to_owned())))
        .expect("a valid response")
}

/// Answers a WebSocket upgrade of `/live` and serves the connection in the background.
pub fn accept(live: Arc<LocalLive>, mut request: Request<Incoming>) -> Response<Full<Bytes>> {
    let headers = request.headers();
    let has = |name, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| v.trim().eq_ignore_ascii_case(token))
    };
    if request.method() != http::Method::GET
        || !has(UPGRADE, "websocket")
        || !has(CONNECTION, "upgrade")
    {
        return refuse(StatusCode::UPGRADE_REQUIRED, "this is a WebSocket endpoint");
    }
    if headers.get(SEC_WEBSOCKET_VERSION).map(|v| v.as_bytes()) != Some(b"13") {
        return refuse(StatusCode::BAD_REQUEST, "Sec-WebSocket-Version must be 13");
    }
    let Some(key) = headers.get(SEC_WEBSOCKET_KEY) else {
        return refuse(StatusCode::BAD_REQUEST, "Sec-WebSocket-Key is required");
    };
    let accept_key = derive_accept_key(key.as_bytes());
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        match upgrade.await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default()
                    .max_message_size(Some(MAX_CLIENT_MESSAGE))
                    .max_frame_size(Some(MAX_CLIENT_MESSAGE));
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                serve_socket(&live, socket).await;
            }
            Err(e) => tracing::debug!(error = %e, "WebSocket upgrade failed"),
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(CONNECTION, "upgrade")
        .header(UPGRADE, "websocket")
        .header(SEC_WEBSOCKET_ACCEPT, accept_key)
        .body(Full::new(Bytes::new()))
        .expect("a valid response")
}

async fn serve_socket<S>(live: &LocalLive, mut socket: WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let id = uuid::Uuid::new_v4().simple().to_string();
    let span = tracing::info_span!("live", connection = %id, tenant = tracing::field::Empty);
    let _entered = span.enter();
    let mut outgoing = live.connections.register(&id);
    let idle = tokio::time::sleep(live.idle);
    tokio::pin!(idle);
    let mut subscribed = false;
    loop {
        tokio::select! {
            incoming = socket.next() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_))) => {
                        let answer = ServerMessage::error(shared::live::ErrorCode::InvalidField, "messages are JSON text");
                        if socket.send(Message::text(answer.to_json())).await.is_err() { break }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue, // pings are answered by tungstenite
                };
                let answer = shared::live::on_message(&live.app, &id, text.as_str(), shared::clock::now_secs()).await;
                subscribed |= matches!(answer, ServerMessage::Subscribed { .. });
                if socket.send(Message::text(answer.to_json())).await.is_err() { break }
            }
            pushed = outgoing.recv() => {
                let Some(message) = pushed else { break };
                if socket.send(Message::text(message)).await.is_err() { break }
            }
            () = &mut idle, if !subscribed => {
                let _ = socket.close(Some(CloseFrame {
                    code: CloseCode::Policy,
                    reason: "no subscription within 30 s".into(),
                })).await;
                break;
            }
        }
    }
    live.connections.forget(&id);
    use shared::live::Subscriptions;
    if let Err(e) = live.app.subscriptions.disconnected(&id).await {
        tracing::warn!(error = %e, "subscriptions of a closed connection left for the TTL");
    }
}
