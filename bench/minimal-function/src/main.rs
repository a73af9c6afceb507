//! The smallest useful Lambda function: `lambda_runtime` on tokio, the runtime's default tracing
//! subscriber (as the functions set up), and a handler that answers its event. `make bench`
//! measures the functions' cold start and footprint against this one, in the same run.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
