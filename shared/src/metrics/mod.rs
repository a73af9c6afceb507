//! Metrics (CONTRACT §11) as CloudWatch embedded metric format (EMF) lines on stdout: no API
//! call on the request path; CloudWatch Logs extracts them from the functions' log streams.
//!
//! Recorded through the `metrics` facade, written by `metrics_cloudwatch_embedded`'s collector:
//! one JSON document per set of dimension values, flushed after every invocation
//! ([`flushed`], around each function's handler) and every few seconds by the local server
//! ([`flush_every`]). Without [`init`] (tests, benchmarks) recording is a no-op.
//!
//! Dimensions are bounded: the API, a route name from a fixed list, a status class, an error
//! code, a summariser, an outcome. A tenant id is a dimension only of [`TENANT_REQUESTS`], and
//! only when the operator sets `METRICS_TENANT_DIMENSION=true`. The names are documented in
//! docs/operations.md ("Metrics").

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use metrics::Unit;
use metrics_cloudwatch_embedded::Collector;

/// Namespace without `METRICS_NAMESPACE` (the template sets the stack's name).
pub const DEFAULT_NAMESPACE: &str = "VoicecallIntelligence";

/// HTTP requests answered, by `Api`, `Route` and `StatusClass` (`2xx` … `5xx`).
pub const REQUESTS: &str = "Requests";
/// HTTP requests answered `5xx`, by `Api` only (what the alarm watches).
pub const SERVER_ERRORS: &str = "ServerErrors";
/// Requests refused, by `Api` and `ErrorCode` (`REQUEST_LIMIT_EXCEEDED`, `INVALID_FIELD`, …).
pub const REFUSALS: &str = "Refusals";
/// Time from the request to its answer, by `Api` and `Route`.
pub const LATENCY: &str = "Latency";
/// Real-time events, transcript entries and post-call events accepted, by `Route`.
pub const ACCEPTED: &str = "EventsAccepted";
/// Storage writes retried (throttling, unprocessed items), by `Operation`.
pub const STORAGE_RETRIES: &str = "StorageRetries";
/// Event bus entries retried.
pub const BUS_RETRIES: &str = "BusRetries";
/// Post-call analyses run, by `Summariser` and `Fallback` (`none`, or why it fell back).
pub const ANALYSES: &str = "AnalysesRun";
/// Live deliveries to consoles, by `Outcome` (`delivered`, `gone`, `failed`).
pub const LIVE_DELIVERIES: &str = "LiveDeliveries";
/// Bus event to post on a console.
pub const PUSH_DELAY: &str = "PushDelay";
/// Contact Lens segment stream records, by `Outcome`: `stored`, `skipped` (unreadable, another
/// channel), `dropped` (an instance mapped to no tenant), `retried` (reported as batch item
/// failures).
pub const CONTACT_LENS_RECORDS: &str = "ContactLensRecords";
/// Requests per tenant, by `Tenant`: only with `METRICS_TENANT_DIMENSION=true`.
pub const TENANT_REQUESTS: &str = "TenantRequests";

static COLLECTOR: OnceLock<Option<&'static Collector>> = OnceLock::new();
static TENANT_DIMENSION: OnceLock<bool> = OnceLock::new();

/// Installs the EMF recorder once per process (later calls return the same collector):
/// namespace `METRICS_NAMESPACE`, the static dimension `Service`. `None` if another recorder
/// was installed first.
pub fn init() -> Option<&'static Collector> {
    *COLLECTOR.get_or_init(|| {
        let namespace =
            std::env::var("METRICS_NAMESPACE").unwrap_or_else(|_| DEFAULT_NAMESPACE.to_owned());
        let collector = metrics_cloudwatch_embedded::Builder::new()
            .cloudwatch_namespace(namespace)
            .with_dimension("Service", "voicecall-intelligence")
            .init()
            .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
            .ok()?;
        describe();
        TENANT_DIMENSION.get_or_init(|| {
            std::env::var("METRICS_TENANT_DIMENSION").is_ok_and(|v| v.trim() == "true")
        });
        Some(collector)
    })
}

fn describe() {
    for name in [
        REQUESTS,
        SERVER_ERRORS,
        REFUSALS,
        ACCEPTED,
        STORAGE_RETRIES,
        BUS_RETRIES,
        ANALYSES,
        LIVE_DELIVERIES,
        CONTACT_LENS_RECORDS,
        TENANT_REQUESTS,
    ] {
        metrics::describe_counter!(name, Unit::Count, "");
    }
    metrics::describe_histogram!(LATENCY, Unit::Milliseconds, "");
    metrics::describe_histogram!(PUSH_DELAY, Unit::Milliseconds, "");
}

/// Writes what was recorded since the last flush to stdout, one line per document.
pub fn flush() {
    if let Some(Some(collector)) = COLLECTOR.get() {
        let stdout = std::io::stdout();
        if let Err(e) = collector.flush(stdout.lock()) {
            tracing::warn!(error = %e, "metrics not written");
        }
    }
}

