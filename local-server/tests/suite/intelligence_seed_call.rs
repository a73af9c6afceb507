//! The call of seed 004's sample output, rebuilt: its nine moments (six questions, one pricing
//! moment, two next steps) at their sequences and offsets among ordinary entries, ingested through
//! the telephony routes after the call's record; the action must give back the seed's moments
//! (CONTRACT §3, §3.1), by voiceCallId and by vendorCallKey alike.

use serde_json::{json, Value};
use testkit::intelligence::{
    categories, html_unescaped, insights_of, next_step_items, seed_call_lines, Line, ACTION_NAME,
    AGENT, CUSTOMER, SEED_ENTRIES, SEED_MOMENTS,
};
use testkit::keys::Signer;
use testkit::realtime::fresh_key;
use testkit::telephony::inbound_call;
use testkit::Fixture;

/// Offsets are compared to the seed's within this many seconds (the seed prints f32 values).
const TOLERANCE: f64 = 0.01;

/// The seed call recorded and ingested under a fresh key: (vendorCallKey, voiceCallId, lines).
async fn seed_call(fx: &Fixture) -> (String, String, Vec<Line>) {
    let key = fresh_key();
    // Inbound, startTime 2026-11-23T16:00:00Z: T0, the instant the entries' offsets count from.
    let id = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    let lines = seed_call_lines();
    assert_eq!(lines.len(), SEED_ENTRIES);
    fx.ingest_lines(&key, &lines).await;
    (key, id, lines)
}

fn close(actual: &Value, expected: f64, what: &str) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {actual}"));
    assert!(
        (actual - expected).abs() <= TOLERANCE,
        "{what}: {actual}, expected {expected}"
    );
}

