//! The erasure and hold routes through the admin API's handler on the memory adapters: answers,
//! audit and bus events (the same behaviours on DynamoDB are tested through the local server).

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::bus::memory::MemoryBus;
use crate::model::{ConversationKey, OrgId, SenderType, TranscriptMessage, VendorCallKey};
use crate::store::memory::MemoryStore;
use crate::store::{MessageBatch, TelephonyStore};
use crate::tenants::admin::{self, AdminApp, Principal};
use crate::tenants::memory::MemoryTenants;

const ORG: &str = "00DHs00000Kmpyr";

type App = AdminApp<MemoryTenants, MemoryBus, MemoryStore>;

fn app() -> App {
    AdminApp {
        offboard_settle: std::time::Duration::ZERO,
        store: MemoryTenants::default(),
        bus: MemoryBus::default(),
        conversations: MemoryStore::new(90),
    }
}

async fn transcript(app: &App, key: &str, speaker: &str) {
    transcript_of(app, ORG, key, speaker).await;
}

async fn transcript_of(app: &App, org: &str, key: &str, speaker: &str) {
    let (org, vck) = (OrgId::new(org), VendorCallKey::parse(key).unwrap());
    let conversation = ConversationKey::of_first_leg(&vck);
    let messages = [TranscriptMessage {
        message_id: format!("{key}-1"),
        start_time: 1,
        end_time: 2,
        content: "Hello".into(),
        sender_type: SenderType::EndUser,
        participant_id: speaker.into(),
    }];
    app.conversations
        .put_messages(&[MessageBatch {
            org: &org,
            conversation: &conversation,
            vendor_call_key: &vck,
            provider: None,
            messages: &messages,
            received_at: 1,
        }])
        .await
        .unwrap();
}

async fn call(app: &App, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.map_or(Bytes::new(), |b| Bytes::from(b.to_string()));
    let response = admin::handle(
        app,
        request.body(body).unwrap(),
        Some(Principal("arn:aws:iam::123456789012:user/ops".into())),
    )
    .await;
    let status = response.status();
    (
        status,
        serde_json::from_slice(response.body()).unwrap_or(Value::Null),
    )
}

fn conversation(key: &str) -> String {
    format!("/admin/v1/tenants/{ORG}/conversations/{key}")
}

