//! Lambda fed by S3 `Object Created` events (EventBridge, or a bucket notification) of Amazon
//! Connect Contact Lens post-call analysis files (`…/Analysis/Voice/…`, CONTRACT §10). Wiring
//! only: settings, clients and the tenant directory are built once; each event goes to
//! `shared::contact_lens::post_call`. An outage fails the invocation, so that Lambda's
//! asynchronous retries read the file again (every write is idempotent); a file that is not
//! one to read is skipped and logged.

// The handlers' async state machines nest deeper than the default limit allows.
#![recursion_limit = "256"]

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use shared::contact_lens::files::S3Files;
use shared::contact_lens::{post_call, AwsContactLensApp};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let (app, files) = AwsContactLensApp::with_files_from_env().await?;
    let state: &'static (AwsContactLensApp, S3Files) = Box::leak(Box::new((app, files)));
    shared::metrics::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let outcomes = post_call::handle_event(&state.0, &state.1, &event.payload).await?;
        Ok::<Value, Error>(serde_json::json!({ "files": outcomes }))
    }))
    .await
}
