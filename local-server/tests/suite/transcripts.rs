//! Transcripts (CONTRACT §2.3): one message per request and the bulk form of at most 25
//! conversations × 100 messages; `messageId` as the idempotency key; every refusal naming its
//! field with its path and storing nothing; the transcript read back in time order.

use serde_json::{json, Value};
use testkit::keys::Signer;
use testkit::realtime::{fresh_key, XML};
use testkit::telephony::{
    bulk_entry, bulk_of, message, messages_path, texts, with_changes, BULK_MESSAGES_PATH, T0,
};
use testkit::{Fixture, ORG_A};

fn accepted() -> Value {
    json!({"result": "Accepted"})
}

/// `n` messages of `key`, a second apart.
fn messages_of(key: &str, n: u64) -> Vec<Value> {
    (0..n)
        .map(|i| {
            message(
                &format!("{key}-m{i}"),
                i * 1000,
                i * 1000 + 900,
                &format!("line {i}"),
                "END_USER",
            )
        })
        .collect()
}

#[tokio::test]
async fn a_message_is_accepted_and_stored_with_its_fields() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let request = fx
        .http
        .post(format!("{}{}", fx.base_url, messages_path(&key)))
        .header("content-type", "application/json; charset=UTF-8")
        .header(
            "authorization",
            format!("Bearer {}", fx.keys.token(Signer::Writer)),
        )
        .header("telephony-provider-name", "amazon-connect")
        .body(message("m-1", 0, 3500, "How can I help?", "HUMAN_AGENT").to_string());
    let answer = fx.send(request).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.json(), accepted());

    let stored = fx.conversation_raw(ORG_A, &key).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    let item = &stored[0];
    let expected = [
        ("pk", json!(format!("{ORG_A}#CONV#{key}"))),
        ("sk", json!("MSG#m-1")),
        ("itemType", json!("MESSAGE")),
        ("orgId", json!(ORG_A)),
        ("conversationKey", json!(key)),
        ("vendorCallKey", json!(key)),
        ("messageId", json!("m-1")),
        ("startTime", json!(T0)),
        ("endTime", json!(T0 + 3500)),
        ("content", json!("How can I help?")),
        ("senderType", json!("HUMAN_AGENT")),
        ("participantId", json!("agent-1")),
        ("provider", json!("amazon-connect")),
    ];
    for (field, value) in expected {
        assert_eq!(item[field], value, "{field} of {item}");
    }
    assert!(
        item["expiresAt"].as_u64() > item["receivedAt"].as_u64(),
        "{item}"
    );
    assert_eq!(
        fx.transcript(ORG_A, &key).await,
        stored,
        "the transcript index holds the message"
    );
}

#[tokio::test]
async fn every_sender_type_is_accepted() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let senders = [
        "END_USER",
        "HUMAN_AGENT",
        "VIRTUAL_AGENT",
        "SUPERVISOR",
        "EXTERNAL_USER",
    ];
    for (i, sender) in (0u64..).zip(senders) {
        let answer = fx
            .post_json_as(
                Signer::Writer,
                &messages_path(&key),
                &message(sender, i, i, "hello", sender),
            )
            .await;
        assert_eq!(answer.status, 202, "{sender}: {}", answer.body);
    }
    let transcript = fx.transcript(ORG_A, &key).await;
    assert_eq!(
        texts(&transcript.iter().collect::<Vec<_>>(), "senderType"),
        senders
    );
}

#[tokio::test]
async fn resending_a_message_id_keeps_one_item_last_write_wins() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let first = message("m-1", 0, 1000, "Helo", "END_USER");
    for _ in 0..2 {
        let answer = fx
            .post_json_as(Signer::Writer, &messages_path(&key), &first)
            .await;
        assert_eq!(answer.status, 202, "{}", answer.body);
    }
    assert_eq!(
        fx.conversation_raw(ORG_A, &key).await.len(),
        1,
        "the same message twice"
    );

    let corrected = message("m-1", 200, 1500, "Hello, I need help", "END_USER");
    let answer = fx
        .post_json_as(Signer::Writer, &messages_path(&key), &corrected)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let stored = fx.conversation_raw(ORG_A, &key).await;
    assert_eq!(stored.len(), 1, "one item per messageId: {stored:?}");
    assert_eq!(stored[0]["content"], json!("Hello, I need help"));
    assert_eq!(
        (&stored[0]["startTime"], &stored[0]["endTime"]),
        (&json!(T0 + 200), &json!(T0 + 1500))
    );
    let transcript = fx.transcript(ORG_A, &key).await;
    assert_eq!(
        transcript.len(),
        1,
        "the index holds the message once: {transcript:?}"
    );
    assert_eq!(transcript[0]["content"], json!("Hello, I need help"));
}

