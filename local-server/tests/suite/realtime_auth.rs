//! Bearer-JWT authentication of the real-time route (CONTRACT §1): every refusal is a `401`
//! INVALID_SESSION_ID that stores and publishes nothing and never echoes the token.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Map, Value};
use shared::clock::now_secs;
use testkit::keys::{Signer, AUDIENCE};
use testkit::realtime::{b64url, b64url_decode, events_path, seed_categories, JSON, SEED_KEY};
use testkit::{Answer, Fixture, TestKeys, ORG_A};

fn changes(value: Value) -> Map<String, Value> {
    value
        .as_object()
        .expect("claim changes are an object")
        .clone()
}

async fn post_with_authorization(fx: &Fixture, authorization: Option<&str>) -> Answer {
    let mut request = fx
        .http
        .post(format!("{}{}", fx.base_url, events_path(SEED_KEY)))
        .header("content-type", JSON)
        .body(seed_categories().to_string());
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    fx.send(request).await
}

/// Sends the seed's first example with `authorization`; expects a 401 that does not echo
/// `secret` (the token, or what stands for it), with nothing stored or published.
async fn expect_unauthorized(fx: &Fixture, case: &str, authorization: Option<&str>, secret: &str) {
    let answer = post_with_authorization(fx, authorization).await;
    assert_eq!(answer.status, 401, "{case}: {}", answer.body);
    assert_eq!(
        answer.error_code(),
        "INVALID_SESSION_ID",
        "{case}: {}",
        answer.body
    );
    assert!(
        answer.json()[0].get("fields").is_none(),
        "{case}: {}",
        answer.body
    );
    if !secret.is_empty() {
        assert!(
            !answer.body.contains(secret),
            "{case}: the answer echoes the token: {}",
            answer.body
        );
        for part in secret.split('.').filter(|p| p.len() > 8) {
            assert!(
                !answer.body.contains(part),
                "{case}: the answer echoes part of the token: {}",
                answer.body
            );
        }
    }
    fx.assert_empty(case).await;
}

async fn expect_token_refused(fx: &Fixture, case: &str, token: &str) {
    expect_unauthorized(fx, case, Some(&format!("Bearer {token}")), token).await;
}

async fn expect_token_accepted(fx: &Fixture, case: &str, token: &str) -> Answer {
    let answer = post_with_authorization(fx, Some(&format!("Bearer {token}"))).await;
    assert_eq!(answer.status, 202, "{case}: {}", answer.body);
    answer
}

#[tokio::test]
async fn a_request_without_a_bearer_jwt_is_401() {
    let fx = Fixture::new().await;
    let token = fx.keys.token(Signer::Writer);
    expect_unauthorized(&fx, "no Authorization header", None, "").await;
    expect_unauthorized(&fx, "not a JWT", Some("Bearer not-a-jwt"), "not-a-jwt").await;
    expect_unauthorized(&fx, "Bearer without a token", Some("Bearer "), "").await;
    expect_unauthorized(&fx, "a bare token", Some(&token), &token).await;
    expect_unauthorized(&fx, "Basic scheme", Some(&format!("Basic {token}")), &token).await;
    expect_unauthorized(
        &fx,
        "Basic credentials",
        Some("Basic c2N2NGNjMTpwYXNzd29yZA=="),
        "c2N2NGNjMTpwYXNzd29yZA",
    )
    .await;
}

#[tokio::test]
async fn tokens_outside_their_validity_are_401() {
    let fx = Fixture::new().await;
    let now = now_secs();
    let cases = [
        (
            "expired beyond the skew",
            json!({"iat": now - 7200, "exp": now - 120}),
        ),
        (
            "lifetime over 24 h",
            json!({"iat": now, "exp": now + 86_401}),
        ),
        ("nbf in the future", json!({"nbf": now + 3600})),
        (
            "iat in the future",
            json!({"iat": now + 600, "exp": now + 1200}),
        ),
        ("no exp", json!({"exp": null})),
        ("no iat", json!({"iat": null})),
        ("exp before iat", json!({"iat": now, "exp": now - 10})),
    ];
    for (case, claims) in cases {
        expect_token_refused(
            &fx,
            case,
            &fx.keys.token_with(Signer::Writer, changes(claims)),
        )
        .await;
    }
    let token = fx.keys.token_with(
        Signer::Writer,
        changes(json!({"iat": now - 3600, "exp": now - 30})),
    );
    expect_token_accepted(&fx, "expired 30 s ago, within the skew", &token).await;
}

#[tokio::test]
async fn an_unknown_issuer_or_subject_is_401() {
    let fx = Fixture::new().await;
    let cases = [
        ("unknown iss", json!({"iss": "00D000000000UNK"})),
        ("unknown sub", json!({"sub": "someone-else"})),
        ("org B's subject under org A", json!({"sub": "b-cc"})),
        ("no iss", json!({"iss": null})),
        ("no sub", json!({"sub": null})),
    ];
    for (case, claims) in cases {
        expect_token_refused(
            &fx,
            case,
            &fx.keys.token_with(Signer::Writer, changes(claims)),
        )
        .await;
    }
}

#[tokio::test]
async fn a_key_without_events_write_is_401() {
    let fx = Fixture::new().await;
    expect_token_refused(&fx, "reader key", &fx.keys.token(Signer::Reader)).await;
}

/// `token` with its `index`-th part replaced by `part`.
fn with_part(token: &str, index: usize, part: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[index] = part;
    parts.join(".")
}

