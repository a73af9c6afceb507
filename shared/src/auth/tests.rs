//! End-to-end tests of [`KeyRegistry`]: real keys, real signatures.

use std::sync::OnceLock;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo};

use super::keygen::{generate_rsa_keypair, sign_rs256, RsaKeyPair};
use super::{AuthError, KeyProblem, KeyRegistry, Permission, RegistryError, Verified};

const ORG: &str = "00DHs00000Kmpyr";
const NOW: u64 = 1_700_000_000;
const AUDIENCE: &str = "https://scrt.salesforce.com";

/// Generated with `openssl genrsa 1024`: aws-lc-rs will not generate keys under 2048 bits.
const RSA_1024_SPKI: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDcH6pljvg1bNf1BR1otta89I/6
3wNtJjKcVSY5O/vhYkJKbIh/IYpr4yIYSkq+JPfgUMofCT+wDt8xewvOqG3qR5M1
SwhiZlP2qO2B7qETd2zu39NNqPyYeyxcBhyB0+jKwh1PPZpW80Zzx+6YAmJufRpq
ugErzPYJz5ooBKTdIwIDAQAB
-----END PUBLIC KEY-----";
const RSA_1024_PKCS1: &str = "-----BEGIN RSA PUBLIC KEY-----
MIGJAoGBALUvLTY7M6VpZbAn2TJfuIs5XqWthN/4Y0UaE2O+TouCCnrG4tUyFsVc
HBBxvc3EtmgALYj/TARgaAkHHdBIKHSb3NjQRiVEti9PozV/+mCXNzHzgrXIqYOc
cxYal3yUNNtE/UVaE7/fV+HSXCj99jkFIufnzNTvKKF7zLbMuponAgMBAAE=
-----END RSA PUBLIC KEY-----";

/// Keys are generated once per test binary: RSA generation is the slow part.
pub(super) struct Fixtures {
    pub rsa_a: RsaKeyPair,
    pub rsa_b: RsaKeyPair,
    /// Self-signed certificate for `rsa_a`, made by rcgen (which signs with RSA under aws-lc-rs).
    pub cert_a: String,
    pub ec_private: String,
    pub ec_public: String,
    pub registry: KeyRegistry,
}

pub(super) fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let rsa_a = generate_rsa_keypair();
        let rsa_b = generate_rsa_keypair();
        let rcgen_a = rcgen::KeyPair::from_pem(&rsa_a.private_pkcs8_pem).unwrap();
        let cert_a = rcgen::CertificateParams::new(vec!["insights-console.test".to_owned()])
            .unwrap()
            .self_signed(&rcgen_a)
            .unwrap()
            .pem();
        let ec = rcgen::KeyPair::generate().unwrap(); // P-256
        let doc = json!({
            "audiences": [AUDIENCE, "https://other.example"],
            "keys": [
                entry("scv4cc1", "publicKey", &rsa_a.public_spki_pem, &["events:write"]),
                entry("rotating", "publicKey", &rsa_a.public_spki_pem, &["events:write"]),
                entry("rotating", "publicKey", &rsa_b.public_spki_pem, &["events:write"]),
                entry("insights-console", "certificate", &cert_a, &["intelligence:read"]),
                entry("ec-client", "publicKey", &ec.public_key_pem(), &["events:write", "intelligence:read"]),
                entry("pkcs1-client", "publicKey", &pkcs1_pem(&rsa_b.public_spki_pem), &["events:write"]),
            ],
        });
        let registry = KeyRegistry::from_json(&doc.to_string()).unwrap();
        Fixtures {
            rsa_a,
            rsa_b,
            cert_a,
            ec_private: ec.serialize_pem(),
            ec_public: ec.public_key_pem(),
            registry,
        }
    })
}

fn entry(subject: &str, field: &str, pem: &str, permissions: &[&str]) -> Value {
    json!({ "orgId": ORG, "subject": subject, field: pem, "permissions": permissions })
}

/// Re-encodes an RSA SPKI PEM as PKCS#1 `RSA PUBLIC KEY`.
fn pkcs1_pem(spki_pem: &str) -> String {
    let spki_der = pem::parse(spki_pem).unwrap().into_contents();
    let (_, spki) = SubjectPublicKeyInfo::from_der(&spki_der).unwrap();
    pem::encode(&pem::Pem::new(
        "RSA PUBLIC KEY",
        spki.subject_public_key.data.to_vec(),
    ))
}

