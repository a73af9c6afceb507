//! One fuzz input as bytes, for the coverage-guided targets (`fuzz/`, libFuzzer): a request
//! written as an HTTP/1-like text that every byte string decodes to, so that libFuzzer's own
//! byte mutations and the structure-aware ones of [`mutate_case`] both make requests.
//!
//! ```text
//! POST /telephony/v1/voiceCalls/KEY/messages     the method and the path
//! content-type: application/json                 headers, one a line
//! x-fuzz-jwt-claims: {"iss":"00D…","sub":"…"}    a token to sign (see below)
//!                                                an empty line
//! {"messageId":"m1", …}                          the body: every byte after it
//! ```
//!
//! The `Authorization` header is decided by three pseudo-headers, removed before the request is
//! made: with `x-fuzz-jwt-claims` the harness signs `x-fuzz-jwt-header` (ES256 by default) and
//! the claims, as written, with the registered key of the route (the reader's for the action,
//! the writer's for telephony), after `x-fuzz-scheme` (`Bearer ` by default); with an
//! `authorization` line the value is sent as given; with neither, a valid token of the route.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::seeds::{self, Keys, Seed, Signer};
use crate::{mutate, Target};

pub const JWT_HEADER: &str = "x-fuzz-jwt-header";
pub const JWT_CLAIMS: &str = "x-fuzz-jwt-claims";
pub const SCHEME: &str = "x-fuzz-scheme";
const DEFAULT_JWT_HEADER: &str = r#"{"alg":"ES256","typ":"JWT"}"#;

