//! Tenants administered through the local server's admin API (CONTRACT §7), on moto: many
//! tenants with several keys each, every one usable at once; the admin token and tenant tokens
//! each open only their own routes.

use futures_util::stream::{self, StreamExt};
use serde_json::json;
use shared::auth::keygen::{generate_p256_keypair, sign_es256, EcKeyPair};
use testkit::fixture::ADMIN_TOKEN;
use testkit::keys::Signer;
use testkit::{Fixture, ORG_A};

const ACTION: &str = "/services/data/v65.0/actions/standard/getConversationIntelligence";

fn token(pair: &EcKeyPair, org: &str, subject: &str) -> String {
    let now = shared::clock::now_secs();
    sign_es256(
        pair,
        &json!({"iss": org, "sub": subject, "iat": now, "exp": now + 600}),
    )
    .unwrap()
}

async fn describe(fx: &Fixture, token: &str) -> u16 {
    fx.send(
        fx.http
            .get(format!("{}{ACTION}", fx.base_url))
            .bearer_auth(token),
    )
    .await
    .status
}

#[tokio::test]
async fn a_hundred_tenants_with_three_keys_each_are_all_usable() {
    // 100 here, over HTTP and moto; 1,000 × 3 in shared's tenants tests (the same admin handler
    // and directory on the memory adapter): moto copies a table for every TransactWriteItems,
    // so 4,000 changes through it took over 14 minutes.
    const TENANTS: usize = 100;
    let fx = Fixture::new().await;
    let orgs: Vec<String> = (0..TENANTS).map(|i| format!("00DT{i:011}")).collect();
    let keys: Vec<[EcKeyPair; 3]> = (0..TENANTS)
        .map(|_| {
            [
                generate_p256_keypair(),
                generate_p256_keypair(),
                generate_p256_keypair(),
            ]
        })
        .collect();
    let onboard = orgs.iter().zip(&keys).map(|(org, pairs)| {
        let fx = &fx;
        async move {
            let (status, body) = fx
                .admin(
                    reqwest::Method::PUT,
                    &format!("/tenants/{org}"),
                    Some(json!({"retentionDays": 30})),
                )
                .await;
            assert_eq!(status, 200, "{org}: {body}");
            for (n, pair) in pairs.iter().enumerate() {
                let key = json!({"subject": format!("cc{n}"), "publicKey": pair.public_spki_pem,
                    "permissions": ["intelligence:read"]});
                let (status, body) = fx
                    .admin(
                        reqwest::Method::POST,
                        &format!("/tenants/{org}/keys"),
                        Some(key),
                    )
                    .await;
                assert_eq!(status, 201, "{org}: {body}");
            }
        }
    });
    stream::iter(onboard)
        .buffer_unordered(2)
        .collect::<Vec<()>>()
        .await;

    let (status, page) = fx
        .admin(reqwest::Method::GET, "/tenants?limit=100", None)
        .await;
    assert_eq!(status, 200);
    let listed = page["tenants"].as_array().unwrap();
    assert_eq!(listed.len(), 100, "a full page");
    assert!(
        page["nextCursor"].is_string(),
        "the test registry's tenants follow"
    );
    assert!(listed.iter().all(|t| t["keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k.get("publicKey").is_none())));

    // A token of every tenant, by each of its keys in turn, accepted.
    let checks = orgs.iter().zip(&keys).enumerate().map(|(i, (org, pairs))| {
        let fx = &fx;
        async move {
            let n = i % 3;
            assert_eq!(
                describe(fx, &token(&pairs[n], org, &format!("cc{n}"))).await,
                200,
                "{org}"
            );
        }
    });
    stream::iter(checks)
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    for (n, pair) in keys[0].iter().enumerate() {
        assert_eq!(
            describe(&fx, &token(pair, &orgs[0], &format!("cc{n}"))).await,
            200
        );
    }
    // Another tenant's key does not sign for this one.
    assert_eq!(
        describe(&fx, &token(&keys[1][0], &orgs[0], "cc0")).await,
        401
    );
}

#[tokio::test]
async fn the_admin_token_and_tenant_tokens_open_only_their_own_routes() {
    let fx = Fixture::new().await;
    let jwt = fx.keys.token(Signer::Reader);
    let writer = fx.keys.token(Signer::Writer);
    for bearer in [jwt.as_str(), writer.as_str(), "not-the-admin-token"] {
        let answer = fx
            .send(
                fx.http
                    .get(format!("{}/admin/v1/tenants", fx.base_url))
                    .bearer_auth(bearer),
            )
            .await;
        assert_eq!(answer.status, 401, "{}", answer.body);
        assert_eq!(answer.error_code(), "INVALID_SESSION_ID");
    }
    let none = fx
        .send(fx.http.get(format!("{}/admin/v1/tenants", fx.base_url)))
        .await;
    assert_eq!(none.status, 401);

    assert_eq!(
        describe(&fx, ADMIN_TOKEN).await,
        401,
        "the action refuses the admin token"
    );
    let telephony = fx
        .post(
            "/telephony/v1/voiceCalls",
            Some("application/json"),
            "{}",
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(telephony.status, 401, "{}", telephony.body);

    let (status, tenant) = fx
        .admin(reqwest::Method::GET, &format!("/tenants/{ORG_A}"), None)
        .await;
    assert_eq!(status, 200, "{tenant}");
    assert_eq!(tenant["orgId"], ORG_A);
    assert!(
        tenant["keys"].as_array().unwrap().len() >= 4,
        "imported: {tenant}"
    );
    assert_eq!(
        tenant["categories"][0]["name"], "Competitor",
        "imported categories"
    );
}

#[tokio::test]
async fn every_admin_field_is_validated_by_name() {
    let fx = Fixture::new().await;
    let org = "00DV00000000001";
    let cases = [
        (json!({"retentionDays": 4000}), "retentionDays"),
        (json!({"status": "gone"}), "status"),
        (
            json!({"limits": {"requestsPerSecond": 0, "burst": 1}}),
            "limits.requestsPerSecond",
        ),
        (
            json!({"redaction": {"entities": ["NAME"], "mode": "PII"}}),
            "redaction.entities[0]",
        ),
        (json!({"summaryPrompt": "no placeholder"}), "summaryPrompt"),
        (
            json!({"connectInstances": ["arn:aws:s3:::bucket"]}),
            "connectInstances[0]",
        ),
        (json!({"audiences": "one"}), "audiences"),
        (
            json!({"categories": [{"name": "Question", "keywords": ["x"]}]}),
            "categories[0].name",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = fx
            .admin(
                reqwest::Method::PUT,
                &format!("/tenants/{org}"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer[0]["fields"][0], field, "{body}: {answer}");
    }
    let (status, _) = fx
        .admin(reqwest::Method::GET, &format!("/tenants/{org}"), None)
        .await;
    assert_eq!(status, 404, "nothing stored by a refused change");
    fx.admin(
        reqwest::Method::PUT,
        &format!("/tenants/{org}"),
        Some(json!({})),
    )
    .await;
    let small_rsa = rcgen_rsa_1024();
    for (body, field) in [
        (
            json!({"subject": "s", "publicKey": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "permissions": ["events:write"]}),
            "publicKey",
        ),
        (
            json!({"subject": "s", "publicKey": small_rsa, "permissions": ["events:write"]}),
            "publicKey",
        ),
        (
            json!({"subject": "s", "publicKey": "garbage", "permissions": ["events:write"]}),
            "publicKey",
        ),
        (
            json!({"subject": "", "publicKey": "x", "permissions": ["events:write"]}),
            "subject",
        ),
        (
            json!({"subject": "s", "certificate": "garbage", "permissions": ["events:write"]}),
            "certificate",
        ),
    ] {
        let (status, answer) = fx
            .admin(
                reqwest::Method::POST,
                &format!("/tenants/{org}/keys"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["fields"][0] == field),
            "{body}: {answer}"
        );
        assert!(
            !answer.to_string().contains("AAAA"),
            "material is never echoed"
        );
    }
    let (_, keys) = fx
        .admin(reqwest::Method::GET, &format!("/tenants/{org}/keys"), None)
        .await;
    assert_eq!(keys["keys"], json!([]), "nothing stored");
}

/// A 1024-bit RSA public key (too small), as PEM.
fn rcgen_rsa_1024() -> String {
    // A fixed 1024-bit SPKI: generating one needs a crate this test has no other use for.
    "-----BEGIN PUBLIC KEY-----\n\
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7VJTUt9Us8cKjMzEfYyjiWA4R\n\
4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvuNMoSfm76oqFv\n\
AP8GEnNBfYjmNU0Ny5AmLjp0f9D0oSOr0Q8FyiNoD3MH9C+MwjXhKJoUv5ZTyZXw\n\
Lw8yIBA9ivRtMoyVsQIDAQAB\n\
-----END PUBLIC KEY-----\n"
        .to_owned()
}
