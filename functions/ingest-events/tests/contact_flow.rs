//! The ingest function invoked directly by an Amazon Connect contact flow, under the Lambda
//! runtime interface emulator: one signal per invocation, a flat map of strings back.

use std::path::Path;

use serde_json::{json, Value};
use testkit::events;
use testkit::process::start_moto;
use testkit::rie::Rie;
use testkit::{Fixture, ORG_A};

const FIRST_LEG: &str = "5324881f-1e84-4367-8930-f69a74b30ca6";

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ingest-events"))
}

fn assert_flat(answer: &Value) {
    let map = answer
        .as_object()
        .unwrap_or_else(|| panic!("not a map: {answer}"));
    assert!(
        map.values().all(Value::is_string),
        "every value is a string: {answer}"
    );
    assert!(answer.to_string().len() < 32 * 1024);
}

#[tokio::test]
async fn a_signal_from_a_flow_is_stored_and_published_in_the_first_legs_conversation() {
    let fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &fx.function_env());

    let first = rie
        .invoke(&events::load("contact-flow-ingest-category", ""))
        .await;
    assert_flat(&first);
    assert_eq!(first["status"], "accepted", "{first}");
    assert_eq!(first["conversationKey"], FIRST_LEG);
    // A transfer leg's contact (ContactId differs, InitialContactId is the first leg).
    let answer = rie
        .invoke(&events::load("contact-flow-ingest-sentiment-transfer", ""))
        .await;
    assert_eq!(answer["status"], "accepted", "{answer}");
    assert_eq!(answer["conversationKey"], FIRST_LEG);

    let stored = fx.conversation_items(ORG_A, FIRST_LEG).await;
    let values: Vec<_> = stored
        .iter()
        .map(|i| (i.value.as_str(), i.provider.as_deref()))
        .collect();
    assert_eq!(
        values,
        [
            ("CustomerAngry", Some("amazon-connect")),
            ("-620.00", Some("amazon-connect"))
        ]
    );
    assert_eq!(stored[0].service, "AmazonConnectContactFlow");
    let published = fx.published().await;
    assert_eq!(published.len(), 2);
    assert_eq!(published[1]["value"], json!(-620.0));

    // Connect retries a failed invocation with the same event: the same signal, stored once.
    let again = rie
        .invoke(&events::load("contact-flow-ingest-category", ""))
        .await;
    assert_eq!(again["eventKey"], first["eventKey"]);
    assert_eq!(fx.conversation_items(ORG_A, FIRST_LEG).await.len(), 2);
}

#[tokio::test]
async fn bad_parameters_answer_an_error_code_not_a_failed_invocation() {
    let fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &fx.function_env());

    let answer = rie
        .invoke(&events::load("contact-flow-ingest-invalid", ""))
        .await;
    assert_flat(&answer);
    assert_eq!(answer["status"], "error", "{answer}");
    assert_eq!(answer["errorCode"], "REQUIRED_FIELD_MISSING");
    assert_eq!(answer["errorField"], "Parameters.participant");
    assert_eq!(
        answer["errorFields"],
        "Parameters.participant,Parameters.value"
    );

    let mut event = events::load("contact-flow-ingest-category", "");
    event["Details"]["Parameters"] = json!({"type": "Mood", "value": "x", "nested": {"a": 1}});
    let answer = rie.invoke(&event).await;
    assert_eq!(
        (answer["errorCode"].as_str(), answer["errorField"].as_str()),
        (Some("INVALID_FIELD"), Some("Parameters.nested"))
    );
    event["Details"]["Parameters"] = json!({"type": "Mood", "value": "x"});
    let answer = rie.invoke(&event).await;
    assert_eq!(answer["errorField"], "Parameters.type", "{answer}");
    event["Details"]["ContactData"] = json!({});
    let answer = rie.invoke(&event).await;
    assert_eq!(answer["errorCode"], "REQUIRED_FIELD_MISSING", "{answer}");
    assert_eq!(fx.item_count().await, 0);
    assert!(fx.published().await.is_empty());
}

#[tokio::test]
async fn without_a_configured_tenant_flows_are_refused() {
    let fx = Fixture::new().await;
    let env: Vec<_> = fx
        .function_env()
        .into_iter()
        .filter(|(k, _)| k != "CONNECT_TENANT")
        .collect();
    let rie = Rie::start(bootstrap(), &env);
    let answer = rie
        .invoke(&events::load("contact-flow-ingest-category", ""))
        .await;
    assert_eq!(answer["errorCode"], "NOT_CONFIGURED", "{answer}");
    assert_eq!(fx.item_count().await, 0);
}

#[tokio::test]
async fn an_outage_fails_the_invocation_so_connect_retries() {
    let moto = start_moto();
    let fx = Fixture::on(&moto.url()).await;
    let rie = Rie::start(bootstrap(), &fx.function_env());
    drop(moto);
    let answer = rie
        .invoke(&events::load("contact-flow-ingest-category", ""))
        .await;
    assert!(
        answer.get("errorType").is_some(),
        "a failed invocation: {answer}"
    );
    assert!(answer.get("status").is_none());
}

/// CONTRACT §4: a disconnect flow's `event` = `ended` ends the contact's own leg, as a call
/// update with `isActiveCall: false` does; a retry keeps the first end.
#[tokio::test]
async fn an_ended_flow_ends_the_contacts_leg() {
    let fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &fx.function_env());
    let unknown = rie
        .invoke(&events::load("contact-flow-ingest-ended", ""))
        .await;
    assert_flat(&unknown);
    assert_eq!(unknown["errorCode"], "NOT_FOUND", "{unknown}");

    let id = fx
        .record_call(
            testkit::keys::Signer::Writer,
            &testkit::telephony::inbound_call(FIRST_LEG),
        )
        .await;
    let answer = rie
        .invoke(&events::load("contact-flow-ingest-ended", ""))
        .await;
    assert_flat(&answer);
    assert_eq!(answer["status"], "ended", "{answer}");
    assert_eq!(answer["voiceCallId"], json!(id));
    let leg = |items: Vec<Value>| {
        items
            .into_iter()
            .find(|i| i["itemType"] == "LEG")
            .expect("the leg")
    };
    let ended_at = leg(fx.conversation_raw(ORG_A, FIRST_LEG).await)["endedAt"].clone();
    assert!(ended_at.is_u64(), "{ended_at}");
    let changes: Vec<Value> = fx
        .published_events()
        .await
        .into_iter()
        .filter(|(t, _)| t == "VoiceCallChanged")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(changes.last().unwrap()["change"], "ended");
    assert_eq!(changes.last().unwrap()["provider"], "amazon-connect");

    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = rie
        .invoke(&events::load("contact-flow-ingest-ended", ""))
        .await;
    assert_eq!(again["status"], "ended");
    assert_eq!(
        leg(fx.conversation_raw(ORG_A, FIRST_LEG).await)["endedAt"],
        ended_at
    );
}
