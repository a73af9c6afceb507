//! Bearer-JWT authentication shared by every HTTP endpoint.
//!
//! Callers present `Authorization: Bearer <JWT>` signed with a private key whose public half was
//! registered for their `(orgId, subject)` (see [`KeyRegistry`]). Accepted algorithms are RS256
//! (RSA 2048–8192 bit keys) and ES256 (EC P-256 keys), each only with a key of its own type;
//! `none`, HMAC and everything else is refused before any key is touched.
//!
//! Tokens are parsed and signatures checked by `jsonwebtoken`. Keys are checked once, at start-up,
//! and held as its `DecodingKey`s; a request costs decoding the token plus (normally) one
//! signature check.

mod error;
mod jwt;
pub mod keygen;
pub(crate) mod keys;
pub(crate) mod registry;

#[cfg(test)]
mod tests;

use std::fmt;

pub use error::{AuthError, KeyProblem, RegistryError};
pub use registry::{KeyMaterial, KeyRegistry, RegistryEntry};

/// Longest `jti` accepted (CONTRACT §1): its replay record's key must stay far inside DynamoDB's
/// 2048-byte partition key limit (256 characters are at most 1 KiB of UTF-8).
pub const MAX_JTI_CHARS: usize = 256;

/// What a registered key allows its holder to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    EventsWrite,
    IntelligenceRead,
}

impl Permission {
    pub const ALL: [Permission; 2] = [Permission::EventsWrite, Permission::IntelligenceRead];

    /// The spelling used in the registry document and in error messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::EventsWrite => "events:write",
            Permission::IntelligenceRead => "intelligence:read",
        }
    }

    /// Parses the registry spelling; `None` for anything unknown.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Bit used in [`keys::Permissions`], the per-key set.
    const fn bit(self) -> u8 {
        match self {
            Permission::EventsWrite => 1,
            Permission::IntelligenceRead => 2,
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The tenant: the token's `iss`.
    pub org_id: String,
    /// The registered subject: the token's `sub`.
    pub subject: String,
    /// The token's `jti`, if any, for replay protection (checked elsewhere).
    pub jti: Option<String>,
    /// The token's `exp`, unix seconds; a replay record need not outlive it (plus skew).
    pub expires_at: u64,
    /// The key that verified it allows its reuse (`allowTokenReuse`): no replay check.
    pub allow_token_reuse: bool,
}