#[tokio::test]
async fn every_message_field_is_validated_with_its_path() {
    let fx = Fixture::new().await;
    let valid = message("m-1", 1000, 2000, "Hi", "END_USER");
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "messageId missing",
            json!({"messageId": null}),
            vec!["messageId"],
        ),
        (
            "messageId blank",
            json!({"messageId": " "}),
            vec!["messageId"],
        ),
        (
            "messageId a number",
            json!({"messageId": 7}),
            vec!["messageId"],
        ),
        (
            "messageId over 255 chars",
            json!({"messageId": "m".repeat(256)}),
            vec!["messageId"],
        ),
        (
            "startTime missing",
            json!({"startTime": null}),
            vec!["startTime"],
        ),
        (
            "startTime negative",
            json!({"startTime": -1}),
            vec!["startTime"],
        ),
        (
            "startTime a date",
            json!({"startTime": "2026-11-23T16:00:00Z"}),
            vec!["startTime"],
        ),
        ("endTime missing", json!({"endTime": null}), vec!["endTime"]),
        (
            "endTime a fraction",
            json!({"endTime": 1.5}),
            vec!["endTime"],
        ),
        (
            "endTime before startTime",
            json!({"endTime": T0 + 999}),
            vec!["endTime"],
        ),
        ("content missing", json!({"content": null}), vec!["content"]),
        ("content empty", json!({"content": ""}), vec!["content"]),
        (
            "content an object",
            json!({"content": {"text": "Hi"}}),
            vec!["content"],
        ),
        (
            "content over 32768 chars",
            json!({"content": "é".repeat(32 * 1024 + 1)}),
            vec!["content"],
        ),
        (
            "senderType missing",
            json!({"senderType": null}),
            vec!["senderType"],
        ),
        (
            "senderType unknown",
            json!({"senderType": "BOT"}),
            vec!["senderType"],
        ),
        (
            "participantId missing",
            json!({"participantId": null}),
            vec!["participantId"],
        ),
        (
            "participantId blank",
            json!({"participantId": ""}),
            vec!["participantId"],
        ),
        (
            "several at once",
            json!({"messageId": null, "endTime": 5, "senderType": "ROBOT", "participantId": 3}),
            vec!["messageId", "endTime", "senderType", "participantId"],
        ),
    ];
    let key = fresh_key();
    for (case, changes, fields) in cases {
        let answer = fx
            .post_json_as(
                Signer::Writer,
                &messages_path(&key),
                &with_changes(&valid, changes),
            )
            .await;
        answer.assert_refused(case, &fields);
    }
    let answer = fx
        .post_json_as(Signer::Writer, &messages_path(&key), &json!([valid]))
        .await;
    assert_eq!(
        answer.status, 400,
        "an array instead of one message: {}",
        answer.body
    );
    for raw_key in ["%0A", "", &"k".repeat(256)] {
        let answer = fx
            .post_json_as(Signer::Writer, &messages_path(raw_key), &valid)
            .await;
        answer.assert_refused(&format!("path key {raw_key:?}"), &["vendorCallKey"]);
    }
    let no_content = with_changes(&valid, json!({"content": null}));
    let answer = fx
        .post_json_as(Signer::Writer, &messages_path(""), &no_content)
        .await;
    answer.assert_refused(
        "path key and body both wrong",
        &["vendorCallKey", "content"],
    );
    assert!(fx.stored_data().await.is_empty(), "nothing stored");

    // Edge values: equal start and end, the longest content, unknown fields.
    let edge = with_changes(
        &valid,
        json!({"endTime": T0 + 1000, "content": "é".repeat(32 * 1024), "senderType": "virtual_agent",
               "unknownField": [1, 2]}),
    );
    let answer = fx
        .post_json_as(Signer::Writer, &messages_path(&key), &edge)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let stored = fx.conversation_raw(ORG_A, &key).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["senderType"], json!("VIRTUAL_AGENT"));
    assert_eq!(
        stored[0]["content"].as_str().map(|c| c.chars().count()),
        Some(32 * 1024)
    );
    assert!(stored[0].get("unknownField").is_none());
}

