//! A stand-in for the API Gateway management API (`@connections`) at the protocol level:
//! `POST /{stage}/@connections/{id}` (PostToConnection), `DELETE` (DeleteConnection) and `GET`
//! (GetConnection), answered as API Gateway answers them — `410` with `x-amzn-ErrorType:
//! GoneException` for a connection that is gone. It records every call.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// One call the stand-in answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub method: String,
    pub connection: String,
    pub body: String,
}

#[derive(Default)]
struct State {
    gone: Mutex<HashSet<String>>,
    calls: Mutex<Vec<Call>>,
}

pub struct ManagementApi {
    /// The stage URL, as `LIVE_CONNECTIONS_URL` names it.
    pub url: String,
    state: Arc<State>,
}

impl ManagementApi {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/live", listener.local_addr().expect("addr"));
        let state = Arc::new(State::default());
        let serving = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = serving.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(answer(&state, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { url, state }
    }

    /// From now on the connection is gone: API Gateway answers `410 GoneException`.
    pub fn make_gone(&self, connection: &str) {
        self.state
            .gone
            .lock()
            .expect("lock")
            .insert(connection.to_owned());
    }

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.state.calls.lock().expect("lock").clone()
    }

    /// The messages posted to a connection, oldest first.
    pub fn posted_to(&self, connection: &str) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == "POST" && c.connection == connection)
            .map(|c| c.body)
            .collect()
    }
}

fn reply(status: u16, error_type: Option<&str>, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-requestid", uuid::Uuid::new_v4().to_string());
    if let Some(error_type) = error_type {
        response = response.header("x-amzn-errortype", error_type);
    }
    response
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("a valid response")
}

async fn answer(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let Some((_, raw_id)) = path.split_once("/@connections/") else {
        return reply(404, Some("NotFoundException"), r#"{"message":"Not Found"}"#);
    };
    let connection = percent_encoding::percent_decode_str(raw_id)
        .decode_utf8_lossy()
        .into_owned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    state.calls.lock().expect("lock").push(Call {
        method: method.to_string(),
        connection: connection.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if state.gone.lock().expect("lock").contains(&connection) {
        return reply(410, Some("GoneException"), r#"{"message":null}"#);
    }
    match method {
        Method::POST => reply(200, None, ""),
        Method::DELETE => reply(204, None, ""),
        Method::GET => reply(
            200,
            None,
            r#"{"ConnectedAt":"2026-01-01T00:00:00Z","Identity":{"SourceIp":"127.0.0.1","UserAgent":"testkit"},"LastActiveAt":"2026-01-01T00:00:00Z"}"#,
        ),
        _ => reply(
            405,
            Some("MethodNotAllowedException"),
            r#"{"message":"Method Not Allowed"}"#,
        ),
    }
}
