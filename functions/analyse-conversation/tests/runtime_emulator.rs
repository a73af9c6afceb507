//! The analyse-conversation binary under the Lambda runtime interface emulator, fed the DynamoDB
//! stream events of `events/` (`analysis-*.json`, as `sam local invoke -e` takes them): it stores
//! the record of the ended conversation they name, once, and reports the records it could not
//! handle as partial batch failures.

use std::path::Path;

use serde_json::{json, Value};
use testkit::events;
use testkit::keys::Signer;
use testkit::rie::Rie;
use testkit::telephony::{
    message, messages_path, post_call_of, post_call_path, post_call_sentiment,
};
use testkit::{Fixture, ORG_A};

/// The conversation `events/analysis-stream.json` names.
const KEY: &str = "5324881f-1e84-4367-8930-f69a74b30ca6";
/// The sequence number of its `HEAD` record (the batch's only trigger).
const HEAD_SEQUENCE: &str = "111100000000000000002";

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_analyse-conversation"))
}

async fn analysed_events(fx: &Fixture) -> Vec<Value> {
    fx.published_events()
        .await
        .into_iter()
        .filter(|(t, _)| t == shared::bus::ANALYSED_DETAIL_TYPE)
        .map(|(_, d)| d)
        .collect()
}

async fn record(fx: &Fixture) -> Option<Value> {
    fx.item(&format!("{ORG_A}#CONV#{KEY}"), "ANALYSIS").await
}

#[tokio::test]
async fn every_stream_event_file_analyses_the_ended_conversation_once() {
    // `*-not-ended` events carry no ended head (the cold-start bench's event): their own test.
    let names: Vec<String> = events::names("analysis-")
        .into_iter()
        .filter(|n| !n.ends_with("-not-ended"))
        .collect();
    assert!(!names.is_empty(), "no events/analysis-*.json");
    let fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &fx.function_env());

    for name in &names {
        // A live conversation: the trigger finds nothing to store.
        let key_messages = [
            message(
                "m1",
                1_000,
                4_000,
                "How much is the premium plan?",
                "END_USER",
            ),
            message("m2", 5_000, 9_000, "It is $40 a month.", "HUMAN_AGENT"),
        ];
        for m in &key_messages {
            let answer = fx
                .post_json_as(Signer::Writer, &messages_path(KEY), m)
                .await;
            assert_eq!(answer.status, 202, "{}", answer.body);
        }
        let event = events::load_with(name, &[]);
        let answer = rie.invoke(&event).await;
        assert_eq!(answer, json!({"batchItemFailures": []}), "{name}");
        assert_eq!(
            record(&fx).await,
            None,
            "{name}: a record of a live conversation"
        );

        // Post-call events end it: the same event now stores its record, once.
        let body = post_call_of(vec![post_call_sentiment(json!(-1.5), 0, 9_000, "CUSTOMER")]);
        let answer = fx
            .post_json_as(Signer::Writer, &post_call_path(KEY), &body)
            .await;
        assert_eq!(answer.status, 202, "{}", answer.body);
        fx.published_events().await;
        for _ in 0..2 {
            let answer = rie.invoke(&event).await;
            assert_eq!(answer, json!({"batchItemFailures": []}), "{name}");
        }
        let stored = record(&fx)
            .await
            .unwrap_or_else(|| panic!("{name}: no record"));
        assert_eq!(stored["summariser"], "built-in");
        assert_eq!(stored["published"], true);
        let published = analysed_events(&fx).await;
        assert_eq!(published.len(), 1, "{name}: {published:?}");
        assert_eq!(published[0]["conversationKey"], KEY);
        // And the action answers it from the record: the same outputs as computed.
        let outputs = fx.intelligence_of(Signer::Reader, KEY).await;
        assert!(outputs["conversationIntelligence"]["callSummary"].is_string());
    }
}

#[tokio::test]
async fn a_head_that_has_not_ended_analyses_nothing_even_once_the_call_ended() {
    let fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &fx.function_env());
    let m = message("m1", 1_000, 4_000, "Hello?", "END_USER");
    let answer = fx
        .post_json_as(Signer::Writer, &messages_path(KEY), &m)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let body = post_call_of(vec![post_call_sentiment(json!(-1.5), 0, 9_000, "CUSTOMER")]);
    let answer = fx
        .post_json_as(Signer::Writer, &post_call_path(KEY), &body)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);

    let event = events::load_with("analysis-stream-not-ended", &[]);
    let answer = rie.invoke(&event).await;
    assert_eq!(answer, json!({"batchItemFailures": []}));
    // The stream image says the head had not ended: that write is not a trigger.
    assert_eq!(record(&fx).await, None);
    assert!(analysed_events(&fx).await.is_empty());
}

#[tokio::test]
async fn a_batch_it_cannot_analyse_is_reported_as_failed() {
    let fx = Fixture::new().await;
    let mut env = fx.function_env();
    for (name, value) in &mut env {
        if name == "TABLE_NAME" {
            *value = "no-such-table".into();
        }
    }
    let rie = Rie::start(bootstrap(), &env);
    let event = events::load_with("analysis-stream", &[]);
    let answer = rie.invoke(&event).await;
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": HEAD_SEQUENCE}]})
    );
}
