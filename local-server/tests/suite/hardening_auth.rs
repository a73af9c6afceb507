//! Authentication under hostile input (CONTRACT §1): an oversized or malformed `Authorization`
//! header is a `401` with the error body, never a bodiless `431` or a dropped connection (F5);
//! and before a signature is verified every refusal reads the same, so that unsigned tokens
//! cannot probe which org/subject pairs, permissions or key types are registered.

use serde_json::json;
use shared::clock::now_secs;
use testkit::intelligence::{inputs, ACTION_PATH, SESSION_INVALID_BODY};
use testkit::realtime::{b64url, events_path, seed_categories, JSON, SEED_KEY};
use testkit::{Answer, Fixture, ORG_A, ORG_B};

async fn post_with(fx: &Fixture, path: &str, body: String, authorization: &[u8]) -> Answer {
    let value = reqwest::header::HeaderValue::from_bytes(authorization).expect("a header value");
    let request = fx
        .http
        .post(format!("{}{path}", fx.base_url))
        .header("content-type", JSON)
        .header("authorization", value)
        .body(body);
    fx.send(request).await
}

#[tokio::test]
async fn f5_an_oversized_or_malformed_authorization_header_is_401_with_the_error_body() {
    let fx = Fixture::new().await;
    let huge_token = format!(
        "Bearer {}.{}.{}",
        b64url(br#"{"alg":"RS256"}"#),
        "e".repeat(1 << 20),
        "s".repeat(512)
    );
    let cases: [(&str, Vec<u8>); 4] = [
        (
            "1 MiB of one character",
            format!("Bearer {}", "a".repeat(1 << 20)).into_bytes(),
        ),
        ("a 1 MiB token", huge_token.into_bytes()),
        ("bytes above ASCII", b"Bearer \xff\xfe.\x80.\x81".to_vec()),
        (
            "8 KiB of spaces",
            format!("Bearer {}x", " ".repeat(8192)).into_bytes(),
        ),
    ];
    for (case, authorization) in &cases {
        let answer = post_with(
            &fx,
            &events_path(SEED_KEY),
            seed_categories().to_string(),
            authorization,
        )
        .await;
        assert_eq!(answer.status, 401, "telephony, {case}: {}", answer.body);
        assert_eq!(
            answer.error_code(),
            "INVALID_SESSION_ID",
            "telephony, {case}"
        );
        let answer = post_with(&fx, ACTION_PATH, inputs(&["x"]).to_string(), authorization).await;
        assert_eq!(answer.status, 401, "action, {case}: {}", answer.body);
        assert_eq!(answer.body, SESSION_INVALID_BODY, "action, {case}");
    }
}

/// A token for `claims` with header `alg` and a signature that no key made.
fn unsigned(alg: &str, iss: &str, sub: &str) -> String {
    let now = now_secs();
    let mut claims = json!({"iss": iss, "sub": sub, "iat": now, "exp": now + 600});
    if iss.is_empty() {
        claims.as_object_mut().expect("an object").remove("iss");
    }
    let header = json!({"alg": alg, "typ": "JWT"});
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(&[7u8; 256])
    )
}

#[tokio::test]
async fn before_the_signature_is_verified_every_refusal_reads_the_same() {
    let fx = Fixture::new().await;
    let cases = [
        (
            "registered, bad signature",
            unsigned("RS256", ORG_A, "scv4cc1"),
        ),
        (
            "unknown org",
            unsigned("RS256", "00D000000000000", "scv4cc1"),
        ),
        ("unknown subject", unsigned("RS256", ORG_A, "nobody")),
        ("another org's subject", unsigned("RS256", ORG_B, "scv4cc1")),
        (
            "subject without events:write",
            unsigned("RS256", ORG_A, "insights-console"),
        ),
        ("ES256 for an RSA key", unsigned("ES256", ORG_A, "scv4cc1")),
        ("alg none", unsigned("none", ORG_A, "scv4cc1")),
        ("HS256", unsigned("HS256", ORG_A, "scv4cc1")),
        ("no iss", unsigned("RS256", "", "scv4cc1")),
    ];
    let mut bodies = Vec::new();
    for (case, token) in &cases {
        let answer = fx
            .post(
                &events_path(SEED_KEY),
                Some(JSON),
                seed_categories().to_string(),
                Some(token),
            )
            .await;
        assert_eq!(answer.status, 401, "{case}: {}", answer.body);
        bodies.push((case, answer.body));
    }
    let first = &bodies[0].1;
    for (case, body) in &bodies {
        assert_eq!(body, first, "{case} reads differently from a bad signature");
    }
    for word in [
        "issuer",
        "subject",
        "permission",
        "algorithm",
        "events:write",
    ] {
        assert!(
            !first.contains(word),
            "the message names the {word}: {first}"
        );
    }
}
