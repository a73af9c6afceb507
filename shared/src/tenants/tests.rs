//! The directory and the admin API together, on the memory adapter and a manual clock: what
//! an operator's change does to requests, within the cache's bound and not before.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde_json::{json, Value};

use super::admin::{self, AdminApp, Principal};
use super::memory::MemoryTenants;
use super::{Refusal, Tenants, CACHE_TTL};
use crate::auth::keygen::{generate_rsa_keypair, sign_rs256, RsaKeyPair};
use crate::auth::{AuthError, Permission};
use crate::bus::memory::MemoryBus;
use crate::clock::{now_secs, ManualClock};

const ORG: &str = "00DHs00000Kmpyr";

struct World {
    admin: AdminApp<MemoryTenants, MemoryBus, crate::store::memory::MemoryStore>,
    tenants: Tenants,
    clock: Arc<ManualClock>,
}

fn world() -> World {
    let store = MemoryTenants::default();
    let clock = Arc::new(ManualClock::at(1_800_000_000_000));
    World {
        tenants: Tenants::with_clock(Arc::new(store.clone()), None, clock.clone()),
        admin: AdminApp {
            offboard_settle: crate::tenants::offboard::OFFBOARD_SETTLE,
            store,
            bus: MemoryBus::default(),
            conversations: crate::store::memory::MemoryStore::new(90),
        },
        clock,
    }
}

async fn call(
    world: &World,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let body = body.map_or(Bytes::new(), |b| Bytes::from(b.to_string()));
    let response = admin::handle(
        &world.admin,
        request.body(body).unwrap(),
        Some(Principal("arn:aws:iam::123456789012:user/ops".into())),
    )
    .await;
    let status = response.status();
    let value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (status, value)
}

fn token(pair: &RsaKeyPair, org: &str, subject: &str) -> String {
    let now = now_secs();
    let claims = json!({"iss": org, "sub": subject, "iat": now, "exp": now + 600});
    format!(
        "Bearer {}",
        sign_rs256(&pair.private_pkcs8_pem, &claims).unwrap()
    )
}

async fn verify(world: &World, bearer: &str) -> Result<(), Refusal> {
    world
        .tenants
        .verify(Some(bearer), Permission::EventsWrite, now_secs())
        .await
        .map(|_| ())
}

