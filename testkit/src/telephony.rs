//! Helpers for tests of the telephony write routes besides real-time events (CONTRACT §2.2–§2.4):
//! paths, body builders for voice call records, transcript messages and post-call sentiment,
//! one-call posting with a fresh token, and reads of what the table holds.

use serde_json::{json, Value};

use crate::fixture::{Answer, Fixture};
use crate::keys::Signer;
use crate::realtime::JSON;

/// `POST /voiceCalls`: create a voice call record.
pub const VOICE_CALLS_PATH: &str = "/telephony/v1/voiceCalls";
/// `POST /voiceCalls/messages`: bulk transcript messages.
pub const BULK_MESSAGES_PATH: &str = "/telephony/v1/voiceCalls/messages";
/// A moment in the call (epoch milliseconds, 2026-11-23T16:00:00Z) message times count from.
pub const T0: u64 = 1_795_449_600_000;
/// The call center API name the writer's tokens carry.
pub const CALL_CENTER: &str = "scv4cc1";

/// One conversation's single-message route; `key` is put in the path as given.
pub fn messages_path(key: &str) -> String {
    format!("/telephony/v1/voiceCalls/{key}/messages")
}

/// One conversation's post-call events route; `key` is put in the path as given.
pub fn post_call_path(key: &str) -> String {
    format!("/telephony/v1/voiceCalls/{key}/postConversationEvents")
}

/// `PATCH /voiceCalls/{id}`: update one voice call record; `id` is put in the path as given.
pub fn update_path(id: &str) -> String {
    format!("/telephony/v1/voiceCalls/{id}")
}

/// A routing operation's route (`omniFlow`, `routeVoiceCall`, …) of one call.
pub fn routing_path(id: &str, operation: &str) -> String {
    format!("/telephony/v1/voiceCalls/{id}/{operation}")
}

/// An inbound call record body for `key`, with every optional field set.
pub fn inbound_call(key: &str) -> Value {
    json!({
        "callCenterApiName": CALL_CENTER,
        "vendorCallKey": key,
        "to": "+15550100",
        "from": "+15550199",
        "initiationMethod": "Inbound",
        "startTime": "2026-11-23T16:00:00Z",
        "participants": [{"participantKey": "+15550199", "type": "END_USER"}],
        "callOrigin": "Phone",
        "queue": "Sales",
        "callSubtype": "PSTN",
        "callAttributes": "{\"Language\":\"en-US\"}"
    })
}

/// A transfer leg body for `key`, naming `parent` as its parent record.
pub fn transfer_call(key: &str, parent: &str) -> Value {
    let mut body = inbound_call(key);
    body["initiationMethod"] = json!("Transfer");
    body["startTime"] = json!("2026-11-23T16:03:10Z");
    body["parentVoiceCallId"] = json!(parent);
    body
}

/// A transcript message `id` spoken from `T0 + start` to `T0 + end` milliseconds.
pub fn message(id: &str, start: u64, end: u64, content: &str, sender_type: &str) -> Value {
    let participant = if sender_type == "END_USER" {
        "+15550199"
    } else {
        "agent-1"
    };
    json!({"messageId": id, "startTime": T0 + start, "endTime": T0 + end, "content": content,
           "senderType": sender_type, "participantId": participant})
}

/// `value` with `changes` applied; a `null` change removes the field.
pub fn with_changes(value: &Value, changes: Value) -> Value {
    let mut out = value.clone();
    for (name, change) in changes.as_object().expect("changes are an object") {
        let obj = out.as_object_mut().expect("an object");
        if change.is_null() {
            obj.remove(name);
        } else {
            obj.insert(name.clone(), change.clone());
        }
    }
    out
}

/// One entry of a bulk messages body.
pub fn bulk_entry(key: &str, messages: Vec<Value>) -> Value {
    json!({"vendorCallKey": key, "messages": messages})
}

/// A bulk messages body.
pub fn bulk_of(entries: Vec<Value>) -> Value {
    json!({"entries": entries})
}