#[tokio::test]
async fn a_conversation_is_erased_once_audited_and_announced() {
    let app = app();
    transcript(&app, "k-1", "+15550199").await;
    let (status, body) = call(&app, Method::DELETE, &conversation("k-1"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"erased": {"conversations": 1, "items": 1}}));
    let (status, body) = call(&app, Method::DELETE, &conversation("k-1"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body[0]["errorCode"], "NOT_FOUND");
    let audit = app.store.audit();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].change, audit[0].by.as_str()),
        ("conversationErased", "arn:aws:iam::123456789012:user/ops")
    );
    let types: Vec<&str> = app.bus.published().iter().map(|e| e.detail_type).collect();
    assert_eq!(types, ["TenantChanged", "ConversationErased"]);
    let (status, _) = call(&app, Method::GET, &conversation("k-1"), None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_hold_refuses_erasure_until_released() {
    let app = app();
    transcript(&app, "k-2", "+15550199").await;
    let hold_path = format!("{}/hold", conversation("k-2"));
    let hold = |on: bool| call(&app, Method::PUT, &hold_path, Some(json!({ "hold": on })));
    assert_eq!(hold(true).await.0, StatusCode::OK);
    let (status, body) = call(&app, Method::DELETE, &conversation("k-2"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body[0]["errorCode"], "LEGAL_HOLD");
    assert_eq!(hold(false).await.0, StatusCode::OK);
    assert_eq!(
        call(&app, Method::DELETE, &conversation("k-2"), None)
            .await
            .0,
        StatusCode::OK
    );
    let changes: Vec<&str> = app.store.audit().iter().map(|a| a.change).collect();
    assert_eq!(
        changes,
        ["holdPlaced", "holdReleased", "conversationErased"]
    );
    let (status, body) = call(
        &app,
        Method::PUT,
        &format!("{}/hold", conversation("k-2")),
        Some(json!({"hold": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn a_participant_erasure_runs_as_a_job_and_names_no_number() {
    let app = app();
    transcript(&app, "k-3", "+15550177").await;
    transcript(&app, "k-4", "+15550177").await;
    transcript(&app, "k-5", "+15550100").await;
    let path = format!("/admin/v1/tenants/{ORG}/erasures");
    let (status, body) = call(
        &app,
        Method::POST,
        &path,
        Some(json!({"participant": "+15550177"})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "done");
    assert_eq!(body["conversations"], 2);
    let id = body["erasureId"].as_str().unwrap();
    let (status, status_body) = call(&app, Method::GET, &format!("{path}/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(status_body, body);
    assert_eq!(
        call(&app, Method::DELETE, &conversation("k-5"), None)
            .await
            .0,
        StatusCode::OK,
        "another caller's call is kept"
    );
    let everything = format!("{:?}{:?}", app.store.audit(), app.bus.published());
    assert!(!everything.contains("15550177"), "{everything}");
    let (status, _) = call(
        &app,
        Method::POST,
        &path,
        Some(json!({"participant": "+1", "x": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

const OTHER: &str = "00DHs00000Other";

fn tenant_path(org: &str) -> String {
    format!("/admin/v1/tenants/{org}")
}

async fn onboarded(app: &App) {
    for org in [ORG, OTHER] {
        let (status, body) = call(
            app,
            Method::PUT,
            &tenant_path(org),
            Some(json!({"audiences": ["https://example.com"], "retentionDays": 30})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn offboarding_erases_every_conversation_of_the_tenant_and_only_its() {
    let app = app();
    onboarded(&app).await;
    transcript(&app, "k-6", "+15550101").await;
    transcript(&app, "k-7", "+15550102").await;
    transcript_of(&app, OTHER, "k-6", "+15550101").await;
    let (status, body) = call(&app, Method::DELETE, &tenant_path(ORG), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        (
            &body["kind"],
            &body["status"],
            &body["conversations"],
            &body["held"]
        ),
        (&json!("tenant"), &json!("done"), &json!(2), &json!(0))
    );
    let (_, tenant) = call(&app, Method::GET, &tenant_path(ORG), None).await;
    assert_eq!(tenant["status"], "offboarded");
    assert_eq!(tenant["erasureId"], body["erasureId"]);
    assert_eq!(tenant["audiences"], json!([]));
    assert!(tenant.get("retentionDays").is_none(), "{tenant}");
    for key in ["k-6", "k-7"] {
        let (status, _) = call(&app, Method::DELETE, &conversation(key), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{key} is gone");
    }
    let other = format!("/admin/v1/tenants/{OTHER}/conversations/k-6");
    assert_eq!(
        call(&app, Method::DELETE, &other, None).await.0,
        StatusCode::OK
    );
    let changes: Vec<&str> = app
        .store
        .audit()
        .iter()
        .filter(|a| a.org_id == ORG)
        .map(|a| a.change)
        .collect();
    assert_eq!(
        changes,
        [
            "created",
            "offboardingStarted",
            "conversationErased",
            "conversationErased",
            "offboarded"
        ]
    );
    // The org id onboards afresh.
    let (status, again) = call(&app, Method::PUT, &tenant_path(ORG), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["status"], "active");
    assert!(again.get("erasureId").is_none(), "{again}");
}

#[tokio::test]
async fn offboarding_leaves_held_conversations_until_released_and_deleted_again() {
    let app = app();
    onboarded(&app).await;
    transcript(&app, "k-8", "+15550101").await;
    transcript(&app, "k-9", "+15550101").await;
    let hold_path = format!("{}/hold", conversation("k-9"));
    let hold = |on: bool| call(&app, Method::PUT, &hold_path, Some(json!({ "hold": on })));
    assert_eq!(hold(true).await.0, StatusCode::OK);
    let (_, body) = call(&app, Method::DELETE, &tenant_path(ORG), None).await;
    assert_eq!(
        (&body["conversations"], &body["held"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(hold(false).await.0, StatusCode::OK);
    let (status, second) = call(&app, Method::DELETE, &tenant_path(ORG), None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_ne!(second["erasureId"], body["erasureId"], "a new job");
    assert_eq!(
        (&second["conversations"], &second["held"]),
        (&json!(1), &json!(0))
    );
}

#[tokio::test]
async fn offboarding_removes_the_keys_at_once_and_erases_after_the_settle_time() {
    let mut app = app();
    app.offboard_settle = crate::tenants::offboard::OFFBOARD_SETTLE;
    onboarded(&app).await;
    transcript(&app, "k-10", "+15550101").await;
    let (status, body) = call(&app, Method::DELETE, &tenant_path(ORG), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        (&body["status"], &body["conversations"]),
        (&json!("running"), &json!(0))
    );
    let (_, tenant) = call(&app, Method::GET, &tenant_path(ORG), None).await;
    assert_eq!(tenant["status"], "offboarding");
    assert_eq!(tenant["keys"], json!([]));
    // Nothing else changes the tenant meanwhile; the same DELETE names the same job.
    let (status, refused) = call(&app, Method::PUT, &tenant_path(ORG), Some(json!({}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused[0]["errorCode"], "TENANT_OFFBOARDING");
    let (_, again) = call(&app, Method::DELETE, &tenant_path(ORG), None).await;
    assert_eq!(again["erasureId"], body["erasureId"]);
    // The job itself, on a clock past its notBefore.
    let org = OrgId::new(ORG);
    let id = body["erasureId"].as_str().unwrap();
    let job = crate::erasure::jobs::ErasureJobs::job(&app.conversations, &org, id)
        .await
        .unwrap()
        .unwrap();
    let not_before = job.not_before;
    let mut erased = Vec::new();
    let job = crate::erasure::jobs::advance(
        &app.conversations,
        job,
        crate::erasure::jobs::SLICE,
        not_before - 1,
        |c| {
            erased.push(c);
            async { Ok(crate::erasure::jobs::Step::Erased(1)) }
        },
    )
    .await
    .unwrap();
    assert!(erased.is_empty() && !job.is_done());
    let job = crate::erasure::jobs::advance(
        &app.conversations,
        job,
        crate::erasure::jobs::SLICE,
        not_before,
        |c| {
            erased.push(c);
            async { Ok(crate::erasure::jobs::Step::Erased(1)) }
        },
    )
    .await
    .unwrap();
    assert!(job.is_done());
    assert_eq!(erased.len(), 1, "{erased:?}");
}
