//! Lambda fed by the Amazon Connect Contact Lens real-time segment stream (a Kinesis event
//! source mapping with `ReportBatchItemFailures`, CONTRACT §10). Wiring only: settings, clients
//! and the tenant directory are built once; each batch goes to `shared::contact_lens`, which
//! answers the records to retry (records that do not parse are skipped and counted, never
//! failed).

// The handlers' async state machines nest deeper than the default limit allows.
#![recursion_limit = "256"]

use aws_lambda_events::streams::KinesisEventResponse;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::contact_lens::kinesis::StreamEvent;
use shared::contact_lens::AwsContactLensApp;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app: &'static AwsContactLensApp = Box::leak(Box::new(AwsContactLensApp::from_env().await?));
    shared::metrics::run(service_fn(
        move |event: LambdaEvent<StreamEvent>| async move {
            Ok::<KinesisEventResponse, Error>(app.handle_kinesis(&event.payload).await)
        },
    ))
    .await
}
