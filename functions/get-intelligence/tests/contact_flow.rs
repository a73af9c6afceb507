//! get-intelligence invoked directly by a contact flow, under the Lambda runtime interface
//! emulator: a flat map a "Check contact attributes" block can branch on.

use std::path::Path;

use serde_json::{json, Value};
use testkit::events;
use testkit::keys::Signer;
use testkit::rie::Rie;
use testkit::Fixture;

const FIRST_LEG: &str = "5324881f-1e84-4367-8930-f69a74b30ca6";

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_get-intelligence"))
}

async fn a_call_with_an_angry_customer(fx: &Fixture) {
    let token = || fx.keys.token(Signer::Writer);
    let lines = [
        (
            "agent",
            "HUMAN_AGENT",
            "Thanks for calling, how can I help?",
        ),
        (
            "+15550199",
            "END_USER",
            "My order is late again and I'm thinking of moving to Genius Solutions.",
        ),
        (
            "agent",
            "HUMAN_AGENT",
            "I'm sorry. I'll send you a tracking update today.",
        ),
    ];
    let messages: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, (who, role, text))| {
            let t = 1_795_449_601_000u64 + i as u64 * 5_000;
            json!({"messageId": format!("m{i}"), "startTime": t, "endTime": t + 4_000, "content": text, "senderType": role, "participantId": who})
        })
        .collect();
    let bulk = json!({"entries": [{"vendorCallKey": FIRST_LEG, "messages": messages}]});
    assert_eq!(
        fx.post(
            "/telephony/v1/voiceCalls/messages",
            Some("application/json"),
            bulk.to_string(),
            Some(&token())
        )
        .await
        .status,
        202
    );
    let events = json!({"service": "AmazonConnectContactLens", "events": [
        {"type": "IntelligenceSignal__Sentiment", "value": -620, "startTime": 1_795_449_607_000u64, "participant": "CUSTOMER"},
        {"type": "IntelligenceSignal__Category", "value": "CustomerAngry", "startTime": 1_795_449_607_500u64}]});
    let path = format!("/telephony/v1/voiceCalls/{FIRST_LEG}/realtimeConversationEvents");
    assert_eq!(
        fx.post(
            &path,
            Some("application/json"),
            events.to_string(),
            Some(&token())
        )
        .await
        .status,
        202
    );
}

#[tokio::test]
async fn a_flow_gets_a_flat_summary_of_the_call() {
    let fx = Fixture::new().await;
    a_call_with_an_angry_customer(&fx).await;
    let rie = Rie::start(bootstrap(), &fx.function_env());

    let answer = rie
        .invoke(&events::load("contact-flow-intelligence", ""))
        .await;
    let map = answer
        .as_object()
        .unwrap_or_else(|| panic!("a map: {answer}"));
    assert!(map.values().all(Value::is_string), "flat strings: {answer}");
    assert!(answer.to_string().len() < 32 * 1024);
    assert_eq!(answer["status"], "ok", "{answer}");
    assert_eq!(answer["conversationKey"], FIRST_LEG);
    assert_eq!(answer["customerSentimentLatest"], "-620.00");
    assert_eq!(answer["needsAttention"], "true");
    assert_eq!(answer["questionCount"], "1");
    assert_eq!(answer["nextStepCount"], "1");
    assert_eq!(answer["pricingCount"], "0");
    assert_eq!(answer["signalCount"], "1");
    assert_eq!(answer["transcriptEntries"], "3");
    assert_eq!(
        answer["categories"],
        "Question,Competitor,Next Step,CustomerAngry"
    );
    assert_eq!(
        answer["lastNextStep"],
        "I'm sorry. I'll send you a tracking update today."
    );
}

#[tokio::test]
async fn an_unknown_contact_is_not_found_and_bad_events_are_error_maps() {
    let fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &fx.function_env());
    let answer = rie
        .invoke(&events::load("contact-flow-intelligence", ""))
        .await;
    assert_eq!(answer["status"], "not_found", "{answer}");

    let mut event = events::load("contact-flow-intelligence", "");
    event["Details"]["ContactData"] = json!({});
    let answer = rie.invoke(&event).await;
    assert_eq!(answer["status"], "error", "{answer}");
    assert_eq!(answer["errorCode"], "REQUIRED_FIELD_MISSING");
}
