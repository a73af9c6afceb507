//! Lambda fed by the bus (every detail type the service publishes) that pushes each event to the
//! live subscribers of its conversation, and by a schedule that closes idle connections. Wiring
//! only: the DynamoDB client and the API Gateway management client (`LIVE_CONNECTIONS_URL`, the
//! WebSocket stage's https URL) are built once.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use shared::live::ApiGatewayConnections;
use shared::store::dynamo::DynamoStore;

struct Deliverer {
    subscriptions: DynamoStore,
    connections: ApiGatewayConnections,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is required")?;
    let endpoint =
        std::env::var("LIVE_CONNECTIONS_URL").map_err(|_| "LIVE_CONNECTIONS_URL is required")?;
    let sdk = shared::aws_sdk::load().await;
    let state: &'static Deliverer = Box::leak(Box::new(Deliverer {
        subscriptions: DynamoStore::new(
            shared::aws_sdk::OnFirstUse::of(&sdk, aws_sdk_dynamodb::Client::new),
            table,
            shared::app::DEFAULT_RETENTION_DAYS,
        ),
        connections: ApiGatewayConnections::new(&sdk, &endpoint),
    }));
    shared::metrics::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let now = shared::clock::now_secs();
        Ok::<_, Error>(
            shared::live::lambda::on_bus_event(
                &state.subscriptions,
                &state.connections,
                event.payload,
                now,
            )
            .await?,
        )
    }))
    .await
}
