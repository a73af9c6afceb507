//! CONTRACT §2.2: whatever order things arrive in — data sent with a transfer leg's own key
//! before, during (concurrently) or after the leg's creation — every item of every leg is part
//! of the conversation's answer, once. And §1: a key registered with `allowTokenReuse` may use
//! one token for many requests; any other key may not.

use std::collections::BTreeMap;

use serde_json::Value;
use testkit::intelligence::moment_insight;
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, events_path, fresh_key, JSON};
use testkit::telephony::{inbound_call, message, messages_path, transfer_call, VOICE_CALLS_PATH};
use testkit::Fixture;

/// A transcript line the tests' tenant category "Competitor" (keyword "Acme Telecom") picks up,
/// so that it shows in the answer's moments.
fn line(label: &str, i: u64) -> (String, Value) {
    let text = format!("Acme Telecom offer {label} {i}");
    let body = message(
        &format!("{label}-{i}"),
        i * 10,
        i * 10 + 5,
        &text,
        "END_USER",
    );
    (text, body)
}

async fn post(fx: &Fixture, signer: Signer, path: &str, body: &Value) {
    let answer = fx.post_json_as(signer, path, body).await;
    assert!(
        answer.status == 202 || answer.status == 200,
        "{path}: {}",
        answer.body
    );
}

#[tokio::test]
async fn lines_sent_with_a_legs_key_before_during_and_after_its_creation_all_appear_once() {
    let fx = Fixture::new().await;
    let parent = fresh_key();
    let parent_id = fx.record_call(Signer::Writer, &inbound_call(&parent)).await;
    let leg = fresh_key();
    let mut expected = Vec::new();

    // Before the leg's record exists: under the leg's own key.
    for i in 0..5 {
        let (text, body) = line("before", i);
        post(&fx, Signer::Writer, &messages_path(&leg), &body).await;
        expected.push(text);
    }
    post(
        &fx,
        Signer::Writer,
        &events_path(&leg),
        &body_of(vec![category("Escalation", 1_000)]),
    )
    .await;

    // During: 24 writers race three creates of the same leg (naming the parent by its key).
    let mut writers = Vec::new();
    for i in 0..24 {
        let (text, body) = line("during", i);
        expected.push(text);
        let fx = &fx;
        let path = messages_path(&leg);
        writers.push(async move { post(fx, Signer::Writer, &path, &body).await });
    }
    let creates = (0..3).map(|_| {
        let fx = &fx;
        let body = transfer_call(&leg, &parent);
        async move {
            let answer = fx
                .post_json_as(Signer::Writer, VOICE_CALLS_PATH, &body)
                .await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            answer.json()["voiceCallId"].as_str().unwrap().to_owned()
        }
    });
    let (_, ids) = tokio::join!(
        futures::future::join_all(writers),
        futures::future::join_all(creates)
    );
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "one leg: {ids:?}");
    let leg_id = ids[0].clone();

    // After: through the conversation the leg now belongs to.
    for i in 0..5 {
        let (text, body) = line("after", i);
        post(&fx, Signer::Writer, &messages_path(&leg), &body).await;
        expected.push(text);
    }
    expected.sort();

    for record_id in [&parent_id, &parent, &leg_id, &leg] {
        let outputs = fx.intelligence_of(Signer::Reader, record_id).await;
        let moments = moment_insight(&outputs, "Competitor").expect("competitor moments");
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for moment in moments["momentTimes"].as_array().unwrap() {
            for entry in moment["entries"].as_array().unwrap() {
                *seen.entry(entry.as_str().unwrap().to_owned()).or_default() += 1;
            }
        }
        let got: Vec<String> = seen.keys().cloned().collect();
        assert_eq!(got, expected, "{record_id}: every line");
        assert!(
            seen.values().all(|n| *n == 1),
            "{record_id}: each once: {seen:?}"
        );
        let signals = outputs["conversationInsights"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["insightType"] == "Signal" && i["category"] == "Escalation")
            .count();
        assert_eq!(signals, 1, "{record_id}: the leg's signal");
    }
}

#[tokio::test]
async fn a_key_that_allows_token_reuse_may_reuse_one_token_and_others_may_not() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let send = |token: String, id: &'static str| {
        let fx = &fx;
        let path = messages_path(&key);
        async move {
            let body = message(id, 0, 1_000, "Hello", "END_USER");
            fx.post(&path, Some(JSON), body.to_string(), Some(&token))
                .await
        }
    };
    // The transcription writer signs one token with a jti and reuses it for every segment.
    let reused = fx.keys.token(Signer::Transcriber);
    for id in ["seg-1", "seg-2", "seg-1"] {
        let answer = send(reused.clone(), id).await;
        assert_eq!(answer.status, 202, "{id}: {}", answer.body);
    }
    // The default: a second use of the same jti is a replay.
    let once = fx.keys.token(Signer::Writer);
    assert_eq!(send(once.clone(), "w-1").await.status, 202);
    let replay = send(once, "w-2").await;
    assert_eq!(replay.status, 401, "{}", replay.body);
    assert_eq!(fx.transcript(testkit::ORG_A, &key).await.len(), 3);
}
