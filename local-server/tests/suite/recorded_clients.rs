//! Every request of `../shared/clients/recorded-requests.jsonl`, as four public clients sent it
//! (the official Amazon Connect Lambdas, Salesforce's demo connector, simple-salesforce and
//! jsforce), replayed against the local server: re-signed with the test key registered for the
//! same `iss`/`sub` (same claims, times moved to now), recorded voiceCallIds mapped to the ones
//! this replay's creates answered, each answered as its `expect` says; then what was written is
//! read back through the action.

use std::collections::HashMap;

use serde_json::{json, Value};
use testkit::keys::{Signer, TestKeys};
use testkit::{Answer, Fixture};

const C1: &str = "73bdece1-3ac5-4eab-a589-1efa94ab5f2b";
const C2: &str = "c495607d-f978-4753-addd-174215a196ca";
const C6: &str = "a65667e2-d4b2-4b8a-940b-71b4305c9436";

fn recorded() -> Vec<Value> {
    let path = testkit::workspace_root().join("../shared/clients/recorded-requests.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} must be beside the checkout: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Replaces every recorded voiceCallId in `text` with the replay's own.
fn mapped(text: &str, ids: &HashMap<String, String>) -> String {
    ids.iter()
        .fold(text.to_owned(), |text, (from, to)| text.replace(from, to))
}

fn is_voice_call_id(text: &str) -> bool {
    text.len() == 18 && text.starts_with("0LQ")
}

#[tokio::test]
async fn every_recorded_request_is_answered_as_expected_and_read_back() {
    let fx = Fixture::new().await;
    let lines = recorded();
    assert_eq!(lines.len(), 40);
    // The recording's clock: times move by the same amount, so an expired token stays expired.
    let recorded_now = lines
        .iter()
        .filter_map(|l| l["jwt"]["claims"]["iat"].as_u64())
        .max()
        .unwrap();
    let shift = shared::clock::now_secs() - recorded_now;

    // vendorCallKey → the replay's voiceCallId; recorded voiceCallId → the replay's.
    let mut created: HashMap<String, String> = HashMap::new();
    let mut last_create_by_client: HashMap<String, String> = HashMap::new();
    let mut ids: HashMap<String, String> = HashMap::new();

    for (n, line) in lines.iter().enumerate() {
        let client = line["client"].as_str().unwrap().to_owned();
        let step = line["step"].as_str().unwrap();
        let raw_path = line["path"].as_str().unwrap();
        // An id in a path is the call this client created last (the clients update the record
        // they just made); an id among an action's inputs follows the key it was created for.
        for segment in raw_path.split('/').filter(|s| is_voice_call_id(s)) {
            if !ids.contains_key(segment) {
                let key = &last_create_by_client[&client];
                ids.insert(segment.to_owned(), created[key].clone());
            }
        }
        if let Some(inputs) = line["body"]["inputs"].as_array() {
            let record_ids: Vec<&str> = inputs
                .iter()
                .filter_map(|i| i["recordId"].as_str())
                .collect();
            for pair in record_ids.windows(2) {
                if is_voice_call_id(pair[1]) && !ids.contains_key(pair[1]) {
                    ids.insert(pair[1].to_owned(), created[pair[0]].clone());
                }
            }
        }

        let mut claims = line["jwt"]["claims"].clone();
        for time in ["iat", "exp", "nbf"] {
            if let Some(t) = claims[time].as_u64() {
                claims[time] = json!(t + shift);
            }
        }
        let signer = TestKeys::signer_of(claims["sub"].as_str().unwrap())
            .unwrap_or_else(|| panic!("line {n}: no test key for {}", claims["sub"]));
        let token = fx.keys.sign(signer, &claims);

        let method =
            reqwest::Method::from_bytes(line["method"].as_str().unwrap().as_bytes()).unwrap();
        let path = mapped(raw_path, &ids);
        let mut request = fx
            .http
            .request(method, format!("{}{path}", fx.base_url))
            .header("authorization", format!("Bearer {token}"));
        for (name, value) in line["headers"].as_object().unwrap() {
            request = request.header(name, value.as_str().unwrap());
        }
        if !line["body"].is_null() {
            request = request.body(mapped(&line["body"].to_string(), &ids));
        }
        let answer: Answer = fx.send(request).await;

        let expect = line["expect"].as_str().unwrap();
        let ok = match expect {
            "2xx" => (200..300).contains(&answer.status),
            code => answer.status.to_string() == code,
        };
        assert!(
            ok,
            "line {n} ({client}: {step}) expected {expect}, got {}: {}",
            answer.status, answer.body
        );
        if line["path"] == "/telephony/v1/voiceCalls" {
            let key = line["body"]["vendorCallKey"].as_str().unwrap().to_owned();
            let id = answer.json()["voiceCallId"].as_str().unwrap().to_owned();
            created.insert(key.clone(), id);
            last_create_by_client.insert(client, key);
        }
        if raw_path.starts_with("/services/") && line["method"] == "POST" && expect == "2xx" {
            let results = answer.json();
            let inputs = line["body"]["inputs"].as_array().unwrap();
            assert_eq!(results.as_array().unwrap().len(), inputs.len(), "line {n}");
            for (input, result) in inputs.iter().zip(results.as_array().unwrap()) {
                let known = input["recordId"]
                    .as_str()
                    .is_some_and(|id| id != "no-such-call");
                assert_eq!(
                    result["isSuccess"],
                    json!(known),
                    "line {n}: {input} → {result}"
                );
            }
        }
    }

    // Read back through the action.
    let c1 = fx.intelligence_of(Signer::Reader, C1).await;
    let c1_by_id = fx.intelligence_of(Signer::Reader, &created[C1]).await;
    assert_eq!(
        c1, c1_by_id,
        "by key or by voiceCallId, the same conversation"
    );
    let entries = |outputs: &Value| -> u64 {
        outputs["conversationInsights"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["insightType"] == "TalkTime")
            .map(|i| i["entries"].as_u64().unwrap())
            .sum()
    };
    let sent_for = |key: &str| -> u64 {
        lines
            .iter()
            .map(|l| {
                let path = l["path"].as_str().unwrap();
                if path == format!("/telephony/v1/voiceCalls/{key}/messages") {
                    1
                } else if path == "/telephony/v1/voiceCalls/messages" {
                    l["body"]["entries"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|e| e["vendorCallKey"] == key)
                        .map(|e| e["messages"].as_array().unwrap().len() as u64)
                        .sum()
                } else {
                    0
                }
            })
            .sum()
    };
    assert!(sent_for(C2) > 0, "the transfer leg has its own transcript");
    assert_eq!(
        entries(&c1),
        sent_for(C1) + sent_for(C2),
        "the transfer leg's transcript is in the parent's answer: {c1:#}"
    );
    assert_eq!(
        entries(&fx.intelligence_of(Signer::Reader, C2).await),
        entries(&c1)
    );

    let sentiment = |outputs: &Value, participant: &str| -> Value {
        outputs["conversationInsights"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["insightType"] == "Sentiment" && i["participant"] == participant)
            .cloned()
            .unwrap_or_else(|| panic!("{participant}'s sentiment: {outputs:#}"))
    };
    assert_eq!(sentiment(&c1, "AGENT")["overallScore"].as_f64(), Some(3.2));
    assert_eq!(
        sentiment(&c1, "CUSTOMER")["overallScore"].as_f64(),
        Some(-1.4)
    );
    assert_eq!(
        sentiment(&c1, "CUSTOMER")["overallSentiment"].as_f64(),
        Some(-280.0)
    );

    assert_eq!(sent_for(C6), 6);
    assert_eq!(
        entries(&fx.intelligence_of(Signer::Reader, C6).await),
        6,
        "all 6 lines of the large bulk"
    );
    // The voicemail call was updated, routed and closed.
    let vm = fx
        .item(
            &format!(
                "{}#VC#{}",
                testkit::ORG_A,
                created["fd43612b-f114-493a-8256-912a01c90ace"]
            ),
            "VC",
        )
        .await
        .unwrap();
    assert_eq!(
        vm["recordingLocation"],
        "https://s3.amazonaws.com/vm/fd43612b-f114-493a-8256-912a01c90ace.wav"
    );
}
