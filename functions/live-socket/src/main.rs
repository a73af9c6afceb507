//! Lambda behind the live WebSocket API's routes. Wiring only: keys, categories and the
//! DynamoDB client are built once; each event goes to `shared::live::lambda::on_socket_event`.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use shared::app::AwsLiveApp;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app: &'static AwsLiveApp = Box::leak(Box::new(AwsLiveApp::from_env().await?));
    shared::metrics::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let now = shared::clock::now_secs();
        Ok::<_, Error>(shared::live::lambda::on_socket_event(app, &event.payload, now).await?)
    }))
    .await
}
