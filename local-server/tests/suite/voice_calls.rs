//! `POST /telephony/v1/voiceCalls` (CONTRACT §0, §2.2): the record it stores, our 18-character
//! `0LQ` ids, idempotent creation, transfer legs joining their parent's conversation, and every
//! refusal naming its field with nothing stored.

use serde_json::{json, Value};
use shared::model::VoiceCallId;
use testkit::keys::Signer;
use testkit::realtime::{fresh_key, JSON, XML};
use testkit::telephony::{inbound_call, of_type, transfer_call, with_changes, VOICE_CALLS_PATH};
use testkit::{Fixture, ORG_A, ORG_B};

fn assert_voice_call_id(id: &str) {
    assert_eq!(id.len(), 18, "{id}");
    assert!(id.starts_with("0LQ"), "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    assert!(VoiceCallId::parse(id).is_some(), "a valid checksum: {id}");
}

#[tokio::test]
async fn an_inbound_call_is_recorded_under_a_fresh_0lq_id() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let request = fx
        .http
        .post(format!("{}{VOICE_CALLS_PATH}", fx.base_url))
        .header("content-type", JSON)
        .header(
            "authorization",
            format!("Bearer {}", fx.keys.token(Signer::Writer)),
        )
        .header("telephony-provider-name", "amazon-connect")
        .body(inbound_call(&key).to_string());
    let answer = fx.send(request).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let id = answer.json()["voiceCallId"]
        .as_str()
        .expect("a voiceCallId")
        .to_owned();
    assert_eq!(answer.json(), json!({"voiceCallId": id, "errors": []}));
    assert_voice_call_id(&id);

    let record = fx
        .item(&format!("{ORG_A}#VC#{id}"), "VC")
        .await
        .expect("the record");
    let expected = [
        ("itemType", json!("VOICE_CALL")),
        ("orgId", json!(ORG_A)),
        ("voiceCallId", json!(id)),
        ("vendorCallKey", json!(key)),
        ("conversationKey", json!(key)),
        ("callCenterApiName", json!("scv4cc1")),
        ("to", json!("+15550100")),
        ("from", json!("+15550199")),
        ("initiationMethod", json!("Inbound")),
        ("startTime", json!("2026-11-23T16:00:00Z")),
        ("startTimeMillis", json!(1_795_449_600_000u64)),
        (
            "participants",
            json!([{"participantKey": "+15550199", "type": "END_USER"}]),
        ),
        ("callOrigin", json!("Phone")),
        ("queue", json!("Sales")),
        ("callSubtype", json!("PSTN")),
        ("callAttributes", json!("{\"Language\":\"en-US\"}")),
        ("provider", json!("amazon-connect")),
    ];
    for (field, value) in expected {
        assert_eq!(record[field], value, "{field} of {record}");
    }
    assert!(record.get("parentVoiceCallId").is_none(), "{record}");

    let vendor_key = fx
        .item(&format!("{ORG_A}#VCK#{key}"), "VCK")
        .await
        .expect("the vendor key item");
    assert_eq!(
        (&vendor_key["voiceCallId"], &vendor_key["conversationKey"]),
        (&json!(id), &json!(key))
    );

    // The first leg opens its own conversation, whose partition lists it.
    let conversation = fx.conversation_raw(ORG_A, &key).await;
    assert_eq!(conversation.len(), 1, "{conversation:?}");
    let leg = &conversation[0];
    assert_eq!(
        (&leg["itemType"], &leg["sk"]),
        (&json!("LEG"), &json!(format!("LEG#{id}")))
    );
    assert_eq!(
        (&leg["voiceCallId"], &leg["vendorCallKey"]),
        (&json!(id), &json!(key))
    );
}

#[tokio::test]
async fn each_call_gets_its_own_id() {
    let fx = Fixture::new().await;
    let first = fx
        .record_call(Signer::Writer, &inbound_call(&fresh_key()))
        .await;
    let second = fx
        .record_call(Signer::Writer, &inbound_call(&fresh_key()))
        .await;
    assert_voice_call_id(&second);
    assert_ne!(first, second);
}

