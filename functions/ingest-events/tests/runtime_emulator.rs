//! The function binary under the Lambda runtime interface emulator, fed the API Gateway events
//! of `events/`: it must answer exactly as the local server does, and store the same.

use std::path::Path;

use testkit::events::{self, http_call};
use testkit::keys::Signer;
use testkit::rie::Rie;
use testkit::{Fixture, ORG_A};

const KEY: &str = "5324881f-1e84-4367-8930-f69a74b30ca6";

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ingest-events"))
}

#[tokio::test]
async fn realtime_event_files_answer_as_the_local_server() {
    let lambda_fx = Fixture::new().await;
    let local_fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &lambda_fx.function_env());
    let names = events::names("realtime-");
    assert!(names.len() >= 5, "event files: {names:?}");

    for name in &names {
        let event = events::load(name, &lambda_fx.keys.token(Signer::Writer));
        let lambda = rie.invoke(&event).await;
        let local = local_fx.replay(&http_call(&events::load(name, &local_fx.keys.token(Signer::Writer)))).await;

        assert_eq!(lambda["statusCode"], local.status, "{name}: {lambda}");
        assert_eq!(local.status, 202, "{name}: {}", local.body);
        assert_eq!(lambda["body"].as_str(), Some(local.body.as_str()), "{name}");
        let content_type = lambda["headers"]["content-type"].as_str().unwrap_or_default();
        assert_eq!(Some(content_type), local.headers.get("content-type").and_then(|v| v.to_str().ok()), "{name}");
        let expected_status = if name.ends_with("-xml") { "<status>202 Accepted</status>" } else { r#""status":"202 Accepted""# };
        assert!(local.body.contains(expected_status), "{name}: {}", local.body);
    }

    // Only the seed's categories persist (twice, as JSON and XML: stored once).
    for fx in [&lambda_fx, &local_fx] {
        let stored = fx.conversation_items(ORG_A, KEY).await;
        let values: Vec<_> = stored.iter().map(|i| i.value.as_str()).collect();
        assert_eq!(values, ["OrderStatusCheckingHelp", "CustomerAngry"]);
        // 2 + 1 + 2 + 1 + 2 published events (persist or not).
        assert_eq!(fx.published().await.len(), 8);
    }
}

#[tokio::test]
async fn a_bad_token_is_401_under_the_emulator_too() {
    let fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &fx.function_env());
    let answer = rie.invoke(&events::load("realtime-seed-categories", "not-a-jwt")).await;
    assert_eq!(answer["statusCode"], 401, "{answer}");
    let body: serde_json::Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body[0]["errorCode"], "INVALID_SESSION_ID");
    assert_eq!(fx.item_count().await, 0);
}
