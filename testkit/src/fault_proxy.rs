//! A proxy in front of the moto server that injects the failures AWS really produces, at the
//! protocol level, so the SDK's retries and the adapters' own retry loops run for real.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Everything passes through.
    None,
    /// Every `BatchWriteItem` is refused as throttled (`ProvisionedThroughputExceededException`).
    ThrottleBatchWrite,
    /// The next `n` `BatchWriteItem` calls write only their first item and hand the rest back
    /// as `UnprocessedItems`.
    PartialBatchWrite(u32),
    /// Every `PutEvents` entry fails (`FailedEntryCount` = all, `ErrorCode` on each).
    FailPutEvents,
    /// Every single-item or transactional write (`PutItem`, `UpdateItem`, `TransactWriteItems`)
    /// is refused as throttled; reads and `BatchWriteItem` pass.
    ThrottleItemWrites,
}

pub struct FaultProxy {
    pub url: String,
    fault: Arc<Mutex<Fault>>,
    calls: Arc<AtomicU32>,
    targets: Arc<Mutex<Vec<String>>>,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

/// One request passed on and the size of its answer (what the cost model prices).
#[derive(Debug, Clone)]
pub struct Exchange {
    /// `x-amz-target`, e.g. `DynamoDB_20120810.Query`.
    pub target: String,
    /// The request's JSON body.
    pub request: Bytes,
    /// Bytes of the answer's body.
    pub response_bytes: u64,
}

impl FaultProxy {
    /// Listens on a free loopback port, forwarding to `upstream`.
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(State {
            upstream: upstream.to_owned(),
            fault: Arc::new(Mutex::new(Fault::None)),
            batch_writes: Arc::new(AtomicU32::new(0)),
            targets: Arc::new(Mutex::new(Vec::new())),
            exchanges: Arc::new(Mutex::new(Vec::new())),
            client: reqwest::Client::new(),
        });
        let proxy = Self {
            url,
            fault: state.fault.clone(),
            calls: state.batch_writes.clone(),
            targets: state.targets.clone(),
            exchanges: state.exchanges.clone(),
        };
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(state.answer(request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        proxy
    }

    pub fn set(&self, fault: Fault) {
        *self.fault.lock().expect("lock") = fault;
    }

    /// The operations (`x-amz-target`, e.g. `DynamoDB_20120810.Query`) passed on since the last
    /// call, oldest first; forgets them.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.targets.lock().expect("lock"))
    }

    /// Every request passed on since the last call, with its body and its answer's size,
    /// oldest first; forgets them.
    pub fn take_exchanges(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.exchanges.lock().expect("lock"))
    }

    /// `BatchWriteItem` calls seen so far.
    pub fn batch_writes(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

struct State {
    upstream: String,
    fault: Arc<Mutex<Fault>>,
    batch_writes: Arc<AtomicU32>,
    targets: Arc<Mutex<Vec<String>>>,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    client: reqwest::Client,
}

impl State {
    async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let target = parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let fault = *self.fault.lock().expect("lock");
        self.targets.lock().expect("lock").push(target.clone());
        let is_batch_write = target.ends_with(".BatchWriteItem");
        if is_batch_write {
            self.batch_writes.fetch_add(1, Ordering::SeqCst);
        }
        match fault {
            Fault::ThrottleBatchWrite if is_batch_write => aws_error(
                400,
                "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded.",
            ),
            Fault::ThrottleItemWrites
                if [".PutItem", ".UpdateItem", ".TransactWriteItems"]
                    .iter()
                    .any(|op| target.ends_with(op)) =>
            {
                aws_error(
                    400,
                    "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                    "Rate of requests exceeds the allowed throughput.",
                )
            }
            Fault::PartialBatchWrite(n) if is_batch_write && n > 0 => {
                *self.fault.lock().expect("lock") = Fault::PartialBatchWrite(n - 1);
                self.partial_batch_write(&parts, &body).await
            }
            Fault::FailPutEvents if target.ends_with(".PutEvents") => {
                let request: Value = serde_json::from_slice(&body).unwrap_or_default();
                let n = request["Entries"].as_array().map_or(0, Vec::len);
                let entries: Vec<Value> = (0..n)
                    .map(|_| json!({"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}))
                    .collect();
                json_response(200, &json!({"FailedEntryCount": n, "Entries": entries}))
            }
            _ => {
                let response = self.forward(&parts, body.clone()).await;
                let response_bytes = hyper::body::Body::size_hint(response.body())
                    .exact()
                    .unwrap_or(0);
                self.exchanges.lock().expect("lock").push(Exchange {
                    target,
                    request: body,
                    response_bytes,
                });
                response
            }
        }
    }

    /// Forwards the first item of each table and returns the others as unprocessed.
    async fn partial_batch_write(
        &self,
        parts: &http::request::Parts,
        body: &Bytes,
    ) -> Response<Full<Bytes>> {
        let mut request: Value = serde_json::from_slice(body).expect("BatchWriteItem JSON");
        let mut unprocessed = serde_json::Map::new();
        for (table, items) in request["RequestItems"]
            .as_object_mut()
            .expect("RequestItems")
        {
            let items = items.as_array_mut().expect("item list");
            let rest: Vec<Value> = items.drain(1..).collect();
            if !rest.is_empty() {
                unprocessed.insert(table.clone(), Value::Array(rest));
            }
        }
        let forwarded = self.forward(parts, Bytes::from(request.to_string())).await;
        if forwarded.status() != 200 {
            return forwarded;
        }
        json_response(200, &json!({"UnprocessedItems": unprocessed}))
    }

    async fn forward(&self, parts: &http::request::Parts, body: Bytes) -> Response<Full<Bytes>> {
        let url = format!(
            "{}{}",
            self.upstream,
            parts.uri.path_and_query().map_or("/", |p| p.as_str())
        );
        let mut request = self.client.request(parts.method.clone(), url).body(body);
        for (name, value) in &parts.headers {
            // The body may have been rewritten; reqwest sets the length itself.
            if name != http::header::HOST && name != http::header::CONTENT_LENGTH {
                request = request.header(name, value);
            }
        }
        let response = request.send().await.expect("moto answers the proxy");
        let mut out = Response::builder().status(response.status());
        for (name, value) in response.headers() {
            if name != http::header::CONTENT_LENGTH && name != http::header::TRANSFER_ENCODING {
                out = out.header(name, value);
            }
        }
        out.body(Full::new(response.bytes().await.unwrap_or_default()))
            .expect("response")
    }
}

fn aws_error(status: u16, kind: &str, message: &str) -> Response<Full<Bytes>> {
    json_response(status, &json!({"__type": kind, "message": message}))
}

fn json_response(status: u16, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("response")
}
