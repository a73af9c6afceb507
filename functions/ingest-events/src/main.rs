//! Lambda for the `/telephony/v1` routes, invoked through API Gateway (HTTP API, payload 2.0).
//! Wiring only: configuration, keys and clients are built once, then every request goes to
//! `shared::telephony::handle`.

use lambda_http::{service_fn, Body, Error, Request, RequestExt, Response};
use shared::app::AwsApp;
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let app: &'static AwsApp = Box::leak(Box::new(AwsApp::from_env().await?));
    lambda_http::run(service_fn(move |request: Request| handle(app, request))).await
}

async fn handle(app: &AwsApp, request: Request) -> Result<Response<Body>, Error> {
    let request_id = request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let span = shared::request_span(&request_id, request.method(), request.uri().path());
    let response = shared::telephony::handle(app, request.map(shared::lambda::request_body))
        .instrument(span)
        .await;
    Ok(response.map(shared::lambda::response_body))
}
