//! The real requests the driver starts from: every API Gateway event of `events/` and every
//! request the public clients were recorded sending (`corpus/recorded-requests.jsonl`, a copy of
//! the project's `clients/` recordings), with keys to sign them and ways to mutate their tokens,
//! paths and headers.

use std::path::Path;

use bytes::Bytes;
use http::Request;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

use crate::mutate;

pub const ORG: &str = "00DHs00000Kmpyr";
const WRITER: &str = "scv4cc1";
const READER: &str = "insights-console";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Writer,
    Reader,
}

/// The registered subject of `signer`.
pub fn subject(signer: Signer) -> &'static str {
    match signer {
        Signer::Writer => WRITER,
        Signer::Reader => READER,
    }
}

/// `Authorization` schemes, right and wrong.
pub const SCHEMES: [&str; 7] = [
    "Bearer ", "bearer ", "Bearer  ", "Basic ", "", "Bearer\t", "BEARER ",
];

/// Two registered ES256 keys (cheap to sign with, so every token input can be freshly signed),
/// and one reusable token of each (no `jti`) for the inputs that do not fuzz the token.
pub struct Keys {
    writer: EncodingKey,
    reader: EncodingKey,
    pub registry: String,
    writer_token: String,
    reader_token: String,
}

impl Keys {
    pub fn generate() -> Self {
        let pair =
            || rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a P-256 key");
        let (writer, reader) = (pair(), pair());
        let registry = json!({"audiences": ["https://scrt.salesforce.com"], "keys": [
            {"orgId": ORG, "subject": WRITER, "publicKey": writer.public_key_pem(), "permissions": ["events:write"]},
            {"orgId": ORG, "subject": READER, "publicKey": reader.public_key_pem(), "permissions": ["intelligence:read"]},
        ]})
        .to_string();
        let key = |pair: &rcgen::KeyPair| {
            EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).expect("PKCS#8 P-256")
        };
        let mut keys = Self {
            writer: key(&writer),
            reader: key(&reader),
            registry,
            writer_token: String::new(),
            reader_token: String::new(),
        };
        keys.writer_token = keys.sign(Signer::Writer, &json!({}), &Header::new(Algorithm::ES256));
        keys.reader_token = keys.sign(Signer::Reader, &json!({}), &Header::new(Algorithm::ES256));
        keys
    }

    /// A token of `signer` with the default claims overridden by `changes` (`null` removes).
    pub fn sign(&self, signer: Signer, changes: &Value, header: &Header) -> String {
        let mut claims = crate::claims(ORG, subject(signer));
        claims["exp"] = json!(crate::now() + 23 * 3600);
        for (name, value) in changes.as_object().into_iter().flatten() {
            if value.is_null() {
                claims.as_object_mut().expect("an object").remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        let key = match signer {
            Signer::Writer => &self.writer,
            Signer::Reader => &self.reader,
        };
        jsonwebtoken::encode(header, &claims, key).expect("ES256 signs")
    }

    /// A compact JWS of `header` and `claims` exactly as given (any bytes), signed ES256 with
    /// `signer`'s registered key: what the service sees after the signature check is whatever
    /// the claims say.
    pub fn sign_raw(&self, signer: Signer, header: &[u8], claims: &[u8]) -> String {
        let message = format!("{}.{}", b64url(header), b64url(claims));
        let key = match signer {
            Signer::Writer => &self.writer,
            Signer::Reader => &self.reader,
        };
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, Algorithm::ES256)
            .expect("ES256 signs");
        format!("{message}.{signature}")
    }

    fn token(&self, signer: Signer) -> &str {
        match signer {
            Signer::Writer => &self.writer_token,
            Signer::Reader => &self.reader_token,
        }
    }
}

/// One request: what an event or a recording asks for.
#[derive(Debug, Clone)]
pub struct Seed {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub authorization: Option<String>,
}

impl Seed {
    pub fn is_telephony(&self) -> bool {
        self.path.starts_with(shared::telephony::BASE_PATH)
    }

