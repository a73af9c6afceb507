//! `make run`: the API on 127.0.0.1:$PORT against the DynamoDB and EventBridge endpoints in the
//! environment (the moto server that `scripts/run.sh` starts). Creates the tables and bus if
//! missing, and imports `TRUSTED_KEYS`/`TRUSTED_KEYS_FILE` (with `INSIGHT_CATEGORIES` and
//! `SUMMARY_PROMPTS`) into the tenants table; without them it imports a generated dev key pair
//! and prints a ready token and curl command. Serves the admin API with the admin token. `local-server token` prints a fresh dev token. Follows
//! the table's stream to analyse ended conversations, as the analysis function does in AWS.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use local_server::dev_keys::{admin_token, DevKeys, DEV_ORG};
use local_server::live::{publishing_live, LocalLive};
use local_server::{Admin, Services};
use shared::analysis::AwsAnalyser;
use shared::app::{
    AwsActionsApp, AwsApp, AwsLiveApp, Settings, DEFAULT_EVENT_SOURCE, DEFAULT_RETENTION_DAYS,
};
use shared::auth::KeyRegistry;
use shared::aws_sdk::OnFirstUse;
use shared::bus::eventbridge::EventBridgeBus;
use shared::intelligence::InsightCategories;
use shared::tenants::admin::AdminApp;
use shared::tenants::dynamo::DynamoTenants;
use shared::tenants::{import, Tenants};
use tokio::net::TcpListener;

