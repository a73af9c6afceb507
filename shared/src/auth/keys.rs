//! Turning registered PEM text into ready verification keys (start-up only).
//!
//! Every key is checked here, once, the way aws-lc will use it (RSA size, P-256 curve and
//! point), so a bad key is a start-up error rather than an "invalid signature" on every request.

use aws_lc_rs::signature::{ParsedPublicKey, RsaParameters, ECDSA_P256_SHA256_FIXED};
use jsonwebtoken::{Algorithm, DecodingKey};
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::error::{excerpt, KeyProblem};
use super::jwt::auth_error;
use super::{AuthError, Permission};

const MIN_RSA_BITS: u32 = 2048;
const MAX_RSA_BITS: u32 = 8192;

/// A registered key, ready to verify signatures.
pub(super) struct TrustedKey {
    /// The one algorithm this key may be used with, fixed by its type.
    pub alg: Algorithm,
    pub permissions: Permissions,
    /// `allowTokenReuse`: one token (same `jti`) may serve many requests within its validity.
    pub allow_token_reuse: bool,
    key: DecodingKey,
}

impl TrustedKey {
    fn new(alg: Algorithm, key: DecodingKey, permissions: Permissions) -> Self {
        TrustedKey {
            alg,
            permissions,
            allow_token_reuse: false,
            key,
        }
    }

    /// Checks `token`'s signature with this key, whose algorithm the token's header names (the
    /// caller has read the header and the claims, and checks the claims' rules itself): the
    /// signature alone, with jsonwebtoken's `crypto::verify`, rather than `decode`, which would
    /// read the header twice and the claims twice more.
    pub fn verify_signature(&self, token: &str) -> Result<(), AuthError> {
        let (message, signature) = token.rsplit_once('.').ok_or(AuthError::Malformed)?;
        match jsonwebtoken::crypto::verify(signature, message.as_bytes(), &self.key, self.alg) {
            Ok(true) => Ok(()),
            Ok(false) => Err(AuthError::InvalidSignature),
            Err(e) => Err(auth_error(&e)),
        }
    }
}

/// A set of [`Permission`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Permissions(u8);

impl Permissions {
    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn insert(&mut self, p: Permission) {
        self.0 |= p.bit();
    }
}

/// Where the PEM text of an entry came from: the registry field decides which labels fit.
#[derive(Debug, Clone, Copy)]
pub(super) enum Material<'a> {
    PublicKey(&'a str),
    Certificate(&'a str),
}

pub(super) fn load_key(
    material: Material<'_>,
    permissions: Permissions,
) -> Result<TrustedKey, KeyProblem> {
    let (field, text, expected) = match material {
        Material::PublicKey(t) => ("publicKey", t, "PUBLIC KEY or RSA PUBLIC KEY"),
        Material::Certificate(t) => ("certificate", t, "CERTIFICATE"),
    };
    // pem's error text can quote the offending input, so it is not passed on.
    let pem = pem::parse(text).map_err(|_| KeyProblem::BadPem)?;
    let der = pem.contents();
    let (alg, key) = match (material, pem.tag()) {
        (Material::PublicKey(_), "PUBLIC KEY") => from_spki_der(der)?,
        (Material::PublicKey(_), "RSA PUBLIC KEY") => rsa_from_pkcs1(der)?,
        (Material::Certificate(_), "CERTIFICATE") => {
            let cert = match X509Certificate::from_der(der) {
                Ok(([], cert)) => cert,
                _ => return Err(KeyProblem::BadCertificate),
            };
            from_spki(cert.public_key())?
        }
        (_, label) if label.contains("PRIVATE") => return Err(KeyProblem::PrivateKey),
        (_, label) => {
            return Err(KeyProblem::WrongPemLabel {
                field,
                label: excerpt(label),
                expected,
            })
        }
    };
    Ok(TrustedKey::new(alg, key, permissions))
}

fn from_spki_der(der: &[u8]) -> Result<(Algorithm, DecodingKey), KeyProblem> {
    match SubjectPublicKeyInfo::from_der(der) {
        Ok(([], spki)) => from_spki(&spki),
        _ => Err(KeyProblem::BadPublicKey),
    }
}

fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<(Algorithm, DecodingKey), KeyProblem> {
    match spki.parsed() {
        // For rsaEncryption the BIT STRING holds the PKCS#1 RSAPublicKey.
        Ok(PublicKey::RSA(_)) => rsa_from_pkcs1(&spki.subject_public_key.data),
        // aws-lc checks the SPKI's curve is P-256 and the point is on it.
        // jsonwebtoken wants the SEC1 point, which the BIT STRING holds.
        Ok(PublicKey::EC(_)) => match ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, spki.raw) {
            Ok(_) => {
                let point = &spki.subject_public_key.data;
                Ok((Algorithm::ES256, DecodingKey::from_ec_der(point)))
            }
            Err(_) => Err(KeyProblem::BadEcKey),
        },
        Ok(_) => Err(KeyProblem::UnsupportedKeyType),
        Err(_) => Err(KeyProblem::BadPublicKey),
    }
}

fn rsa_from_pkcs1(der: &[u8]) -> Result<(Algorithm, DecodingKey), KeyProblem> {
    let bits = RsaParameters::public_modulus_len(der).map_err(|_| KeyProblem::BadPublicKey)?;
    if bits < MIN_RSA_BITS {
        return Err(KeyProblem::RsaTooSmall { bits });
    }
    if bits > MAX_RSA_BITS {
        return Err(KeyProblem::RsaTooLarge { bits });
    }
    Ok((Algorithm::RS256, DecodingKey::from_rsa_der(der)))
}
