//! Contact Lens's post-call analysis file (S3 `…/Analysis/Voice/…_analysis_….json`, the
//! administrator guide's "Example Contact Lens output files"), read as documented: what this
//! service takes of it. Unknown fields are ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::record::{Categories, CharacterOffsets};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AnalysisFile {
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub content_metadata: ContentMetadata,
    #[serde(default)]
    pub job_status: Option<String>,
    #[serde(default)]
    pub participants: Vec<FileParticipant>,
    #[serde(default)]
    pub categories: Option<Categories>,
    #[serde(default)]
    pub conversation_characteristics: Option<Characteristics>,
    #[serde(default)]
    pub transcript: Vec<FileTurn>,
    #[serde(default)]
    pub customer_metadata: Option<CustomerMetadata>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContentMetadata {
    /// `Raw` or `Redacted`.
    #[serde(default)]
    pub output: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FileParticipant {
    pub participant_id: String,
    pub participant_role: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomerMetadata {
    #[serde(default)]
    pub contact_id: Option<String>,
    #[serde(default)]
    pub instance_id: Option<String>,
}

/// One turn of the file's transcript.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FileTurn {
    pub id: String,
    pub participant_id: String,
    /// Absent in the file: the role comes from `Participants`.
    #[serde(default)]
    pub participant_role: Option<String>,
    pub content: String,
    pub begin_offset_millis: u64,
    pub end_offset_millis: u64,
    #[serde(default)]
    pub sentiment: Option<String>,
    #[serde(default)]
    pub issues_detected: Vec<Detected>,
    #[serde(default)]
    pub outcomes_detected: Vec<Detected>,
    #[serde(default)]
    pub action_items_detected: Vec<Detected>,
}

/// An issue, outcome or action item found in a turn. Its `Text` (transcript text) is not
/// read: transcript text is only written as transcript entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Detected {
    #[serde(default)]
    pub character_offsets: Option<CharacterOffsets>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Characteristics {
    #[serde(default)]
    pub total_conversation_duration_millis: Option<u64>,
    #[serde(default)]
    pub sentiment: Option<FileSentiment>,
    #[serde(default)]
    pub interruptions: Option<Interruptions>,
    #[serde(default)]
    pub non_talk_time: Option<Timed>,
    #[serde(default)]
    pub talk_speed: Option<ByParticipant<WordsPerMinute>>,
    #[serde(default)]
    pub talk_time: Option<ByParticipant<Timed>>,
    #[serde(default)]
    pub contact_summary: Option<ContactSummary>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FileSentiment {
    /// Role → −5..5.
    #[serde(default)]
    pub overall_sentiment: BTreeMap<String, f64>,
    #[serde(default)]
    pub sentiment_by_period: Option<ByPeriod>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ByPeriod {
    /// Role → the four quarters.
    #[serde(rename = "QUARTER", default)]
    pub quarter: BTreeMap<String, Vec<PeriodScore>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PeriodScore {
    #[serde(default)]
    pub begin_offset_millis: u64,
    #[serde(default)]
    pub end_offset_millis: u64,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Interruptions {
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub total_time_millis: u64,
    /// Role → each interruption.
    #[serde(default)]
    pub interruptions_by_interrupter: BTreeMap<String, Vec<serde::de::IgnoredAny>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Timed {
    #[serde(default)]
    pub total_time_millis: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WordsPerMinute {
    #[serde(default)]
    pub average_words_per_minute: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ByParticipant<T> {
    #[serde(default = "BTreeMap::new")]
    pub details_by_participant: BTreeMap<String, T>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContactSummary {
    #[serde(default)]
    pub post_contact_summary: Option<SummaryContent>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SummaryContent {
    #[serde(default)]
    pub content: Option<String>,
}

/// Contact Lens's conversation characteristics as the `VendorAnalysis` insight shows them:
/// numbers only, by role (docs/contact-lens.md).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CharacteristicsSummary {
    pub total_conversation_millis: Option<u64>,
    /// −5..5 by role, as sent.
    pub overall_sentiment: BTreeMap<String, f64>,
    /// −5..5 by role, one per quarter of the call.
    pub sentiment_by_quarter: BTreeMap<String, Vec<f64>>,
    pub interruptions: u64,
    pub interruption_millis: u64,
    pub interruptions_by_interrupter: BTreeMap<String, usize>,
    pub non_talk_millis: Option<u64>,
    pub words_per_minute: BTreeMap<String, f64>,
    pub talk_millis: BTreeMap<String, u64>,
}

impl Characteristics {
    pub fn summary(&self) -> CharacteristicsSummary {
        let sentiment = self.sentiment.clone().unwrap_or_default();
        let interruptions = self.interruptions.clone().unwrap_or_default();
        CharacteristicsSummary {
            total_conversation_millis: self.total_conversation_duration_millis,
            overall_sentiment: sentiment.overall_sentiment,
            sentiment_by_quarter: sentiment
                .sentiment_by_period
                .map(|p| {
                    p.quarter
                        .into_iter()
                        .map(|(role, q)| (role, q.iter().map(|s| s.score).collect()))
                        .collect()
                })
                .unwrap_or_default(),
            interruptions: interruptions.total_count,
            interruption_millis: interruptions.total_time_millis,
            interruptions_by_interrupter: interruptions
                .interruptions_by_interrupter
                .iter()
                .map(|(role, list)| (role.clone(), list.len()))
                .collect(),
            non_talk_millis: self.non_talk_time.map(|t| t.total_time_millis),
            words_per_minute: self
                .talk_speed
                .iter()
                .flat_map(|t| &t.details_by_participant)
                .map(|(role, w)| (role.clone(), w.average_words_per_minute))
                .collect(),
            talk_millis: self
                .talk_time
                .iter()
                .flat_map(|t| &t.details_by_participant)
                .map(|(role, t)| (role.clone(), t.total_time_millis))
                .collect(),
        }
    }
}

impl AnalysisFile {
    pub fn read(data: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(data)
    }

    /// Whether this is the redacted variant (`ContentMetadata.Output` = `Redacted`).
    pub fn is_redacted(&self) -> bool {
        self.content_metadata
            .output
            .as_deref()
            .is_some_and(|o| o.eq_ignore_ascii_case("Redacted"))
    }

    /// The role of a participant id (`Participants`), else the id when it is a role itself.
    pub fn role_of<'a>(&'a self, turn: &'a FileTurn) -> &'a str {
        turn.participant_role.as_deref().unwrap_or_else(|| {
            self.participants
                .iter()
                .find(|p| p.participant_id == turn.participant_id)
                .map_or(turn.participant_id.as_str(), |p| {
                    p.participant_role.as_str()
                })
        })
    }
}

/// The contact id in an analysis file's key: `…/{ContactId}_analysis_….json`.
pub fn contact_of_key(key: &str) -> Option<&str> {
    let name = key.rsplit('/').next()?;
    let (contact, _) = name.split_once("_analysis_")?;
    (!contact.is_empty()).then_some(contact)
}

/// Whether an object key is a voice analysis file.
pub fn is_voice_analysis(key: &str) -> bool {
    (key.starts_with("Analysis/Voice/") || key.contains("/Analysis/Voice/"))
        && key.ends_with(".json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_file_reads_as_documented() {
        use crate::contact_lens::samples;
        let raw =
            serde_json::to_vec(&samples::analysis_file("i", samples::CONTACT_ID, false)).unwrap();
        let file = AnalysisFile::read(&raw).unwrap();
        assert!(!file.is_redacted());
        assert_eq!(file.transcript.len(), samples::TURNS.len());
        assert_eq!(file.role_of(&file.transcript[1]), "AGENT");
        assert_eq!(file.transcript[2].issues_detected.len(), 1);
        let summary = file.conversation_characteristics.unwrap().summary();
        assert_eq!(summary.interruptions_by_interrupter["AGENT"], 1);
        assert_eq!(summary.talk_millis["CUSTOMER"], 9700);
        assert_eq!(summary.overall_sentiment["CUSTOMER"], -1.4);
        let redacted =
            serde_json::to_vec(&samples::analysis_file("i", samples::CONTACT_ID, true)).unwrap();
        assert!(AnalysisFile::read(&redacted).unwrap().is_redacted());
        assert!(AnalysisFile::read(b"not json").is_err());
    }

    #[test]
    fn keys() {
        let key = "connect/example/Analysis/Voice/2026/11/29/73bdece1-3ac5-4eab-a589-1efa94ab5f2b_analysis_2026-11-29T17:01:00Z.json";
        assert!(is_voice_analysis(key));
        assert_eq!(
            contact_of_key(key),
            Some("73bdece1-3ac5-4eab-a589-1efa94ab5f2b")
        );
        let redacted = "Analysis/Voice/Redacted/2026/11/29/c_analysis_redacted_2026.json";
        assert!(is_voice_analysis(redacted));
        assert_eq!(contact_of_key(redacted), Some("c"));
        assert!(!is_voice_analysis("Analysis/Chat/2026/c_analysis_x.json"));
        assert!(!is_voice_analysis("CallRecordings/2026/c.wav"));
    }
}
