//! Lambda for `/services/data/vNN.N/actions/standard/getConversationIntelligence`, invoked by API
//! Gateway (HTTP API, payload 2.0) or directly by an Amazon Connect contact flow, and for the
//! live console page (`GET /console`). Wiring only: configuration, keys, categories and the
//! DynamoDB client are built once; each invocation goes to `shared::actions` (or
//! `shared::live::console`).

// The handlers' async state machines nest deeper than the default limit allows.
#![recursion_limit = "256"]

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use shared::app::AwsActionsApp;
use shared::lambda::{http_response, Invocation};
use shared::live::console;
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app: &'static AwsActionsApp = Box::leak(Box::new(AwsActionsApp::from_env().await?));
    // The stack's WebSocket URL, which the console page connects to.
    let live_url: &'static Option<String> = Box::leak(Box::new(console::live_url_from_env()));
    shared::metrics::run(service_fn(move |event: LambdaEvent<Value>| {
        handle(app, live_url.as_deref(), event)
    }))
    .await
}

async fn handle(
    app: &AwsActionsApp,
    live_url: Option<&str>,
    event: LambdaEvent<Value>,
) -> Result<Value, Error> {
    let request_id = event.context.request_id;
    match Invocation::read(event.payload)? {
        Invocation::Http(request) if request.uri().path() == shared::live::CONSOLE_PATH => {
            Ok(http_response(console::handle(&request, live_url)))
        }
        Invocation::Http(request) => {
            let span = shared::request_span(&request_id, request.method(), request.uri().path());
            Ok(http_response(
                shared::actions::handle(app, request).instrument(span).await,
            ))
        }
        Invocation::ContactFlow(flow) => {
            let span = tracing::info_span!("contact_flow", request_id);
            let answer = shared::actions::contact_flow::handle(app, &flow)
                .instrument(span)
                .await?;
            Ok(serde_json::to_value(answer)?)
        }
    }
}