/// What the Amazon Connect client sends: no `aud`.
fn claims(sub: &str) -> Value {
    json!({ "iss": ORG, "sub": sub, "iat": NOW - 10, "exp": NOW + 290, "jti": "3f1c0b9e" })
}

fn with(mut claims: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

fn without(mut claims: Value, field: &str) -> Value {
    claims.as_object_mut().unwrap().remove(field);
    claims
}

fn rs256(pair: &RsaKeyPair, claims: &Value) -> String {
    sign_rs256(&pair.private_pkcs8_pem, claims).unwrap()
}

fn es256(claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(fixtures().ec_private.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::ES256), claims, &key).unwrap()
}

fn verify(token: &str, needed: Permission) -> Result<Verified, AuthError> {
    fixtures()
        .registry
        .verify(Some(&format!("Bearer {token}")), needed, NOW)
}

fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Replaces the character at `index` with a different base64url character.
fn flip_char(token: &str, index: usize) -> String {
    let mut bytes = token.as_bytes().to_vec();
    bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

// ---- successes ----

#[test]
fn amazon_connect_style_token_verifies() {
    let token = rs256(&fixtures().rsa_a, &claims("scv4cc1"));
    assert_eq!(
        verify(&token, Permission::EventsWrite),
        Ok(Verified {
            org_id: ORG.to_owned(),
            subject: "scv4cc1".to_owned(),
            jti: Some("3f1c0b9e".to_owned()),
            expires_at: NOW + 290,
            allow_token_reuse: false,
        })
    );
}

#[test]
fn jti_is_optional_and_bearer_is_case_insensitive() {
    let token = rs256(&fixtures().rsa_a, &without(claims("scv4cc1"), "jti"));
    let header = format!("  bearer \t{token}  ");
    let verified = fixtures()
        .registry
        .verify(Some(&header), Permission::EventsWrite, NOW)
        .unwrap();
    assert_eq!(verified.jti, None);
}

#[test]
fn certificate_key_verifies_and_is_bound_to_its_key() {
    let f = fixtures();
    let good = rs256(&f.rsa_a, &claims("insights-console"));
    assert_eq!(
        verify(&good, Permission::IntelligenceRead).unwrap().subject,
        "insights-console"
    );
    let other_key = rs256(&f.rsa_b, &claims("insights-console"));
    assert_eq!(
        verify(&other_key, Permission::IntelligenceRead),
        Err(AuthError::InvalidSignature)
    );
}

#[test]
fn rotation_accepts_any_registered_key() {
    let f = fixtures();
    for pair in [&f.rsa_b, &f.rsa_a] {
        assert!(verify(&rs256(pair, &claims("rotating")), Permission::EventsWrite).is_ok());
    }
    let stranger = generate_rsa_keypair();
    let token = rs256(&stranger, &claims("rotating"));
    assert_eq!(
        verify(&token, Permission::EventsWrite),
        Err(AuthError::InvalidSignature)
    );
}

#[test]
fn pkcs1_public_key_verifies() {
    let token = rs256(&fixtures().rsa_b, &claims("pkcs1-client"));
    assert!(verify(&token, Permission::EventsWrite).is_ok());
}

#[test]
fn es256_key_verifies() {
    let token = es256(&claims("ec-client"));
    assert!(verify(&token, Permission::EventsWrite).is_ok());
    assert!(verify(&token, Permission::IntelligenceRead).is_ok());
}

#[test]
fn thirty_seconds_of_skew_on_exp_is_tolerated() {
    let c = with(
        claims("scv4cc1"),
        json!({ "iat": NOW - 300, "exp": NOW - 30 }),
    );
    assert!(verify(&rs256(&fixtures().rsa_a, &c), Permission::EventsWrite).is_ok());
}

#[test]
fn audience_single_or_array_with_one_accepted_value() {
    let f = fixtures();
    for aud in [
        json!(AUDIENCE),
        json!(["https://unknown.example", AUDIENCE]),
    ] {
        let c = with(claims("scv4cc1"), json!({ "aud": aud }));
        assert!(
            verify(&rs256(&f.rsa_a, &c), Permission::EventsWrite).is_ok(),
            "{aud}"
        );
    }
}

// ---- refusals ----

#[test]
fn missing_or_non_bearer_header() {
    let r = &fixtures().registry;
    assert_eq!(
        r.verify(None, Permission::EventsWrite, NOW),
        Err(AuthError::MissingBearer)
    );
    let token = rs256(&fixtures().rsa_a, &claims("scv4cc1"));
    let basic = format!("Basic {token}");
    assert_eq!(
        r.verify(Some(&basic), Permission::EventsWrite, NOW),
        Err(AuthError::MissingBearer)
    );
    assert_eq!(
        r.verify(Some(&token), Permission::EventsWrite, NOW),
        Err(AuthError::MissingBearer)
    );
}

#[test]
fn not_a_jwt() {
    for junk in [
        "not-a-jwt",
        "a.b.c",
        "a.b",
        "....",
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
    ] {
        assert_eq!(
            verify(junk, Permission::EventsWrite),
            Err(AuthError::Malformed),
            "{junk}"
        );
    }
}

#[test]
fn expired() {
    let c = with(
        claims("scv4cc1"),
        json!({ "iat": NOW - 7200, "exp": NOW - 120 }),
    );
    assert_eq!(
        verify(&rs256(&fixtures().rsa_a, &c), Permission::EventsWrite),
        Err(AuthError::Expired)
    );
}

#[test]
fn lifetime_over_24_hours() {
    let c = with(
        claims("scv4cc1"),
        json!({ "iat": NOW, "exp": NOW + 86_401 }),
    );
    let err = verify(&rs256(&fixtures().rsa_a, &c), Permission::EventsWrite).unwrap_err();
    assert_eq!(
        (err.clone(), err.to_string()),
        (
            AuthError::LifetimeTooLong,
            "token lifetime exceeds 24 hours".into()
        )
    );
}

#[test]
fn not_yet_valid() {
    let f = fixtures();
    let nbf = with(claims("scv4cc1"), json!({ "nbf": NOW + 600 }));
    assert_eq!(
        verify(&rs256(&f.rsa_a, &nbf), Permission::EventsWrite),
        Err(AuthError::NotYetValid)
    );
    let iat = with(
        claims("scv4cc1"),
        json!({ "iat": NOW + 120, "exp": NOW + 600 }),
    );
    assert_eq!(
        verify(&rs256(&f.rsa_a, &iat), Permission::EventsWrite),
        Err(AuthError::NotYetValid)
    );
    let nbf_in_skew = with(claims("scv4cc1"), json!({ "nbf": NOW + 30 }));
    assert!(verify(&rs256(&f.rsa_a, &nbf_in_skew), Permission::EventsWrite).is_ok());
}

#[test]
fn unknown_issuer_or_subject() {
    let f = fixtures();
    let iss = with(claims("scv4cc1"), json!({ "iss": "00DXX0000000000" }));
    assert_eq!(
        verify(&rs256(&f.rsa_a, &iss), Permission::EventsWrite),
        Err(AuthError::UnknownIssuerOrSubject)
    );
    let sub = claims("someone-else");
    assert_eq!(
        verify(&rs256(&f.rsa_a, &sub), Permission::EventsWrite),
        Err(AuthError::UnknownIssuerOrSubject)
    );
    let no_iss = without(claims("scv4cc1"), "iss");
    assert_eq!(
        verify(&rs256(&f.rsa_a, &no_iss), Permission::EventsWrite),
        Err(AuthError::MissingClaim("iss"))
    );
}

#[test]
fn key_without_the_needed_permission() {
    let token = rs256(&fixtures().rsa_a, &claims("scv4cc1"));
    let err = verify(&token, Permission::IntelligenceRead).unwrap_err();
    assert_eq!(
        err,
        AuthError::MissingPermission(Permission::IntelligenceRead)
    );
    assert_eq!(err.to_string(), "missing permission intelligence:read");
}

#[test]
fn tampered_signature() {
    let token = rs256(&fixtures().rsa_a, &claims("scv4cc1"));
    let sig_start = token.rfind('.').unwrap() + 1;
    let middle = sig_start + (token.len() - sig_start) / 2;
    assert_eq!(
        verify(&flip_char(&token, middle), Permission::EventsWrite),
        Err(AuthError::InvalidSignature)
    );
    // The last character carries padding bits: a variant that decodes to the same bytes
    // must be refused too, not accepted as the same signature.
    let last = token.len() - 1;
    assert!(verify(&flip_char(&token, last), Permission::EventsWrite).is_err());
}

#[test]
fn tampered_payload() {
    let token = rs256(&fixtures().rsa_a, &claims("scv4cc1"));
    let (header, rest) = token.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();

    let flipped = flip_char(&token, header.len() + 1 + payload.len() / 2);
    let err = verify(&flipped, Permission::EventsWrite).unwrap_err();
    assert!(
        matches!(err, AuthError::Malformed | AuthError::InvalidSignature),
        "{err:?}"
    );

    // A well-formed payload with a later expiry, under the original signature.
    let longer = with(claims("scv4cc1"), json!({ "exp": NOW + 3600 }));
    let forged = format!(
        "{header}.{}.{signature}",
        b64url(longer.to_string().as_bytes())
    );
    assert_eq!(
        verify(&forged, Permission::EventsWrite),
        Err(AuthError::InvalidSignature)
    );
}

#[test]
fn alg_none_is_refused() {
    let payload = b64url(claims("scv4cc1").to_string().as_bytes());
    for alg in ["none", "None", "NONE"] {
        let header = b64url(json!({ "alg": alg, "typ": "JWT" }).to_string().as_bytes());
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            let expected = if token.ends_with('.') {
                AuthError::AlgorithmNotAllowed
            } else {
                AuthError::Malformed
            };
            assert_eq!(
                verify(&token, Permission::EventsWrite),
                Err(expected),
                "{alg}"
            );
        }
    }
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let f = fixtures();
    let cases = [
        (&f.rsa_a.public_spki_pem, "scv4cc1", Permission::EventsWrite),
        (&f.cert_a, "insights-console", Permission::IntelligenceRead),
    ];
    for (secret, sub, needed) in cases {
        let key = EncodingKey::from_secret(secret.as_bytes());
        for alg in [Algorithm::HS256, Algorithm::HS512] {
            let token = jsonwebtoken::encode(&Header::new(alg), &claims(sub), &key).unwrap();
            assert_eq!(
                verify(&token, needed),
                Err(AuthError::AlgorithmNotAllowed),
                "{alg:?}"
            );
        }
    }
}

