//! Turning registered PEM text into ready verification keys (start-up only).
//!
//! Keys are held as aws-lc-rs `ParsedPublicKey`s rather than `jsonwebtoken::DecodingKey`s: a
//! `DecodingKey` is only DER bytes that aws-lc re-parses (and jsonwebtoken clones) on every
//! verification, whereas a `ParsedPublicKey` is parsed exactly once, here.

use aws_lc_rs::signature::{
    ParsedPublicKey, RsaParameters, ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256,
};
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::error::{excerpt, KeyProblem};
use super::jwt::Alg;
use super::Permission;

const MIN_RSA_BITS: u32 = 2048;
const MAX_RSA_BITS: u32 = 8192;

/// A registered key, ready to verify signatures.
pub(super) struct TrustedKey {
    /// The one algorithm this key may be used with, fixed by its type.
    pub alg: Alg,
    pub permissions: Permissions,
    key: ParsedPublicKey,
}

impl TrustedKey {
    pub fn verifies(&self, signing_input: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(signing_input, signature).is_ok()
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
    Ok(TrustedKey {
        alg,
        permissions,
        key,
    })
}

fn from_spki_der(der: &[u8]) -> Result<(Alg, ParsedPublicKey), KeyProblem> {
    match SubjectPublicKeyInfo::from_der(der) {
        Ok(([], spki)) => from_spki(&spki),
        _ => Err(KeyProblem::BadPublicKey),
    }
}

fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<(Alg, ParsedPublicKey), KeyProblem> {
    match spki.parsed() {
        // For rsaEncryption the BIT STRING holds the PKCS#1 RSAPublicKey.
        Ok(PublicKey::RSA(_)) => rsa_from_pkcs1(&spki.subject_public_key.data),
        // aws-lc checks the SPKI's curve is P-256 and the point is on it.
        Ok(PublicKey::EC(_)) => ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, spki.raw)
            .map(|key| (Alg::Es256, key))
            .map_err(|_| KeyProblem::BadEcKey),
        Ok(_) => Err(KeyProblem::UnsupportedKeyType),
        Err(_) => Err(KeyProblem::BadPublicKey),
    }
}

fn rsa_from_pkcs1(der: &[u8]) -> Result<(Alg, ParsedPublicKey), KeyProblem> {
    let bits = RsaParameters::public_modulus_len(der).map_err(|_| KeyProblem::BadPublicKey)?;
    // aws-lc would refuse such keys only when verifying; refusing them here turns a silent
    // "invalid signature" on every request into a start-up error.
    if bits < MIN_RSA_BITS {
        return Err(KeyProblem::RsaTooSmall { bits });
    }
    if bits > MAX_RSA_BITS {
        return Err(KeyProblem::RsaTooLarge { bits });
    }
    ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der)
        .map(|key| (Alg::Rs256, key))
        .map_err(|_| KeyProblem::BadPublicKey)
}
