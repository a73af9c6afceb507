//! Redaction (CONTRACT §8) in the function binary under the Lambda runtime interface emulator:
//! the tenant's setting, read from the tenants table as in AWS, masks a transcript entry's
//! content and a real-time event's details before they are stored.

use std::path::Path;

use serde_json::{json, Value};
use testkit::events;
use testkit::fixture::ADMIN_TOKEN;
use testkit::keys::Signer;
use testkit::rie::Rie;
use testkit::{Fixture, ORG_A};

const KEY: &str = "5324881f-1e84-4367-8930-f69a74b30ca6";
const RAW: [&str; 4] = [
    "4111 1111 1111 1111",
    "jane.doe@example.com",
    "123-45-6789",
    "555-201-7788",
];

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ingest-events"))
}

/// `name`'s event signed by the writer, with `body` as its body.
fn event(fx: &Fixture, name: &str, body: &Value) -> Value {
    let mut event = events::load(name, &fx.keys.token(Signer::Writer));
    event["body"] = Value::String(body.to_string());
    event
}

#[tokio::test]
async fn the_function_stores_transcripts_and_details_redacted() {
    let fx = Fixture::new().await;
    let answer = fx
        .send(
            fx.http
                .put(format!("{}/admin/v1/tenants/{ORG_A}", fx.base_url))
                .bearer_auth(ADMIN_TOKEN)
                .json(&json!({"redaction": {
                    "entities": ["CREDIT_DEBIT_NUMBER", "SSN", "EMAIL", "PHONE"],
                    "mode": "PII"
                }})),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let rie = Rie::start(bootstrap(), &fx.function_env());
    let said = "card 4111 1111 1111 1111, mail jane.doe@example.com, ssn 123-45-6789, \
                phone 555-201-7788, order 1234 5678 9012 3456";

    let message = json!({"messageId": "m-1", "startTime": 1795449601000u64,
        "endTime": 1795449604200u64, "content": said, "senderType": "END_USER",
        "participantId": "+15550199"});
    let answer = rie.invoke(&event(&fx, "messages-single", &message)).await;
    assert_eq!(answer["statusCode"], 202, "{answer}");

    let signals = json!({"service": "AmazonConnectContactLens", "events": [
        {"type": "IntelligenceSignal__Category", "value": "CustomerAngry",
         "startTime": 1795449605, "details": {"Transcript": said}}]});
    let answer = rie
        .invoke(&event(&fx, "realtime-seed-categories", &signals))
        .await;
    assert_eq!(answer["statusCode"], 202, "{answer}");

    let stored = Value::Array(fx.conversation_raw(ORG_A, KEY).await).to_string();
    for raw in RAW {
        assert!(!stored.contains(raw), "{raw:?} stored: {stored}");
    }
    let masked = "card [PII], mail [PII], ssn [PII], phone [PII], order 1234 5678 9012 3456";
    assert_eq!(stored.matches(masked).count(), 2, "{stored}");
    let published = serde_json::to_string(&fx.published_events().await).unwrap();
    for raw in RAW {
        assert!(!published.contains(raw), "{raw:?} published: {published}");
    }
}
