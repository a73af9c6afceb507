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
