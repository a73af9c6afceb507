//! CONTRACT §7–8: `DELETE /admin/v1/tenants/{org}` offboards a tenant against moto: its keys and
//! settings removed at once, every conversation of the org (records, transcripts, transfer legs,
//! the participant index) erased through the `byTenant` index by a job the status route moves
//! on, the tenant `offboarded`; another tenant's calls untouched. (The fixture's admin app starts
//! the job at once; the minute's wait of a deployed stack is tested on the memory adapters.)

use serde_json::{json, Value};
use testkit::keys::Signer;
use testkit::realtime::fresh_key;
use testkit::telephony::{inbound_call, message, messages_path, transfer_call};
use testkit::{Fixture, ORG_A};

/// `method` on `path` under the admin API's tenant ORG_A.
async fn admin(fx: &Fixture, method: reqwest::Method, path: &str) -> (u16, Value) {
    fx.admin(method, &format!("/tenants/{ORG_A}{path}"), None)
        .await
}

async fn line(fx: &Fixture, signer: Signer, key: &str, id: &str, content: &str) {
    let body = message(id, 0, 5, content, "END_USER");
    let answer = fx.post_json_as(signer, &messages_path(key), &body).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
}

#[tokio::test]
async fn offboarding_erases_all_of_the_tenants_data_and_nothing_of_another() {
    let fx = Fixture::new().await;
    let a = fresh_key();
    fx.record_call(Signer::Writer, &inbound_call(&a)).await;
    line(&fx, Signer::Writer, &a, "a-1", "Offboard me alpha").await;
    let (c, c_leg) = (fresh_key(), fresh_key());
    let c_id = fx.record_call(Signer::Writer, &inbound_call(&c)).await;
    line(&fx, Signer::Writer, &c, "c-1", "Offboard me bravo").await;
    fx.record_call(Signer::Writer, &transfer_call(&c_leg, &c_id))
        .await;
    line(&fx, Signer::Writer, &c_leg, "c-2", "Offboard me charlie").await;
    let other = fresh_key();
    fx.record_call(Signer::TenantB, &inbound_call(&other)).await;
    line(&fx, Signer::TenantB, &other, "o-1", "Offboard me not").await;

    let (status, started) = admin(&fx, reqwest::Method::DELETE, "").await;
    assert_eq!(status, 202, "{started}");
    let id = started["erasureId"]
        .as_str()
        .expect("an erasure id")
        .to_owned();
    let mut done = started;
    for _ in 0..30 {
        if done["status"] == "done" {
            break;
        }
        let (status, body) = admin(&fx, reqwest::Method::GET, &format!("/erasures/{id}")).await;
        assert_eq!(status, 200, "{body}");
        done = body;
    }
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(
        (&done["kind"], &done["conversations"], &done["held"]),
        (&json!("tenant"), &json!(2), &json!(0)),
        "{done}"
    );

    let (_, tenant) = admin(&fx, reqwest::Method::GET, "").await;
    assert_eq!(tenant["status"], "offboarded", "{tenant}");
    assert_eq!(tenant["keys"], json!([]), "{tenant}");
    let (_, keys) = admin(&fx, reqwest::Method::GET, "/keys").await;
    assert_eq!(keys["keys"], json!([]), "{keys}");

    // What is left of org A: tombstones, the job, token ids and the limit's bucket — no
    // conversation item, no record, no index entry, no content.
    let items = fx.items().await;
    let left: Vec<&Value> = items
        .iter()
        .filter(|i| i["pk"].as_str().unwrap_or_default().starts_with(ORG_A))
        .collect();
    for item in &left {
        let (pk, sk) = (item["pk"].as_str().unwrap(), item["sk"].as_str().unwrap());
        let allowed =
            (sk == "HEAD" && item.get("erasedAt").is_some() && item.get("tenantIndex").is_none())
                || pk.contains("#ERASURE#")
                || pk.contains("#JTI#")
                || pk.ends_with("#LIMIT");
        assert!(allowed, "left of the offboarded tenant: {item}");
        assert!(!item.to_string().contains("Offboard me"), "{item}");
    }
    assert!(
        items
            .iter()
            .any(|i| i.to_string().contains("Offboard me not")),
        "org B's transcript is kept"
    );
    let kept = fx.intelligence_results(Signer::TenantB, &[&other]).await;
    assert_eq!(kept[0]["isSuccess"], true, "{kept:?}");

    // Audited, and nothing of the conversations' content on the bus.
    let events = fx.published_events().await;
    let erased = events
        .iter()
        .filter(|(t, _)| t == "ConversationErased")
        .count();
    assert_eq!(erased, 2);
    let changes: Vec<String> = events
        .iter()
        .filter(|(t, d)| t == "TenantChanged" && d["tenant"] == ORG_A)
        .map(|(_, d)| d["change"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        changes.iter().any(|c| c == "offboardingStarted")
            && changes.iter().any(|c| c == "offboarded"),
        "{changes:?}"
    );
}
