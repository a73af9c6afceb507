//! Helpers for tests of `POST /telephony/v1/voiceCalls/{vendorCallKey}/realtimeConversationEvents`:
//! the path, event builders, one-call posting, and the "refused: nothing stored, nothing
//! published" check every rejection case shares.

use serde_json::{json, Value};
use shared::store::items::SignalItem;

use crate::fixture::{Answer, Fixture};
use crate::keys::{Signer, ORG_A};

/// The seed's vendorCallKey.
pub const SEED_KEY: &str = "5324881f-1e84-4367-8930-f69a74b30ca6";
pub const JSON: &str = "application/json";
pub const XML: &str = "application/xml; charset=UTF-8";
pub const CATEGORY: &str = "IntelligenceSignal__Category";
pub const SENTIMENT: &str = "IntelligenceSignal__Sentiment";

/// The route of one conversation's real-time events; `key` is put in the path as given (already
/// percent-encoded if it needs to be).
pub fn events_path(key: &str) -> String {
    format!("/telephony/v1/voiceCalls/{key}/realtimeConversationEvents")
}

/// A vendorCallKey no other case uses.
pub fn fresh_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A category event without participant.
pub fn category(value: &str, start_time: u64) -> Value {
    json!({"type": CATEGORY, "value": value, "startTime": start_time})
}

/// A sentiment event; `value` may be a JSON number or a string.
pub fn sentiment(value: Value, start_time: u64, participant: &str) -> Value {
    json!({"type": SENTIMENT, "value": value, "startTime": start_time, "participant": participant})
}

/// A request body with `service` "AmazonConnectContactLens" and `events`.
pub fn body_of(events: Vec<Value>) -> Value {
    json!({"service": "AmazonConnectContactLens", "events": events})
}

/// The seed's first example (two categories, persisted).
pub fn seed_categories() -> Value {
    body_of(vec![
        category("OrderStatusCheckingHelp", 1573503300),
        category("CustomerAngry", 1573503450),
    ])
}

/// The seed's second example (one sentiment, `persist: false`).
pub fn seed_sentiment() -> Value {
    json!({"service": "CxoneAgentAssistService", "persist": false, "events": [
        {"type": SENTIMENT, "value": "400.13", "startTime": 16898867880000u64, "score": 10, "participant": "CUSTOMER"}]})
}

/// Unpadded base64url (RFC 4648 §5), for hand-made tokens.
pub fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Decodes unpadded base64url; panics on anything else (test input only).
pub fn b64url_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => panic!("not base64url: {text}"),
    };
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in text.bytes() {
        acc = (acc << 6) | u32::from(value(c));
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

impl Answer {
    /// Every `<fields>` element of an XML error body, in document order.
    pub fn xml_error_fields(&self) -> Vec<String> {
        self.body
            .split("<fields>")
            .skip(1)
            .map(|rest| {
                rest.split("</fields>")
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }

    /// The answer's `Content-Type`, or "" when absent.
    /// Asserts the answer's status and that it is XML (it answers in the request's format).
    pub fn assert_xml(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(
            self.content_type().starts_with("application/xml"),
            "{:?}",
            self.headers
        );
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl Fixture {
    /// POSTs `body` as JSON to `key`'s real-time events route with `token`.
    pub async fn post_events(&self, key: &str, body: &Value, token: &str) -> Answer {
        self.post(&events_path(key), Some(JSON), body.to_string(), Some(token))
            .await
    }

    /// POSTs `body` as JSON to a fresh key, signed by a fresh writer token; expects `400` naming
    /// exactly `fields` (in any order) and nothing stored or published. `case` names the case
    /// in failure messages.
    pub async fn expect_invalid(&self, case: &str, body: &Value, fields: &[&str]) -> Answer {
        let key = fresh_key();
        let answer = self
            .post_events(&key, body, &self.keys.token(Signer::Writer))
            .await;
        assert_eq!(answer.status, 400, "{case}: {}", answer.body);
        let mut named = answer.error_fields();
        named.sort();
        let mut expected: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        expected.sort();
        assert_eq!(named, expected, "{case}: {}", answer.body);
        self.assert_untouched(case, &key).await;
        answer
    }

    /// POSTs `body` as JSON to a fresh key, signed by a fresh writer token; expects `202` and
    /// returns what `key`'s conversation holds and what was published.
    pub async fn expect_accepted(&self, case: &str, body: &Value) -> (Vec<SignalItem>, Vec<Value>) {
        let key = fresh_key();
        let answer = self
            .post_events(&key, body, &self.keys.token(Signer::Writer))
            .await;
        assert_eq!(answer.status, 202, "{case}: {}", answer.body);
        assert_eq!(answer.json(), json!({"status": "202 Accepted"}), "{case}");
        (
            self.conversation_items(ORG_A, &key).await,
            self.published().await,
        )
    }

    /// Nothing stored under org A's conversation `key`, and nothing published since the last
    /// drain.
    pub async fn assert_untouched(&self, case: &str, key: &str) {
        let stored = self.conversation_items(ORG_A, key).await;
        assert!(stored.is_empty(), "{case}: stored {stored:?}");
        let published = self.published().await;
        assert!(published.is_empty(), "{case}: published {published:?}");
    }

    /// Nothing at all in the table (not even a token id), and nothing published since the last
    /// drain.
    pub async fn assert_empty(&self, case: &str) {
        assert_eq!(self.item_count().await, 0, "{case}: the table is not empty");
        let published = self.published().await;
        assert!(published.is_empty(), "{case}: published {published:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips() {
        for (raw, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
        ] {
            assert_eq!(b64url(raw.as_bytes()), encoded);
            assert_eq!(b64url_decode(encoded), raw.as_bytes());
        }
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
    }
}