#[tokio::test]
async fn creating_the_same_vendor_call_key_again_returns_the_same_id_and_stores_nothing_new() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let id = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    let stored = fx.stored_data().await;
    assert_eq!(stored.len(), 3, "record, vendor key and leg: {stored:?}");

    assert_eq!(
        fx.record_call(Signer::Writer, &inbound_call(&key)).await,
        id,
        "the same request again"
    );
    let changed = with_changes(
        &inbound_call(&key),
        json!({"to": "+15550111", "queue": "Support"}),
    );
    assert_eq!(
        fx.record_call(Signer::Writer, &changed).await,
        id,
        "another body for the same key"
    );
    assert_eq!(
        fx.stored_data().await,
        stored,
        "nothing new stored, the first record kept"
    );
}

#[tokio::test]
async fn a_transfer_leg_joins_its_parents_conversation() {
    let fx = Fixture::new().await;
    let (first_key, second_key, third_key) = (fresh_key(), fresh_key(), fresh_key());
    let first = fx
        .record_call(Signer::Writer, &inbound_call(&first_key))
        .await;
    let second = fx
        .record_call(Signer::Writer, &transfer_call(&second_key, &first))
        .await;
    assert_voice_call_id(&second);
    assert_ne!(second, first);
    // A transfer of the transfer still belongs to the first leg's conversation.
    let third = fx
        .record_call(Signer::Writer, &transfer_call(&third_key, &second))
        .await;

    let record = fx
        .item(&format!("{ORG_A}#VC#{second}"), "VC")
        .await
        .expect("the transfer's record");
    assert_eq!(record["vendorCallKey"], json!(second_key));
    assert_eq!(record["conversationKey"], json!(first_key));
    assert_eq!(record["initiationMethod"], json!("Transfer"));
    assert_eq!(record["parentVoiceCallId"], json!(first));
    let vendor_key = fx
        .item(&format!("{ORG_A}#VCK#{third_key}"), "VCK")
        .await
        .expect("vendor key item");
    assert_eq!(
        (&vendor_key["voiceCallId"], &vendor_key["conversationKey"]),
        (&json!(third), &json!(first_key))
    );

    let conversation = fx.conversation_raw(ORG_A, &first_key).await;
    let legs = of_type(&conversation, "LEG");
    let mut expected = vec![
        (format!("LEG#{first}"), first_key.clone(), None),
        (
            format!("LEG#{second}"),
            second_key.clone(),
            Some(first.clone()),
        ),
        (
            format!("LEG#{third}"),
            third_key.clone(),
            Some(second.clone()),
        ),
    ];
    expected.sort();
    let got: Vec<_> = legs
        .iter()
        .map(|l| {
            (
                l["sk"].as_str().unwrap_or_default().to_owned(),
                l["vendorCallKey"].as_str().unwrap_or_default().to_owned(),
                l.get("parentVoiceCallId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(got, expected, "{conversation:?}");
    assert!(
        fx.conversation_raw(ORG_A, &second_key).await.is_empty(),
        "a transfer key has no partition of its own"
    );
    assert!(fx.conversation_raw(ORG_A, &third_key).await.is_empty());
}

#[tokio::test]
async fn a_transfer_without_its_parent_is_400_naming_parent_voice_call_id() {
    let fx = Fixture::new().await;
    let transfer = with_changes(
        &inbound_call(&fresh_key()),
        json!({"initiationMethod": "Transfer"}),
    );
    for (case, parent) in [
        ("absent", None),
        ("null", Some(Value::Null)),
        ("blank", Some(json!("  "))),
    ] {
        let mut body = transfer.clone();
        if let Some(parent) = parent {
            body["parentVoiceCallId"] = parent;
        }
        let answer = fx
            .post_json_as(Signer::Writer, VOICE_CALLS_PATH, &body)
            .await;
        answer.assert_refused(case, &["parentVoiceCallId"]);
        assert_eq!(answer.error_code(), "REQUIRED_FIELD_MISSING", "{case}");
    }
    assert!(fx.stored_data().await.is_empty());
}

/// CONTRACT §2.2: `parentVoiceCallId` is a voiceCallId we issued or the parent's vendorCallKey;
/// a parent never seen still names the conversation (its first leg may be recorded later).
#[tokio::test]
async fn a_transfer_naming_an_unseen_parent_joins_the_conversation_that_key_names() {
    let fx = Fixture::new().await;
    for (case, parent) in [
        (
            "a well-formed id nobody issued",
            VoiceCallId::generate().as_str().to_owned(),
        ),
        ("a parent's vendorCallKey not seen yet", fresh_key()),
        (
            "an id with a wrong checksum",
            "0LQ000000000001AAA".to_owned(),
        ),
    ] {
        let key = fresh_key();
        let id = fx
            .record_call(Signer::Writer, &transfer_call(&key, &parent))
            .await;
        let legs = fx.conversation_raw(ORG_A, &parent).await;
        assert_eq!(legs.len(), 1, "{case}: {legs:?}");
        assert_eq!(legs[0]["voiceCallId"], json!(id), "{case}");
        assert_eq!(legs[0]["vendorCallKey"], json!(key), "{case}");
    }
    for (case, parent) in [
        ("a number", json!(5)),
        ("control characters", json!("a\u{0}b")),
    ] {
        let body = with_changes(
            &transfer_call(&fresh_key(), "x"),
            json!({ "parentVoiceCallId": parent }),
        );
        let answer = fx
            .post_json_as(Signer::Writer, VOICE_CALLS_PATH, &body)
            .await;
        answer.assert_refused(case, &["parentVoiceCallId"]);
    }
}

/// Another tenant's voiceCallId is no record of the caller's: it names a conversation by that
/// text in the caller's own tenant, and nothing of the other tenant's is read or changed.
#[tokio::test]
async fn a_parent_of_another_tenant_is_answered_like_one_that_does_not_exist() {
    let fx = Fixture::new().await;
    let b_key = fresh_key();
    let b_id = fx.record_call(Signer::TenantB, &inbound_call(&b_key)).await;
    let b_conversation = fx.conversation_raw(ORG_B, &b_key).await;

    let key = fresh_key();
    let across = fx
        .post_json_as(
            Signer::Writer,
            VOICE_CALLS_PATH,
            &transfer_call(&key, &b_id),
        )
        .await;
    assert_eq!(across.status, 200, "{}", across.body);
    assert!(
        !across.body.contains(&b_key),
        "nothing of org B's record shows: {}",
        across.body
    );
    let a_legs = fx.conversation_raw(ORG_A, &b_id).await;
    assert_eq!(a_legs.len(), 1, "org A's leg, under org A: {a_legs:?}");
    assert!(fx.conversation_raw(ORG_A, &b_key).await.is_empty());
    assert_eq!(
        fx.conversation_raw(ORG_B, &b_key).await,
        b_conversation,
        "org B's conversation untouched"
    );
}

#[tokio::test]
async fn every_required_field_is_named_when_missing() {
    let fx = Fixture::new().await;
    let required = [
        "callCenterApiName",
        "vendorCallKey",
        "to",
        "from",
        "initiationMethod",
        "startTime",
        "participants",
    ];
    for field in required {
        let body = with_changes(&inbound_call(&fresh_key()), json!({ field: null }));
        let answer = fx
            .post_json_as(Signer::Writer, VOICE_CALLS_PATH, &body)
            .await;
        answer.assert_refused(&format!("without {field}"), &[field]);
        assert_eq!(answer.error_code(), "REQUIRED_FIELD_MISSING", "{field}");
        let blank = with_changes(&inbound_call(&fresh_key()), json!({ field: "" }));
        let answer = fx
            .post_json_as(Signer::Writer, VOICE_CALLS_PATH, &blank)
            .await;
        answer.assert_refused(&format!("blank {field}"), &[field]);
    }
    let answer = fx
        .post_json_as(Signer::Writer, VOICE_CALLS_PATH, &json!({}))
        .await;
    answer.assert_refused("an empty object", &required);
    assert!(fx.stored_data().await.is_empty());
}

#[tokio::test]
async fn every_invalid_field_is_named_with_its_path() {
    let fx = Fixture::new().await;
    let participant = json!({"participantKey": "+15550199", "type": "END_USER"});
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "callCenterApiName not a string",
            json!({"callCenterApiName": 5}),
            vec!["callCenterApiName"],
        ),
        (
            "callCenterApiName over 255 chars",
            json!({"callCenterApiName": "c".repeat(256)}),
            vec!["callCenterApiName"],
        ),
        (
            "vendorCallKey over 255 chars",
            json!({"vendorCallKey": "k".repeat(256)}),
            vec!["vendorCallKey"],
        ),
        (
            "vendorCallKey with a control character",
            json!({"vendorCallKey": "a\nb"}),
            vec!["vendorCallKey"],
        ),
        (
            "vendorCallKey a number",
            json!({"vendorCallKey": 12}),
            vec!["vendorCallKey"],
        ),
        ("to a number", json!({"to": 15550100}), vec!["to"]),
        ("from an object", json!({"from": {"n": 1}}), vec!["from"]),
        (
            "initiationMethod unknown",
            json!({"initiationMethod": "Sideways"}),
            vec!["initiationMethod"],
        ),
        (
            "startTime not a date",
            json!({"startTime": "yesterday"}),
            vec!["startTime"],
        ),
        (
            "startTime a date without time",
            json!({"startTime": "2026-11-23"}),
            vec!["startTime"],
        ),
        (
            "startTime epoch millis",
            json!({"startTime": 1_795_449_600_000u64}),
            vec!["startTime"],
        ),
        (
            "participants empty",
            json!({"participants": []}),
            vec!["participants"],
        ),
        (
            "participants not an array",
            json!({"participants": participant}),
            vec!["participants"],
        ),
        (
            "participants[1] without participantKey",
            json!({"participants": [participant, {"type": "AGENT"}]}),
            vec!["participants[1].participantKey"],
        ),
        (
            "participants[0] without type",
            json!({"participants": [{"participantKey": "+15550199"}]}),
            vec!["participants[0].type"],
        ),
        (
            "participants[0] not an object",
            json!({"participants": ["x"]}),
            vec!["participants[0]"],
        ),
        (
            "callAttributes not JSON",
            json!({"callAttributes": "{not json"}),
            vec!["callAttributes"],
        ),
        (
            "callAttributes a number",
            json!({"callAttributes": 42}),
            vec!["callAttributes"],
        ),
        (
            "callAttributes an array",
            json!({"callAttributes": [1, 2]}),
            vec!["callAttributes"],
        ),
        (
            "callOrigin a number",
            json!({"callOrigin": 1}),
            vec!["callOrigin"],
        ),
        (
            "several at once",
            json!({"to": null, "startTime": "noon", "participants": [{"type": "END_USER"}]}),
            vec!["to", "startTime", "participants[0].participantKey"],
        ),
    ];
    for (case, changes, fields) in cases {
        let body = with_changes(&inbound_call(&fresh_key()), changes);
        let answer = fx
            .post_json_as(Signer::Writer, VOICE_CALLS_PATH, &body)
            .await;
        answer.assert_refused(case, &fields);
    }
    for body in [json!([]), json!("a call"), json!(null)] {
        let answer = fx
            .post_json_as(Signer::Writer, VOICE_CALLS_PATH, &body)
            .await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
    }
    assert!(fx.stored_data().await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn edge_values_are_accepted_as_given() {
    let fx = Fixture::new().await;
    let key = "é".repeat(255);
    let body = with_changes(
        &inbound_call(&key),
        json!({"startTime": "2026-11-23T17:00:00.250+01:00", "callOrigin": null, "queue": null,
               "callSubtype": null, "callAttributes": null, "unknownField": {"ignored": true},
               "participants": [{"participantKey": "+15550199", "type": "END_USER"},
                                {"participantKey": "agent-1", "type": "AGENT"}]}),
    );
    let id = fx.record_call(Signer::Writer, &body).await;
    let record = fx
        .item(&format!("{ORG_A}#VC#{id}"), "VC")
        .await
        .expect("the record");
    assert_eq!(record["vendorCallKey"], json!(key));
    assert_eq!(record["startTime"], json!("2026-11-23T17:00:00.250+01:00"));
    assert_eq!(record["startTimeMillis"], json!(1_795_449_600_250u64));
    assert_eq!(record["participants"].as_array().map(Vec::len), Some(2));
    for absent in [
        "callOrigin",
        "queue",
        "callSubtype",
        "callAttributes",
        "unknownField",
        "provider",
    ] {
        assert!(record.get(absent).is_none(), "{absent} in {record}");
    }
}

#[tokio::test]
async fn a_vendor_call_key_that_is_one_of_our_voice_call_ids_is_400() {
    let fx = Fixture::new().await;
    let id = fx
        .record_call(Signer::Writer, &inbound_call(&fresh_key()))
        .await;
    let stored = fx.stored_data().await;

    let answer = fx
        .post_json_as(Signer::Writer, VOICE_CALLS_PATH, &inbound_call(&id))
        .await;
    answer.assert_refused("our own id as vendorCallKey", &["vendorCallKey"]);
    let parent = fx
        .post_json_as(Signer::Writer, VOICE_CALLS_PATH, &transfer_call(&id, &id))
        .await;
    parent.assert_refused(
        "our own id as a transfer's vendorCallKey",
        &["vendorCallKey"],
    );
    assert_eq!(fx.stored_data().await, stored, "nothing stored");

    // Only ids this service issued are refused: an id-shaped key nobody issued is a key.
    let unissued = VoiceCallId::generate();
    fx.record_call(Signer::Writer, &inbound_call(unissued.as_str()))
        .await;
}

#[tokio::test]
async fn an_xml_body_gets_an_xml_answer() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<VoiceCall>
  <callCenterApiName>scv4cc1</callCenterApiName>
  <vendorCallKey>{key}</vendorCallKey>
  <to>+15550100</to>
  <from>+15550199</from>
  <initiationMethod>Inbound</initiationMethod>
  <startTime>2026-11-23T16:00:00Z</startTime>
  <participants><participantKey>+15550199</participantKey><type>END_USER</type></participants>
  <callAttributes>{{"Language":"en-US"}}</callAttributes>
</VoiceCall>"#
    );
    let answer = fx
        .post(
            VOICE_CALLS_PATH,
            Some(XML),
            xml.clone(),
            Some(&fx.keys.token(Signer::Writer)),
        )
        .await;
    answer.assert_xml(200);
    let id = answer
        .body
        .split("<voiceCallId>")
        .nth(1)
        .and_then(|rest| rest.split("</voiceCallId>").next())
        .unwrap_or_else(|| panic!("no <voiceCallId> in {}", answer.body))
        .to_owned();
    assert_voice_call_id(&id);

    let record = fx
        .item(&format!("{ORG_A}#VC#{id}"), "VC")
        .await
        .expect("the record");
    assert_eq!(
        record["participants"],
        json!([{"participantKey": "+15550199", "type": "END_USER"}])
    );
    assert_eq!(record["callAttributes"], json!(r#"{"Language":"en-US"}"#));

    // The same call again answers the same id, in XML; a refusal answers in XML too.
    let again = fx
        .post(
            VOICE_CALLS_PATH,
            Some(XML),
            xml,
            Some(&fx.keys.token(Signer::Writer)),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(
        again
            .body
            .contains(&format!("<voiceCallId>{id}</voiceCallId>")),
        "{}",
        again.body
    );
    let refused = fx
        .post(
            VOICE_CALLS_PATH,
            Some(XML),
            "<VoiceCall><initiationMethod>Transfer</initiationMethod></VoiceCall>",
            Some(&fx.keys.token(Signer::Writer)),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.content_type().starts_with("application/xml"));
    assert!(
        refused
            .xml_error_fields()
            .contains(&"parentVoiceCallId".to_owned()),
        "{}",
        refused.body
    );
}
