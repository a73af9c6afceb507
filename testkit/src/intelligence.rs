//! Helpers for tests of `getConversationIntelligence` (CONTRACT §3): the action's path, the seed's
//! sample call (seed 004) rebuilt as a 53-entry transcript, ingestion through the telephony
//! routes (single and bulk messages mixed), and calls of the action.

use serde_json::{json, Value};

use crate::fixture::{Answer, Fixture};
use crate::keys::Signer;
use crate::realtime::JSON;
use crate::telephony::{bulk_entry, bulk_of, messages_path, BULK_MESSAGES_PATH, T0};

/// The action in the first API version that has it.
pub const ACTION_PATH: &str = "/services/data/v65.0/actions/standard/getConversationIntelligence";
pub const ACTION_NAME: &str = "getConversationIntelligence";
/// The exact `401` body of the actions endpoint (CONTRACT §3).
pub const SESSION_INVALID_BODY: &str =
    r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#;

pub const QUESTION_TYPE_ID: &str = "00000000-0000-0000-0000-000000001010";
pub const PRICING_TYPE_ID: &str = "00000000-0000-0000-0000-000000001001";
pub const NEXT_STEP_TYPE_ID: &str = "00000000-0000-0000-0000-000000001000";

/// The seed's speakers: "Speaker 1" is taken as the agent, "Speaker 2" as the customer.
pub const AGENT: &str = "Speaker 1";
pub const CUSTOMER: &str = "Speaker 2";
/// How many entries the seed's call has (its last moment is sequence 53).
pub const SEED_ENTRIES: usize = 53;

/// The action at API version `version` (e.g. "v64.0").
pub fn action_path(version: &str) -> String {
    format!("/services/data/{version}/actions/standard/getConversationIntelligence")
}

/// The `senderType` given to a seed speaker.
pub fn sender_type(speaker: &str) -> &'static str {
    if speaker == AGENT {
        "HUMAN_AGENT"
    } else {
        "END_USER"
    }
}

/// One `momentTimes` item of the seed's sample output, as the seed prints it.
#[derive(Debug, Clone, Copy)]
pub struct SeedMoment {
    pub category: &'static str,
    pub insight_type_id: &'static str,
    pub mention_id: usize,
    pub sequence: usize,
    pub start_offset: f64,
    pub moment_offset: f64,
    pub end_offset: f64,
    pub speaker: &'static str,
    pub entry: &'static str,
}

const fn seed(
    category: &'static str,
    insight_type_id: &'static str,
    mention_id: usize,
    sequence: usize,
    (start_offset, moment_offset, end_offset): (f64, f64, f64),
    speaker: &'static str,
    entry: &'static str,
) -> SeedMoment {
    SeedMoment {
        category,
        insight_type_id,
        mention_id,
        sequence,
        start_offset,
        moment_offset,
        end_offset,
        speaker,
        entry,
    }
}

/// Every moment of the seed's sample output, category by category, in the seed's order.
pub const SEED_MOMENTS: [SeedMoment; 9] = [
    seed("Question", QUESTION_TYPE_ID, 0, 7, (27.719999313354492, 32.720001220703125, 39.18000030517578), CUSTOMER,
         "Long you been with Solutions?"),
    seed("Question", QUESTION_TYPE_ID, 1, 11, (51.099998474121094, 56.099998474121094, 75.08999633789062), CUSTOMER,
         "I'm you've had a kind comb through our as extensively, a think one missing is need be boss how this going are terms?"),
    seed("Question", QUESTION_TYPE_ID, 2, 17, (89.66999816894531, 94.66999816894531, 103.44999694824219), AGENT,
         "Many off, how licenses are you looking at?"),
    seed("Question", QUESTION_TYPE_ID, 3, 28, (162.88999938964844, 167.88999938964844, 175.7100067138672), AGENT,
         "You said 16 licenses, correct?"),
    seed("Question", QUESTION_TYPE_ID, 4, 29, (167.08999633789062, 172.08999633789062, 179.5800018310547), AGENT,
         "Like how pay, can you break me?"),
    seed("Question", QUESTION_TYPE_ID, 5, 30, (169.82000732421875, 174.82000732421875, 182.6199951171875), AGENT,
         "Like monthly it quarterly or annual?"),
    seed("Pricing", PRICING_TYPE_ID, 0, 31, (186.17999267578125, 191.17999267578125, 196.5399932861328), AGENT,
         "It's monthly can access it via once customer. intermediate subscription about $1,200 a month. the premium, an additional $55 per you include looking at about 20."),
    seed("Next Step", NEXT_STEP_TYPE_ID, 0, 48, (262.04998779296875, 267.04998779296875, 272.57000732421875), AGENT,
         "Like to subscription. available next be great just to prove out concept little me work on that with my Linda, that she can be on it have a large deal of influence."),
    seed("Next Step", NEXT_STEP_TYPE_ID, 1, 53, (289.9100036621094, 294.9100036621094, 299.4653015136719), CUSTOMER,
         "Talk soon."),
];

