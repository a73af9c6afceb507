//! The function binary under the Lambda runtime interface emulator, fed every API Gateway event
//! of `events/`: it must answer exactly as the local server does, and store the same.

use std::path::Path;

use serde_json::Value;
use testkit::compare::{assert_same_http, voice_call_id};
use testkit::events::{self, http_call, PARENT_PLACEHOLDER, TOKEN_PLACEHOLDER};
use testkit::keys::Signer;
use testkit::rie::Rie;
use testkit::{Fixture, ORG_A};

const KEY: &str = "5324881f-1e84-4367-8930-f69a74b30ca6";

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ingest-events"))
}

#[tokio::test]
async fn every_event_file_answers_as_the_local_server() {
    let lambda_fx = Fixture::new().await;
    let local_fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &lambda_fx.function_env());

    // Every telephony API Gateway event, named by its route (the other functions' events have
    // their own tests). The first leg goes first: the transfer names it as parent.
    let mut names: Vec<String> = ["realtime-", "voicecall-", "messages-", "post-call-"]
        .iter()
        .flat_map(|prefix| events::names(prefix))
        .collect();
    names.sort_by_key(|n| (n != "voicecall-create-inbound", n.clone()));
    assert!(names.len() >= 12, "event files: {names:?}");
    let (mut lambda_parent, mut local_parent) = (String::new(), String::new());

    for name in &names {
        let (lambda_token, local_token) = (
            lambda_fx.keys.token(Signer::Writer),
            local_fx.keys.token(Signer::Writer),
        );
        let event = events::load_with(
            name,
            &[
                (TOKEN_PLACEHOLDER, &lambda_token),
                (PARENT_PLACEHOLDER, &lambda_parent),
            ],
        );
        let lambda = rie.invoke(&event).await;
        let local_event = events::load_with(
            name,
            &[
                (TOKEN_PLACEHOLDER, &local_token),
                (PARENT_PLACEHOLDER, &local_parent),
            ],
        );
        let local = local_fx.replay(&http_call(&local_event)).await;

        assert!(
            local.status == 200 || local.status == 202,
            "{name}: {} {}",
            local.status,
            local.body
        );
        assert_same_http(name, &lambda, &local);
        if name == "voicecall-create-inbound" {
            lambda_parent = voice_call_id(lambda["body"].as_str().unwrap_or_default());
            local_parent = voice_call_id(&local.body);
        }
    }

    for fx in [&lambda_fx, &local_fx] {
        // The seed's categories persist once (sent as JSON and as XML).
        let stored = fx.conversation_items(ORG_A, KEY).await;
        let values: Vec<_> = stored.iter().map(|i| i.value.as_str()).collect();
        assert_eq!(values, ["OrderStatusCheckingHelp", "CustomerAngry"]);
        // 2 + 1 + 2 + 1 + 2 real-time events published (persist or not).
        assert_eq!(fx.published().await.len(), 8);

        let conversation = fx.conversation_raw(ORG_A, KEY).await;
        let count = |t: &str| conversation.iter().filter(|i| i["itemType"] == t).count();
        assert_eq!(
            count("LEG"),
            2,
            "the transfer leg joined the first leg's conversation"
        );
        assert_eq!(count("MESSAGE"), 4);
        assert_eq!(count("POST_CALL_SENTIMENT"), 2);
        let transcript: Vec<_> = fx
            .transcript(ORG_A, KEY)
            .await
            .iter()
            .map(|m| m["messageId"].clone())
            .collect();
        assert_eq!(
            transcript,
            ["4f1b7a34-7d1e-4d5c-9a7b-0c1d2e3f4a5b", "b1", "b2", "x1"]
        );
    }
}

#[tokio::test]
async fn a_bad_token_is_401_under_the_emulator_too() {
    let fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &fx.function_env());
    let answer = rie
        .invoke(&events::load("realtime-seed-categories", "not-a-jwt"))
        .await;
    assert_eq!(answer["statusCode"], 401, "{answer}");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body[0]["errorCode"], "INVALID_SESSION_ID");
    assert_eq!(fx.item_count().await, 0);
}

#[tokio::test]
async fn every_invocation_prints_its_metrics_in_embedded_metric_format() {
    use testkit::emf::{read, total};
    let fx = Fixture::new().await;
    let mut env = fx.function_env();
    env.push(("METRICS_NAMESPACE".into(), "rie-metrics".into()));
    let rie = Rie::start(bootstrap(), &env);
    let token = fx.keys.token(Signer::Writer);
    let good = events::load_with("realtime-seed-categories", &[(TOKEN_PLACEHOLDER, &token)]);
    assert_eq!(rie.invoke(&good).await["statusCode"], 202);
    let bad = events::load_with(
        "realtime-seed-categories",
        &[(TOKEN_PLACEHOLDER, "no.such.token")],
    );
    assert_eq!(rie.invoke(&bad).await["statusCode"], 401);

    let output = rie.output();
    let data = read(&output).unwrap_or_else(|e| panic!("not EMF as published: {e}"));
    assert!(!data.is_empty(), "no EMF documents in: {output}");
    assert!(
        data.iter().all(|d| d.namespace == "rie-metrics"),
        "{data:?}"
    );
    let route = ("Route", "realtimeConversationEvents");
    let requests = |class| {
        total(
            &data,
            shared::metrics::REQUESTS,
            &[("Api", "telephony"), route, ("StatusClass", class)],
        )
    };
    assert_eq!(requests("2xx"), 1.0, "{data:?}");
    assert_eq!(requests("4xx"), 1.0, "{data:?}");
    assert_eq!(
        total(
            &data,
            shared::metrics::REFUSALS,
            &[("ErrorCode", "INVALID_SESSION_ID")]
        ),
        1.0
    );
    assert_eq!(total(&data, shared::metrics::ACCEPTED, &[route]), 2.0);
    let latency: Vec<_> = data
        .iter()
        .filter(|d| d.name == shared::metrics::LATENCY)
        .collect();
    assert!(
        latency.iter().all(|d| d.unit == "Milliseconds"),
        "{latency:?}"
    );
    assert_eq!(latency.iter().map(|d| d.values.len()).sum::<usize>(), 2);
    // Bounded dimensions: no tenant id unless the operator turns it on.
    assert!(data
        .iter()
        .all(|d| d.dimensions.values().all(|v| v != ORG_A)));
}