async fn add_key(world: &World, org: &str, pair: &RsaKeyPair) -> String {
    let (status, answer) = call(
        world,
        Method::POST,
        &format!("/admin/v1/tenants/{org}/keys"),
        Some(json!({"subject": "scv4cc1", "publicKey": pair.public_spki_pem, "permissions": ["events:write"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["keyId"].as_str().unwrap().to_owned()
}

fn refused_alike(result: Result<(), Refusal>) -> String {
    match result {
        Err(Refusal::Auth(e)) => {
            assert!(e.before_verification(), "{e}");
            e.caller_message()
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn rotation_takes_effect_within_the_cache_bound() {
    let w = world();
    let (status, _) = call(
        &w,
        Method::PUT,
        &format!("/admin/v1/tenants/{ORG}"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let old = generate_rsa_keypair();
    let new = generate_rsa_keypair();
    let old_id = add_key(&w, ORG, &old).await;
    verify(&w, &token(&old, ORG, "scv4cc1"))
        .await
        .expect("the old key works");

    // The new key: unknown to the cache until it is read again.
    add_key(&w, ORG, &new).await;
    assert!(verify(&w, &token(&new, ORG, "scv4cc1")).await.is_err());
    w.clock.advance(CACHE_TTL);
    verify(&w, &token(&new, ORG, "scv4cc1"))
        .await
        .expect("new key within the bound");
    verify(&w, &token(&old, ORG, "scv4cc1"))
        .await
        .expect("both valid side by side");

    let (status, _) = call(
        &w,
        Method::DELETE,
        &format!("/admin/v1/tenants/{ORG}/keys/{old_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    w.clock.advance(CACHE_TTL - Duration::from_secs(1));
    verify(&w, &token(&old, ORG, "scv4cc1"))
        .await
        .expect("cached for at most the bound");
    w.clock.advance(Duration::from_secs(1));
    refused_alike(verify(&w, &token(&old, ORG, "scv4cc1")).await);
    verify(&w, &token(&new, ORG, "scv4cc1"))
        .await
        .expect("the new key stays");
    assert!(CACHE_TTL <= Duration::from_secs(60));
}

#[tokio::test]
async fn suspension_and_the_oracle() {
    let w = world();
    let pair = generate_rsa_keypair();
    let stranger = generate_rsa_keypair();
    call(
        &w,
        Method::PUT,
        &format!("/admin/v1/tenants/{ORG}"),
        Some(json!({})),
    )
    .await;
    add_key(&w, ORG, &pair).await;
    verify(&w, &token(&pair, ORG, "scv4cc1")).await.unwrap();

    let bad_signature = refused_alike(verify(&w, &token(&stranger, ORG, "scv4cc1")).await);
    let unknown_subject = refused_alike(verify(&w, &token(&pair, ORG, "someone")).await);
    let unknown_org = refused_alike(verify(&w, &token(&pair, "00DB00000000099", "scv4cc1")).await);
    let not_an_org = refused_alike(verify(&w, &token(&pair, "x", "scv4cc1")).await);

    let (status, _) = call(
        &w,
        Method::PUT,
        &format!("/admin/v1/tenants/{ORG}"),
        Some(json!({"status": "suspended"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    w.clock.advance(CACHE_TTL);
    let suspended = refused_alike(verify(&w, &token(&pair, ORG, "scv4cc1")).await);
    for message in [unknown_subject, unknown_org, not_an_org, suspended] {
        assert_eq!(message, bad_signature);
    }
    call(
        &w,
        Method::PUT,
        &format!("/admin/v1/tenants/{ORG}"),
        Some(json!({"status": "active"})),
    )
    .await;
    w.clock.advance(CACHE_TTL);
    verify(&w, &token(&pair, ORG, "scv4cc1"))
        .await
        .expect("active again");
}

#[tokio::test]
async fn tokens_naming_unknown_orgs_do_not_read_one_each() {
    let w = world();
    let pair = generate_rsa_keypair();
    call(
        &w,
        Method::PUT,
        &format!("/admin/v1/tenants/{ORG}"),
        Some(json!({})),
    )
    .await;
    add_key(&w, ORG, &pair).await;
    let before = w.tenants.reads();
    for i in 0..10_000u32 {
        let org = format!("00D{i:012}");
        let refused = verify(&w, &token_unsigned(&org)).await;
        assert!(matches!(
            refused,
            Err(Refusal::Auth(AuthError::UnknownIssuerOrSubject))
        ));
    }
    let reads = w.tenants.reads() - before;
    // The first miss reads the roster (and that one org); the rest are answered from it.
    assert!(reads <= 2, "{reads} reads for 10,000 unknown orgs");
    assert_eq!(w.tenants.cached(), 1, "unknown orgs take no room");
}

/// A token of any org, signed by nobody registered: it is refused before any signature check.
fn token_unsigned(org: &str) -> String {
    use std::sync::OnceLock;
    static PAIR: OnceLock<RsaKeyPair> = OnceLock::new();
    token(PAIR.get_or_init(generate_rsa_keypair), org, "scv4cc1")
}

#[tokio::test]
async fn the_admin_api_shows_and_logs_no_key_material() {
    let w = world();
    let pair = generate_rsa_keypair();
    call(
        &w,
        Method::PUT,
        &format!("/admin/v1/tenants/{ORG}"),
        Some(json!({"retentionDays": 30})),
    )
    .await;
    let key = add_key(&w, ORG, &pair).await;
    // The same key again names the key already there.
    let (status, again) = call(
        &w,
        Method::POST,
        &format!("/admin/v1/tenants/{ORG}/keys"),
        Some(json!({"subject": "scv4cc1", "publicKey": pair.public_spki_pem, "permissions": ["events:write"]})),
    )
    .await;
    assert_eq!(
        (status, again["keyId"].as_str()),
        (StatusCode::OK, Some(key.as_str()))
    );
    // A private key pasted by mistake: refused, never stored or echoed.
    let (status, refused) = call(
        &w,
        Method::POST,
        &format!("/admin/v1/tenants/{ORG}/keys"),
        Some(json!({"subject": "scv4cc1", "publicKey": pair.private_pkcs8_pem, "permissions": ["events:write"]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused[0]["fields"][0], "publicKey");
    let material = pair.public_spki_pem.lines().nth(1).unwrap().to_owned();
    let secret = pair.private_pkcs8_pem.lines().nth(1).unwrap().to_owned();
    for path in [
        format!("/admin/v1/tenants/{ORG}"),
        format!("/admin/v1/tenants/{ORG}/keys"),
        "/admin/v1/tenants".to_owned(),
    ] {
        let (status, body) = call(&w, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK);
        let text = body.to_string();
        assert!(
            !text.contains(&material) && !text.contains(&secret),
            "{path}: {text}"
        );
        assert!(text.contains(&key), "{path}: {text}");
    }
    let audit = format!("{:?}", w.admin.store.audit());
    assert!(!audit.contains(&material) && !audit.contains(&secret));
    assert_eq!(w.admin.store.audit().len(), 2, "created, keyAdded");
    assert!(w
        .admin
        .store
        .audit()
        .iter()
        .all(|a| a.by.starts_with("arn:aws:iam::")));
    let events = format!("{:?}", w.admin.bus.published());
    assert!(events.contains("TenantChanged") && events.contains("keyAdded"));
    assert!(!events.contains(&material));
    let stored = format!("{:?}", w.admin.store.load_sync(ORG));
    assert!(!stored.contains(&secret), "the private key is not stored");
}

#[tokio::test]
async fn admin_routes_and_paging() {
    let w = world();
    for i in 0..25u32 {
        let (status, _) = call(
            &w,
            Method::PUT,
            &format!("/admin/v1/tenants/00D{i:012}"),
            Some(json!({})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/admin/v1/tenants?limit=10&cursor={c}"),
            None => "/admin/v1/tenants?limit=10".to_owned(),
        };
        let (status, page) = call(&w, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(
            page["tenants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["orgId"].as_str().unwrap().to_owned()),
        );
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert!(seen.windows(2).all(|p| p[0] < p[1]));

    let cases = [
        (
            Method::GET,
            "/admin/v1/tenants?limit=0",
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            "/admin/v1/tenants?limit=1001",
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            "/admin/v1/tenants?cursor=x",
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            "/admin/v1/tenants/short",
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            "/admin/v1/tenants/00DB00000000099",
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            "/admin/v1/tenants/00DB00000000099",
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            "/admin/v1/tenants/00D000000000001/keys/key_x",
            StatusCode::NOT_FOUND,
        ),
        (
            Method::PATCH,
            "/admin/v1/tenants/00D000000000001",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (Method::GET, "/admin/v1/other", StatusCode::NOT_FOUND),
    ];
    for (method, path, expected) in cases {
        let (status, body) = call(&w, method.clone(), path, None).await;
        assert_eq!(status, expected, "{method} {path}: {body}");
        assert!(body[0]["errorCode"].is_string(), "{method} {path}: {body}");
    }
    // No principal: 401 whatever the route.
    let response = admin::handle(
        &w.admin,
        Request::get("/admin/v1/tenants")
            .body(Bytes::new())
            .unwrap(),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn connect_instances_map_to_one_tenant() {
    let w = world();
    let arn =
        "arn:aws:connect:eu-west-1:123456789012:instance/8a3c5f1e-0000-4000-8000-000000000001";
    let (status, _) = call(
        &w,
        Method::PUT,
        &format!("/admin/v1/tenants/{ORG}"),
        Some(json!({"connectInstances": [arn]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = call(
        &w,
        Method::PUT,
        "/admin/v1/tenants/00DB00000000002",
        Some(json!({"connectInstances": [arn]})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let org = w.tenants.connect_tenant(Some(arn)).await.unwrap();
    assert_eq!(org.map(|o| o.as_str().to_owned()).as_deref(), Some(ORG));
    assert_eq!(
        w.tenants
            .connect_tenant(Some(
                "arn:aws:connect:eu-west-1:123456789012:instance/other"
            ))
            .await
            .unwrap(),
        None
    );
    // Unmapped: no default, not configured.
    call(
        &w,
        Method::PUT,
        &format!("/admin/v1/tenants/{ORG}"),
        Some(json!({"connectInstances": []})),
    )
    .await;
    w.clock.advance(CACHE_TTL);
    assert_eq!(w.tenants.connect_tenant(Some(arn)).await.unwrap(), None);
}

#[tokio::test]
async fn a_thousand_tenants_with_three_keys_each() {
    use crate::auth::keygen::{generate_p256_keypair, sign_es256};
    let w = world();
    let mut keys = Vec::new();
    for i in 0..1_000u32 {
        let org = format!("00DT{i:011}");
        let (status, _) = call(
            &w,
            Method::PUT,
            &format!("/admin/v1/tenants/{org}"),
            Some(json!({})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let pairs = [
            generate_p256_keypair(),
            generate_p256_keypair(),
            generate_p256_keypair(),
        ];
        for (n, pair) in pairs.iter().enumerate() {
            let (status, body) = call(
                &w,
                Method::POST,
                &format!("/admin/v1/tenants/{org}/keys"),
                Some(json!({"subject": format!("cc{n}"), "publicKey": pair.public_spki_pem, "permissions": ["events:write"]})),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        keys.push((org, pairs));
    }
    let now = now_secs();
    for (i, (org, pairs)) in keys.iter().enumerate() {
        let n = i % 3;
        let claims = json!({"iss": org, "sub": format!("cc{n}"), "iat": now, "exp": now + 600});
        let bearer = format!("Bearer {}", sign_es256(&pairs[n], &claims).unwrap());
        verify(&w, &bearer)
            .await
            .unwrap_or_else(|e| panic!("{org}: {e}"));
    }
    assert_eq!(w.tenants.cached(), 1_000);
    // One read a tenant, and the roster once.
    assert_eq!(w.tenants.reads(), 1_001);
}