#[test]
fn algorithm_must_match_the_key_type() {
    let f = fixtures();
    // ES256 header against an RSA key, RS256 header against an EC key, PS256 against RSA.
    assert_eq!(
        verify(&es256(&claims("scv4cc1")), Permission::EventsWrite),
        Err(AuthError::AlgorithmNotAllowed)
    );
    assert_eq!(
        verify(
            &rs256(&f.rsa_a, &claims("ec-client")),
            Permission::EventsWrite
        ),
        Err(AuthError::AlgorithmNotAllowed)
    );
    let key = EncodingKey::from_rsa_pem(f.rsa_a.private_pkcs8_pem.as_bytes()).unwrap();
    let ps256 =
        jsonwebtoken::encode(&Header::new(Algorithm::PS256), &claims("scv4cc1"), &key).unwrap();
    assert_eq!(
        verify(&ps256, Permission::EventsWrite),
        Err(AuthError::AlgorithmNotAllowed)
    );
}

#[test]
fn wrong_audience() {
    let f = fixtures();
    for aud in [
        json!("https://evil.example"),
        json!(["https://evil.example"]),
        json!([]),
    ] {
        let c = with(claims("scv4cc1"), json!({ "aud": aud }));
        assert_eq!(
            verify(&rs256(&f.rsa_a, &c), Permission::EventsWrite),
            Err(AuthError::AudienceNotAccepted)
        );
    }
}

