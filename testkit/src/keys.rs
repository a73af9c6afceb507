//! Keys generated once per test process, their registry document, and tokens signed with them.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};
use shared::auth::keygen::{generate_rsa_keypair, sign_rs256, RsaKeyPair};
use shared::clock::now_secs;

pub const ORG_A: &str = "00DHs00000Kmpyr";
pub const ORG_B: &str = "00DB00000000002";
pub const AUDIENCE: &str = "https://scrt.salesforce.com";

/// The `INSIGHT_CATEGORIES` of the tests: org A watches for a competitor (an alert category).
pub const CATEGORIES: &str = r#"{"categories":[
  {"orgId":"00DHs00000Kmpyr","name":"Competitor","keywords":["Genius Solutions","Acme Telecom"],"alert":true}
]}"#;

/// Which registered key signs a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// Org A's call center `scv4cc1`, a public key with `events:write`.
    Writer,
    /// Org A's `insights-console`, a certificate with `intelligence:read` only.
    Reader,
    /// Org B's call center `b-cc`, a certificate with `events:write` and `intelligence:read`.
    TenantB,
    /// A key nobody registered, claiming to be org A's `scv4cc1`.
    Stranger,
    /// Org A's transcription writer `kvs-transcriber`, `events:write` with `allowTokenReuse`
    /// (it reuses one token for every transcript segment).
    Transcriber,
    /// Org A's demo partner connector `byoDemoCC`, `events:write`.
    DemoConnector,
}

pub struct TestKeys {
    writer: RsaKeyPair,
    reader: RsaKeyPair,
    tenant_b: RsaKeyPair,
    stranger: RsaKeyPair,
    transcriber: RsaKeyPair,
    demo: RsaKeyPair,
    registry: String,
}

impl TestKeys {
    pub fn get() -> &'static TestKeys {
        static KEYS: OnceLock<TestKeys> = OnceLock::new();
        KEYS.get_or_init(|| {
            let (writer, reader, tenant_b, stranger) =
                (generate_rsa_keypair(), generate_rsa_keypair(), generate_rsa_keypair(), generate_rsa_keypair());
            let (transcriber, demo) = (generate_rsa_keypair(), generate_rsa_keypair());
            let registry = json!({
                "audiences": [AUDIENCE],
                "keys": [
                    {"orgId": ORG_A, "subject": "scv4cc1", "publicKey": writer.public_spki_pem,
                     "permissions": ["events:write"]},
                    {"orgId": ORG_A, "subject": "insights-console", "certificate": certificate(&reader),
                     "permissions": ["intelligence:read"]},
                    {"orgId": ORG_B, "subject": "b-cc", "certificate": certificate(&tenant_b),
                     "permissions": ["events:write", "intelligence:read"]},
                    {"orgId": ORG_A, "subject": "kvs-transcriber", "publicKey": transcriber.public_spki_pem,
                     "permissions": ["events:write"], "allowTokenReuse": true},
                    {"orgId": ORG_A, "subject": "byoDemoCC", "publicKey": demo.public_spki_pem,
                     "permissions": ["events:write"]},
                ]
            })
            .to_string();
            TestKeys { writer, reader, tenant_b, stranger, transcriber, demo, registry }
        })
    }

    /// The `TRUSTED_KEYS` document registering every signer but the stranger.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    pub fn public_pem(&self, signer: Signer) -> &str {
        &self.pair(signer).public_spki_pem
    }

    fn pair(&self, signer: Signer) -> &RsaKeyPair {
        match signer {
            Signer::Writer => &self.writer,
            Signer::Reader => &self.reader,
            Signer::TenantB => &self.tenant_b,
            Signer::Stranger => &self.stranger,
            Signer::Transcriber => &self.transcriber,
            Signer::DemoConnector => &self.demo,
        }
    }

    /// The registered signer of org A's `subject`, for re-signing recorded claims.
    pub fn signer_of(subject: &str) -> Option<Signer> {
        Some(match subject {
            "scv4cc1" => Signer::Writer,
            "insights-console" => Signer::Reader,
            "kvs-transcriber" => Signer::Transcriber,
            "byoDemoCC" => Signer::DemoConnector,
            _ => return None,
        })
    }

    /// `claims` exactly as given, signed by `signer`.
    pub fn sign(&self, signer: Signer, claims: &Value) -> String {
        sign_rs256(&self.pair(signer).private_pkcs8_pem, claims).expect("test keys sign")
    }

    /// The claims a signer's token carries by default: what the official Amazon Connect client
    /// sends (`iss`, `sub`, `iat`, `exp` an hour later, a fresh `jti`, no `aud`).
    pub fn claims(signer: Signer) -> Map<String, Value> {
        let (iss, sub) = match signer {
            Signer::Writer | Signer::Stranger => (ORG_A, "scv4cc1"),
            Signer::Reader => (ORG_A, "insights-console"),
            Signer::TenantB => (ORG_B, "b-cc"),
            Signer::Transcriber => (ORG_A, "kvs-transcriber"),
            Signer::DemoConnector => (ORG_A, "byoDemoCC"),
        };
        let now = now_secs();
        let claims = json!({"iss": iss, "sub": sub, "iat": now, "exp": now + 3600, "jti": uuid::Uuid::new_v4().to_string()});
        claims.as_object().expect("an object").clone()
    }

    /// A token with the default claims.
    pub fn token(&self, signer: Signer) -> String {
        self.token_with(signer, Map::new())
    }

    /// A token with the default claims changed by `changes`; a `null` change removes the claim.
    pub fn token_with(&self, signer: Signer, changes: Map<String, Value>) -> String {
        let mut claims = Self::claims(signer);
        for (name, value) in changes {
            if value.is_null() {
                claims.remove(&name);
            } else {
                claims.insert(name, value);
            }
        }
        sign_rs256(&self.pair(signer).private_pkcs8_pem, &Value::Object(claims))
            .expect("test keys sign")
    }
}

/// A self-signed certificate for `pair`, as the Salesforce setup flow registers one.
fn certificate(pair: &RsaKeyPair) -> String {
    let key =
        rcgen::KeyPair::from_pem_and_sign_algo(&pair.private_pkcs8_pem, &rcgen::PKCS_RSA_SHA256)
            .expect("rcgen loads the RSA key");
    let params =
        rcgen::CertificateParams::new(vec!["call-center.example".to_owned()]).expect("params");
    params
        .self_signed(&key)
        .expect("self-signed certificate")
        .pem()
}
