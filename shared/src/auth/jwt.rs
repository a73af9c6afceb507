//! Everything about a JWT that needs no key: the bearer header, the compact serialisation, the
//! header's algorithm, and the time and audience rules for the claims.
//!
//! Parsing is done here rather than by `jsonwebtoken::decode` because that API reads the clock
//! itself (we are handed `now`), insists on `aud` when audiences are configured (ours is
//! optional), and parses header and claims twice per call.

use std::borrow::Cow;

use serde::de::{self, Deserializer, IgnoredAny};
use serde::Deserialize;

use super::AuthError;

/// Tolerated clock difference between the token issuer and us, seconds.
pub(super) const CLOCK_SKEW: u64 = 60;
/// Longest accepted `exp - iat`, seconds.
pub(super) const MAX_LIFETIME: u64 = 24 * 60 * 60;

/// The only signature algorithms accepted. Anything else in a header (`none`, `HS256`, `PS256`,
/// ...) is refused before a key is looked at, which rules out algorithm confusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Alg {
    Rs256,
    Es256,
}

/// A token split and decoded, but not yet verified.
pub(super) struct Token<'t> {
    pub alg: Alg,
    /// `base64url(header) "." base64url(payload)`: the bytes the signature covers.
    pub signing_input: &'t [u8],
    pub signature: Vec<u8>,
    pub claims: Claims,
}

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

/// Splits and decodes a compact JWS. The header's algorithm is checked before the payload is
/// even decoded, so a `none`/HMAC token gets "algorithm not allowed" however odd its payload.
pub(super) fn parse(token: &str) -> Result<Token<'_>, AuthError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed);
    };
    let decode = |segment: &str| b64url_decode(segment.as_bytes()).ok_or(AuthError::Malformed);

    let alg = parse_header(&decode(header_b64)?)?;
    let claims = serde_json::from_slice(&decode(payload_b64)?).map_err(|_| AuthError::Malformed)?;
    let signature = decode(signature_b64)?;
    let signed_len = header_b64.len() + 1 + payload_b64.len();
    Ok(Token {
        alg,
        signing_input: &token.as_bytes()[..signed_len],
        signature,
        claims,
    })
}

fn parse_header(json: &[u8]) -> Result<Alg, AuthError> {
    #[derive(Deserialize)]
    struct Header<'a> {
        #[serde(borrow)]
        alg: Cow<'a, str>,
        // We implement no JWS extensions, so per RFC 7515 §4.1.11 any `crit` means reject.
        crit: Option<IgnoredAny>,
    }
    let header: Header<'_> = serde_json::from_slice(json).map_err(|_| AuthError::Malformed)?;
    if header.crit.is_some() {
        return Err(AuthError::Malformed);
    }
    match &*header.alg {
        "RS256" => Ok(Alg::Rs256),
        "ES256" => Ok(Alg::Es256),
        _ => Err(AuthError::AlgorithmNotAllowed),
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

/// Strict unpadded base64url (RFC 7515 §2). Non-zero trailing bits are rejected so that every
/// byte string has exactly one encoding: otherwise a "tampered" signature could still verify.
pub(super) fn b64url_decode(input: &[u8]) -> Option<Vec<u8>> {
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_and_is_strict() {
        assert_eq!(b64url_decode(b"").unwrap(), b"");
        assert_eq!(b64url_decode(b"Zg").unwrap(), b"f");
        assert_eq!(b64url_decode(b"Zm8").unwrap(), b"fo");
        assert_eq!(b64url_decode(b"Zm9v").unwrap(), b"foo");
        assert_eq!(b64url_decode(b"-_8").unwrap(), [0xfb, 0xff]);
        assert!(b64url_decode(b"Zh").is_none(), "non-zero trailing bits");
        assert!(b64url_decode(b"Zg==").is_none(), "padding");
        assert!(b64url_decode(b"Zm9vY").is_none(), "impossible length");
        assert!(b64url_decode(b"Zm+v").is_none(), "standard alphabet");
    }

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
    fn signing_input_is_header_and_payload() {
        // {"alg":"RS256"} . {} . (empty signature)
        let token = "eyJhbGciOiJSUzI1NiJ9.e30.";
        let parsed = parse(token).ok().unwrap();
        assert_eq!(parsed.signing_input, b"eyJhbGciOiJSUzI1NiJ9.e30");
        assert_eq!(parsed.alg, Alg::Rs256);
        assert!(parsed.signature.is_empty());
    }

    #[test]
    fn structural_errors_are_malformed() {
        for bad in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "e30.e30.",
            "eyJhbGciOiJSUzI1NiJ9.e30.!",
        ] {
            assert!(matches!(parse(bad), Err(AuthError::Malformed)), "{bad:?}");
        }
        // {"alg":"RS256","crit":["b64"]}
        let crit = "eyJhbGciOiJSUzI1NiIsImNyaXQiOlsiYjY0Il19.e30.";
        assert!(matches!(parse(crit), Err(AuthError::Malformed)));
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