#[test]
fn audience_refused_when_none_configured() {
    let f = fixtures();
    let doc = json!({ "keys": [entry("scv4cc1", "publicKey", &f.rsa_a.public_spki_pem, &["events:write"])] });
    let registry = KeyRegistry::from_json(&doc.to_string()).unwrap();
    let c = with(claims("scv4cc1"), json!({ "aud": AUDIENCE }));
    let header = format!("Bearer {}", rs256(&f.rsa_a, &c));
    assert_eq!(
        registry.verify(Some(&header), Permission::EventsWrite, NOW),
        Err(AuthError::AudienceNotAccepted)
    );
}

#[test]
fn missing_iat_or_exp() {
    let f = fixtures();
    for field in ["iat", "exp"] {
        let c = without(claims("scv4cc1"), field);
        assert_eq!(
            verify(&rs256(&f.rsa_a, &c), Permission::EventsWrite),
            Err(AuthError::MissingClaim(field))
        );
    }
}

// ---- registry ----

#[test]
fn registry_counts_keys_and_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<KeyRegistry>();
    let r = &fixtures().registry;
    assert_eq!((r.len(), r.is_empty()), (6, false));
    let debug = format!("{r:?}");
    assert!(
        debug.contains("scv4cc1") && !debug.contains("MII"),
        "{debug}"
    );
}