/// The ordinary entries of the seed call, for every position that is not one of the seed's
/// moments, in sequence order: small talk that is no question, no pricing, no next step and no
/// competitor (see [`assert_ordinary`]).
const ORDINARY: [(&str, &str); SEED_ENTRIES - SEED_MOMENTS.len()] = [
    (
        AGENT,
        "Thank you for calling, this is Alex on the sales team.",
    ),
    (CUSTOMER, "Hi Alex, this is Sam."),
    (AGENT, "Nice to meet you, Sam."),
    (CUSTOMER, "Likewise, I appreciate you taking the call."),
    (AGENT, "Of course, I am glad to help."),
    (CUSTOMER, "We are looking at options for our phone system."),
    // 7: Question
    (AGENT, "A few years now, and it has served us well enough."),
    (CUSTOMER, "That makes sense."),
    (AGENT, "It lacks a few features we really need."),
    // 11: Question
    (AGENT, "Sure, my manager wants regular reports on the team."),
    (CUSTOMER, "Our reporting covers that well."),
    (AGENT, "Good to hear."),
    (CUSTOMER, "Adding licenses is simple with us."),
    (AGENT, "That flexibility matters a lot to us."),
    // 17: Question
    (CUSTOMER, "Around sixteen for now."),
    (AGENT, "Okay, that is a good size."),
    (CUSTOMER, "We may grow later this year."),
    (AGENT, "Growing later is easy."),
    (CUSTOMER, "Good, that was a worry for us."),
    (AGENT, "Plenty of our customers started small."),
    (CUSTOMER, "That is reassuring."),
    (AGENT, "Let me pull up the plan details."),
    (CUSTOMER, "Sure, take your time."),
    (AGENT, "Thanks for waiting."),
    // 28, 29, 30: Questions; 31: Pricing
    (CUSTOMER, "Monthly sounds right for us."),
    (AGENT, "Great, monthly is the most popular choice."),
    (CUSTOMER, "I need to keep things within our limits."),
    (AGENT, "Understood."),
    (CUSTOMER, "The intermediate plan seems to fit."),
    (AGENT, "It covers everything you described."),
    (CUSTOMER, "My partner John will want a say."),
    (AGENT, "Of course, that is sensible."),
    (CUSTOMER, "My boss also has a lot of influence here."),
    (AGENT, "Happy to include them both."),
    (CUSTOMER, "That would help a lot."),
    (
        AGENT,
        "The intermediate plan includes the reporting features.",
    ),
    (CUSTOMER, "Good, that was on my list."),
    (AGENT, "It also includes phone support."),
    (CUSTOMER, "Nice, support matters to us."),
    (AGENT, "Glad to hear it."),
    // 48: Next Step
    (CUSTOMER, "That sounds good to me."),
    (AGENT, "Great, thanks again for your time today."),
    (CUSTOMER, "Thank you, this was helpful."),
    (AGENT, "Have a good afternoon."),
    // 53: Next Step
];

/// One transcript entry, its times in milliseconds from the call's start (`T0`).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// 1-based position in the transcript.
    pub sequence: usize,
    pub start: u64,
    pub end: u64,
    pub speaker: String,
    pub content: String,
}

impl Line {
    pub fn message_id(&self) -> String {
        format!("entry-{:03}", self.sequence)
    }

    /// The transcript message the telephony routes take.
    pub fn message(&self) -> Value {
        json!({"messageId": self.message_id(), "startTime": T0 + self.start, "endTime": T0 + self.end,
               "content": self.content, "senderType": sender_type(&self.speaker), "participantId": self.speaker})
    }
}

/// Seconds, as the seed prints them, to milliseconds.
pub fn millis(seconds: f64) -> u64 {
    (seconds * 1000.0).round() as u64
}