#[tokio::test]
async fn the_transcript_comes_back_in_time_order_whatever_the_posting_order() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    // Posted out of order; two start together and are ordered by their end.
    let posted = [
        message("zeta", 9_000, 12_000, "Anything else?", "HUMAN_AGENT"),
        message("alpha", 4_000, 8_000, "My order is late", "END_USER"),
        message("mid", 0, 3_000, "Hello, this is Ann", "HUMAN_AGENT"),
        message("beta", 4_000, 5_000, "Sorry", "HUMAN_AGENT"),
        message("first", 20_000, 21_000, "No, thanks", "END_USER"),
    ];
    for m in &posted {
        let answer = fx
            .post_json_as(Signer::Writer, &messages_path(&key), m)
            .await;
        assert_eq!(answer.status, 202, "{}", answer.body);
    }
    let transcript = fx.transcript(ORG_A, &key).await;
    let ids = texts(&transcript.iter().collect::<Vec<_>>(), "messageId");
    assert_eq!(
        ids,
        ["mid", "beta", "alpha", "zeta", "first"],
        "{transcript:?}"
    );
}

#[tokio::test]
async fn five_entries_of_five_messages_are_all_stored() {
    let fx = Fixture::new().await;
    let keys: Vec<String> = (0..5).map(|_| fresh_key()).collect();
    let body = bulk_of(
        keys.iter()
            .map(|k| bulk_entry(k, messages_of(k, 5)))
            .collect(),
    );
    let answer = fx
        .post_json_as(Signer::Writer, BULK_MESSAGES_PATH, &body)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.json(), accepted());

    for key in &keys {
        let transcript = fx.transcript(ORG_A, key).await;
        let ids = texts(&transcript.iter().collect::<Vec<_>>(), "messageId");
        let expected: Vec<String> = (0..5).map(|i| format!("{key}-m{i}")).collect();
        assert_eq!(ids, expected, "{key}");
        assert!(transcript
            .iter()
            .all(|m| m["vendorCallKey"] == json!(key) && m["conversationKey"] == json!(key)));
        assert_eq!(fx.conversation_raw(ORG_A, key).await.len(), 5);
    }
    assert_eq!(fx.stored_data().await.len(), 25, "all 25, nothing else");
}

