//! Calls as test data, without the HTTP round trip: a JSON fixture format (transcript entries
//! and real-time signals, times in milliseconds from the call's start) and the DialogSum
//! dialogues of the summary evaluation, each turned into the `ConversationRecord` the store
//! would return for it.

use serde::Deserialize;
use shared::store::items::{MessageItem, SignalItem};
use shared::store::ConversationRecord;

/// The epoch milliseconds a fixture call starts at.
pub const CALL_START: u64 = 1_795_449_600_000;

/// One call as a fixture file holds it (`testkit/calls/*.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallFixture {
    pub description: String,
    pub entries: Vec<Entry>,
    #[serde(default)]
    pub signals: Vec<FixtureSignal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Entry {
    pub participant_id: String,
    /// `END_USER`, `HUMAN_AGENT`, …
    pub sender_type: String,
    pub start: u64,
    pub end: u64,
    pub content: String,
}

/// A real-time signal: a category, or a sentiment of a participant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FixtureSignal {
    pub at: u64,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub sentiment: Option<f64>,
    #[serde(default)]
    pub participant: Option<String>,
}

impl CallFixture {
    /// Reads `testkit/calls/{name}.json`.
    pub fn load(name: &str) -> Self {
        let path = crate::workspace_root().join(format!("testkit/calls/{name}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    pub fn record(&self) -> ConversationRecord {
        let mut record = ConversationRecord {
            messages: self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| message(i, e))
                .collect(),
            signals: self.signals.iter().map(signal).collect(),
            ..ConversationRecord::default()
        };
        record.sort();
        record
    }
}

fn message(index: usize, e: &Entry) -> MessageItem {
    let (start, end) = (CALL_START + e.start, CALL_START + e.end);
    MessageItem {
        pk: "00DTEST#CONV#fixture".into(),
        sk: format!("MSG#m{index:05}"),
        time_key: format!("MSG#{start:020}#{end:020}#{index:016x}"),
        item_type: "MESSAGE".into(),
        org_id: "00DTEST".into(),
        conversation_key: "fixture".into(),
        vendor_call_key: "fixture".into(),
        message_id: format!("m{index:05}"),
        start_time: start,
        end_time: end,
        content: e.content.clone(),
        sender_type: e.sender_type.clone(),
        participant_id: e.participant_id.clone(),
        provider: None,
        received_at: 0,
        expires_at: 0,
    }
}

fn signal(s: &FixtureSignal) -> SignalItem {
    let at = CALL_START + s.at;
    let (signal_type, value) = match (&s.category, s.sentiment) {
        (Some(c), _) => (shared::model::Signal::CATEGORY_TYPE, c.clone()),
        (None, Some(v)) => (shared::model::Signal::SENTIMENT_TYPE, format!("{v:.2}")),
        (None, None) => panic!("a fixture signal needs a category or a sentiment"),
    };
    SignalItem {
        pk: "00DTEST#CONV#fixture".into(),
        sk: format!("SIG#{at:020}#{signal_type}{value}"),
        item_type: "SIGNAL".into(),
        org_id: "00DTEST".into(),
        conversation_key: "fixture".into(),
        vendor_call_key: "fixture".into(),
        service: "VoiceCall".into(),
        provider: None,
        signal_type: signal_type.into(),
        value,
        sentiment: s.sentiment,
        start_time: at,
        score: None,
        participant: s.participant.clone(),
        details: None,
        received_at: 0,
        expires_at: 0,
    }
}

/// One DialogSum dialogue (`dialogsum.dev.jsonl`): `#Person1#: …` lines and a human summary.
#[derive(Debug, Clone, Deserialize)]
pub struct Dialogue {
    pub fname: String,
    pub dialogue: String,
    /// The human summary (the test split's first of three, `summary1`).
    #[serde(alias = "summary1")]
    pub summary: String,
}

impl Dialogue {
    /// The turns as (speaker tag, text).
    pub fn turns(&self) -> Vec<(&str, &str)> {
        self.dialogue
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                let rest = line.strip_prefix('#')?;
                let (tag, text) = rest.split_once("#:")?;
                Some((tag, text.trim()))
            })
            .collect()
    }

    /// The dialogue as a transcript: `#Person1#` is the agent, everyone else the customer,
    /// each turn four seconds long.
    pub fn record(&self) -> ConversationRecord {
        let entries: Vec<Entry> = self
            .turns()
            .into_iter()
            .enumerate()
            .map(|(i, (tag, text))| Entry {
                participant_id: format!("#{tag}#"),
                sender_type: if tag == "Person1" {
                    "HUMAN_AGENT"
                } else {
                    "END_USER"
                }
                .into(),
                start: i as u64 * 5_000,
                end: i as u64 * 5_000 + 4_000,
                content: joined_contractions(text),
            })
            .collect();
        CallFixture {
            description: self.fname.clone(),
            entries,
            signals: Vec::new(),
        }
        .record()
    }

    /// The first three lines of the dialogue, as written (speaker tags included).
    pub fn lead_3(&self) -> String {
        self.dialogue.lines().take(3).collect::<Vec<_>>().join("\n")
    }
}

/// DialogSum's text sometimes splits contractions ("I ' Ve", "haven ' t"): joined again.
fn joined_contractions(text: &str) -> String {
    let spaced = text.replace(" ' ", "'");
    let mut out = String::with_capacity(spaced.len());
    let mut after_apostrophe = false;
    for c in spaced.chars() {
        out.extend(if after_apostrophe {
            Some(c.to_ascii_lowercase())
        } else {
            Some(c)
        });
        after_apostrophe = c == '\'';
    }
    out
}

/// The dialogues of a DialogSum JSONL file.
pub fn read_dialogsum(path: &std::path::Path) -> std::io::Result<Vec<Dialogue>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(std::io::Error::other))
        .collect()
}

/// The plain text of summary HTML: tags dropped (a block tag becomes a space), entities undone.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    crate::intelligence::html_unescaped(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
