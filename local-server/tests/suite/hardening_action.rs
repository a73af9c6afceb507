//! The action's answer stays under Lambda's 6 MB synchronous response limit (CONTRACT §3, F4):
//! one request naming one large conversation 100 times is answered in order, the inputs that fit
//! succeed and the rest fail alone with `LIMIT_EXCEEDED`.

use serde_json::Value;
use testkit::intelligence::inputs;
use testkit::keys::Signer;
use testkit::realtime::fresh_key;
use testkit::telephony::{message, messages_path};
use testkit::Fixture;

/// Lambda's limit on a synchronous response, bytes.
const LAMBDA_RESPONSE_LIMIT: usize = 6 * 1024 * 1024;

/// A conversation whose outputs are large: long questions, each a moment carrying its text.
async fn large_conversation(fx: &Fixture) -> String {
    let key = fresh_key();
    let question = "Which plan fits a team like ours and what does it cost per seat? ";
    let content = question.repeat(30_000 / question.len());
    for i in 0..20u64 {
        let sender = if i % 2 == 0 {
            "END_USER"
        } else {
            "HUMAN_AGENT"
        };
        let entry = message(
            &format!("m{i}"),
            i * 10_000,
            i * 10_000 + 9_000,
            &content,
            sender,
        );
        let answer = fx
            .post_json_as(Signer::Writer, &messages_path(&key), &entry)
            .await;
        assert_eq!(answer.status, 202, "{}", answer.body);
    }
    key
}

#[tokio::test]
async fn f4_one_conversation_named_100_times_stays_under_6_mb_and_fails_the_rest_alone() {
    let fx = Fixture::new().await;
    let key = large_conversation(&fx).await;
    let ids = vec![key.as_str(); 100];
    let answer = fx.ask_intelligence(Signer::Reader, &inputs(&ids)).await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        &answer.body[..answer.body.len().min(500)]
    );
    assert!(
        answer.body.len() <= LAMBDA_RESPONSE_LIMIT,
        "the answer is {} bytes",
        answer.body.len()
    );
    let results = answer.json().as_array().cloned().expect("an array");
    assert_eq!(results.len(), 100);
    let succeeded = results
        .iter()
        .take_while(|r| r["isSuccess"] == true)
        .count();
    assert!(succeeded >= 1, "not even the first input succeeded");
    assert!(
        succeeded < 100,
        "every input fit: the test's conversation is too small"
    );
    for result in &results[..succeeded] {
        assert_eq!(result["outputValues"], results[0]["outputValues"]);
    }
    for (i, result) in results.iter().enumerate().skip(succeeded) {
        assert_eq!(result["isSuccess"], false, "input {i}");
        assert_eq!(result["outputValues"], Value::Null, "input {i}");
        assert_eq!(
            result["errors"][0]["statusCode"], "LIMIT_EXCEEDED",
            "input {i}"
        );
        assert_eq!(result["errors"][0]["fields"][0], "recordId", "input {i}");
    }
    // A small input after the limit is still answered: only inputs that do not fit fail.
    let mut ids = vec![key.as_str(); 99];
    ids.push("no-such-record");
    let answer = fx.ask_intelligence(Signer::Reader, &inputs(&ids)).await;
    let results = answer.json().as_array().cloned().expect("an array");
    assert_eq!(results[99]["errors"][0]["statusCode"], "NOT_FOUND");
}
