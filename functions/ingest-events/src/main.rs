//! Lambda for the `/telephony/v1` routes, invoked by API Gateway (HTTP API, payload 2.0) or
//! directly by an Amazon Connect contact flow. Wiring only: configuration, keys and clients are
//! built once; each invocation goes to `shared::telephony`.

// The handlers' async state machines nest deeper than the default limit allows.
#![recursion_limit = "256"]

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use shared::app::AwsApp;
use shared::lambda::{http_response, Invocation};
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app: &'static AwsApp = Box::leak(Box::new(AwsApp::from_env().await?));
    shared::metrics::run(service_fn(move |event: LambdaEvent<Value>| {
        handle(app, event)
    }))
    .await
}

async fn handle(app: &AwsApp, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let request_id = event.context.request_id;
    match Invocation::read(event.payload)? {
        Invocation::Http(request) => {
            let span = shared::request_span(&request_id, request.method(), request.uri().path());
            Ok(http_response(
                shared::telephony::handle(app, request)
                    .instrument(span)
                    .await,
            ))
        }
        Invocation::ContactFlow(flow) => {
            let span = tracing::info_span!("contact_flow", request_id);
            let now = shared::clock::now_millis();
            let answer = shared::telephony::contact_flow::handle(app, &flow, now)
                .instrument(span)
                .await?;
            Ok(serde_json::to_value(answer)?)
        }
    }
}
