//! Everything about a JWT that needs no key: the bearer header, the header's algorithm, the
//! unverified claims, and the time and audience rules for the claims.
//!
//! Parsing and signature checks are `jsonwebtoken`'s. The time and audience rules are ours
//! because we are handed `now` (jsonwebtoken reads the clock), `iat` is required and bounds
//! the lifetime, and `aud` is optional even when audiences are configured.

use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{dangerous, Algorithm};
use serde::de::{self, Deserializer};
use serde::Deserialize;

use super::AuthError;

/// Tolerated clock difference between the token issuer and us, seconds.
pub(super) const CLOCK_SKEW: u64 = 60;
/// Longest accepted `exp - iat`, seconds.
pub(super) const MAX_LIFETIME: u64 = 24 * 60 * 60;

/// The claims we read; others are ignored. Duplicate members are rejected by serde, so a token
/// cannot carry one `sub` for us and another for some other parser.
#[derive(Deserialize)]
pub(super) struct Claims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub iat: Option<NumericDate>,
    pub exp: Option<NumericDate>,
    pub nbf: Option<NumericDate>,
    pub aud: Option<Audience>,
    pub jti: Option<String>,
}

/// Seconds since the epoch. RFC 7519 allows fractions; they are truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NumericDate(pub u64);

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = NumericDate;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a non-negative number of seconds")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumericDate, E> {
                Ok(NumericDate(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumericDate, E> {
                u64::try_from(v)
                    .map(NumericDate)
                    .map_err(|_| E::custom("negative date"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumericDate, E> {
                if v.is_finite() && v >= 0.0 {
                    // `as` saturates for values beyond u64::MAX, which is what we want.
                    Ok(NumericDate(v as u64))
                } else {
                    Err(E::custom("invalid date"))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `aud` is a single string or an array of strings (RFC 7519 §4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Returns the token of a `Bearer` authorization header. The scheme is case-insensitive
/// (RFC 7235) and surrounding whitespace is tolerated.
pub(super) fn bearer_token(authorization: Option<&str>) -> Result<&str, AuthError> {
    let value = authorization.map(str::trim).unwrap_or_default();
    let (scheme, token) = value
        .split_once(|c: char| c.is_ascii_whitespace())
        .ok_or(AuthError::MissingBearer)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::MissingBearer);
    }
    Ok(token)
}

/// The token's algorithm, which must be one we accept (RS256 or ES256): anything else (`none`,
/// `HS256`, `PS256`, ...) is refused before a key is looked at, which rules out algorithm
/// confusion. A shape, base64 or JSON problem is [`AuthError::Malformed`].
pub(super) fn header_alg(token: &str) -> Result<Algorithm, AuthError> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
        ErrorKind::Json(_) if names_other_alg(token) => AuthError::AlgorithmNotAllowed,
        _ => auth_error(&e),
    })?;
    // We implement no JWS extensions, so per RFC 7515 §4.1.11 any `crit` means reject.
    if header.crit.is_some() {
        return Err(AuthError::Malformed);
    }
    match header.alg {
        Algorithm::RS256 | Algorithm::ES256 => Ok(header.alg),
        _ => Err(AuthError::AlgorithmNotAllowed),
    }
}

/// Whether a header jsonwebtoken could not read names an algorithm other than ours (`none`,
/// `None`, ...), so that such a token gets "algorithm not allowed" rather than "malformed".
/// Only this error path pays for it: the header segment is decoded again, through
/// jsonwebtoken's own base64url and JSON code, by presenting it as a payload.
fn names_other_alg(token: &str) -> bool {
    #[derive(Deserialize)]
    struct AlgOnly {
        alg: String,
    }
    let header = token.split('.').next().unwrap_or_default();
    dangerous::insecure_decode_claims::<AlgOnly>(format!(".{header}."))
        .is_ok_and(|h| !matches!(h.alg.as_str(), "RS256" | "ES256"))
}

/// The claims, not yet verified: enough to find the caller's keys.
pub(super) fn unverified_claims(token: &str) -> Result<Claims, AuthError> {
    dangerous::insecure_decode_claims(token).map_err(|e| auth_error(&e))
}

/// Maps a jsonwebtoken failure to what we tell the caller.
pub(super) fn auth_error(err: &Error) -> AuthError {
    match err.kind() {
        ErrorKind::InvalidSignature => AuthError::InvalidSignature,
        // Header algorithm not the key's, or key not of the algorithm's family.
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat => AuthError::AlgorithmNotAllowed,
        _ => AuthError::Malformed,
    }
}

/// Applies the time and audience rules to verified claims; returns `exp`.
pub(super) fn check_claims(
    claims: &Claims,
    now: u64,
    audiences: &[String],
) -> Result<u64, AuthError> {
    let iat = claims.iat.ok_or(AuthError::MissingClaim("iat"))?.0;
    let exp = claims.exp.ok_or(AuthError::MissingClaim("exp"))?.0;
    if exp < iat {
        return Err(AuthError::ExpiresBeforeIssued);
    }
    if exp - iat > MAX_LIFETIME {
        return Err(AuthError::LifetimeTooLong);
    }
    if now > exp.saturating_add(CLOCK_SKEW) {
        return Err(AuthError::Expired);
    }
    let not_before = claims.nbf.map_or(iat, |nbf| nbf.0.max(iat));
    if not_before > now.saturating_add(CLOCK_SKEW) {
        return Err(AuthError::NotYetValid);
    }
    if claims.jti.as_ref().is_some_and(|jti| {
        jti.len() > super::MAX_JTI_CHARS && jti.chars().count() > super::MAX_JTI_CHARS
    }) {
        return Err(AuthError::JtiTooLong);
    }
    if let Some(aud) = &claims.aud {
        let accepted = |a: &String| audiences.contains(a);
        let ok = match aud {
            Audience::One(a) => accepted(a),
            Audience::Many(all) => all.iter().any(accepted),
        };
        if !ok {
            return Err(AuthError::AudienceNotAccepted);
        }
    }
    Ok(exp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_trimmed() {
        assert_eq!(bearer_token(Some("Bearer a.b.c")), Ok("a.b.c"));
        assert_eq!(bearer_token(Some("  bEaReR \t a.b.c  ")), Ok("a.b.c"));
        for bad in [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer   "),
            Some("Basic a.b.c"),
            Some("a.b.c"),
        ] {
            assert_eq!(bearer_token(bad), Err(AuthError::MissingBearer), "{bad:?}");
        }
    }

    #[test]
    fn only_rs256_and_es256_headers_pass() {
        // {"alg":"RS256"} and {"alg":"ES256","typ":"JWT"}
        assert_eq!(
            header_alg("eyJhbGciOiJSUzI1NiJ9.e30."),
            Ok(Algorithm::RS256)
        );
        assert_eq!(
            header_alg("eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2ln"),
            Ok(Algorithm::ES256)
        );
        for refused in [
            "eyJhbGciOiJub25lIn0",             // {"alg":"none"}: unknown to jsonwebtoken
            "eyJhbGciOiJQUzI1NiJ9",            // {"alg":"PS256"}
            "eyJhbGciOiJIUzI1NiIsImtpZCI6NX0", // {"alg":"HS256","kid":5}: unreadable, yet HMAC
        ] {
            let token = format!("{refused}.e30.");
            assert_eq!(
                header_alg(&token),
                Err(AuthError::AlgorithmNotAllowed),
                "{token}"
            );
        }
    }

    #[test]
    fn structural_errors_are_malformed() {
        for bad in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "e30.e30.",
            "eyJhbGciOjV9.e30.",                    // {"alg":5}
            "eyJhbGciOiJSUzI1NiIsImtpZCI6NX0.e30.", // {"alg":"RS256","kid":5}
        ] {
            assert_eq!(header_alg(bad), Err(AuthError::Malformed), "{bad:?}");
        }
        // {"alg":"RS256","crit":["b64"]}
        let crit = "eyJhbGciOiJSUzI1NiIsImNyaXQiOlsiYjY0Il19.e30.";
        assert_eq!(header_alg(crit), Err(AuthError::Malformed));
        for bad in ["eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.", "a.e30"] {
            assert!(
                matches!(unverified_claims(bad), Err(AuthError::Malformed)),
                "{bad:?}"
            );
        }
    }

    fn claims(json: &str) -> Claims {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn dates_accept_fractions_and_reject_negatives_and_strings() {
        let c = claims(r#"{"iat": 10.9, "exp": 20}"#);
        assert_eq!(
            (c.iat, c.exp),
            (Some(NumericDate(10)), Some(NumericDate(20)))
        );
        assert!(serde_json::from_str::<Claims>(r#"{"exp": -1}"#).is_err());
        assert!(serde_json::from_str::<Claims>(r#"{"exp": "20"}"#).is_err());
        assert!(serde_json::from_str::<Claims>(r#"{"sub": "a", "sub": "b"}"#).is_err());
    }

    #[test]
    fn time_rules() {
        let now = 1_000_000;
        let check = |json: &str| check_claims(&claims(json), now, &[]);
        assert_eq!(check(r#"{"iat": 999000, "exp": 1000100}"#), Ok(1_000_100));
        assert_eq!(
            check(r#"{"iat": 999000, "exp": 999940}"#),
            Ok(999_940),
            "exactly at skew"
        );
        assert_eq!(
            check(r#"{"iat": 999000, "exp": 999939}"#),
            Err(AuthError::Expired)
        );
        assert_eq!(check(r#"{"iat": 1000060, "exp": 1000100}"#), Ok(1_000_100));
        assert_eq!(
            check(r#"{"iat": 1000061, "exp": 1000100}"#),
            Err(AuthError::NotYetValid)
        );
        assert_eq!(
            check(r#"{"iat": 999000, "nbf": 1000061, "exp": 1000100}"#),
            Err(AuthError::NotYetValid)
        );
        assert_eq!(
            check(r#"{"iat": 1000000, "exp": 1086400}"#),
            Ok(1_086_400),
            "exactly 24 h"
        );
        assert_eq!(
            check(r#"{"iat": 1000000, "exp": 1086401}"#),
            Err(AuthError::LifetimeTooLong)
        );
        assert_eq!(
            check(r#"{"iat": 1000000, "exp": 999999}"#),
            Err(AuthError::ExpiresBeforeIssued)
        );
        assert_eq!(
            check(r#"{"exp": 1000100}"#),
            Err(AuthError::MissingClaim("iat"))
        );
        assert_eq!(
            check(r#"{"iat": 1000000}"#),
            Err(AuthError::MissingClaim("exp"))
        );
        let huge = format!(r#"{{"iat": {m}, "exp": {m}}}"#, m = u64::MAX);
        assert_eq!(check(&huge), Err(AuthError::NotYetValid), "no overflow");
    }

    #[test]
    fn audience_rules() {
        let now = 1_000_000;
        let configured = ["https://a".to_owned(), "https://b".to_owned()];
        let check = |aud: &str, audiences: &[String]| {
            let json = format!(r#"{{"iat": {now}, "exp": {now}, "aud": {aud}}}"#);
            check_claims(&claims(&json), now, audiences)
        };
        assert!(check(r#""https://b""#, &configured).is_ok());
        assert!(check(r#"["x", "https://a"]"#, &configured).is_ok());
        assert!(check("null", &[]).is_ok(), "null is absent");
        assert_eq!(
            check(r#""https://c""#, &configured),
            Err(AuthError::AudienceNotAccepted)
        );
        assert_eq!(
            check("[]", &configured),
            Err(AuthError::AudienceNotAccepted)
        );
        assert_eq!(
            check(r#""https://a""#, &[]),
            Err(AuthError::AudienceNotAccepted)
        );
        assert!(serde_json::from_str::<Claims>(r#"{"aud": 5}"#).is_err());
    }
}
