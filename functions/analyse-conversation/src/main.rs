//! Lambda fed by the conversation table's DynamoDB stream (filtered to conversation heads written
//! after a possible end): analyses each ended conversation once and stores its record (CONTRACT
//! §3.2). Wiring only: settings, categories and clients are built once; each batch goes to
//! `shared::analysis::trigger`, which answers the failed records (partial batch failures).

// The handlers' async state machines nest deeper than the default limit allows.
#![recursion_limit = "256"]

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::analysis::{trigger, AwsAnalyser};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let analyser: &'static AwsAnalyser = Box::leak(Box::new(AwsAnalyser::from_env().await?));
    shared::metrics::run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<DynamoDbEventResponse, Error>(trigger::handle_event(analyser, &event.payload).await)
    }))
    .await
}