/// The seed's call: its nine moments at their sequences and offsets, ordinary entries at every
/// other position, each run of ordinary entries spread over the gap between the moment before
/// (its end) and the moment after (its start).
pub fn seed_call_lines() -> Vec<Line> {
    let moment_at = |sequence: usize| SEED_MOMENTS.iter().find(|m| m.sequence == sequence);
    let mut lines: Vec<Line> = Vec::with_capacity(SEED_ENTRIES);
    let mut ordinary = ORDINARY.iter();
    let mut sequence = 1;
    while sequence <= SEED_ENTRIES {
        if let Some(m) = moment_at(sequence) {
            lines.push(Line {
                sequence,
                start: millis(m.moment_offset),
                end: millis(m.end_offset),
                speaker: m.speaker.to_owned(),
                content: m.entry.to_owned(),
            });
            sequence += 1;
            continue;
        }
        // A run of ordinary entries up to the next moment.
        let run_end = (sequence..=SEED_ENTRIES)
            .find(|s| moment_at(*s).is_some())
            .expect("the call ends on a moment");
        let from = lines.last().map_or(0, |l| l.end);
        let to = millis(moment_at(run_end).expect("a moment").moment_offset);
        assert!(from < to, "no room before sequence {run_end}");
        let n = (run_end - sequence) as u64;
        let slot = (to - from) / n;
        for k in 0..n {
            let (speaker, content) = ordinary.next().expect("enough ordinary entries");
            assert_ordinary(content);
            lines.push(Line {
                sequence,
                start: from + k * slot + slot / 10,
                end: from + (k + 1) * slot - slot / 10,
                speaker: (*speaker).to_owned(),
                content: (*content).to_owned(),
            });
            sequence += 1;
        }
    }
    assert!(ordinary.next().is_none(), "every ordinary entry is used");
    assert!(
        lines.windows(2).all(|w| w[0].start < w[1].start),
        "entries start in sequence order"
    );
    lines
}

/// Sentence openers the engine reads as a question.
use shared::intelligence::categories::QUESTION_OPENERS as OPENERS;

const AVOIDED_PHRASES: &[&str] = &[
    // price words
    "price",
    "prices",
    "pricing",
    "priced",
    "cost",
    "costs",
    "costing",
    "quote",
    "quotes",
    "quoted",
    "discount",
    "discounts",
    "budget",
    "fee",
    "fees",
    "invoice",
    "billing",
    "how much",
    "rate card",
    "list price",
    // currency words
    "dollar",
    "dollars",
    "usd",
    "euro",
    "euros",
    "eur",
    "pound",
    "pounds",
    "gbp",
    "bucks",
    "cents",
    // next steps
    "next",
    "follow up",
    "followup",
    "get back to you",
    "circle back",
    "send",
    "send it over",
    "email you",
    "schedule",
    "set up a",
    "book a",
    "put together",
    "work on that",
    "call you back",
    "reach out",
    "soon",
    "tomorrow",
    "friday",
    "end of the week",
    "demo",
    // org A's competitor keywords
    "genius solutions",
    "acme telecom",
];