#[tokio::test]
async fn bulk_allows_at_most_25_entries_of_100_messages() {
    let fx = Fixture::new().await;
    let keys: Vec<String> = (0..26).map(|_| fresh_key()).collect();
    let six_entries = bulk_of(
        keys.iter()
            .map(|k| bulk_entry(k, messages_of(k, 1)))
            .collect(),
    );
    let answer = fx
        .post_json_as(Signer::Writer, BULK_MESSAGES_PATH, &six_entries)
        .await;
    answer.assert_refused("26 entries", &["entries"]);

    let six_messages = bulk_of(vec![
        bulk_entry(&keys[0], messages_of(&keys[0], 1)),
        bulk_entry(&keys[1], messages_of(&keys[1], 101)),
    ]);
    let answer = fx
        .post_json_as(Signer::Writer, BULK_MESSAGES_PATH, &six_messages)
        .await;
    answer.assert_refused("101 messages in entries[1]", &["entries[1].messages"]);

    for (case, body, fields) in [
        ("no entries", json!({}), vec!["entries"]),
        ("entries null", json!({"entries": null}), vec!["entries"]),
        ("entries empty", bulk_of(vec![]), vec!["entries"]),
        (
            "an entry without messages",
            bulk_of(vec![json!({"vendorCallKey": "k"})]),
            vec!["entries[0].messages"],
        ),
        (
            "an entry with no message",
            bulk_of(vec![bulk_entry("k", vec![])]),
            vec!["entries[0].messages"],
        ),
        (
            "an entry that is not an object",
            bulk_of(vec![json!("k")]),
            vec!["entries[0]"],
        ),
    ] {
        fx.post_json_as(Signer::Writer, BULK_MESSAGES_PATH, &body)
            .await
            .assert_refused(case, &fields);
    }
    assert!(fx.stored_data().await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn bulk_errors_name_entries_i_messages_j_field() {
    let fx = Fixture::new().await;
    let (a, b) = (fresh_key(), fresh_key());
    let mut second = messages_of(&b, 3);
    second[0]["senderType"] = json!("ROBOT");
    second[2] = with_changes(&second[2], json!({"messageId": null, "endTime": 0}));
    let body = bulk_of(vec![
        bulk_entry(&a, messages_of(&a, 2)),
        bulk_entry(&b, second),
        json!({"vendorCallKey": "", "messages": [with_changes(&messages_of("c", 1)[0], json!({"content": null}))]}),
        json!({"messages": ["not a message"]}),
    ]);
    let answer = fx
        .post_json_as(Signer::Writer, BULK_MESSAGES_PATH, &body)
        .await;
    answer.assert_refused(
        "errors in three entries",
        &[
            "entries[1].messages[0].senderType",
            "entries[1].messages[2].messageId",
            "entries[1].messages[2].endTime",
            "entries[2].vendorCallKey",
            "entries[2].messages[0].content",
            "entries[3].vendorCallKey",
            "entries[3].messages[0]",
        ],
    );
    assert!(
        fx.stored_data().await.is_empty(),
        "not even the valid entry is stored"
    );
}

#[tokio::test]
async fn a_json_object_instead_of_the_entries_array_is_400() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let body = json!({"entries": bulk_entry(&key, messages_of(&key, 1))});
    let answer = fx
        .post_json_as(Signer::Writer, BULK_MESSAGES_PATH, &body)
        .await;
    answer.assert_refused("entries as an object", &["entries"]);
    let body = json!({"entries": [{"vendorCallKey": key, "messages": messages_of(&key, 1)[0]}]});
    let answer = fx
        .post_json_as(Signer::Writer, BULK_MESSAGES_PATH, &body)
        .await;
    answer.assert_refused("messages as an object", &["entries[0].messages"]);
    assert!(fx.stored_data().await.is_empty());
}

#[tokio::test]
async fn an_xml_bulk_with_repeated_entries_and_messages_is_accepted() {
    let fx = Fixture::new().await;
    let (a, b) = (fresh_key(), fresh_key());
    let xml_message = |id: &str, start: u64, content: &str| {
        format!(
            "<messages><messageId>{id}</messageId><startTime>{}</startTime><endTime>{}</endTime>\
             <content>{content}</content><senderType>END_USER</senderType>\
             <participantId>+15550199</participantId></messages>",
            T0 + start,
            T0 + start + 500
        )
    };
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<request>
  <entries><vendorCallKey>{a}</vendorCallKey>{}{}</entries>
  <entries><vendorCallKey>{b}</vendorCallKey>{}</entries>
</request>"#,
        xml_message("a-2", 2000, "second &amp; last"),
        xml_message("a-1", 1000, "first"),
        xml_message("b-1", 0, "only"),
    );
    let answer = fx
        .post(
            BULK_MESSAGES_PATH,
            Some(XML),
            xml,
            Some(&fx.keys.token(Signer::Writer)),
        )
        .await;
    answer.assert_xml(202);
    assert!(
        answer.body.contains("<result>Accepted</result>"),
        "{}",
        answer.body
    );

    let transcript = fx.transcript(ORG_A, &a).await;
    assert_eq!(
        texts(&transcript.iter().collect::<Vec<_>>(), "content"),
        ["first", "second & last"]
    );
    assert_eq!(
        transcript[0]["startTime"],
        json!(T0 + 1000),
        "numbers read from XML text"
    );
    let transcript = fx.transcript(ORG_A, &b).await;
    assert_eq!(
        texts(&transcript.iter().collect::<Vec<_>>(), "messageId"),
        ["b-1"]
    );
}
