//! Lambda for `/services/data/vNN.N/actions/standard/getConversationIntelligence`, invoked
//! through API Gateway (HTTP API, payload 2.0). Wiring only: configuration, keys, categories and
//! the DynamoDB client are built once, then every request goes to `shared::actions::handle`.

use lambda_http::{service_fn, Body, Error, Request, RequestExt, Response};
use shared::app::AwsActionsApp;
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let app: &'static AwsActionsApp = Box::leak(Box::new(AwsActionsApp::from_env().await?));
    lambda_http::run(service_fn(move |request: Request| handle(app, request))).await
}

async fn handle(app: &AwsActionsApp, request: Request) -> Result<Response<Body>, Error> {
    let request_id = request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let span = shared::request_span(&request_id, request.method(), request.uri().path());
    let response = shared::actions::handle(app, request.map(shared::lambda::request_body))
        .instrument(span)
        .await;
    Ok(response.map(shared::lambda::response_body))
}
