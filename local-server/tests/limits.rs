//! Request limits per tenant (CONTRACT §9) through the local server on moto: a tenant over its
//! limit is refused (`429` on the telephony routes, `403` on the action) with `Retry-After` and
//! `REQUEST_LIMIT_EXCEEDED` while another is not; refused requests store nothing and leave their
//! `jti` unused; instances sharing one table hold one limit together; what enforcing it costs in
//! DynamoDB requests, counted through the fault proxy.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use shared::limits::dynamo::{limit_pk, DynamoBuckets, LIMIT_ITEM};
use shared::limits::Limiter;
use shared::model::OrgId;
use shared::tenants::record::Limits;
use shared::tenants::{Tenant, TenantRecord};
use testkit::fault_proxy::FaultProxy;
use testkit::fixture::ADMIN_TOKEN;
use testkit::keys::Signer;
use testkit::process::shared_moto;
use testkit::realtime::{fresh_key, seed_categories};
use testkit::{Fixture, ORG_A, ORG_B};

const ACTION: &str = "/services/data/v65.0/actions/standard/getConversationIntelligence";

async fn set_limits(fx: &Fixture, org: &str, limits: Value) {
    let answer = fx
        .send(
            fx.http
                .put(format!("{}/admin/v1/tenants/{org}", fx.base_url))
                .bearer_auth(ADMIN_TOKEN)
                .json(&json!({ "limits": limits })),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// `(status, Retry-After, errorCode)` of an answer.
type Outcome = (u16, Option<u64>, String);

/// The outcome of a real-time post to `key`.
async fn post(fx: &Fixture, signer: Signer, key: &str) -> Outcome {
    let answer = fx
        .post_events(key, &seed_categories(), &fx.keys.token(signer))
        .await;
    let retry = answer
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let code = if answer.status >= 400 {
        answer.error_code()
    } else {
        String::new()
    };
    (answer.status, retry, code)
}

#[tokio::test]
async fn a_tenant_over_its_limit_is_refused_and_another_at_the_same_moment_is_not() {
    let fx = Fixture::new().await;
    set_limits(&fx, ORG_A, json!({"requestsPerSecond": 2, "burst": 5})).await;
    let keys: Vec<String> = (0..20).map(|_| fresh_key()).collect();
    let start = Instant::now();
    // Org A and org B (no limits) at once, 20 requests each.
    let answers: Vec<(Signer, String, Outcome)> = stream::iter(
        keys.iter()
            .flat_map(|k| [(Signer::Writer, k), (Signer::TenantB, k)]),
    )
    .map(|(signer, key)| {
        let fx = &fx;
        async move { (signer, key.clone(), post(fx, signer, key).await) }
    })
    .buffer_unordered(8)
    .collect()
    .await;
    let secs = start.elapsed().as_secs_f64();
    let (a, b): (Vec<_>, Vec<_>) = answers
        .into_iter()
        .partition(|(s, _, _)| matches!(s, Signer::Writer));
    assert!(
        b.iter().all(|(_, _, (status, _, _))| *status == 202),
        "org B: {b:?}"
    );
    let accepted: Vec<&String> = a
        .iter()
        .filter(|(_, _, (s, _, _))| *s == 202)
        .map(|(_, k, _)| k)
        .collect();
    let refused: Vec<_> = a.iter().filter(|(_, _, (s, _, _))| *s != 202).collect();
    // Five at once, plus at most what two a second add while the requests ran.
    let most = 5.0 + 2.0 * secs.ceil();
    assert!(
        accepted.len() >= 5 && accepted.len() as f64 <= most,
        "accepted {} in {secs:.1} s: {a:?}",
        accepted.len()
    );
    for (_, key, (status, retry, code)) in &refused {
        assert_eq!(*status, 429, "{key}");
        assert_eq!(code, "REQUEST_LIMIT_EXCEEDED");
        assert!(
            retry.is_some_and(|r| (1..=2).contains(&r)),
            "Retry-After {retry:?}"
        );
        // Refused before any work: nothing of the conversation stored.
        assert!(fx.conversation_raw(ORG_A, key).await.is_empty(), "{key}");
    }
    // In the whole table: org A's accepted, org B's, and A's one bucket; no token ids of
    // refused requests (the writer's tokens carry a jti).
    let client = aws_sdk_dynamodb::Client::new(&fx.sdk);
    let items: Vec<_> = client
        .scan()
        .table_name(&fx.settings.table_name)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    let pks: Vec<String> = items
        .into_iter()
        .map(|i| i.unwrap()["pk"].as_s().unwrap().clone())
        .collect();
    let jti_items = pks
        .iter()
        .filter(|pk| pk.starts_with(&format!("{ORG_A}#JTI#")))
        .count();
    assert_eq!(
        jti_items,
        accepted.len(),
        "token ids of org A's accepted requests only"
    );
    for (_, key, _) in &refused {
        assert!(
            !pks.iter()
                .any(|pk| pk.starts_with(ORG_A) && pk.contains(key.as_str())),
            "{key} stored"
        );
    }
    assert!(fx
        .item(&limit_pk(&OrgId::new(ORG_A)), LIMIT_ITEM)
        .await
        .is_some());
    assert!(fx
        .item(&limit_pk(&OrgId::new(ORG_B)), LIMIT_ITEM)
        .await
        .is_none());
}

#[tokio::test]
async fn a_refused_requests_token_is_not_used_up_and_the_action_answers_403() {
    let fx = Fixture::new().await;
    set_limits(&fx, ORG_A, json!({"requestsPerSecond": 0.4, "burst": 1})).await;
    assert_eq!(post(&fx, Signer::Writer, &fresh_key()).await.0, 202);
    // The same token (one jti) refused for the limit, then accepted once there is room.
    let token = fx.keys.token(Signer::Writer);
    let key = fresh_key();
    let first = fx.post_events(&key, &seed_categories(), &token).await;
    assert_eq!(first.status, 429, "{}", first.body);
    let wait: u64 = first.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // The action shares the tenant's budget (telephony and action requests together) and
    // answers as Salesforce does.
    let action = fx
        .send(
            fx.http
                .get(format!("{}{ACTION}", fx.base_url))
                .bearer_auth(fx.keys.token(Signer::Reader)),
        )
        .await;
    assert_eq!(action.status, 403, "{}", action.body);
    assert_eq!(action.error_code(), "REQUEST_LIMIT_EXCEEDED");
    assert!(action.headers.contains_key("retry-after"));
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(100)).await;
    let again = fx.post_events(&key, &seed_categories(), &token).await;
    assert_eq!(again.status, 202, "the jti was not used up: {}", again.body);
    assert_eq!(fx.conversation_items(ORG_A, &key).await.len(), 2);
    // And now it is used.
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let replay = fx.post_events(&key, &seed_categories(), &token).await;
    assert_eq!(replay.status, 401, "{}", replay.body);
}

fn limited(org: &str, limits: Limits) -> Tenant {
    let mut record = TenantRecord::new(org, "2026-12-03T00:00:00Z");
    record.limits = Some(limits);
    Tenant::compile(&record)
}

async fn table() -> (aws_sdk_dynamodb::Client, String) {
    let client = aws_sdk_dynamodb::Client::new(&testkit::fixture::sdk_config(shared_moto()).await);
    let table = format!("limits-{}", uuid::Uuid::new_v4().simple());
    shared::provision::ensure_table(&client, &table)
        .await
        .unwrap();
    (client, table)
}

#[tokio::test]
async fn four_instances_sharing_one_table_hold_one_limit_together() {
    let (client, table) = table().await;
    let (rate, burst) = (40.0, 20u32);
    let tenant = Arc::new(limited(
        ORG_A,
        Limits {
            requests_per_second: rate,
            burst,
        },
    ));
    // Four instances, each with its own leases and its own client, as four functions have.
    let instances: Vec<Limiter> = (0..4)
        .map(|_| Limiter::new(Arc::new(DynamoBuckets::new(client.clone(), &table)), None))
        .collect();
    let start = Instant::now();
    let run = Duration::from_secs(4);
    let counts = futures::future::join_all(instances.iter().map(|limiter| {
        let tenant = tenant.clone();
        async move {
            let (mut admitted, mut refused) = (0u64, 0u64);
            while start.elapsed() < run {
                match limiter.admit(&tenant.org, tenant.limits).await {
                    Ok(()) => admitted += 1,
                    Err(_) => refused += 1,
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            (admitted, refused)
        }
    }))
    .await;
    let secs = start.elapsed().as_secs_f64();
    let admitted: u64 = counts.iter().map(|c| c.0).sum();
    let refused: u64 = counts.iter().map(|c| c.1).sum();
    let allowed = rate * secs + f64::from(burst);
    println!(
        "4 instances, {secs:.2} s: {admitted} admitted ({:.2} of the limit's {allowed:.0}), \
         {refused} refused, {} UpdateItem",
        admitted as f64 / allowed,
        instances.iter().map(Limiter::store_requests).sum::<u64>()
    );
    assert!(refused > 0, "the instances asked for more than the limit");
    assert!(
        admitted as f64 <= allowed * 1.1,
        "{admitted} > {allowed} + 10 %"
    );
    assert!(
        admitted as f64 >= allowed * 0.7,
        "{admitted}: far under {allowed}"
    );
}

#[tokio::test]
async fn limits_cost_at_most_a_tenth_of_a_dynamodb_request_per_accepted_request() {
    // An instance serving one tenant 40 requests a second (well under its limit) for 5 s, every
    // DynamoDB request counted at the proxy in front of moto.
    let proxy = FaultProxy::start(shared_moto()).await;
    let (_, table) = table().await;
    let client = aws_sdk_dynamodb::Client::new(&testkit::fixture::sdk_config(&proxy.url).await);
    let limiter = Limiter::new(Arc::new(DynamoBuckets::new(client, &table)), None);
    let tenant = limited(
        ORG_A,
        Limits {
            requests_per_second: 400.0,
            burst: 400,
        },
    );
    proxy.take_requests();
    let mut tick = tokio::time::interval(Duration::from_millis(25));
    let n = 200;
    for _ in 0..n {
        tick.tick().await;
        limiter
            .admit(&tenant.org, tenant.limits)
            .await
            .expect("under the limit");
    }
    let requests = proxy.take_requests();
    assert!(
        requests.iter().all(|t| t.ends_with("UpdateItem")),
        "{requests:?}"
    );
    let extra = requests.len() as f64 / n as f64;
    println!(
        "{n} accepted requests at 40/s: {} DynamoDB requests, {extra:.3} per accepted request",
        requests.len()
    );
    assert!(extra <= 0.1, "{extra}");
}

#[tokio::test]
async fn a_contact_flow_over_its_tenants_limit_gets_request_limit_exceeded() {
    let fx = Fixture::new().await;
    // The fixture's contact flows act for org A (CONNECT_TENANT).
    set_limits(&fx, ORG_A, json!({"requestsPerSecond": 0.4, "burst": 1})).await;
    let event = testkit::events::load_with("contact-flow-ingest-category", &[]);
    let flow = shared::contact_flow::ContactFlow::read(&event);
    let now = shared::clock::now_millis();
    let first = shared::telephony::contact_flow::handle(&fx.app.telephony, &flow, now)
        .await
        .unwrap();
    assert_ne!(
        first.get("status").map(String::as_str),
        Some("error"),
        "{first:?}"
    );
    let second = shared::telephony::contact_flow::handle(&fx.app.telephony, &flow, now)
        .await
        .unwrap();
    assert_eq!(second["status"], "error", "{second:?}");
    assert_eq!(second["errorCode"], "REQUEST_LIMIT_EXCEEDED", "{second:?}");
    assert!(second.contains_key("retryAfter"), "{second:?}");
    // The action's flow shares the budget.
    let read = testkit::events::load_with("contact-flow-intelligence", &[]);
    let answer = shared::actions::contact_flow::handle(
        &fx.app.actions,
        &shared::contact_flow::ContactFlow::read(&read),
    )
    .await
    .unwrap();
    assert_eq!(answer["errorCode"], "REQUEST_LIMIT_EXCEEDED", "{answer:?}");
}
