//! Error types. Messages are safe to return to callers or log: they never contain the token or
//! any key material, only what was wrong.

use std::path::PathBuf;

use super::Permission;

/// Why a request was not authenticated. Every variant means HTTP 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    MissingBearer,
    #[error("malformed token")]
    Malformed,
    #[error("algorithm not allowed")]
    AlgorithmNotAllowed,
    #[error("missing claim {0}")]
    MissingClaim(&'static str),
    #[error("unknown issuer or subject")]
    UnknownIssuerOrSubject,
    #[error("missing permission {0}")]
    MissingPermission(Permission),
    #[error("invalid signature")]
    InvalidSignature,
    #[error("token expired")]
    Expired,
    /// `nbf`, or `iat`, is later than now plus the tolerated clock skew.
    #[error("token not yet valid")]
    NotYetValid,
    #[error("token expires before it was issued")]
    ExpiresBeforeIssued,
    #[error("token lifetime exceeds 24 hours")]
    LifetimeTooLong,
    #[error("audience not accepted")]
    AudienceNotAccepted,
    /// Longer than [`super::MAX_JTI_CHARS`]: the replay record could not be keyed by it.
    #[error("jti longer than 256 characters")]
    JtiTooLong,
}

impl AuthError {
    /// Whether the refusal came before the signature was verified. Such a token is anyone's
    /// making, so it must learn nothing about the registry: unknown org/subject, a missing
    /// permission, the key's algorithm and a bad signature have to read the same (CONTRACT §1).
    pub fn before_verification(&self) -> bool {
        match self {
            Self::MissingBearer
            | Self::Malformed
            | Self::AlgorithmNotAllowed
            | Self::UnknownIssuerOrSubject
            | Self::MissingPermission(_)
            | Self::InvalidSignature => true,
            Self::MissingClaim(claim) => matches!(*claim, "iss" | "sub"),
            Self::Expired
            | Self::NotYetValid
            | Self::ExpiresBeforeIssued
            | Self::LifetimeTooLong
            | Self::AudienceNotAccepted
            | Self::JtiTooLong => false,
        }
    }

    /// What the caller is told: one generic message before verification, the reason after.
    /// The full reason is for the logs.
    pub fn caller_message(&self) -> String {
        if self.before_verification() {
            "invalid or unverifiable token".to_owned()
        } else {
            self.to_string()
        }
    }
}

/// Why the trusted-key registry could not be loaded. Start-up should fail on any of these.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("trusted keys: cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Only the position is reported: serde_json's messages can quote the offending value.
    #[error("trusted keys: invalid JSON ({kind}) at line {line} column {column}")]
    Json {
        kind: &'static str,
        line: usize,
        column: usize,
    },
    #[error("trusted keys: {0}")]
    Document(String),
    #[error("trusted keys: key #{index} (orgId {org_id:?}, subject {subject:?}): {problem}")]
    Key {
        index: usize,
        org_id: String,
        subject: String,
        problem: KeyProblem,
    },
}

impl RegistryError {
    pub(super) fn json(err: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let kind = match err.classify() {
            Category::Io => "i/o error",
            Category::Syntax => "syntax error",
            Category::Data => "unexpected data",
            Category::Eof => "unexpected end of input",
        };
        RegistryError::Json {
            kind,
            line: err.line(),
            column: err.column(),
        }
    }
}

/// What is wrong with one entry of the registry's `keys` array.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("entry is not a JSON object")]
    NotAnObject,
    #[error("unknown field {0:?}")]
    UnknownField(String),
    #[error("{0} must be a non-empty string")]
    BadString(&'static str),
    #[error("{0} must be true or false")]
    BadBoolean(&'static str),
    #[error("exactly one of publicKey or certificate is required")]
    KeyMaterialCount,
    #[error("key material is not valid PEM")]
    BadPem,
    #[error("key material is a private key; register the public key or certificate only")]
    PrivateKey,
    #[error("{field} has PEM label {label:?}, expected {expected}")]
    WrongPemLabel {
        field: &'static str,
        label: String,
        expected: &'static str,
    },
    #[error("certificate is not valid X.509")]
    BadCertificate,
    #[error("public key is not valid")]
    BadPublicKey,
    #[error("unsupported key type (only RSA and EC P-256 keys are accepted)")]
    UnsupportedKeyType,
    #[error("EC key is not a valid P-256 key (the only curve accepted)")]
    BadEcKey,
    #[error("RSA key has {bits} bits; at least 2048 are required")]
    RsaTooSmall { bits: u32 },
    #[error("RSA key has {bits} bits; at most 8192 are supported")]
    RsaTooLarge { bits: u32 },
    #[error("permissions must be a non-empty array of strings")]
    BadPermissions,
    #[error("unknown permission {0:?}")]
    UnknownPermission(String),
}

/// Bounds text copied from the registry document into an error (labels, field names,
/// permission strings): enough to recognise a typo, never a whole pasted key.
pub(super) fn excerpt(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}
