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
use sha2::{Digest, Sha256};

/// A key as parsed: its algorithm, its verifier, and its SubjectPublicKeyInfo DER.
struct Loaded {
    alg: Algorithm,
    key: DecodingKey,
    spki: Vec<u8>,
}

const MIN_RSA_BITS: u32 = 2048;
const MAX_RSA_BITS: u32 = 8192;

/// A registered key, ready to verify signatures.
pub(crate) struct TrustedKey {
    /// The one algorithm this key may be used with, fixed by its type.
    pub alg: Algorithm,
    pub permissions: Permissions,
    /// `allowTokenReuse`: one token (same `jti`) may serve many requests within its validity.
    pub allow_token_reuse: bool,
    /// SHA-256 of the key's SubjectPublicKeyInfo DER (a PKCS#1 key is wrapped in one first), so
    /// that one key has one fingerprint whether registered as a key or in a certificate.
    pub fingerprint: [u8; 32],
    key: DecodingKey,
}

impl TrustedKey {
    fn new(loaded: Loaded, permissions: Permissions) -> Self {
        TrustedKey {
            alg: loaded.alg,
            permissions,
            allow_token_reuse: false,
            fingerprint: Sha256::digest(&loaded.spki).into(),
            key: loaded.key,
        }
    }

    /// The fingerprint as lower-case hex, as the admin API shows it.
    pub fn fingerprint_hex(&self) -> String {
        self.fingerprint
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
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
pub(crate) struct Permissions(u8);

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
pub(crate) enum Material<'a> {
    PublicKey(&'a str),
    Certificate(&'a str),
}

pub(crate) fn load_key(
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
    let loaded = match (material, pem.tag()) {
        (Material::PublicKey(_), "PUBLIC KEY") => from_spki_der(der)?,
        (Material::PublicKey(_), "RSA PUBLIC KEY") => {
            let (alg, key) = rsa_from_pkcs1(der)?;
            Loaded {
                alg,
                key,
                spki: rsa_spki(der),
            }
        }
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
    Ok(TrustedKey::new(loaded, permissions))
}

fn from_spki_der(der: &[u8]) -> Result<Loaded, KeyProblem> {
    match SubjectPublicKeyInfo::from_der(der) {
        Ok(([], spki)) => from_spki(&spki),
        _ => Err(KeyProblem::BadPublicKey),
    }
}

fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<Loaded, KeyProblem> {
    let (alg, key) = alg_and_key(spki)?;
    Ok(Loaded {
        alg,
        key,
        spki: spki.raw.to_vec(),
    })
}

fn alg_and_key(spki: &SubjectPublicKeyInfo<'_>) -> Result<(Algorithm, DecodingKey), KeyProblem> {
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

/// A PKCS#1 `RSAPublicKey` wrapped as the SubjectPublicKeyInfo that names it `rsaEncryption`.
fn rsa_spki(pkcs1: &[u8]) -> Vec<u8> {
    // AlgorithmIdentifier { rsaEncryption, NULL }
    const ALGORITHM: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bits = vec![0x00];
    bits.extend_from_slice(pkcs1);
    let bit_string = der_tlv(0x03, &bits);
    let mut body = ALGORITHM.to_vec();
    body.extend_from_slice(&bit_string);
    der_tlv(0x30, &body)
}

/// One DER tag-length-value.
fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pkcs1_key_has_the_fingerprint_of_its_spki() {
        let pair = crate::auth::keygen::generate_rsa_keypair();
        let der = pem::parse(&pair.public_spki_pem).unwrap();
        let (_, info) = SubjectPublicKeyInfo::from_der(der.contents()).unwrap();
        let pkcs1_pem = pem::encode(&pem::Pem::new(
            "RSA PUBLIC KEY",
            info.subject_public_key.data.to_vec(),
        ));
        assert_eq!(rsa_spki(&info.subject_public_key.data), der.contents());
        let spki = load_key(
            Material::PublicKey(&pair.public_spki_pem),
            Permissions::default(),
        )
        .unwrap();
        let pkcs1 = load_key(Material::PublicKey(&pkcs1_pem), Permissions::default()).unwrap();
        assert_eq!(spki.fingerprint, pkcs1.fingerprint);
        assert_eq!(spki.fingerprint_hex().len(), 64);
    }
}
