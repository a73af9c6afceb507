//! The admin function under the runtime emulator (its dev build in `cargo test`, its arm64
//! build in the artifact tests): one check both run, of the events in `events/admin-api-*`.

use serde_json::{json, Value};
use shared::auth::keygen::{generate_rsa_keypair, sign_rs256};

use crate::events;
use crate::rie::Rie;
use crate::Fixture;

/// The org `events/admin-api-put-tenant.json` creates.
pub const EVENT_ORG: &str = "00DC00000000003";

fn body_of(answer: &Value) -> Value {
    serde_json::from_str(answer["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null)
}

/// An IAM-authorised `method` of `path` with `body`, shaped as the event files are.
fn event(method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut event = events::load("admin-api-get-tenant", "");
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    if let Some(body) = body {
        event["headers"]["content-type"] = json!("application/json");
        event["body"] = json!(body.to_string());
    }
    event
}

/// Creates a tenant, registers a key and lists tenants through the function; then a token of
/// that key is accepted by the fixture's action (a function with its own cache reading the
/// same tenants table), and `TenantChanged` is on the bus. A request without an IAM caller is
/// refused.
pub async fn check_admin_function(rie: &Rie, fx: &Fixture) {
    let unsigned = rie.invoke(&events::load("admin-api-unsigned", "")).await;
    assert_eq!(unsigned["statusCode"], 401, "{unsigned}");

    let put = rie.invoke(&events::load("admin-api-put-tenant", "")).await;
    assert_eq!(put["statusCode"], 200, "{put}");
    let tenant = body_of(&put);
    assert_eq!(tenant["orgId"], EVENT_ORG);
    assert_eq!(tenant["retentionDays"], 30);

    let pair = generate_rsa_keypair();
    let key = json!({"subject": "cc-c", "publicKey": pair.public_spki_pem,
        "permissions": ["events:write", "intelligence:read"]});
    let added = rie
        .invoke(&event(
            "POST",
            &format!("/admin/v1/tenants/{EVENT_ORG}/keys"),
            Some(&key),
        ))
        .await;
    assert_eq!(added["statusCode"], 201, "{added}");
    let key_id = body_of(&added)["keyId"]
        .as_str()
        .expect("a keyId")
        .to_owned();

    let got = rie.invoke(&events::load("admin-api-get-tenant", "")).await;
    assert_eq!(got["statusCode"], 200, "{got}");
    let text = got["body"].as_str().unwrap_or_default();
    assert!(text.contains(&key_id), "{text}");
    let material = pair.public_spki_pem.lines().nth(1).expect("PEM body");
    assert!(!text.contains(material), "no key material in an answer");

    let list = rie
        .invoke(&events::load("admin-api-list-tenants", ""))
        .await;
    assert_eq!(list["statusCode"], 200, "{list}");
    let orgs: Vec<String> = body_of(&list)["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .map(|t| t["orgId"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(orgs.contains(&EVENT_ORG.to_owned()) && orgs.contains(&crate::ORG_A.to_owned()));

    // The new tenant's token works at once on an instance that has not cached it.
    let now = shared::clock::now_secs();
    let token = sign_rs256(
        &pair.private_pkcs8_pem,
        &json!({"iss": EVENT_ORG, "sub": "cc-c", "iat": now, "exp": now + 600}),
    )
    .expect("signs");
    let describe = fx
        .send(
            fx.http
                .get(format!(
                    "{}/services/data/v65.0/actions/standard/getConversationIntelligence",
                    fx.base_url
                ))
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(describe.status, 200, "{}", describe.body);

    // The capture queue is drained as it is read: gather until both changes are in.
    let mut events = Vec::new();
    let mut changes: Vec<String> = Vec::new();
    for _ in 0..50 {
        events.extend(fx.published_events().await);
        changes = events
            .iter()
            .filter(|(t, d)| t == "TenantChanged" && d["tenant"] == EVENT_ORG)
            .map(|(_, d)| d["change"].as_str().unwrap_or_default().to_owned())
            .collect();
        if changes.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    changes.sort();
    assert_eq!(changes, ["created", "keyAdded"]);
    assert!(
        events
            .iter()
            .all(|(_, d)| !d.to_string().contains(material)),
        "no key material on the bus"
    );
}

/// Erasure and legal hold through the function (CONTRACT §8): a call recorded through the
/// fixture's local server is held (`409 LEGAL_HOLD` on erasure), released and erased; then the
/// action answers it NOT_FOUND and `ConversationErased` is on the bus.
pub async fn check_erasure_function(rie: &Rie, fx: &Fixture) {
    use crate::keys::Signer;
    let key = crate::realtime::fresh_key();
    let id = fx
        .record_call(Signer::Writer, &crate::telephony::inbound_call(&key))
        .await;
    let line = crate::telephony::message("e-1", 0, 5, "Hello", "END_USER");
    let answer = fx
        .post_json_as(
            Signer::Writer,
            &crate::telephony::messages_path(&key),
            &line,
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let conversation = format!("/admin/v1/tenants/{}/conversations", crate::ORG_A);
    let hold = |on: bool| {
        event(
            "PUT",
            &format!("{conversation}/{id}/hold"),
            Some(&json!({ "hold": on })),
        )
    };
    let held = rie.invoke(&hold(true)).await;
    assert_eq!(held["statusCode"], 200, "{held}");
    let erase = event("DELETE", &format!("{conversation}/{key}"), None);
    let refused = rie.invoke(&erase).await;
    assert_eq!(refused["statusCode"], 409, "{refused}");
    assert_eq!(body_of(&refused)[0]["errorCode"], "LEGAL_HOLD");
    let released = rie.invoke(&hold(false)).await;
    assert_eq!(released["statusCode"], 200, "{released}");
    let erased = rie.invoke(&erase).await;
    assert_eq!(erased["statusCode"], 200, "{erased}");
    assert_eq!(body_of(&erased)["erased"]["conversations"], 1);
    assert!(
        body_of(&erased)["erased"]["items"].as_u64().unwrap_or(0) >= 4,
        "{erased}"
    );
    let again = rie.invoke(&erase).await;
    assert_eq!(again["statusCode"], 404, "{again}");

    let result = fx
        .intelligence_results(Signer::Reader, &[&id])
        .await
        .remove(0);
    assert_eq!(result["errors"][0]["statusCode"], "NOT_FOUND", "{result}");
    let mut erasures = Vec::new();
    for _ in 0..50 {
        erasures.extend(
            fx.published_events()
                .await
                .into_iter()
                .filter(|(t, d)| t == "ConversationErased" && d["conversationKey"] == key.as_str()),
        );
        if !erasures.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(erasures.len(), 1, "ConversationErased published once");
}