fn keys_of(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// Checks `outputs["momentInsights"]` against the seed's sample, item by item.
fn assert_seed_moments(outputs: &Value) {
    assert_eq!(
        categories(outputs),
        ["Question", "Pricing", "Next Step"],
        "{outputs:#}"
    );
    for insight in outputs["momentInsights"].as_array().expect("a list") {
        let category = insight["category"].as_str().expect("a category");
        let seeds: Vec<_> = SEED_MOMENTS
            .iter()
            .filter(|m| m.category == category)
            .collect();
        assert_eq!(
            keys_of(insight),
            ["category", "insightTypeId", "keyword", "momentTimes"],
            "{insight:#}"
        );
        assert_eq!(
            insight["insightTypeId"], seeds[0].insight_type_id,
            "{category}"
        );
        assert_eq!(insight["keyword"], category, "{category}");
        let times = insight["momentTimes"]
            .as_array()
            .expect("momentTimes is a list");
        assert_eq!(times.len(), seeds.len(), "{category}: {insight:#}");
        for (time, seed) in times.iter().zip(seeds) {
            let what = format!("{category} #{}", seed.mention_id);
            assert_eq!(
                keys_of(time),
                [
                    "action",
                    "endOffset",
                    "entries",
                    "isFollowup",
                    "mentionId",
                    "momentOffset",
                    "needsAttention",
                    "sequences",
                    "speakerId",
                    "speakerRole",
                    "startOffset"
                ],
                "{what}: {time:#}"
            );
            assert_eq!(time["mentionId"], seed.mention_id, "{what}");
            assert_eq!(time["entries"], json!([seed.entry]), "{what}");
            assert_eq!(time["sequences"], json!([seed.sequence]), "{what}");
            close(
                &time["momentOffset"],
                seed.moment_offset,
                &format!("{what} momentOffset"),
            );
            close(
                &time["endOffset"],
                seed.end_offset,
                &format!("{what} endOffset"),
            );
            close(
                &time["startOffset"],
                seed.start_offset,
                &format!("{what} startOffset"),
            );
            let moment = time["momentOffset"].as_f64().expect("a number");
            close(
                &time["startOffset"],
                moment - 5.0,
                &format!("{what} startOffset = momentOffset - 5"),
            );
            assert_eq!(time["speakerId"], seed.speaker, "{what}");
            let role = if seed.speaker == AGENT {
                "HUMAN_AGENT"
            } else {
                "END_USER"
            };
            assert_eq!(time["speakerRole"], role, "{what}: the participant's role");
            assert_eq!(time["needsAttention"], false, "{what}");
            assert_eq!(time["isFollowup"], false, "{what}");
            assert_eq!(time["action"], Value::Null, "{what}");
        }
    }
}

#[tokio::test]
async fn the_seed_call_gives_the_seed_sample_moments_by_voice_call_id() {
    let fx = Fixture::new().await;
    let (_key, id, _lines) = seed_call(&fx).await;

    // The seed's sample input, with the id the create answered.
    let answer = fx
        .ask_intelligence(Signer::Reader, &json!({"inputs": [{"recordId": id}]}))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let results = answer.json();
    let results = results.as_array().expect("an array of results");
    assert_eq!(results.len(), 1, "{results:#?}");
    let result = &results[0];
    assert_eq!(
        keys_of(result),
        ["actionName", "errors", "isSuccess", "outputValues"],
        "{result:#}"
    );
    assert_eq!(result["actionName"], ACTION_NAME);
    assert_eq!(result["isSuccess"], true);
    assert_eq!(result["errors"], Value::Null);
    let outputs = &result["outputValues"];
    assert_eq!(
        keys_of(outputs),
        [
            "conversationInsights",
            "conversationIntelligence",
            "momentInsights"
        ],
        "{outputs:#}"
    );
    assert_seed_moments(outputs);
}

#[tokio::test]
async fn the_vendor_call_key_gives_the_same_answer_as_the_voice_call_id() {
    let fx = Fixture::new().await;
    let (key, id, _lines) = seed_call(&fx).await;

    let by_id = fx.intelligence_of(Signer::Reader, &id).await;
    let by_key = fx.intelligence_of(Signer::Reader, &key).await;
    assert_seed_moments(&by_key);
    assert_eq!(by_key, by_id);
    // Asking again changes nothing (the answer is computed, deterministically, from what is stored).
    assert_eq!(fx.intelligence_of(Signer::Reader, &key).await, by_id);
}

#[tokio::test]
async fn the_seed_call_summary_has_the_seed_sections_and_says_what_happened() {
    let fx = Fixture::new().await;
    let (_key, id, _lines) = seed_call(&fx).await;
    let outputs = fx.intelligence_of(Signer::Reader, &id).await;

    assert_eq!(
        keys_of(&outputs["conversationIntelligence"]),
        ["callSummary"]
    );
    let summary = outputs["conversationIntelligence"]["callSummary"]
        .as_str()
        .unwrap_or_else(|| panic!("callSummary is not a string: {outputs:#}"));
    // The sections of the seed's sample, in its order, each a <p><strong> heading.
    let impression = summary
        .find("<p><strong> Customer Impression</strong></p>")
        .expect("a Customer Impression section");
    let call = summary
        .find("<p><strong> Call Summary</strong></p>")
        .expect("a Call Summary section");
    let steps = summary
        .find("<p><strong> Next Steps</strong></p>")
        .expect("a Next Steps section");
    assert!(impression < call && call < steps, "{summary}");

    // The next steps retell the seed's commitment in the third person: the agent (Alex, who
    // named themselves) will work on the demo; "Talk soon." is a goodbye, not a step.
    let items = next_step_items(summary);
    let work_on_it = items
        .iter()
        .map(|i| html_unescaped(i))
        .find(|i| i.contains("work on that"))
        .unwrap_or_else(|| panic!("the seed's next step: {summary}"));
    assert!(work_on_it.starts_with("Alex says "), "{work_on_it}");
    assert!(!items.iter().any(|i| i.contains("Talk soon")), "{summary}");
    // The summary says why Sam called and what was offered, with the amounts.
    for said in [
        "Sam, the customer,",
        "phone system",
        "$1,200 a month",
        "intermediate",
    ] {
        assert!(summary.contains(said), "{said:?}: {summary}");
    }
    for item in &items {
        assert!(
            !item.contains('<') && !item.contains('>'),
            "an <li> holds raw markup: {item}"
        );
    }
}

#[tokio::test]
async fn the_seed_call_has_a_talk_time_insight_per_speaker_and_nothing_else() {
    let fx = Fixture::new().await;
    let (_key, id, lines) = seed_call(&fx).await;
    let outputs = fx.intelligence_of(Signer::Reader, &id).await;

    let talk = insights_of(&outputs, "TalkTime");
    // No signal and no post-call sentiment was sent: talk time and non-talk time is all there is.
    assert_eq!(
        outputs["conversationInsights"]
            .as_array()
            .expect("a list")
            .len(),
        talk.len() + 1,
        "{outputs:#}"
    );
    let silence = insights_of(&outputs, "NonTalkTime");
    assert_eq!(silence.len(), 1, "{outputs:#}");
    // The call starts with its leg at T0, before the first entry; it ends with the last entry.
    let length = lines.last().expect("lines").end;
    let talked = union_millis(&lines);
    close(
        &silence[0]["seconds"],
        (length - talked) as f64 / 1000.0,
        "non-talk seconds",
    );
    assert_eq!(talk.len(), 2, "{outputs:#}");
    let mut share = 0.0;
    for speaker in [AGENT, CUSTOMER] {
        let own: Vec<&Line> = lines.iter().filter(|l| l.speaker == speaker).collect();
        let insight = talk
            .iter()
            .find(|i| i["speakerId"] == speaker)
            .unwrap_or_else(|| panic!("no TalkTime for {speaker}: {outputs:#}"));
        let role = if speaker == AGENT {
            "HUMAN_AGENT"
        } else {
            "END_USER"
        };
        assert_eq!(insight["speakerRole"], role, "{insight}");
        assert_eq!(insight["entries"], own.len(), "{insight}");
        let seconds: u64 = own.iter().map(|l| l.end - l.start).sum();
        close(
            &insight["seconds"],
            seconds as f64 / 1000.0,
            &format!("{speaker} seconds"),
        );
        share += insight["share"].as_f64().expect("a share");
        let listen = insight["listenShare"].as_f64().expect("a listen share");
        assert!(
            (insight["share"].as_f64().unwrap() + listen - 1.0).abs() < 0.011,
            "{insight}"
        );
        assert!(
            insight["wordsPerMinute"].as_f64().expect("a pace") > 0.0,
            "{insight}"
        );
        assert!(
            insight["longestMonologueSeconds"]
                .as_f64()
                .expect("a monologue")
                > 0.0,
            "{insight}"
        );
        assert!(insight["interruptions"].is_u64(), "{insight}");
    }
    assert!((share - 1.0).abs() <= 0.011, "shares add up to 1: {share}");
}

/// Milliseconds covered by at least one entry: the lengths of the merged intervals.
fn union_millis(lines: &[Line]) -> u64 {
    let mut spans: Vec<(u64, u64)> = lines.iter().map(|l| (l.start, l.end)).collect();
    spans.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged.iter().map(|(s, e)| e - s).sum()
}
