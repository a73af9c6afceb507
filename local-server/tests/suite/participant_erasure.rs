//! CONTRACT §8: `POST /admin/v1/tenants/{org}/erasures {"participant": …}` erases every
//! conversation of the org the participant appears in (a record's `from`/`to`/`participantKey`,
//! a transcript entry's `participantId`), found through the participant index (never a Scan),
//! leaves held conversations, other participants' and other tenants' calls alone; the job is
//! paged, survives an interruption and is finished by its status route.

use serde_json::{json, Value};
use testkit::fault_proxy::{Fault, FaultProxy};
use testkit::keys::Signer;
use testkit::process::shared_moto;
use testkit::realtime::fresh_key;
use testkit::telephony::{inbound_call, message, messages_path, transfer_call, with_changes};
use testkit::{Fixture, ORG_A, ORG_B};

const PARTICIPANT: &str = "+15550177";

/// `method` on `path` under the admin API's tenant ORG_A.
async fn admin(
    fx: &Fixture,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    fx.admin(method, &format!("/tenants/{ORG_A}{path}"), body)
        .await
}

async fn start(fx: &Fixture) -> Value {
    let (status, body) = admin(
        fx,
        reqwest::Method::POST,
        "/erasures",
        Some(json!({ "participant": PARTICIPANT })),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert!(!body.to_string().contains(PARTICIPANT), "{body}");
    body
}

/// Polls the status route (each call moves the job on) until it is done.
async fn finish(fx: &Fixture, id: &str) -> Value {
    for _ in 0..30 {
        let (status, body) =
            admin(fx, reqwest::Method::GET, &format!("/erasures/{id}"), None).await;
        assert_eq!(status, 200, "{body}");
        if body["status"] == "done" {
            return body;
        }
        assert_eq!(body["status"], "running", "{body}");
    }
    panic!("the erasure did not finish");
}

fn with_number(field: &str, key: &str) -> Value {
    with_changes(&inbound_call(key), json!({ field: PARTICIPANT }))
}

async fn line(fx: &Fixture, signer: Signer, key: &str, id: &str, participant: Option<&str>) {
    let mut body = message(id, 0, 5, "Acme Telecom offer", "END_USER");
    if let Some(p) = participant {
        body["participantId"] = json!(p);
    }
    let answer = fx.post_json_as(signer, &messages_path(key), &body).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
}

async fn answers(fx: &Fixture, signer: Signer, record: &str) -> bool {
    let result = fx.intelligence_results(signer, &[record]).await.remove(0);
    match result["isSuccess"].as_bool() {
        Some(true) => true,
        _ => {
            assert_eq!(result["errors"][0]["statusCode"], "NOT_FOUND", "{result}");
            false
        }
    }
}

#[tokio::test]
async fn every_conversation_of_a_participant_is_erased_and_nothing_else() {
    let fx = Fixture::new().await;
    // Where the participant appears: a record's `from`, a transcript's speaker, a transfer
    // leg's participants; and a held call.
    let a = fresh_key();
    let a_id = fx
        .record_call(Signer::Writer, &with_number("from", &a))
        .await;
    line(&fx, Signer::Writer, &a, "a-1", None).await;
    let b = fresh_key();
    let b_id = fx.record_call(Signer::Writer, &inbound_call(&b)).await;
    line(&fx, Signer::Writer, &b, "b-1", Some(PARTICIPANT)).await;
    let (c, c_leg) = (fresh_key(), fresh_key());
    let c_id = fx.record_call(Signer::Writer, &inbound_call(&c)).await;
    line(&fx, Signer::Writer, &c, "c-1", None).await;
    let mut leg = transfer_call(&c_leg, &c_id);
    leg["participants"] = json!([{"participantKey": PARTICIPANT, "type": "END_USER"}]);
    let c_leg_id = fx.record_call(Signer::Writer, &leg).await;
    let held = fresh_key();
    let held_id = fx
        .record_call(Signer::Writer, &with_number("to", &held))
        .await;
    line(&fx, Signer::Writer, &held, "h-1", None).await;
    let (status, _) = admin(
        &fx,
        reqwest::Method::PUT,
        &format!("/conversations/{held_id}/hold"),
        Some(json!({"hold": true})),
    )
    .await;
    assert_eq!(status, 200);
    // Where it does not: another caller's call, another tenant's call from the same number.
    let d = fresh_key();
    let d_id = fx.record_call(Signer::Writer, &inbound_call(&d)).await;
    line(&fx, Signer::Writer, &d, "d-1", None).await;
    let other = fresh_key();
    fx.record_call(Signer::TenantB, &with_number("from", &other))
        .await;
    line(&fx, Signer::TenantB, &other, "o-1", Some(PARTICIPANT)).await;
    fx.published_events().await;

    let started = start(&fx).await;
    let done = finish(&fx, started["erasureId"].as_str().unwrap()).await;
    assert_eq!(done["conversations"], 3, "{done}");
    assert_eq!(done["held"], 1, "{done}");
    assert!(done["items"].as_u64().unwrap() >= 12, "{done}");

    for record in [&a, &a_id, &b, &b_id, &c, &c_id, &c_leg, &c_leg_id] {
        assert!(
            !answers(&fx, Signer::Reader, record).await,
            "{record} erased"
        );
    }
    for record in [&d, &d_id, &held, &held_id] {
        assert!(answers(&fx, Signer::Reader, record).await, "{record} kept");
    }
    assert!(answers(&fx, Signer::TenantB, &other).await);

    // Of org A, the number is left only in the held call (its record and index entry).
    let items = fx.items().await;
    let naming: Vec<&Value> = items
        .iter()
        .filter(|i| i["pk"].as_str().unwrap_or_default().starts_with(ORG_A))
        .filter(|i| i.to_string().contains(PARTICIPANT))
        .collect();
    assert_eq!(naming.len(), 1, "{naming:#?}");
    assert!(naming[0]["pk"].as_str().unwrap().ends_with(&held_id));
    let hash = shared::erasure::index::participant_hash(PARTICIPANT);
    let entries: Vec<&str> = items
        .iter()
        .filter(|i| i["pk"] == format!("{ORG_A}#PART#{hash}"))
        .map(|i| i["sk"].as_str().unwrap())
        .collect();
    assert_eq!(
        entries,
        [held.as_str()],
        "the index keeps the held call's entry only"
    );
    assert!(
        items
            .iter()
            .any(|i| i["pk"] == format!("{ORG_B}#PART#{hash}")),
        "org B's index is its own"
    );

    // The bus and the audit name the job, never the number.
    let events = fx.published_events().await;
    assert_eq!(
        events
            .iter()
            .filter(|(t, _)| t == "ConversationErased")
            .count(),
        3
    );
    assert!(events
        .iter()
        .all(|(_, d)| !d.to_string().contains(PARTICIPANT)));
    let changes: Vec<String> = events
        .iter()
        .filter(|(t, _)| t == "TenantChanged")
        .map(|(_, d)| d["change"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        changes.contains(&"participantErasureStarted".into()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"participantErasureDone".into()),
        "{changes:?}"
    );

    // Bad requests.
    let (status, body) = admin(
        &fx,
        reqwest::Method::POST,
        "/erasures",
        Some(json!({"participant": " "})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("participant"));
    let (status, _) = admin(&fx, reqwest::Method::GET, "/erasures/0123abc", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_participant_erasure_interrupted_is_resumed_by_its_status_route() {
    let proxy = FaultProxy::start(shared_moto()).await;
    let fx = Fixture::behind(shared_moto(), &proxy.url).await;
    // More conversations than one page of the index.
    let mut keys = Vec::new();
    for i in 0..27 {
        let key = fresh_key();
        fx.record_call(Signer::Writer, &with_number("from", &key))
            .await;
        line(&fx, Signer::Writer, &key, &format!("m-{i}"), None).await;
        keys.push(key);
    }
    proxy.set(Fault::ThrottleBatchWrite);
    let started = start(&fx).await;
    assert_eq!(started["status"], "running", "{started}");
    assert_eq!(started["conversations"], 0, "{started}");
    proxy.set(Fault::None);
    let done = finish(&fx, started["erasureId"].as_str().unwrap()).await;
    assert_eq!(done["conversations"], 27, "{done}");
    for key in &keys {
        assert!(!answers(&fx, Signer::Reader, key).await, "{key}");
    }
}
