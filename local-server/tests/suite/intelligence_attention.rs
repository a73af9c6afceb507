//! What makes a moment need attention, and the call-level insights (CONTRACT §3.1), on the seed
//! 004 call: org A's alert category "Competitor" (keywords "Genius Solutions", "Acme Telecom"),
//! customer sentiment at or below −500 (real-time or post-call), and the Sentiment and Signal
//! insights built from the signals.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use shared::intelligence::categories::tenant_type_id;
use testkit::intelligence::{
    categories, insights_of, moment_insight, seed_call_lines, Line, CUSTOMER, SEED_MOMENTS,
};
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, events_path, fresh_key, sentiment};
use testkit::telephony::{inbound_call, post_call_of, post_call_path, post_call_sentiment, T0};
use testkit::{Fixture, ORG_A};

const TOLERANCE: f64 = 0.01;

/// The competitor lines put in the seed call: (sequence, start, end, text). Sequence 27 ends
/// inside the window of the question at 28 (opening at 162.89 s) but before the window of the
/// question at 29 opens (167.09 s).
/// Where a competitor line goes: its sequence, its times (ms from T0) when they must be exact,
/// and its text.
type CompetitorLine = (usize, Option<(u64, u64)>, &'static str);

const COMPETITOR_LINES: [CompetitorLine; 2] = [
    (
        24,
        None,
        "We compared you with Genius Solutions last spring.",
    ),
    (
        27,
        Some((163_000, 166_000)),
        "Genius Solutions never offered that option.",
    ),
];

/// The seed call, with the competitor lines in place of two ordinary entries when `competitor`.
fn lines(competitor: bool) -> Vec<Line> {
    let mut lines = seed_call_lines();
    if competitor {
        for (sequence, times, text) in COMPETITOR_LINES {
            let line = &mut lines[sequence - 1];
            assert_eq!(line.sequence, sequence);
            line.content = text.to_owned();
            line.speaker = CUSTOMER.to_owned();
            if let Some((start, end)) = times {
                line.start = start;
                line.end = end;
            }
        }
        assert!(
            lines.windows(2).all(|w| w[0].start < w[1].start),
            "entries still start in sequence order"
        );
    }
    lines
}

/// Records the call as `signer` and ingests `lines`; returns the vendorCallKey.
async fn call(fx: &Fixture, signer: Signer, lines: &[Line]) -> String {
    let key = fresh_key();
    fx.record_call(signer, &inbound_call(&key)).await;
    fx.ingest_lines_as(signer, &key, lines).await;
    key
}

/// (category, sequence) of every moment whose `needsAttention` is true.
fn flagged(outputs: &Value) -> BTreeSet<(String, u64)> {
    let mut out = BTreeSet::new();
    for insight in outputs["momentInsights"].as_array().expect("a list") {
        for time in insight["momentTimes"].as_array().expect("a list") {
            assert!(time["needsAttention"].is_boolean(), "{time}");
            if time["needsAttention"] == true {
                out.insert((
                    insight["category"].as_str().unwrap().to_owned(),
                    time["sequences"][0].as_u64().unwrap(),
                ));
            }
        }
    }
    out
}

fn set(items: &[(&str, u64)]) -> BTreeSet<(String, u64)> {
    items.iter().map(|(c, s)| ((*c).to_owned(), *s)).collect()
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

/// The seed's moments are all there, at their sequences, whatever else was found.
fn assert_seed_sequences(outputs: &Value) {
    for category in ["Question", "Pricing", "Next Step"] {
        let insight = moment_insight(outputs, category)
            .unwrap_or_else(|| panic!("no {category}: {outputs:#}"));
        let sequences: Vec<Value> = insight["momentTimes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["sequences"].clone())
            .collect();
        let expected: Vec<Value> = SEED_MOMENTS
            .iter()
            .filter(|m| m.category == category)
            .map(|m| json!([m.sequence]))
            .collect();
        assert_eq!(sequences, expected, "{category}");
    }
}

#[tokio::test]
async fn a_competitor_mention_is_a_tenant_moment_in_order_of_its_first_mention_and_needs_attention()
{
    let fx = Fixture::new().await;
    let lines = lines(true);
    let key = call(&fx, Signer::Writer, &lines).await;
    let outputs = fx.intelligence_of(Signer::Reader, &key).await;

    // Question first at 7, Competitor at 24, Pricing at 31, Next Step at 48.
    assert_eq!(
        categories(&outputs),
        ["Question", "Competitor", "Pricing", "Next Step"],
        "{outputs:#}"
    );
    assert_seed_sequences(&outputs);
    let competitor = moment_insight(&outputs, "Competitor").expect("a Competitor insight");
    assert_eq!(
        competitor["insightTypeId"],
        tenant_type_id(ORG_A, "Competitor")
    );
    assert_eq!(competitor["keyword"], "Competitor");
    let times = competitor["momentTimes"].as_array().expect("a list");
    assert_eq!(times.len(), COMPETITOR_LINES.len(), "{competitor:#}");
    for (mention_id, (time, (sequence, _, text))) in times.iter().zip(COMPETITOR_LINES).enumerate()
    {
        let line = &lines[sequence - 1];
        assert_eq!(time["mentionId"], mention_id);
        assert_eq!(time["sequences"], json!([sequence]));
        assert_eq!(time["entries"], json!([text]));
        assert_eq!(time["speakerId"], CUSTOMER);
        close(
            &time["momentOffset"],
            line.start as f64 / 1000.0,
            "momentOffset",
        );
        close(
            &time["startOffset"],
            line.start as f64 / 1000.0 - 5.0,
            "startOffset",
        );
        close(&time["endOffset"], line.end as f64 / 1000.0, "endOffset");
        assert_eq!(time["isFollowup"], false);
        assert_eq!(time["action"], Value::Null);
    }
    // Competitor is an alert category: its moments need attention, and so does the question whose
    // window (5 s before 167.89 s, to its end) the mention at 163–166 s overlaps; the question at
    // 29, whose window opens at 167.09 s, does not.
    assert_eq!(
        flagged(&outputs),
        set(&[("Competitor", 24), ("Competitor", 27), ("Question", 28)]),
        "{outputs:#}"
    );
}

#[tokio::test]
async fn another_tenant_without_the_category_finds_no_competitor_in_the_same_words() {
    let fx = Fixture::new().await;
    let key = call(&fx, Signer::TenantB, &lines(true)).await;
    let outputs = fx.intelligence_of(Signer::TenantB, &key).await;
    assert_eq!(
        categories(&outputs),
        ["Question", "Pricing", "Next Step"],
        "{outputs:#}"
    );
    assert_seed_sequences(&outputs);
    assert!(flagged(&outputs).is_empty(), "{outputs:#}");
}

#[tokio::test]
async fn customer_sentiment_at_or_below_minus_500_and_alert_signals_flag_the_moments_in_their_windows(
) {
    let fx = Fixture::new().await;
    let key = call(&fx, Signer::Writer, &lines(false)).await;
    let events = body_of(vec![
        sentiment(json!(299.99), T0 + 20_000, "CUSTOMER"),
        // An agent's low sentiment inside the window of the question at 7 (27.72–39.18 s).
        sentiment(json!(-800), T0 + 35_000, "AGENT"),
        // Just above the line, inside the window of the question at 11 (51.10–75.09 s).
        sentiment(json!("-499.99"), T0 + 60_000, "CUSTOMER"),
        // On the line, inside the window of the question at 17 (89.67–103.45 s).
        sentiment(json!(-500), T0 + 92_000, "CUSTOMER"),
        json!({"type": "IntelligenceSignal__Category", "value": "CustomerAngry", "startTime": T0 + 93_000, "score": 80}),
        sentiment(json!(500), T0 + 250_000, "CUSTOMER"),
        json!({"type": "IntelligenceSignal__Category", "value": "CustomerAngry", "startTime": T0 + 250_000,
               "score": "95.5", "participant": "CUSTOMER"}),
        // A real-time signal of the alert category inside the window of the next step at 48
        // (262.05–272.57 s).
        category("Competitor", T0 + 268_000),
    ]);
    let answer = fx
        .post_json_as(Signer::Writer, &events_path(&key), &events)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let outputs = fx.intelligence_of(Signer::Reader, &key).await;

    assert_eq!(
        categories(&outputs),
        ["Question", "Pricing", "Next Step"],
        "{outputs:#}"
    );
    assert_seed_sequences(&outputs);
    assert_eq!(
        flagged(&outputs),
        set(&[("Question", 17), ("Next Step", 48)]),
        "{outputs:#}"
    );

    // Sentiment: the call runs from T0 to the last entry's end (299.465 s), quarters of 74.87 s.
    let sentiments = insights_of(&outputs, "Sentiment");
    let customer = sentiments
        .iter()
        .find(|i| i["participant"] == "CUSTOMER")
        .expect("a CUSTOMER Sentiment insight");
    assert_eq!(customer["samples"], 4, "{customer}");
    close(&customer["average"], -50.0, "customer average");
    close(&customer["minimum"], -500.0, "customer minimum");
    close(&customer["latest"], 500.0, "customer latest");
    let quarters = customer["byQuarter"]
        .as_array()
        .expect("byQuarter is a list of four");
    assert_eq!(quarters.len(), 4, "{customer}");
    close(&quarters[0], -100.0, "customer quarter 1");
    close(&quarters[1], -500.0, "customer quarter 2");
    assert_eq!(
        quarters[2],
        Value::Null,
        "customer quarter 3 had no sentiment"
    );
    close(&quarters[3], 500.0, "customer quarter 4");
    assert_eq!(customer["trend"], "improving", "{customer}");
    let agent = sentiments
        .iter()
        .find(|i| i["participant"] == "AGENT")
        .expect("an AGENT Sentiment insight");
    assert_eq!(agent["samples"], 1, "{agent}");
    close(&agent["average"], -800.0, "agent average");
    close(&agent["minimum"], -800.0, "agent minimum");
    close(&agent["latest"], -800.0, "agent latest");
    assert_eq!(agent["trend"], "steady", "{agent}");
    assert_eq!(sentiments.len(), 2, "{outputs:#}");

    // Signals, in order of their first time.
    let signals = insights_of(&outputs, "Signal");
    let names: Vec<&Value> = signals.iter().map(|s| &s["category"]).collect();
    assert_eq!(names, ["CustomerAngry", "Competitor"], "{outputs:#}");
    let angry = signals[0];
    assert_eq!(angry["count"], 2, "{angry}");
    close(&angry["highestScore"], 95.5, "CustomerAngry highestScore");
    assert_eq!(angry["firstTime"], T0 + 93_000, "{angry}");
    assert_eq!(angry["lastTime"], T0 + 250_000, "{angry}");
    close(&angry["firstOffset"], 93.0, "CustomerAngry firstOffset");
    close(&angry["lastOffset"], 250.0, "CustomerAngry lastOffset");
    assert_eq!(signals[1]["count"], 1, "{}", signals[1]);
    assert_eq!(
        signals[1]["highestScore"],
        Value::Null,
        "no score was sent: {}",
        signals[1]
    );
    close(&signals[1]["firstOffset"], 268.0, "Competitor firstOffset");

    // Talk time still there, one per speaker.
    assert_eq!(insights_of(&outputs, "TalkTime").len(), 2, "{outputs:#}");
    let summary = outputs["conversationIntelligence"]["callSummary"]
        .as_str()
        .expect("a summary");
    assert!(
        summary.contains("Customer Impression")
            && summary.contains("Call Summary")
            && summary.contains("Next Steps")
    );
}

#[tokio::test]
async fn post_call_customer_sentiment_at_or_below_minus_500_flags_the_moments_it_spans() {
    let fx = Fixture::new().await;
    let key = call(&fx, Signer::Writer, &lines(false)).await;
    let events = post_call_of(vec![
        // Inside the window of the question at 17 (89.67–103.45 s), but the agent's.
        post_call_sentiment(json!(-900), 100_000, 101_000, "AGENT"),
        // 170–171 s: inside the windows of the questions at 28, 29 and 30.
        post_call_sentiment(json!("-700"), 170_000, 171_000, "CUSTOMER"),
        // Inside the window of the pricing moment at 31, but above the line.
        post_call_sentiment(json!(-499), 190_000, 192_000, "CUSTOMER"),
    ]);
    let answer = fx
        .post_json_as(Signer::Writer, &post_call_path(&key), &events)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let outputs = fx.intelligence_of(Signer::Reader, &key).await;

    assert_seed_sequences(&outputs);
    assert_eq!(
        flagged(&outputs),
        set(&[("Question", 28), ("Question", 29), ("Question", 30)]),
        "{outputs:#}"
    );
    let sentiments = insights_of(&outputs, "Sentiment");
    let customer = sentiments
        .iter()
        .find(|i| i["participant"] == "CUSTOMER")
        .expect("a CUSTOMER Sentiment insight");
    assert_eq!(customer["samples"], 2, "{customer}");
    close(&customer["average"], -599.5, "customer average");
    close(&customer["minimum"], -700.0, "customer minimum");
    close(&customer["latest"], -499.0, "customer latest");
}

#[tokio::test]
async fn every_keyword_of_the_category_counts_whatever_its_case_and_only_as_whole_words() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let texts = [
        "We also looked at ACME telecom's offer.",
        "Our old provider was genius solutions.",
        "Geniuses solutions are rare.",
        "Acme Telecommunications is another firm.",
    ];
    let lines: Vec<Line> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| Line {
            sequence: i + 1,
            start: 10_000 * (i as u64 + 1),
            end: 10_000 * (i as u64 + 1) + 4_000,
            speaker: CUSTOMER.to_owned(),
            content: (*text).to_owned(),
        })
        .collect();
    fx.ingest_lines(&key, &lines).await;
    let outputs = fx.intelligence_of(Signer::Reader, &key).await;
    assert_eq!(categories(&outputs), ["Competitor"], "{outputs:#}");
    let sequences: Vec<Value> = moment_insight(&outputs, "Competitor").unwrap()["momentTimes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["sequences"].clone())
        .collect();
    assert_eq!(sequences, [json!([1]), json!([2])], "{outputs:#}");
}