/// Flushes every `period` in the background (the local server).
pub fn flush_every(period: Duration) {
    if init().is_some() {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                flush();
            }
        });
    }
}

/// An HTTP answer: requests, latency, `5xx`, and the refusal's code.
pub fn answered(
    api: &'static str,
    route: &'static str,
    status: http::StatusCode,
    error_code: Option<&'static str>,
    started: Instant,
) {
    let class = match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::counter!(REQUESTS, "Api" => api, "Route" => route, "StatusClass" => class)
        .increment(1);
    metrics::histogram!(LATENCY, "Api" => api, "Route" => route)
        .record(started.elapsed().as_secs_f64() * 1000.0);
    if status.is_server_error() {
        metrics::counter!(SERVER_ERRORS, "Api" => api).increment(1);
    }
    if let Some(code) = error_code {
        metrics::counter!(REFUSALS, "Api" => api, "ErrorCode" => code).increment(1);
    }
}

/// `n` events or entries accepted on `route`.
pub fn accepted(route: &'static str, n: usize) {
    metrics::counter!(ACCEPTED, "Route" => route).increment(n as u64);
}

/// A storage write retried.
pub fn storage_retry(operation: &'static str) {
    metrics::counter!(STORAGE_RETRIES, "Operation" => operation).increment(1);
}

/// `n` bus entries retried.
pub fn bus_retries(n: usize) {
    metrics::counter!(BUS_RETRIES).increment(n as u64);
}

/// An analysis run by `summariser`; `fallback`: why another was used (`none` otherwise).
pub fn analysis(summariser: &'static str, fallback: &'static str) {
    metrics::counter!(ANALYSES, "Summariser" => summariser, "Fallback" => fallback).increment(1);
}

/// Live posts by outcome: `delivered`, `gone` (connections found gone), `failed`.
pub fn live_deliveries(delivered: usize, gone: usize, failed: usize) {
    for (outcome, n) in [("delivered", delivered), ("gone", gone), ("failed", failed)] {
        if n > 0 {
            metrics::counter!(LIVE_DELIVERIES, "Outcome" => outcome).increment(n as u64);
        }
    }
}

/// Contact Lens records of one batch by outcome (see [`CONTACT_LENS_RECORDS`]).
pub fn contact_lens_records(stored: usize, skipped: usize, dropped: usize, retried: usize) {
    for (outcome, n) in [
        ("stored", stored),
        ("skipped", skipped),
        ("dropped", dropped),
        ("retried", retried),
    ] {
        if n > 0 {
            metrics::counter!(CONTACT_LENS_RECORDS, "Outcome" => outcome).increment(n as u64);
        }
    }
}

/// From the bus event's time to its post on a console.
pub fn push_delay(millis: f64) {
    metrics::histogram!(PUSH_DELAY).record(millis);
}

/// A request of `tenant`, recorded only when the operator turned the tenant dimension on.
pub fn tenant_request(tenant: &str) {
    if TENANT_DIMENSION.get().copied().unwrap_or(false) {
        metrics::counter!(TENANT_REQUESTS, "Tenant" => tenant.to_owned()).increment(1);
    }
}

/// `service` (a function's handler) with its metrics flushed after every invocation:
/// `lambda_runtime::run(shared::metrics::flushed(service_fn(…)))`. Installs the recorder.
pub fn flushed<S>(service: S) -> Flushed<S> {
    init();
    Flushed(service)
}

pub struct Flushed<S>(S);

impl<S, Request> lambda_runtime::Service<Request> for Flushed<S>
where
    S: lambda_runtime::Service<Request>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = FlushAfter<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        FlushAfter(Box::pin(self.0.call(request)))
    }
}

/// The handler's future, then a flush.
pub struct FlushAfter<F>(Pin<Box<F>>);

impl<F: Future> Future for FlushAfter<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.0.as_mut().poll(cx) {
            Poll::Ready(output) => {
                flush();
                Poll::Ready(output)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// `lambda_runtime::run` with the handler's metrics flushed after every invocation: what each
/// function's `main` calls.
pub async fn run<A, F, R, B, S, D, E>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: lambda_runtime::Service<lambda_runtime::LambdaEvent<A>, Response = R>,
    F::Future: Future<Output = Result<R, F::Error>>,
    F::Error: Into<lambda_runtime::Diagnostic> + std::fmt::Debug,
    A: for<'de> serde::Deserialize<'de>,
    R: lambda_runtime::IntoFunctionResponse<B, S>,
    B: serde::Serialize,
    S: futures::Stream<Item = Result<D, E>> + Unpin + Send + 'static,
    D: Into<bytes::Bytes> + Send,
    E: Into<lambda_runtime::Error> + Send + std::fmt::Debug,
{
    lambda_runtime::run(flushed(handler)).await
}
