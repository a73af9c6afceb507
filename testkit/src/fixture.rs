//! One test's world: its own table, bus and capture queue on a real moto server, the app built
//! from them exactly as in production, served by the local server on a free port.

use std::sync::Arc;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use std::time::Duration;

use local_server::live::{publishing_live, LocalLive};
use local_server::{Admin, Services};
use serde_json::Value;
use shared::app::{AwsActionsApp, AwsApp, AwsLiveApp, Settings, DEFAULT_EVENT_SOURCE};
use shared::auth::KeyRegistry;
use shared::bus::eventbridge::EventBridgeBus;
use shared::store::items::SignalItem;
use shared::tenants::admin::AdminApp;
use shared::tenants::dynamo::DynamoTenants;
use shared::tenants::{import, Tenants};

use crate::keys::TestKeys;
use crate::process::shared_moto;

/// SDK configuration pointing every client at `endpoint` with dummy credentials.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "testing", "testing", None, None, "testkit",
        ))
        .load()
        .await
}

/// An HTTP answer: status, headers and body text.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {}", self.body))
    }

    /// Every `fields` entry of a Salesforce error body.
    pub fn error_fields(&self) -> Vec<String> {
        let body = self.json();
        let errors = body
            .as_array()
            .unwrap_or_else(|| panic!("error body is not an array: {}", self.body));
        errors
            .iter()
            .flat_map(|e| e["fields"].as_array().cloned().unwrap_or_default())
            .map(|f| f.as_str().expect("field names are strings").to_owned())
            .collect()
    }

    pub fn error_code(&self) -> String {
        self.json()[0]["errorCode"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

pub struct Fixture {
    pub endpoint: String,
    pub sdk: SdkConfig,
    pub settings: Settings,
    pub app: Arc<
        Services<
            shared::store::dynamo::DynamoStore,
            local_server::live::LivePublisher<shared::bus::eventbridge::EventBridgeBus>,
            shared::store::dynamo::DynamoStore,
        >,
    >,
    pub base_url: String,
    pub http: reqwest::Client,
    pub keys: &'static TestKeys,
    /// The tenants table, holding the test registry's tenants (imported as `make run` does).
    pub tenants_table: String,
    queue_url: String,
}

/// The admin token of every fixture's local admin API.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";

impl Fixture {
    /// A fixture on the moto server shared by this test process.
    pub async fn new() -> Self {
        Self::on(shared_moto()).await
    }

    /// A fixture on the emulator at `endpoint`.
    pub async fn on(endpoint: &str) -> Self {
        Self::behind(endpoint, endpoint).await
    }

    /// A fixture whose app reaches the emulator at `endpoint` through `app_endpoint` (a
    /// [`crate::fault_proxy::FaultProxy`]), while the test's own checks go to `endpoint` directly.
    pub async fn behind(endpoint: &str, app_endpoint: &str) -> Self {
        Self::build(
            endpoint,
            app_endpoint,
            Duration::from_secs(shared::live::IDLE_SECS),
        )
        .await
    }

    /// A fixture on the shared moto server whose live channel closes connections that have not
    /// subscribed within `idle` (30 s otherwise).
    pub async fn with_live_idle(idle: Duration) -> Self {
        let endpoint = shared_moto();
        Self::build(endpoint, endpoint, idle).await
    }

    async fn build(endpoint: &str, app_endpoint: &str, idle: Duration) -> Self {
        let sdk = sdk_config(endpoint).await;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let settings = Settings {
            table_name: format!("t-{id}"),
            event_bus_name: format!("b-{id}"),
            event_source: DEFAULT_EVENT_SOURCE.to_owned(),
            retention_days: 90,
        };
        shared::provision::ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &settings.table_name)
            .await
            .expect("table created");
        shared::provision::ensure_bus(
            &aws_sdk_eventbridge::Client::new(&sdk),
            &settings.event_bus_name,
        )
        .await
        .expect("bus created");
        let queue_url = capture_queue(&sdk, &settings.event_bus_name, &id).await;
        let keys = TestKeys::get();
        let tenants_table = format!("tn-{id}");
        shared::provision::ensure_tenants_table(
            &aws_sdk_dynamodb::Client::new(&sdk),
            &tenants_table,
        )
        .await
        .expect("tenants table created");
        let registry = KeyRegistry::from_json(keys.registry()).expect("test registry loads");
        let records = import::records(
            &registry,
            crate::keys::CATEGORIES,
            None,
            "2026-12-03T00:00:00.000Z",
        )
        .expect("test tenants import");
        let app_sdk = sdk_config(app_endpoint).await;
        let tenant_store =
            DynamoTenants::new(aws_sdk_dynamodb::Client::new(&app_sdk), &tenants_table);
        import::into_store(
            &DynamoTenants::new(aws_sdk_dynamodb::Client::new(&sdk), &tenants_table),
            records,
            "testkit",
        )
        .await
        .expect("test tenants stored");
        // Request limits as the functions hold them: buckets in the conversation table; no stack
        // default, so only tenants given limits are limited.
        let limiter = || {
            shared::limits::Limiter::new(
                Arc::new(shared::limits::dynamo::DynamoBuckets::new(
                    aws_sdk_dynamodb::Client::new(&app_sdk),
                    &settings.table_name,
                )),
                None,
            )
        };
        let tenants = || {
            Tenants::new(
                Arc::new(tenant_store.clone()),
                Some(shared::model::OrgId::new(crate::keys::ORG_A)),
            )
            .limited_by(limiter())
        };
        let live = LocalLive::start(
            AwsLiveApp::new(&app_sdk, &settings.table_name, tenants()),
            idle,
        );
        let admin = Admin {
            app: AdminApp {
                offboard_settle: std::time::Duration::ZERO,
                store: tenant_store.clone(),
                bus: local_server::live::LivePublisher {
                    bus: EventBridgeBus::new(
                        aws_sdk_eventbridge::Client::new(&app_sdk),
                        &settings.event_bus_name,
                        &settings.event_source,
                    ),
                    live: live.clone(),
                },
                conversations: shared::store::dynamo::DynamoStore::new(
                    aws_sdk_dynamodb::Client::new(&app_sdk),
                    &settings.table_name,
                    settings.retention_days,
                ),
            },
            token: ADMIN_TOKEN.to_owned(),
        };
        let app = Arc::new(Services {
            telephony: publishing_live(AwsApp::new(&app_sdk, &settings, tenants()), live.clone()),
            actions: AwsActionsApp::new(&app_sdk, &settings.table_name, tenants()),
            live,
            admin: Some(admin),
        });
        let addr = local_server::spawn(app.clone(), 0)
            .await
            .expect("local server starts");
        Self {
            endpoint: endpoint.to_owned(),
            sdk,
            settings,
            app,
            base_url: format!("http://{addr}"),
            http: reqwest::Client::new(),
            keys,
            tenants_table,
            queue_url,
        }
    }

    /// Analyses ended conversations from now on, as the analysis function does in AWS: follows
    /// the table's stream in the background (until the test's runtime ends) with the same
    /// handler. Opt-in: every fixture polling moto would slow the whole suite.
    pub async fn analyse_in_background(&self) {
        let analyser =
            shared::analysis::AwsAnalyser::new(&self.sdk, &self.settings, self.tenants());
        shared::analysis::stream::spawn(&self.sdk, &self.settings.table_name, Arc::new(analyser))
            .await
            .expect("the table has a stream");
    }

    /// A tenant directory of this fixture's tenants table (its own cache), with the test
    /// registry's first org as the contact flows' default.
    pub fn tenants(&self) -> Tenants {
        Tenants::new(
            Arc::new(DynamoTenants::new(
                aws_sdk_dynamodb::Client::new(&self.sdk),
                &self.tenants_table,
            )),
            Some(shared::model::OrgId::new(crate::keys::ORG_A)),
        )
    }

    /// The environment a function binary needs to serve this fixture's tables and bus: tenants
    /// come from the tenants table, as in AWS, not from the environment.
    pub fn function_env(&self) -> Vec<(String, String)> {
        [
            ("TABLE_NAME", self.settings.table_name.as_str()),
            ("EVENT_BUS_NAME", self.settings.event_bus_name.as_str()),
            ("TENANTS_TABLE", self.tenants_table.as_str()),
            ("CONNECT_TENANT", crate::keys::ORG_A),
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("RUST_LOG", "info"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// POSTs `body` to `path` on the local server.
    pub async fn post(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<String>,
        token: Option<&str>,
    ) -> Answer {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .body(body.into());
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request).await
    }

    /// `method` on the admin API's `path` (under `/admin/v1`) with the dev admin token and an
    /// optional JSON body: the status and the body as JSON (`null` if it is not JSON).
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}/admin/v1{path}", self.base_url))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = self.send(request).await;
        (
            answer.status,
            serde_json::from_str(&answer.body).unwrap_or(Value::Null),
        )
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the local server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.expect("a text body");
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Every data item of one conversation partition (all item types but the head and the
    /// analysis record, see [`is_bookkeeping`]), read with a paginated Query.
    pub async fn conversation_raw(&self, org: &str, conversation: &str) -> Vec<Value> {
        let mut items = self.query(org, conversation, None).await;
        items.retain(|i| !is_bookkeeping(i));
        items
    }

    /// The real-time signals of one conversation, in key (time) order.
    pub async fn conversation_items(&self, org: &str, conversation: &str) -> Vec<SignalItem> {
        let signals: Vec<Value> = self
            .conversation_raw(org, conversation)
            .await
            .into_iter()
            .filter(|i| i["itemType"] == "SIGNAL")
            .collect();
        serde_json::from_value(Value::Array(signals)).expect("signal items")
    }

    /// One conversation's transcript, read as the service reads it: one paginated Query on the
    /// `byTime` index.
    pub async fn transcript(&self, org: &str, conversation: &str) -> Vec<Value> {
        self.query(org, conversation, Some(shared::store::items::TIME_INDEX))
            .await
    }

    async fn query(&self, org: &str, conversation: &str, index: Option<&str>) -> Vec<Value> {
        let client = aws_sdk_dynamodb::Client::new(&self.sdk);
        let items: Vec<_> = client
            .query()
            .table_name(&self.settings.table_name)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(format!("{org}#CONV#{conversation}")),
            )
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("query succeeds");
        items.into_iter().map(json_of).collect()
    }

    /// One item by its keys, as JSON.
    pub async fn item(&self, pk: &str, sk: &str) -> Option<Value> {
        let client = aws_sdk_dynamodb::Client::new(&self.sdk);
        let output = client
            .get_item()
            .table_name(&self.settings.table_name)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .key("sk", AttributeValue::S(sk.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("get item");
        output.item.map(json_of)
    }

    /// How many items the whole table holds (a test-only Scan).
    pub async fn item_count(&self) -> usize {
        self.items().await.len()
    }

    /// Every item of the table (a Scan, all pages), each as plain JSON ([`json_of`]).
    pub async fn items(&self) -> Vec<Value> {
        let client = aws_sdk_dynamodb::Client::new(&self.sdk);
        let items: Vec<_> = client
            .scan()
            .table_name(&self.settings.table_name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("scan succeeds");
        items.into_iter().map(json_of).collect()
    }

    /// The `detail` of every real-time signal (`IntelligenceSignal`) published on the bus since
    /// the last drain, oldest first; events of other types are drained too.
    pub async fn published(&self) -> Vec<Value> {
        let mut out: Vec<Value> = self
            .published_events()
            .await
            .into_iter()
            .filter(|(detail_type, _)| detail_type == shared::bus::SIGNAL_DETAIL_TYPE)
            .map(|(_, detail)| detail)
            .collect();
        out.sort_by_key(|d| d["startTime"].as_u64());
        out
    }

    /// Every event published on the bus since the last drain, as (`detail-type`, `detail`), in
    /// the order the capture queue gives them.
    pub async fn published_events(&self) -> Vec<(String, Value)> {
        let client = aws_sdk_sqs::Client::new(&self.sdk);
        let mut out = Vec::new();
        loop {
            let received = client
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive from the capture queue");
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for message in messages {
                let envelope: Value =
                    serde_json::from_str(message.body().unwrap_or("{}")).expect("event JSON");
                assert_eq!(envelope["source"], DEFAULT_EVENT_SOURCE);
                let detail_type = envelope["detail-type"].as_str().unwrap_or_default();
                assert!(
                    shared::bus::DETAIL_TYPES.contains(&detail_type)
                        || detail_type == shared::bus::TENANT_CHANGED_DETAIL_TYPE,
                    "unknown detail-type {detail_type}"
                );
                out.push((detail_type.to_owned(), envelope["detail"].clone()));
                if let Some(handle) = message.receipt_handle() {
                    client
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("delete");
                }
            }
        }
        out
    }
}

/// The items post-call analysis keeps in a conversation partition beside its data: the `HEAD`
/// and the analysis record (`shared::store::analysis`), and the participant index entries that
/// erasure keeps (`shared::erasure::index`). Read by the analysis and erasure tests themselves.
pub fn is_bookkeeping(item: &Value) -> bool {
    use shared::store::analysis::{ANALYSIS_ITEM, ANALYSIS_PART_ITEM, HEAD_ITEM};
    [
        HEAD_ITEM,
        ANALYSIS_ITEM,
        ANALYSIS_PART_ITEM,
        shared::erasure::index::PARTICIPANT_ITEM,
    ]
    .contains(&item["itemType"].as_str().unwrap_or_default())
}

/// An item as JSON. Binary attributes (a stored analysis's compressed outputs) have no JSON
/// form: they read as `"<N bytes>"`.
pub fn json_of(mut item: std::collections::HashMap<String, AttributeValue>) -> Value {
    for value in item.values_mut() {
        if let AttributeValue::B(bytes) = value {
            *value = AttributeValue::S(format!("<{} bytes>", bytes.as_ref().len()));
        }
    }
    serde_dynamo::aws_sdk_dynamodb_1::from_item(item).expect("item read as JSON")
}

/// An SQS queue receiving everything published on `bus`, as an administrator's rule would.
async fn capture_queue(sdk: &SdkConfig, bus: &str, id: &str) -> String {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("q-{id}"))
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("url");
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes");
    let arn = attrs
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("queue arn");
    let events = aws_sdk_eventbridge::Client::new(sdk);
    events
        .put_rule()
        .name(format!("r-{id}"))
        .event_bus_name(bus)
        .event_pattern(format!(r#"{{"source":["{DEFAULT_EVENT_SOURCE}"]}}"#))
        .send()
        .await
        .expect("rule");
    events
        .put_targets()
        .rule(format!("r-{id}"))
        .event_bus_name(bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("capture")
                .arn(arn)
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("targets");
    queue_url
}

impl Fixture {
    /// Sends what an API Gateway event asks for to the local server.
    pub async fn replay(&self, call: &crate::events::HttpCall) -> Answer {
        let method = reqwest::Method::from_bytes(call.method.as_bytes()).expect("method");
        let mut request = self
            .http
            .request(method, format!("{}{}", self.base_url, call.path))
            .body(call.body.clone());
        for (name, value) in &call.headers {
            request = request.header(name, value);
        }
        self.send(request).await
    }
}
