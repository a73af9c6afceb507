//! A WebSocket client of the live channel (`/live` on the local server), as a console is.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::fixture::Fixture;

/// How long a test waits for a message that must come.
pub const WAIT: Duration = Duration::from_secs(5);

pub struct LiveClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What the socket produced while waiting.
#[derive(Debug)]
pub enum Received {
    Message(Value),
    /// The server closed the connection (close frame or end of stream).
    Closed,
    /// Nothing within the wait.
    Nothing,
}

impl LiveClient {
    /// Opens `ws://…/live` on the fixture's local server.
    pub async fn connect(fx: &Fixture) -> Self {
        let url = format!("{}/live", fx.base_url.replacen("http://", "ws://", 1));
        let (socket, response) = tokio_tungstenite::connect_async(url)
            .await
            .expect("the live channel accepts a WebSocket");
        assert_eq!(response.status(), 101);
        Self { socket }
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("send");
    }

    /// The next thing the socket produces within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Received {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.socket.next()).await {
                Err(_) => return Received::Nothing,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => {
                    return Received::Closed
                }
                Ok(Some(Ok(Message::Text(text)))) => {
                    return Received::Message(
                        serde_json::from_str(text.as_str()).expect("live messages are JSON"),
                    )
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// The next message; panics on a close or a timeout.
    pub async fn recv(&mut self) -> Value {
        match self.next(WAIT).await {
            Received::Message(m) => m,
            other => panic!("expected a live message, got {other:?}"),
        }
    }

    /// Subscribes and returns the answer (waiting up to 30 s: a loaded emulator is slow).
    pub async fn subscribe(&mut self, token: &str, record_id: &str) -> Value {
        self.send(json!({"action": "subscribe", "token": token, "recordId": record_id}))
            .await;
        match self.next(Duration::from_secs(30)).await {
            Received::Message(m) => m,
            other => panic!("expected an answer to subscribe, got {other:?}"),
        }
    }

    /// Subscribes and asserts it was accepted.
    pub async fn subscribed(&mut self, token: &str, record_id: &str) -> Value {
        let answer = self.subscribe(token, record_id).await;
        assert_eq!(answer["type"], "subscribed", "{answer}");
        answer
    }

    /// Asserts nothing arrives within `wait`.
    pub async fn assert_quiet(&mut self, wait: Duration) {
        match self.next(wait).await {
            Received::Nothing => {}
            other => panic!("expected nothing, got {other:?}"),
        }
    }

    /// Drops the TCP connection without a close frame, as a crashed browser does.
    pub fn abort(self) {
        drop(self.socket.into_inner());
    }
}