#[tokio::test]
async fn a_bad_signature_is_401() {
    let fx = Fixture::new().await;
    expect_token_refused(&fx, "unregistered key", &fx.keys.token(Signer::Stranger)).await;

    let token = fx.keys.token(Signer::Writer);
    let signature = token.split('.').nth(2).expect("a signature");
    let middle = signature.len() / 2;
    let flipped = if &signature[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let tampered = format!(
        "{}{flipped}{}",
        &signature[..middle],
        &signature[middle + 1..]
    );
    expect_token_refused(&fx, "tampered signature", &with_part(&token, 2, &tampered)).await;
    expect_token_refused(&fx, "no signature", &with_part(&token, 2, "")).await;

    let mut claims: Value =
        serde_json::from_slice(&b64url_decode(token.split('.').nth(1).expect("a payload")))
            .expect("claims");
    claims["exp"] = json!(claims["exp"].as_u64().expect("exp") + 60);
    let payload = b64url(claims.to_string().as_bytes());
    expect_token_refused(&fx, "tampered payload", &with_part(&token, 1, &payload)).await;

    // The untouched token still works: the refusals above did not burn it.
    expect_token_accepted(&fx, "the original token", &token).await;
}

#[tokio::test]
async fn alg_none_and_hmac_with_the_public_key_are_401() {
    let fx = Fixture::new().await;
    let claims = Value::Object(TestKeys::claims(Signer::Writer));
    let payload = b64url(claims.to_string().as_bytes());
    for header in [
        json!({"alg": "none", "typ": "JWT"}),
        json!({"alg": "None"}),
        json!({"alg": "NONE", "typ": "JWT"}),
    ] {
        let token = format!("{}.{payload}.", b64url(header.to_string().as_bytes()));
        expect_token_refused(&fx, &format!("alg {}", header["alg"]), &token).await;
    }

    // Algorithm confusion: the registered RSA public key's PEM used as an HMAC secret.
    let pem = fx.keys.public_pem(Signer::Writer);
    for (case, alg, secret) in [
        ("HS256 with the PEM", Algorithm::HS256, pem.to_owned()),
        (
            "HS256 with the trimmed PEM",
            Algorithm::HS256,
            pem.trim().to_owned(),
        ),
        ("HS512 with the PEM", Algorithm::HS512, pem.to_owned()),
    ] {
        let claims = Value::Object(TestKeys::claims(Signer::Writer));
        let token = jsonwebtoken::encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("an HMAC token");
        expect_token_refused(&fx, case, &token).await;
    }
}

#[tokio::test]
async fn an_audience_is_optional_but_must_be_accepted_when_present() {
    let fx = Fixture::new().await;
    for (case, aud) in [
        ("wrong aud", json!("https://login.salesforce.com")),
        (
            "wrong aud list",
            json!(["https://a.example", "https://b.example"]),
        ),
        ("empty aud list", json!([])),
    ] {
        expect_token_refused(
            &fx,
            case,
            &fx.keys
                .token_with(Signer::Writer, changes(json!({"aud": aud}))),
        )
        .await;
    }
    expect_token_accepted(
        &fx,
        "correct aud",
        &fx.keys
            .token_with(Signer::Writer, changes(json!({"aud": AUDIENCE}))),
    )
    .await;
    let token = fx.keys.token_with(
        Signer::Writer,
        changes(json!({"aud": ["https://other.example", AUDIENCE]})),
    );
    expect_token_accepted(&fx, "correct aud in a list", &token).await;
    expect_token_accepted(&fx, "no aud", &fx.keys.token(Signer::Writer)).await;
    assert_eq!(fx.conversation_items(ORG_A, SEED_KEY).await.len(), 2);
}

#[tokio::test]
async fn a_replayed_jti_is_401_and_stores_once() {
    let fx = Fixture::new().await;
    let token = fx.keys.token(Signer::Writer);
    expect_token_accepted(&fx, "first use", &token).await;
    assert_eq!(fx.published().await.len(), 2);

    let answer = post_with_authorization(&fx, Some(&format!("Bearer {token}"))).await;
    assert_eq!(answer.status, 401, "replay: {}", answer.body);
    assert_eq!(answer.error_code(), "INVALID_SESSION_ID");
    assert!(
        !answer.body.contains(&token),
        "the answer echoes the token: {}",
        answer.body
    );
    assert_eq!(
        fx.conversation_items(ORG_A, SEED_KEY).await.len(),
        2,
        "stored once"
    );
    assert_eq!(
        fx.published().await,
        Vec::<Value>::new(),
        "the replay publishes nothing"
    );

    // Another token with the same jti and issuer is a replay too.
    let first = serde_json::from_slice::<Value>(&b64url_decode(
        token.split('.').nth(1).expect("a payload"),
    ))
    .expect("claims");
    let same_jti = fx.keys.token_with(
        Signer::Writer,
        changes(json!({"jti": first["jti"], "iat": now_secs() - 1})),
    );
    assert_ne!(same_jti, token);
    let answer = post_with_authorization(&fx, Some(&format!("Bearer {same_jti}"))).await;
    assert_eq!(
        answer.status, 401,
        "a new token reusing the jti: {}",
        answer.body
    );
    assert!(fx.published().await.is_empty());
}

#[tokio::test]
async fn a_token_without_jti_can_be_used_twice() {
    let fx = Fixture::new().await;
    let token = fx
        .keys
        .token_with(Signer::Writer, changes(json!({"jti": null})));
    expect_token_accepted(&fx, "first use", &token).await;
    expect_token_accepted(&fx, "second use", &token).await;
    assert_eq!(
        fx.conversation_items(ORG_A, SEED_KEY).await.len(),
        2,
        "stored once"
    );
    assert_eq!(fx.published().await.len(), 4, "published at each use");
}
