use serde_json::json;
use testkit::keys::Signer;
use testkit::{Fixture, ORG_A};

const KEY: &str = "5324881f-1e84-4367-8930-f69a74b30ca6";

#[tokio::test]
async fn seed_first_example_is_stored_and_published() {
    let fx = Fixture::new().await;
    let body = json!({"service": "AmazonConnectContactLens", "events": [
        {"type": "IntelligenceSignal__Category", "value": "OrderStatusCheckingHelp", "startTime": 1573503300},
        {"type": "IntelligenceSignal__Category", "value": "CustomerAngry", "startTime": 1573503450}]});
    let path = format!("/telephony/v1/voiceCalls/{KEY}/realtimeConversationEvents");
    let answer = fx
        .post(
            &path,
            Some("application/json"),
            body.to_string(),
            Some(&fx.keys.token(Signer::Writer)),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.json(), json!({"status": "202 Accepted"}));
    let items = fx.conversation_items(ORG_A, KEY).await;
    assert_eq!(items.len(), 2);
    let published = fx.published().await;
    assert_eq!(published.len(), 2, "{published:?}");
}