/// Lowercase words joined by single spaces, with a space at each end.
fn words(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    format!(
        " {} ",
        spaced.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

/// Panics unless `text` is an ordinary entry: no question (no `?`, no sentence opening like a
/// question), no pricing (no digits, no currency sign, no price word), no next step, no
/// competitor keyword. Guards the test data, independently of the engine under test.
pub fn assert_ordinary(text: &str) {
    assert!(!text.contains('?'), "{text:?} has a question mark");
    assert!(
        !text
            .chars()
            .any(|c| c.is_ascii_digit() || "$€£¥".contains(c)),
        "{text:?} has an amount"
    );
    for sentence in text.split(['.', '!', '?']) {
        let start = words(sentence);
        if let Some(opener) = OPENERS
            .iter()
            .find(|o| start.starts_with(&format!(" {o} ")))
        {
            panic!("{text:?} has a sentence opening with {opener:?}");
        }
    }
    let all = words(text);
    if let Some(phrase) = AVOIDED_PHRASES
        .iter()
        .find(|p| all.contains(&format!(" {p} ")))
    {
        panic!("{text:?} says {phrase:?}");
    }
}

/// The `inputs` body of the action for `record_ids`.
pub fn inputs(record_ids: &[&str]) -> Value {
    json!({"inputs": record_ids.iter().map(|id| json!({"recordId": id})).collect::<Vec<_>>()})
}

impl Fixture {
    /// Sends `lines` to `key`'s conversation through the telephony routes, signed by the writer:
    /// groups of five taken from the end of the call backwards, every third group as single
    /// messages, the others as one bulk request. Expects `202` for each.
    pub async fn ingest_lines(&self, key: &str, lines: &[Line]) {
        self.ingest_lines_as(Signer::Writer, key, lines).await;
    }

    /// [`Self::ingest_lines`], signed by `signer` (which needs `events:write`).
    pub async fn ingest_lines_as(&self, signer: Signer, key: &str, lines: &[Line]) {
        let groups: Vec<&[Line]> = lines.chunks(5).collect();
        for (i, group) in groups.iter().rev().enumerate() {
            if i % 3 == 0 {
                for line in *group {
                    let answer = self
                        .post_json_as(signer, &messages_path(key), &line.message())
                        .await;
                    assert_eq!(
                        answer.status, 202,
                        "entry {}: {}",
                        line.sequence, answer.body
                    );
                    assert_eq!(answer.json(), json!({"result": "Accepted"}));
                }
            } else {
                let body = bulk_of(vec![bulk_entry(
                    key,
                    group.iter().map(Line::message).collect(),
                )]);
                let answer = self.post_json_as(signer, BULK_MESSAGES_PATH, &body).await;
                assert_eq!(
                    answer.status, 202,
                    "bulk from entry {}: {}",
                    group[0].sequence, answer.body
                );
                assert_eq!(answer.json(), json!({"result": "Accepted"}));
            }
        }
    }

    /// POSTs `body` as JSON to the action (v65.0), signed by a fresh token of `signer`.
    pub async fn ask_intelligence(&self, signer: Signer, body: &Value) -> Answer {
        let token = self.keys.token(signer);
        self.post(ACTION_PATH, Some(JSON), body.to_string(), Some(&token))
            .await
    }

    /// The action's results for `record_ids` asked by `signer`; expects `200` and one result per
    /// input.
    pub async fn intelligence_results(&self, signer: Signer, record_ids: &[&str]) -> Vec<Value> {
        let answer = self.ask_intelligence(signer, &inputs(record_ids)).await;
        assert_eq!(answer.status, 200, "{record_ids:?}: {}", answer.body);
        let results = answer
            .json()
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("not an array: {}", answer.body));
        assert_eq!(results.len(), record_ids.len(), "{}", answer.body);
        results
    }

    /// The `outputValues` of `record_id` asked by `signer`; expects a success.
    pub async fn intelligence_of(&self, signer: Signer, record_id: &str) -> Value {
        let result = self
            .intelligence_results(signer, &[record_id])
            .await
            .remove(0);
        assert_eq!(result["isSuccess"], true, "{record_id}: {result:#}");
        assert_eq!(result["errors"], Value::Null, "{record_id}: {result:#}");
        assert_eq!(result["actionName"], ACTION_NAME, "{record_id}: {result:#}");
        result["outputValues"].clone()
    }
}

/// The `momentInsights` item of `category`, if any.
pub fn moment_insight<'a>(outputs: &'a Value, category: &str) -> Option<&'a Value> {
    outputs["momentInsights"]
        .as_array()?
        .iter()
        .find(|m| m["category"] == category)
}

/// The `category` of each `momentInsights` item, in order.
pub fn categories(outputs: &Value) -> Vec<String> {
    outputs["momentInsights"]
        .as_array()
        .unwrap_or_else(|| panic!("momentInsights is not a list: {outputs:#}"))
        .iter()
        .map(|m| m["category"].as_str().expect("a category name").to_owned())
        .collect()
}

/// The `conversationInsights` items of `insight_type`, in order.
pub fn insights_of<'a>(outputs: &'a Value, insight_type: &str) -> Vec<&'a Value> {
    outputs["conversationInsights"]
        .as_array()
        .unwrap_or_else(|| panic!("conversationInsights is not a list: {outputs:#}"))
        .iter()
        .filter(|i| i["insightType"] == insight_type)
        .collect()
}

/// The text of each `<li>` of the summary's Next Steps list, as written (still escaped).
pub fn next_step_items(summary: &str) -> Vec<String> {
    let after = summary
        .split_once("Next Steps")
        .unwrap_or_else(|| panic!("no Next Steps section: {summary}"))
        .1;
    let list = after
        .split_once("<ol>")
        .and_then(|(_, rest)| rest.split_once("</ol>"))
        .unwrap_or_else(|| panic!("no <ol> after Next Steps: {summary}"))
        .0;
    list.split("<li>")
        .skip(1)
        .map(|item| item.split("</li>").next().unwrap_or_default().to_owned())
        .collect()
}

/// `text` escaped for HTML the way the contract requires (`&`, `<`, `>`, and both quotes).
pub fn html_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Undoes [`html_escaped`] (and the numeric forms of the quotes).
pub fn html_unescaped(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