/// Writes `seed` as bytes (header values lose any line break: one header a line).
pub fn encode(seed: &Seed) -> Vec<u8> {
    let line = |s: &str| s.replace(['\r', '\n'], " ");
    let mut out = format!("{} {}\n", line(&seed.method), line(&seed.path)).into_bytes();
    for (name, value) in &seed.headers {
        out.extend(format!("{}: {}\n", line(name), line(value)).into_bytes());
    }
    if let Some(auth) = &seed.authorization {
        out.extend(format!("authorization: {}\n", line(auth)).into_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(&seed.body);
    out
}

/// Reads any bytes as a request: the head up to the first empty line (all of it if there is
/// none), then the body.
pub fn decode(data: &[u8]) -> Seed {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n');
    let request_line = lines.next().unwrap_or_default();
    let (method, path) = request_line.split_once(' ').unwrap_or((request_line, "/"));
    let mut seed = Seed {
        method: method.to_owned(),
        path: path.to_owned(),
        headers: Vec::new(),
        body: body.to_vec(),
        authorization: None,
    };
    for line in lines {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        if name.eq_ignore_ascii_case("authorization") {
            seed.authorization = Some(value.to_owned());
        } else {
            seed.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    seed
}

fn take_header(seed: &mut Seed, name: &str) -> Option<String> {
    let i = seed
        .headers
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case(name))?;
    Some(seed.headers.remove(i).1)
}

fn set_header(seed: &mut Seed, name: &str, value: String) {
    seed.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    seed.headers.push((name.to_owned(), value));
}

fn header<'a>(seed: &'a Seed, name: &str) -> Option<&'a str> {
    seed.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub(crate) fn signer_of(seed: &Seed) -> Signer {
    if seed.is_action() {
        Signer::Reader
    } else {
        Signer::Writer
    }
}

/// Settles the `Authorization` of a decoded case (see the module's notes): the pseudo-headers
/// are removed and the token signed, given, or a valid one of the route.
pub fn authorize(seed: &mut Seed, keys: &Keys) {
    let header = take_header(seed, JWT_HEADER);
    let claims = take_header(seed, JWT_CLAIMS);
    let scheme = take_header(seed, SCHEME);
    if let Some(claims) = claims {
        let header = header.unwrap_or_else(|| DEFAULT_JWT_HEADER.to_owned());
        let token = keys.sign_raw(signer_of(seed), header.as_bytes(), claims.as_bytes());
        seed.authorization = Some(format!("{}{token}", scheme.as_deref().unwrap_or("Bearer ")));
    } else if seed.authorization.is_none() {
        seed.authorize(keys, signer_of(seed));
    }
}

/// The token pseudo-headers of a fresh, valid token for `seed`'s route, with a `jti`.
fn default_token(seed: &mut Seed, rng: &mut StdRng) {
    let sub = seeds::subject(signer_of(seed));
    let mut claims = crate::claims(seeds::ORG, sub);
    claims["exp"] = json!(crate::now() + 23 * 3600);
    claims["jti"] = json!(format!("j{}", rng.random::<u64>()));
    set_header(seed, JWT_CLAIMS, claims.to_string());
    set_header(seed, JWT_HEADER, DEFAULT_JWT_HEADER.to_owned());
    set_header(seed, SCHEME, "Bearer ".to_owned());
    seed.authorization = None;
}

/// The seed corpus of `target`, from the real fixtures: each seed the target mutates, encoded.
pub fn corpus(target: Target, seeds: &[Seed]) -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(0);
    seeds
        .iter()
        .filter(|s| target.takes(s))
        .map(|s| {
            let mut seed = s.clone();
            if target == Target::Token {
                default_token(&mut seed, &mut rng);
            }
            encode(&seed)
        })
        .collect()
}

fn mutate_text(text: &mut String, max: usize, byte_mutator: &mut dyn FnMut(&mut Vec<u8>, usize)) {
    let mut bytes = std::mem::take(text).into_bytes();
    byte_mutator(&mut bytes, max);
    *text = String::from_utf8_lossy(&bytes).into_owned();
}

fn mutate_json_text(text: &mut String, rng: &mut StdRng) {
    let mut tree: Value = serde_json::from_str(text).unwrap_or_else(|_| json!({}));
    mutate::tree(&mut tree, rng);
    *text = tree.to_string();
}

/// One structure-aware mutation of the encoded case in `data`, for `target`: the part the target
/// fuzzes (the body for `json`, `xml` and `action`; the token's claims, header and scheme for
/// `token`; the path, method and format headers for `request`) is changed as a tree with
/// [`mutate::tree`], as the stable driver does, or as bytes, with [`mutate::bytes`] or with
/// `byte_mutator` (libFuzzer's own mutator, which knows the comparisons the code made). The
/// result is at most `max_size` bytes, or `None`.
pub fn mutate_case(
    target: Target,
    data: &[u8],
    seed: u32,
    max_size: usize,
    byte_mutator: &mut dyn FnMut(&mut Vec<u8>, usize),
) -> Option<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(u64::from(seed));
    let mut case = decode(data);
    let roll: f64 = rng.random();
    match target {
        Target::Json | Target::Xml | Target::Action => {
            if roll < 0.45 {
                match case.tree() {
                    Some(mut tree) => {
                        mutate::tree(&mut tree, &mut rng);
                        case.set_tree(&tree);
                    }
                    None => mutate::bytes(&mut case.body, &mut rng),
                }
            } else if roll < 0.6 {
                mutate::bytes(&mut case.body, &mut rng);
            } else {
                let room = max_size.saturating_sub(head_len(&case));
                byte_mutator(&mut case.body, room);
            }
        }
        Target::Token => {
            if header(&case, JWT_CLAIMS).is_none() && case.authorization.is_none() {
                default_token(&mut case, &mut rng);
            }
            if let Some(auth) = case.authorization.as_mut() {
                // A raw token: only bytes, sometimes signed again from scratch.
                if roll < 0.1 {
                    default_token(&mut case, &mut rng);
                } else if roll < 0.5 {
                    let mut bytes = std::mem::take(auth).into_bytes();
                    mutate::bytes(&mut bytes, &mut rng);
                    *auth = String::from_utf8_lossy(&bytes).into_owned();
                } else {
                    mutate_text(auth, max_size, byte_mutator);
                }
            } else {
                let part = if rng.random_bool(0.8) {
                    JWT_CLAIMS
                } else {
                    JWT_HEADER
                };
                let mut text = header(&case, part).unwrap_or(DEFAULT_JWT_HEADER).to_owned();
                if roll < 0.45 {
                    mutate_json_text(&mut text, &mut rng);
                } else if roll < 0.8 {
                    mutate_text(&mut text, max_size, byte_mutator);
                } else if roll < 0.88 {
                    let scheme = seeds::SCHEMES[rng.random_range(0..seeds::SCHEMES.len())];
                    set_header(&mut case, SCHEME, scheme.to_owned());
                } else if roll < 0.93 {
                    let mut claims: Value = serde_json::from_str(&text).unwrap_or(json!({}));
                    if let Some(obj) = claims.as_object_mut() {
                        obj.insert("jti".into(), json!("j".repeat(rng.random_range(200..3000))));
                    }
                    text = claims.to_string();
                } else {
                    // The same parts with a signature that does not match, then as bytes.
                    let header = take_header(&mut case, JWT_HEADER).unwrap_or_default();
                    let claims = take_header(&mut case, JWT_CLAIMS).unwrap_or_default();
                    let scheme = take_header(&mut case, SCHEME).unwrap_or_default();
                    let signature: Vec<u8> = (0..64).map(|_| rng.random()).collect();
                    let mut bytes = format!(
                        "{scheme}{}.{}.{}",
                        seeds::b64url(header.as_bytes()),
                        seeds::b64url(claims.as_bytes()),
                        seeds::b64url(&signature)
                    )
                    .into_bytes();
                    mutate::bytes(&mut bytes, &mut rng);
                    case.authorization = Some(String::from_utf8_lossy(&bytes).into_owned());
                }
                if header(&case, JWT_CLAIMS).is_some() {
                    set_header(&mut case, part, text);
                }
            }
        }
        Target::Request => {
            if roll < 0.55 {
                seeds::mutate_request(&mut case, &mut rng);
            } else if roll < 0.8 {
                mutate_text(&mut case.path, max_size, byte_mutator);
            } else if roll < 0.9 {
                let name =
                    ["content-type", "accept", "telephony-provider-name"][rng.random_range(0..3)];
                let mut value = header(&case, name).unwrap_or_default().to_owned();
                mutate_text(&mut value, max_size, byte_mutator);
                set_header(&mut case, name, value);
            } else {
                let room = max_size.saturating_sub(head_len(&case));
                byte_mutator(&mut case.body, room);
            }
        }
    }
    let out = encode(&case);
    (out.len() <= max_size).then_some(out)
}

/// The bytes of `case` before its body.
fn head_len(case: &Seed) -> usize {
    let mut head = case.clone();
    head.body.clear();
    encode(&head).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_then_decode_is_the_same_request() {
        let seed = Seed {
            method: "POST".into(),
            path: "/telephony/v1/voiceCalls/k/messages".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: b"{\"a\":\n\n1}\xff".to_vec(),
            authorization: Some("Bearer x.y.z".into()),
        };
        let back = decode(&encode(&seed));
        assert_eq!(back.method, seed.method);
        assert_eq!(back.path, seed.path);
        assert_eq!(back.headers, seed.headers);
        assert_eq!(back.body, seed.body);
        assert_eq!(back.authorization, seed.authorization);
    }

    #[test]
    fn any_bytes_decode() {
        for data in [
            &b""[..],
            b"\n\n",
            b"GET",
            b"\xff\xfe\n:\n\nbody",
            b"A B C\nx\n\n",
        ] {
            let _ = decode(data);
        }
    }
}