/// A post-call sentiment event; `value` may be a JSON number or a string.
pub fn post_call_sentiment(value: Value, start: u64, end: u64, participant: &str) -> Value {
    json!({"type": "IntelligenceSignal__Sentiment", "value": value, "startTime": T0 + start,
           "endTime": T0 + end, "participant": participant})
}

/// A post-call events body with `service` "AmazonConnectContactLens".
pub fn post_call_of(events: Vec<Value>) -> Value {
    json!({"service": "AmazonConnectContactLens", "events": events})
}

/// `items` with the given `itemType`, in the order given.
pub fn of_type<'a>(items: &'a [Value], item_type: &str) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|i| i["itemType"] == item_type)
        .collect()
}

/// `field` of each item, as text.
pub fn texts(items: &[&Value], field: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| match &i[field] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

impl Answer {
    /// Asserts a `400` naming exactly `fields` (in any order); `case` names the case.
    #[track_caller]
    pub fn assert_refused(&self, case: &str, fields: &[&str]) {
        assert_eq!(self.status, 400, "{case}: {}", self.body);
        let mut named = self.error_fields();
        named.sort();
        let mut expected: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        expected.sort();
        assert_eq!(named, expected, "{case}: {}", self.body);
    }
}

impl Fixture {
    /// POSTs `body` as JSON to `path`, signed by a fresh token of `signer`.
    pub async fn post_json_as(&self, signer: Signer, path: &str, body: &Value) -> Answer {
        let token = self.keys.token(signer);
        self.post(path, Some(JSON), body.to_string(), Some(&token))
            .await
    }

    /// Sends `body` as JSON with `method` to `path`, signed by a fresh token of `signer`.
    pub async fn send_json_as(
        &self,
        signer: Signer,
        method: &str,
        path: &str,
        body: &Value,
    ) -> Answer {
        let token = self.keys.token(signer);
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header("content-type", JSON)
            .header("authorization", format!("Bearer {token}"))
            .body(body.to_string());
        self.send(request).await
    }

    /// PATCHes `body` as JSON to `path`, signed by a fresh token of `signer`.
    pub async fn patch_json_as(&self, signer: Signer, path: &str, body: &Value) -> Answer {
        self.send_json_as(signer, "PATCH", path, body).await
    }

    /// Creates a voice call record as `signer`; expects `200` and returns its voiceCallId.
    pub async fn record_call(&self, signer: Signer, body: &Value) -> String {
        let answer = self.post_json_as(signer, VOICE_CALLS_PATH, body).await;
        assert_eq!(answer.status, 200, "create {body}: {}", answer.body);
        let id = answer.json()["voiceCallId"]
            .as_str()
            .expect("a voiceCallId")
            .to_owned();
        assert_eq!(answer.json(), json!({"voiceCallId": id, "errors": []}));
        id
    }

    /// Every item of the table but the used-token records and post-call analysis's heads and
    /// records, sorted by (pk, sk): what the requests stored, whatever tokens carried them.
    pub async fn stored_data(&self) -> Vec<Value> {
        let client = aws_sdk_dynamodb::Client::new(&self.sdk);
        let items: Vec<_> = client
            .scan()
            .table_name(&self.settings.table_name)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("scan succeeds");
        let mut items: Vec<Value> = items.into_iter().map(crate::fixture::json_of).collect();
        items.retain(|i| {
            i["itemType"] != shared::store::items::TOKEN_ITEM && !crate::fixture::is_bookkeeping(i)
        });
        let key = |i: &Value| {
            (
                i["pk"].as_str().unwrap_or_default().to_owned(),
                i["sk"].as_str().unwrap_or_default().to_owned(),
            )
        };
        items.sort_by_key(key);
        items
    }

    /// The (pk, sk) of every item [`Self::stored_data`] returns.
    pub async fn stored_keys(&self) -> Vec<(String, String)> {
        self.stored_data()
            .await
            .iter()
            .map(|i| {
                (
                    i["pk"].as_str().unwrap_or_default().to_owned(),
                    i["sk"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}
