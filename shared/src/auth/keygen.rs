//! RSA key pairs and RS256 tokens for the local dev server and for tests.
//!
//! Production never signs tokens: callers hold their own private keys.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

/// A freshly generated RSA key pair, both halves PEM-encoded.
#[derive(Clone)]
pub struct RsaKeyPair {
    /// PKCS#8 `PRIVATE KEY` PEM.
    pub private_pkcs8_pem: String,
    /// SubjectPublicKeyInfo `PUBLIC KEY` PEM, as [`super::KeyRegistry`] accepts it.
    pub public_spki_pem: String,
}

/// Shows the public half only.
impl fmt::Debug for RsaKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaKeyPair")
            .field("private_pkcs8_pem", &"[redacted]")
            .field("public_spki_pem", &self.public_spki_pem)
            .finish()
    }
}

/// Why [`sign_rs256`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("not a PEM-encoded RSA private key")]
    InvalidKey,
    #[error("signing failed: {0}")]
    Signing(String),
}

/// Generates a 2048-bit RSA key pair.
///
/// # Panics
/// If aws-lc cannot generate or encode a key, which only happens when the system's random
/// source or allocator fails.
pub fn generate_rsa_keypair() -> RsaKeyPair {
    let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation failed");
    let private = pair.as_der().expect("PKCS#8 encoding failed");
    let public = pair.public_key().as_der().expect("SPKI encoding failed");
    RsaKeyPair {
        private_pkcs8_pem: to_pem("PRIVATE KEY", private.as_ref()),
        public_spki_pem: to_pem("PUBLIC KEY", public.as_ref()),
    }
}

/// Signs `claims` as an RS256 JWT (header `{"typ":"JWT","alg":"RS256"}`).
///
/// The key is parsed on every call: fine for a dev server and tests, not for a hot path.
pub fn sign_rs256(
    private_pkcs8_pem: &str,
    claims: &serde_json::Value,
) -> Result<String, SignError> {
    // jsonwebtoken would accept a public key here and only fail while signing; check up front
    // that this really is a PKCS#8 RSA private key.
    let pem = pem::parse(private_pkcs8_pem).map_err(|_| SignError::InvalidKey)?;
    if pem.tag() != "PRIVATE KEY" || KeyPair::from_pkcs8(pem.contents()).is_err() {
        return Err(SignError::InvalidKey);
    }
    let key = EncodingKey::from_rsa_pem(private_pkcs8_pem.as_bytes())
        .map_err(|_| SignError::InvalidKey)?;
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key)
        .map_err(|e| SignError::Signing(e.to_string()))
}

/// A freshly generated EC P-256 key pair (ES256): the private key as PKCS#8 DER, the public
/// half as `PUBLIC KEY` PEM. Cheap to make by the thousand (tests of many tenants).
#[derive(Clone)]
pub struct EcKeyPair {
    pub private_pkcs8_der: Vec<u8>,
    pub public_spki_pem: String,
}

impl fmt::Debug for EcKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcKeyPair")
            .field("public_spki_pem", &self.public_spki_pem)
            .finish_non_exhaustive()
    }
}

pub fn generate_p256_keypair() -> EcKeyPair {
    use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let pair =
        EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("EC key generation failed");
    let private = pair.to_pkcs8v1().expect("PKCS#8 encoding failed");
    let public = pair.public_key().as_der().expect("SPKI encoding failed");
    EcKeyPair {
        private_pkcs8_der: private.as_ref().to_vec(),
        public_spki_pem: to_pem("PUBLIC KEY", public.as_ref()),
    }
}

/// Signs `claims` as an ES256 JWT with `pair`'s private key.
pub fn sign_es256(pair: &EcKeyPair, claims: &serde_json::Value) -> Result<String, SignError> {
    let key = EncodingKey::from_ec_der(&pair.private_pkcs8_der);
    jsonwebtoken::encode(&Header::new(Algorithm::ES256), claims, &key)
        .map_err(|e| SignError::Signing(e.to_string()))
}

fn to_pem(label: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(label, der), config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pems_have_expected_labels() {
        let pair = super::super::tests::fixtures().rsa_a.clone();
        assert!(pair
            .private_pkcs8_pem
            .starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(pair
            .public_spki_pem
            .starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(!format!("{pair:?}").contains("PRIVATE"));
        let token = sign_rs256(&pair.private_pkcs8_pem, &serde_json::json!({"sub": "x"})).unwrap();
        assert_eq!(token.split('.').count(), 3);
    }

    #[test]
    fn signing_with_a_public_key_fails() {
        let pair = &super::super::tests::fixtures().rsa_a;
        let err = sign_rs256(&pair.public_spki_pem, &serde_json::json!({})).unwrap_err();
        assert!(matches!(err, SignError::InvalidKey));
        assert!(sign_rs256("junk", &serde_json::json!({})).is_err());
    }
}