fn load_error(pem: &str, field: &str) -> (KeyProblem, String) {
    let doc = json!({ "keys": [
        entry("fine", "publicKey", &fixtures().rsa_a.public_spki_pem, &["events:write"]),
        entry("broken", field, pem, &["events:write"]),
    ]});
    match KeyRegistry::from_json(&doc.to_string()) {
        Err(err @ RegistryError::Key { index: 1, .. }) => {
            let message = err.to_string();
            assert!(
                message.contains(ORG) && message.contains("broken"),
                "{message}"
            );
            let RegistryError::Key { problem, .. } = err else {
                unreachable!()
            };
            (problem, message)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rsa_keys_under_2048_bits_are_refused() {
    assert_eq!(
        load_error(RSA_1024_SPKI, "publicKey").0,
        KeyProblem::RsaTooSmall { bits: 1024 }
    );
    assert_eq!(
        load_error(RSA_1024_PKCS1, "publicKey").0,
        KeyProblem::RsaTooSmall { bits: 1024 }
    );
}

#[test]
fn bad_pem_is_refused_without_echoing_it() {
    let body = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsecretish";
    let not_pem = format!("-----BEGIN PUBLIC KEY-----\n{body}\n");
    let (problem, message) = load_error(&not_pem, "publicKey");
    assert_eq!(problem, KeyProblem::BadPem);
    assert!(!message.contains("MIIB"), "{message}");

    let junk_der = pem::encode(&pem::Pem::new("PUBLIC KEY", b"junk".to_vec()));
    assert_eq!(
        load_error(&junk_der, "publicKey").0,
        KeyProblem::BadPublicKey
    );
    let junk_cert = pem::encode(&pem::Pem::new("CERTIFICATE", b"junk".to_vec()));
    assert_eq!(
        load_error(&junk_cert, "certificate").0,
        KeyProblem::BadCertificate
    );
}

#[test]
fn wrong_kind_of_pem_is_refused() {
    let f = fixtures();
    assert_eq!(
        load_error(&f.rsa_a.private_pkcs8_pem, "publicKey").0,
        KeyProblem::PrivateKey
    );
    assert_eq!(
        load_error(&f.ec_private, "certificate").0,
        KeyProblem::PrivateKey
    );
    let (problem, _) = load_error(&f.cert_a, "publicKey");
    assert!(
        matches!(
            problem,
            KeyProblem::WrongPemLabel {
                field: "publicKey",
                ..
            }
        ),
        "{problem:?}"
    );
    let (problem, _) = load_error(&f.ec_public, "certificate");
    assert!(
        matches!(
            problem,
            KeyProblem::WrongPemLabel {
                field: "certificate",
                ..
            }
        ),
        "{problem:?}"
    );
}

#[test]
fn unsupported_curves_and_key_types_are_refused() {
    let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    assert_eq!(
        load_error(&p384.public_key_pem(), "publicKey").0,
        KeyProblem::BadEcKey
    );
    let ed = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    assert_eq!(
        load_error(&ed.public_key_pem(), "publicKey").0,
        KeyProblem::UnsupportedKeyType
    );
}

#[test]
fn unknown_permission_is_a_load_error() {
    let f = fixtures();
    let doc = json!({ "keys": [entry("s", "publicKey", &f.rsa_a.public_spki_pem, &["events:write", "admin"])] });
    let err = KeyRegistry::from_json(&doc.to_string()).unwrap_err();
    assert!(
        matches!(&err, RegistryError::Key { index: 0, problem: KeyProblem::UnknownPermission(p), .. } if p == "admin"),
        "{err:?}"
    );
}

#[test]
fn malformed_json_is_a_load_error_without_content() {
    let err =
        KeyRegistry::from_json(r#"{"keys": [{"publicKey": "-----BEGIN PUBLIC KEY-----\nMIIB"#)
            .unwrap_err();
    assert!(matches!(err, RegistryError::Json { .. }), "{err:?}");
    assert!(!err.to_string().contains("MIIB"), "{err}");
}