    pub fn is_action(&self) -> bool {
        self.path.starts_with(shared::actions::BASE_PATH)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_xml(&self) -> bool {
        self.header("content-type")
            .is_some_and(|c| c.contains("xml"))
    }

    /// The body as a tree, when it parses.
    pub fn tree(&self) -> Option<Value> {
        if self.is_xml() {
            shared::xml::parse(&self.body).ok()
        } else {
            serde_json::from_slice(&self.body).ok()
        }
    }

    pub fn set_tree(&mut self, tree: &Value) {
        self.body = if self.is_xml() {
            shared::xml::write_object("request", tree).into_bytes()
        } else {
            serde_json::to_vec(tree).expect("a tree serialises")
        };
    }

    pub fn authorize(&mut self, keys: &Keys, signer: Signer) {
        self.authorization = Some(format!("Bearer {}", keys.token(signer)));
    }

    pub fn request(&self) -> Request<Bytes> {
        let mut builder = Request::builder()
            .method(http::Method::from_bytes(self.method.as_bytes()).unwrap_or(http::Method::POST))
            .uri(
                http::Uri::try_from(self.path.as_str())
                    .unwrap_or_else(|_| http::Uri::from_static("/")),
            );
        for (name, value) in &self.headers {
            if name.eq_ignore_ascii_case("authorization") {
                continue;
            }
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_bytes(value.as_bytes()),
            ) {
                builder = builder.header(n, v);
            }
        }
        if let Some(auth) = &self.authorization {
            if let Ok(v) = http::HeaderValue::from_bytes(auth.as_bytes()) {
                builder = builder.header(http::header::AUTHORIZATION, v);
            }
        }
        builder
            .body(Bytes::from(self.body.clone()))
            .expect("a request")
    }
}

/// Every event of `events/` with a path, and every recorded client request.
pub fn load(keys: &Keys) -> Vec<Seed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(root.join("../events"))
        .expect("events/ is readable")
        .map(|e| e.expect("an entry").path())
        .collect();
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(&path).expect("an event file");
        let text = text
            .replace("{{TOKEN}}", keys.token(Signer::Writer))
            .replace("{{RECORD_ID}}", "5324881f-1e84-4367-8930-f69a74b30ca6")
            .replace(
                "{{PARENT_VOICE_CALL_ID}}",
                "5324881f-1e84-4367-8930-f69a74b30ca6",
            );
        let event: Value = serde_json::from_str(&text).expect("an event is JSON");
        let Some(path) = event["rawPath"].as_str() else {
            continue; // a contact-flow invocation, not an HTTP request
        };
        seeds.push(Seed {
            method: event["requestContext"]["http"]["method"]
                .as_str()
                .unwrap_or("POST")
                .to_owned(),
            path: path.to_owned(),
            headers: strings(&event["headers"]),
            body: event["body"]
                .as_str()
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
            authorization: None,
        });
    }
    let recorded = std::fs::read_to_string(root.join("corpus/recorded-requests.jsonl"))
        .expect("the recorded requests");
    for line in recorded.lines().filter(|l| !l.trim().is_empty()) {
        let request: Value = serde_json::from_str(line).expect("a recorded request");
        let body = match &request["body"] {
            Value::Null => Vec::new(),
            Value::String(s) => s.as_bytes().to_vec(),
            other => other.to_string().into_bytes(),
        };
        seeds.push(Seed {
            method: request["method"].as_str().unwrap_or("POST").to_owned(),
            path: request["path"].as_str().unwrap_or("/").to_owned(),
            headers: strings(&request["headers"]),
            body,
            authorization: None,
        });
    }
    seeds
}

fn strings(headers: &Value) -> Vec<(String, String)> {
    headers
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("authorization"))
        .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
        .collect()
}

