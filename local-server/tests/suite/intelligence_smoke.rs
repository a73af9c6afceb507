use serde_json::{json, Value};
use testkit::keys::Signer;
use testkit::Fixture;

#[tokio::test]
async fn a_transcript_becomes_moments_summary_and_insights() {
    let fx = Fixture::new().await;
    let key = "smoke-call";
    let lines = [
        (
            "Speaker 1",
            "HUMAN_AGENT",
            "Thanks for calling, this is Jordan.",
        ),
        ("Speaker 2", "END_USER", "How much is the premium plan?"),
        (
            "Speaker 1",
            "HUMAN_AGENT",
            "It's $55 per user. I'll send you a quote <today> & we talk soon.",
        ),
    ];
    for (i, (speaker, role, text)) in lines.iter().enumerate() {
        let t = 1_795_449_600_000u64 + i as u64 * 10_000;
        let body = json!({"messageId": format!("m{i}"), "startTime": t, "endTime": t + 4000, "content": text,
                          "senderType": role, "participantId": speaker});
        let path = format!("/telephony/v1/voiceCalls/{key}/messages");
        let answer = fx
            .post(
                &path,
                Some("application/json"),
                body.to_string(),
                Some(&fx.keys.token(Signer::Writer)),
            )
            .await;
        assert_eq!(answer.status, 202, "{}", answer.body);
    }
    let answer = fx
        .post(
            "/services/data/v65.0/actions/standard/getConversationIntelligence",
            Some("application/json"),
            json!({"inputs": [{"recordId": key}, {"recordId": "nope"}]}).to_string(),
            Some(&fx.keys.token(Signer::Reader)),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let results: Value = answer.json();
    let out = &results[0]["outputValues"];
    let categories: Vec<_> = out["momentInsights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["category"].clone())
        .collect();
    assert_eq!(categories, ["Question", "Pricing", "Next Step"], "{out:#}");
    let summary = out["conversationIntelligence"]["callSummary"]
        .as_str()
        .unwrap();
    assert!(summary.contains("quote &lt;today&gt; &amp; "), "{summary}");
    assert_eq!(results[1]["isSuccess"], false);
    assert_eq!(results[1]["errors"][0]["statusCode"], "NOT_FOUND");
}
