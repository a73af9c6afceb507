//! The get-intelligence binary under the Lambda runtime interface emulator, fed the action's API
//! Gateway events of `events/`: the same answers as the local server, on the same data.

use std::path::Path;

use serde_json::{json, Value};
use testkit::compare::assert_same_http;
use testkit::events::{self, http_call, TOKEN_PLACEHOLDER};
use testkit::keys::Signer;
use testkit::rie::Rie;
use testkit::Fixture;

const RECORD_PLACEHOLDER: &str = "{{RECORD_ID}}";

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_get-intelligence"))
}

/// Records a call with a short transcript through the local server; returns its voiceCallId.
async fn a_recorded_call(fx: &Fixture) -> String {
    let token = || fx.keys.token(Signer::Writer);
    let call = json!({"callCenterApiName": "scv4cc1", "vendorCallKey": "rie-call", "to": "+15550100", "from": "+15550199",
                      "initiationMethod": "Inbound", "startTime": "2026-11-23T16:00:00Z",
                      "participants": [{"participantKey": "+15550199", "type": "END_USER"}]});
    let created = fx
        .post(
            "/telephony/v1/voiceCalls",
            Some("application/json"),
            call.to_string(),
            Some(&token()),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let lines = [
        ("agent", "HUMAN_AGENT", "Thanks for calling."),
        (
            "+15550199",
            "END_USER",
            "Can you tell me about Genius Solutions pricing?",
        ),
        (
            "agent",
            "HUMAN_AGENT",
            "It's $40 a month; I'll send you a quote.",
        ),
    ];
    let messages: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, (who, role, text))| {
            let t = 1_795_449_601_000u64 + i as u64 * 5_000;
            json!({"messageId": format!("m{i}"), "startTime": t, "endTime": t + 4_000, "content": text,
                   "senderType": role, "participantId": who})
        })
        .collect();
    let bulk = json!({"entries": [{"vendorCallKey": "rie-call", "messages": messages}]});
    let answer = fx
        .post(
            "/telephony/v1/voiceCalls/messages",
            Some("application/json"),
            bulk.to_string(),
            Some(&token()),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    created.json()["voiceCallId"]
        .as_str()
        .expect("voiceCallId")
        .to_owned()
}

#[tokio::test]
async fn action_event_files_answer_as_the_local_server() {
    let fx = Fixture::new().await;
    let record_id = a_recorded_call(&fx).await;
    let rie = Rie::start(bootstrap(), &fx.function_env());
    let names = events::names("intelligence-");
    assert_eq!(names.len(), 4, "{names:?}");

    for name in &names {
        let load = || {
            let token = fx.keys.token(Signer::Reader);
            events::load_with(
                name,
                &[
                    (TOKEN_PLACEHOLDER, &token),
                    (RECORD_PLACEHOLDER, &record_id),
                ],
            )
        };
        let lambda = rie.invoke(&load()).await;
        let local = fx.replay(&http_call(&load())).await;

        assert_eq!(local.status, 200, "{name}: {}", local.body);
        assert_eq!(lambda["statusCode"], 200, "{name}: {lambda}");
        assert_same_http(name, &lambda, &local);
        if name == "intelligence-head" {
            assert!(local.body.is_empty());
        }
    }

    let answer = rie
        .invoke(&events::load_with(
            "intelligence-invoke",
            &[
                (TOKEN_PLACEHOLDER, &fx.keys.token(Signer::Reader)),
                (RECORD_PLACEHOLDER, &record_id),
            ],
        ))
        .await;
    let results: Value =
        serde_json::from_str(answer["body"].as_str().expect("body")).expect("JSON");
    let categories: Vec<_> = results[0]["outputValues"]["momentInsights"]
        .as_array()
        .expect("moments")
        .iter()
        .map(|m| m["category"].clone())
        .collect();
    // First moments tie on the second line: built-in categories come before the tenant's.
    assert_eq!(
        categories,
        ["Question", "Pricing", "Competitor", "Next Step"]
    );
    assert_eq!(results[1]["errors"][0]["statusCode"], "NOT_FOUND");
}

#[tokio::test]
async fn a_writer_token_is_refused_under_the_emulator() {
    let fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &fx.function_env());
    let event = events::load_with(
        "intelligence-describe",
        &[(TOKEN_PLACEHOLDER, &fx.keys.token(Signer::Writer))],
    );
    let answer = rie.invoke(&event).await;
    assert_eq!(answer["statusCode"], 401, "{answer}");
    assert_eq!(
        answer["body"],
        r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#
    );
}

#[tokio::test]
async fn the_console_page_is_served_with_the_stacks_websocket_url() {
    let fx = Fixture::new().await;
    let mut env = fx.function_env();
    env.push((
        "LIVE_URL".into(),
        "wss://abc123.execute-api.us-east-1.amazonaws.com/live".into(),
    ));
    let rie = Rie::start(bootstrap(), &env);
    let answer = rie.invoke(&events::load("console-get", "")).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(
        answer["headers"]["content-type"],
        "text/html; charset=utf-8"
    );
    let page = answer["body"].as_str().expect("the page");
    assert!(page.contains(
        r#"<meta name="live-url" content="wss://abc123.execute-api.us-east-1.amazonaws.com/live">"#
    ));
    // The local server serves the same page, deriving the URL itself.
    let local = fx
        .replay(&http_call(&events::load("console-get", "")))
        .await;
    assert_eq!(local.status, 200);
    assert!(local.body.contains(r#"<meta name="live-url" content="">"#));
}

/// The stack's default limits (the template's parameters, as environment), over the action:
/// `403 REQUEST_LIMIT_EXCEEDED` with `Retry-After`; and every invocation's metrics as EMF.
#[tokio::test]
async fn the_stacks_default_limits_hold_and_metrics_are_printed_as_emf() {
    use testkit::emf::{read, total};
    let fx = Fixture::new().await;
    let mut env = fx.function_env();
    env.extend([
        ("LIMIT_REQUESTS_PER_SECOND".to_owned(), "0.5".to_owned()),
        ("LIMIT_BURST".to_owned(), "1".to_owned()),
    ]);
    let rie = Rie::start(bootstrap(), &env);
    let describe = || {
        events::load_with(
            "intelligence-describe",
            &[(TOKEN_PLACEHOLDER, &fx.keys.token(Signer::Reader))],
        )
    };
    let first = rie.invoke(&describe()).await;
    assert_eq!(first["statusCode"], 200, "{first}");
    let second = rie.invoke(&describe()).await;
    assert_eq!(second["statusCode"], 403, "{second}");
    assert!(
        second["body"]
            .as_str()
            .unwrap()
            .contains("REQUEST_LIMIT_EXCEEDED"),
        "{second}"
    );
    let retry: u64 = second["headers"]["retry-after"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{second}");

    let data = read(&rie.output()).unwrap_or_else(|e| panic!("not EMF as published: {e}"));
    let requests = |class| {
        total(
            &data,
            shared::metrics::REQUESTS,
            &[
                ("Api", "action"),
                ("Route", "describe"),
                ("StatusClass", class),
            ],
        )
    };
    assert_eq!(requests("2xx"), 1.0, "{data:?}");
    assert_eq!(requests("4xx"), 1.0, "{data:?}");
    assert_eq!(
        total(
            &data,
            shared::metrics::REFUSALS,
            &[("Api", "action"), ("ErrorCode", "REQUEST_LIMIT_EXCEEDED")]
        ),
        1.0
    );
    assert!(data
        .iter()
        .all(|d| d.namespace == shared::metrics::DEFAULT_NAMESPACE));
}