const SEED_EXAMPLE: &str = r#"{"service":"AmazonConnectContactLens","events":[{"type":"IntelligenceSignal__Category","value":"OrderStatusCheckingHelp","startTime":1573503300},{"type":"IntelligenceSignal__Category","value":"CustomerAngry","startTime":1573503450}]}"#;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    // `local-server token`: a fresh dev token, e.g. for rendering events/ (scripts/event.sh).
    if std::env::args().nth(1).as_deref() == Some("token") {
        let dev = DevKeys::load_or_create(&PathBuf::from(env_or("DEV_KEYS_DIR", ".dev-keys")))?;
        println!("{}", dev.token(shared::clock::now_secs()));
        return Ok(());
    }
    let port: u16 = env_or("PORT", "3000").parse()?;
    let settings = Settings {
        table_name: env_or("TABLE_NAME", "voicecall-intelligence-local"),
        event_bus_name: env_or("EVENT_BUS_NAME", "voicecall-intelligence-local"),
        event_source: env_or("EVENT_SOURCE", DEFAULT_EVENT_SOURCE),
        retention_days: env_or("RETENTION_DAYS", &DEFAULT_RETENTION_DAYS.to_string()).parse()?,
    };
    let dev_dir = PathBuf::from(env_or("DEV_KEYS_DIR", ".dev-keys"));
    let tenants_table = env_or("TENANTS_TABLE", "voicecall-intelligence-local-tenants");
    let configured = std::env::var_os("TRUSTED_KEYS").is_some()
        || std::env::var_os("TRUSTED_KEYS_FILE").is_some();
    // The documents of earlier versions (or the dev key) imported into the tenants table, as
    // `tenant-admin import` does for a deployed stack.
    let now = shared::clock::rfc3339(shared::clock::now_millis());
    let (records, dev) = if configured {
        (import::records_from_env(&now)?, None)
    } else {
        let dev = DevKeys::load_or_create(&dev_dir)?;
        let registry = KeyRegistry::from_json(&std::fs::read_to_string(&dev.registry_file)?)?;
        let categories = InsightCategories::document_from_env()?;
        (
            import::records(&registry, &categories, None, &now)?,
            Some(dev),
        )
    };

    let sdk = shared::aws_sdk::load().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    shared::provision::ensure_table(&dynamodb, &settings.table_name).await?;
    shared::provision::ensure_tenants_table(&dynamodb, &tenants_table).await?;
    shared::provision::ensure_bus(
        &aws_sdk_eventbridge::Client::new(&sdk),
        &settings.event_bus_name,
    )
    .await?;
    let tenant_store = DynamoTenants::new(dynamodb.clone(), &tenants_table);
    let imported = import::into_store(&tenant_store, records, "import").await?;
    if imported != import::Imported::default() {
        println!(
            "Imported into {tenants_table}: {} tenant(s) created, {} key(s) added",
            imported.created, imported.keys_added
        );
    }
    // Each API gets its own directory and cache, as each function has its own.
    // Request limits (CONTRACT §9) as in AWS: buckets in the table, the stack's defaults from
    // LIMIT_REQUESTS_PER_SECOND and LIMIT_BURST.
    let default_limits = shared::limits::default_from_env()?;
    let tenants = || {
        Tenants::new(
            Arc::new(tenant_store.clone()),
            shared::contact_flow::tenant_from_env(),
        )
        .limited_by(shared::limits::Limiter::new(
            Arc::new(shared::limits::dynamo::DynamoBuckets::new(
                dynamodb.clone(),
                &settings.table_name,
            )),
            default_limits,
        ))
    };
    // Post-call analysis: the table's stream followed in the background, each batch handed to the
    // analysis function's handler (as Lambda's event source mapping does in AWS).
    let analyser = AwsAnalyser::new(&sdk, &settings, tenants());
    shared::analysis::stream::spawn(&sdk, &settings.table_name, Arc::new(analyser)).await?;
    let live = LocalLive::start(
        AwsLiveApp::new(&sdk, &settings.table_name, tenants()),
        std::time::Duration::from_secs(shared::live::IDLE_SECS),
    );
    // Contact Lens: its stream and bucket in the emulator, fed to the same handlers (CONTRACT §10).
    let contact_lens = {
        let app = publishing_live(AwsApp::new(&sdk, &settings, tenants()), live.clone());
        let anchors =
            shared::contact_lens::DynamoAnchors::new(app.store.clone(), settings.retention_days);
        Arc::new(shared::contact_lens::ContactLensApp { app, anchors })
    };
    local_server::contact_lens::spawn(&sdk, contact_lens).await?;
    println!(
        "Contact Lens: Kinesis stream and S3 bucket {} followed (map the instance: tenant-admin connect map)",
        local_server::contact_lens::NAME
    );
    let admin = Admin {
        app: AdminApp {
            offboard_settle: shared::tenants::offboard::OFFBOARD_SETTLE,
            store: tenant_store.clone(),
            // Through the live channel, as the bus's rule feeds live-deliver in AWS (erasures).
            bus: local_server::live::LivePublisher {
                bus: EventBridgeBus::new(
                    OnFirstUse::of(&sdk, aws_sdk_eventbridge::Client::new),
                    &settings.event_bus_name,
                    &settings.event_source,
                ),
                live: live.clone(),
            },
            conversations: shared::store::dynamo::DynamoStore::new(
                OnFirstUse::of(&sdk, aws_sdk_dynamodb::Client::new),
                &settings.table_name,
                settings.retention_days,
            ),
        },
        token: admin_token(&dev_dir)?,
    };
    let app = Arc::new(Services {
        telephony: publishing_live(AwsApp::new(&sdk, &settings, tenants()), live.clone()),
        actions: AwsActionsApp::new(&sdk, &settings.table_name, tenants()),
        live,
        admin: Some(admin),
    });

    // Metrics (EMF lines, as the functions print them) on stdout every 10 s.
    shared::metrics::flush_every(std::time::Duration::from_secs(10));
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    println!(
        "API listening on http://{addr} (table {}, bus {})",
        settings.table_name, settings.event_bus_name
    );
    if let Some(dev) = dev {
        let token = dev.token(shared::clock::now_secs());
        println!(
            "Live console (subscribe by voiceCallId or vendorCallKey):\n\n  \
             http://{addr}/console#token={token}&recordId=5324881f-1e84-4367-8930-f69a74b30ca6\n"
        );
        println!(
            "Dev keys in {} (org {DEV_ORG}); this token is valid for 23 hours:\n",
            dev.dir.display()
        );
        println!("TOKEN={token}\n");
        println!(
            "curl -i -X POST http://{addr}/telephony/v1/voiceCalls/5324881f-1e84-4367-8930-f69a74b30ca6/realtimeConversationEvents \\\n  \
             -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n  -d '{SEED_EXAMPLE}'\n"
        );
    }
    println!(
        "Admin API: http://{addr}/admin/v1 (Authorization: Bearer <token>; the token is \
         ADMIN_TOKEN, else the file {}/admin-token)",
        dev_dir.display()
    );
    println!("Ctrl-C stops the server.");
    local_server::serve(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
