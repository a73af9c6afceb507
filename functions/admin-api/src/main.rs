//! Lambda for the `/admin/v1` routes (CONTRACT §7), behind the HTTP API's `AWS_IAM`
//! authorization: the only function with write access to the tenants table. Wiring only: the
//! table and bus clients are built once; each request goes to `shared::tenants::admin` with the
//! caller's IAM principal from the request context.

// The handlers' async state machines nest deeper than the default limit allows.
#![recursion_limit = "256"]

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use shared::aws_sdk::OnFirstUse;
use shared::bus::eventbridge::EventBridgeBus;
use shared::lambda::{http_response, Invocation};
use shared::store::dynamo::DynamoStore;
use shared::tenants::admin::{self, AdminApp};
use shared::tenants::dynamo::DynamoTenants;
use tracing::Instrument;

type App = AdminApp<DynamoTenants, EventBridgeBus, DynamoStore>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let var = |name: &'static str| std::env::var(name).map_err(|_| format!("{name} is required"));
    let table = var("TENANTS_TABLE")?;
    // The conversations table, for erasure and legal hold (CONTRACT §8).
    let settings = shared::app::Settings::from_env()?;
    let bus = var("EVENT_BUS_NAME")?;
    let source = std::env::var("EVENT_SOURCE")
        .unwrap_or_else(|_| shared::app::DEFAULT_EVENT_SOURCE.to_owned());
    let sdk = shared::aws_sdk::load().await;
    let app: &'static App = Box::leak(Box::new(AdminApp {
        offboard_settle: shared::tenants::offboard::OFFBOARD_SETTLE,
        store: DynamoTenants::new(OnFirstUse::of(&sdk, aws_sdk_dynamodb::Client::new), table),
        conversations: DynamoStore::new(
            OnFirstUse::of(&sdk, aws_sdk_dynamodb::Client::new),
            &settings.table_name,
            settings.retention_days,
        ),
        bus: EventBridgeBus::new(
            OnFirstUse::of(&sdk, aws_sdk_eventbridge::Client::new),
            &bus,
            &source,
        ),
    }));
    shared::metrics::run(service_fn(move |event: LambdaEvent<Value>| {
        handle(app, event)
    }))
    .await
}

async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let request_id = event.context.request_id;
    let principal = admin::iam_principal(&event.payload);
    match Invocation::read(event.payload)? {
        Invocation::Http(request) => {
            let span = shared::request_span(&request_id, request.method(), request.uri().path());
            Ok(http_response(
                admin::handle(app, request, principal)
                    .instrument(span)
                    .await,
            ))
        }
        Invocation::ContactFlow(_) => Err("the admin API is not invoked by contact flows".into()),
    }
}