/// A token for `signer`: its header and claims mutated as trees and signed, or mutated as text
/// after signing, under a sometimes-mangled scheme.
pub fn mutated_token(keys: &Keys, signer: Signer, rng: &mut StdRng) -> String {
    let mut claims = json!({"jti": format!("j{}", rng.random::<u64>())});
    if rng.random_bool(0.8) {
        let mut full = crate::claims(ORG, "x");
        full.as_object_mut().expect("an object").remove("sub");
        full["jti"] = claims["jti"].clone();
        mutate::tree(&mut full, rng);
        if !full.is_object() {
            full = json!({"claims": full});
        }
        claims = full;
        if rng.random_bool(0.5) {
            claims["sub"] = json!(match signer {
                Signer::Writer => WRITER,
                Signer::Reader => READER,
            });
        }
        if rng.random_bool(0.3) {
            claims["jti"] = json!("j".repeat(rng.random_range(200..3000)));
        }
    }
    let mut header = Header::new(Algorithm::ES256);
    if rng.random_bool(0.1) {
        header.kid = Some("x".repeat(rng.random_range(0..100)));
    }
    let mut token = keys.sign(signer, &claims, &header).into_bytes();
    if rng.random_bool(0.3) {
        let mut parts: Vec<Vec<u8>> = token.split(|&b| b == b'.').map(<[u8]>::to_vec).collect();
        let i = rng.random_range(0..parts.len());
        if rng.random_bool(0.5) {
            // A re-encoded JSON part: the signature no longer matches.
            let alg = ["ES256", "RS256", "none", "HS256", "PS256", "EdDSA"][rng.random_range(0..6)];
            let mut tree = json!({"alg": alg, "typ": "JWT"});
            mutate::tree(&mut tree, rng);
            parts[i] = b64url(tree.to_string().as_bytes()).into_bytes();
        } else {
            mutate::bytes(&mut parts[i], rng);
        }
        token = parts.join(&b'.');
    }
    let scheme = SCHEMES[rng.random_range(0..SCHEMES.len())];
    let mut value = scheme.as_bytes().to_vec();
    value.extend(token);
    if rng.random_bool(0.02) {
        value.extend(std::iter::repeat_n(b'A', rng.random_range(1..(2 << 20))));
    }
    String::from_utf8_lossy(&value).into_owned()
}

/// Paths, methods and the format headers changed.
pub fn mutate_request(seed: &mut Seed, rng: &mut StdRng) {
    const SEGMENTS: &[&str] = &[
        "voiceCalls",
        "messages",
        "realtimeConversationEvents",
        "postConversationEvents",
        "%2F",
        "%00",
        "%ff",
        "%",
        "..",
        "",
        "0LQ000000000001GAA",
        "a%20b",
        "😀",
        "getConversationIntelligence",
        "actions",
        "standard",
        "v65.0",
        "v64.0",
        "v9999999999999.0",
        "v65",
        "omniFlow",
    ];
    const TYPES: &[&str] = &[
        "application/json",
        "application/xml",
        "text/xml",
        "application/json; charset=UTF-8",
        "text/plain",
        "",
        "application/JSON",
        "application/xml;;",
        "*/*",
        "multipart/form-data",
    ];
    const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    for _ in 0..rng.random_range(1..4) {
        match rng.random_range(0..5) {
            0 => {
                let mut segments: Vec<String> = seed.path.split('/').map(str::to_owned).collect();
                let i = rng.random_range(0..segments.len());
                segments[i] = SEGMENTS[rng.random_range(0..SEGMENTS.len())].to_owned();
                if rng.random_bool(0.2) {
                    segments[i] = "k".repeat(rng.random_range(200..400));
                }
                seed.path = segments.join("/");
            }
            1 => seed.method = METHODS[rng.random_range(0..METHODS.len())].to_owned(),
            2 => set(
                seed,
                "content-type",
                TYPES[rng.random_range(0..TYPES.len())],
            ),
            3 => set(seed, "accept", TYPES[rng.random_range(0..TYPES.len())]),
            _ => set(
                seed,
                "telephony-provider-name",
                &"p".repeat(rng.random_range(0..400)),
            ),
        }
    }
    if rng.random_bool(0.1) {
        mutate::bytes(&mut seed.body, rng);
    }
}

fn set(seed: &mut Seed, name: &str, value: &str) {
    seed.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    seed.headers.push((name.to_owned(), value.to_owned()));
}

pub fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}
