//! One Contact Lens real-time segment stream record, as the Amazon Connect administrator guide
//! documents it ("Data model for conversational analytics segment streams to analyze voice
//! contacts", voice records `Version` 1.0.0). Unknown fields and unknown segment kinds are
//! ignored (AWS adds them over time); a record that is not JSON, or lacks the fields every
//! record carries, does not parse.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Why a record was not read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("not a segment stream record: {0}")]
    Syntax(#[from] serde_json::Error),
    #[error("not a voice record (Channel {0})")]
    NotVoice(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    Started,
    Segments,
    /// Not in the voice data model today; read so that it is not a parse failure.
    Updated,
    Completed,
    Failed,
}

impl EventType {
    /// `COMPLETED` and `FAILED` end the contact's analysis session.
    pub fn ends_session(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SegmentRecord {
    pub version: String,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    /// The Connect instance: its id (the data model's name), or an ARN.
    #[serde(alias = "Instance")]
    pub instance_id: String,
    pub contact_id: String,
    /// Not in the voice data model; read when present (a transfer's first contact).
    #[serde(default)]
    pub initial_contact_id: Option<String>,
    #[serde(default)]
    pub language_code: Option<String>,
    pub event_type: EventType,
    #[serde(default)]
    pub segments: Vec<Segment>,
}

/// One segment: exactly one of its members is present; a kind this service does not know
/// reads as a segment with none.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Segment {
    #[serde(default)]
    pub utterance: Option<Utterance>,
    #[serde(default)]
    pub transcript: Option<Transcript>,
    #[serde(default)]
    pub categories: Option<Categories>,
    #[serde(default)]
    pub post_contact_summary: Option<PostContactSummary>,
}

/// A partial transcript: pieces of the turn `TranscriptId` as they are recognised.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Utterance {
    pub id: String,
    #[serde(default)]
    pub transcript_id: Option<String>,
    pub participant_id: String,
    pub participant_role: String,
    pub partial_content: String,
    pub begin_offset_millis: u64,
    pub end_offset_millis: u64,
    #[serde(default)]
    pub sentiment: Option<String>,
    #[serde(default)]
    pub issues_detected: Vec<IssueDetected>,
}

/// A final transcript turn.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Transcript {
    pub id: String,
    pub participant_id: String,
    pub participant_role: String,
    pub content: String,
    pub begin_offset_millis: u64,
    pub end_offset_millis: u64,
    /// `POSITIVE`, `NEUTRAL`, `NEGATIVE` (or `MIXED` in post-call files).
    #[serde(default)]
    pub sentiment: Option<String>,
    #[serde(default)]
    pub issues_detected: Vec<IssueDetected>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IssueDetected {
    pub character_offsets: CharacterOffsets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CharacterOffsets {
    pub begin_offset_char: u64,
    pub end_offset_char: u64,
}

/// The category rules matched so far, with where they matched.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Categories {
    #[serde(default)]
    pub matched_categories: Vec<String>,
    #[serde(default)]
    pub matched_details: BTreeMap<String, CategoryDetails>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CategoryDetails {
    /// Empty for rules on sentiment or other conditions with no place in the transcript.
    #[serde(default)]
    pub points_of_interest: Vec<PointOfInterest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointOfInterest {
    pub begin_offset_millis: u64,
    pub end_offset_millis: u64,
}

/// Contact Lens's generative post-contact summary.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PostContactSummary {
    #[serde(default)]
    pub content: Option<String>,
    /// `COMPLETED` or `FAILED`.
    pub status: String,
    #[serde(default)]
    pub failure_code: Option<String>,
}

impl SegmentRecord {
    /// Reads one record's data (the Kinesis record's decoded bytes). Records of other channels
    /// (chat, `Version` 2.0.0, which carry no `EventType`) are [`RecordError::NotVoice`].
    pub fn read(data: &[u8]) -> Result<Self, RecordError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Head {
            #[serde(default)]
            channel: Option<String>,
        }
        let record = serde_json::from_slice::<Self>(data);
        match record {
            Ok(r) if r.channel.as_deref().is_none_or(|c| c == "VOICE") => Ok(r),
            Ok(r) => Err(RecordError::NotVoice(r.channel.unwrap_or_default())),
            Err(e) => match serde_json::from_slice::<Head>(data) {
                Ok(Head {
                    channel: Some(channel),
                }) if channel != "VOICE" => Err(RecordError::NotVoice(channel)),
                _ => Err(RecordError::Syntax(e)),
            },
        }
    }

    /// The latest end offset any segment of the record names (0 for none): about how far
    /// into the contact the record was published.
    pub fn latest_offset(&self) -> u64 {
        self.segments
            .iter()
            .flat_map(|s| {
                let utterance = s.utterance.as_ref().map(|u| u.end_offset_millis);
                let transcript = s.transcript.as_ref().map(|t| t.end_offset_millis);
                let categories = s.categories.iter().flat_map(|c| {
                    c.matched_details
                        .values()
                        .flat_map(|d| d.points_of_interest.iter().map(|p| p.end_offset_millis))
                });
                utterance.into_iter().chain(transcript).chain(categories)
            })
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture of `ServiceCloudVoiceLambdas/contactLensProcessor/tests`: an utterance that
    /// also carries `Sentiment` and `IssuesDetected`, with no `TranscriptId`.
    pub const SCV_UTTERANCE: &str = r#"{"Version":"1.0.0","Channel":"VOICE","AccountId":"698414421362","InstanceId":"4defbdc5-3029-456e-9bf3-a0d168cf409c","ContactId":"d5187cb8-f83f-471d-b724-bfb242b34b59","LanguageCode":"en-US","EventType":"SEGMENTS","Segments":[{"Utterance":{"ParticipantId":"AGENT","ParticipantRole":"AGENT","PartialContent":"Testing.","BeginOffsetMillis":19230,"EndOffsetMillis":19855,"Id":"5a859b25-e047-454f-b47f-c78ee2a33f08","Sentiment":"NEUTRAL","IssuesDetected":[]}}]}"#;

    #[test]
    fn reads_the_forwarders_fixture() {
        let r = SegmentRecord::read(SCV_UTTERANCE.as_bytes()).unwrap();
        assert_eq!(r.event_type, EventType::Segments);
        let u = r.segments[0].utterance.as_ref().unwrap();
        assert_eq!(u.partial_content, "Testing.");
        assert_eq!(u.transcript_id, None);
        assert_eq!(u.sentiment.as_deref(), Some("NEUTRAL"));
        assert_eq!(r.latest_offset(), 19855);
    }

    #[test]
    fn reads_categories_and_summary_and_ignores_unknown_kinds() {
        let data = r#"{"Version":"1.0.0","Channel":"VOICE","AccountId":"1","InstanceId":"i","ContactId":"c","EventType":"SEGMENTS","Segments":[
            {"Categories":{"MatchedCategories":["keyWord","Mood"],"MatchedDetails":{"keyWord":{"PointsOfInterest":[{"BeginOffsetMillis":5120,"EndOffsetMillis":15495}]},"Mood":{"PointsOfInterest":[]}}}},
            {"PostContactSummary":{"Content":"The customer asked for a refund.","Status":"COMPLETED"}},
            {"SomethingNew":{"X":1}}]}"#;
        let r = SegmentRecord::read(data.as_bytes()).unwrap();
        let c = r.segments[0].categories.as_ref().unwrap();
        assert_eq!(c.matched_categories, ["keyWord", "Mood"]);
        assert_eq!(
            c.matched_details["keyWord"].points_of_interest[0].begin_offset_millis,
            5120
        );
        assert_eq!(r.segments[2], Segment::default());
        assert_eq!(r.latest_offset(), 15495);
    }

    #[test]
    fn refuses_what_is_not_a_voice_record() {
        assert!(matches!(
            SegmentRecord::read(b"garbage"),
            Err(RecordError::Syntax(_))
        ));
        assert!(matches!(
            SegmentRecord::read(br#"{"Version":"1.0.0","Channel":"VOICE"}"#),
            Err(RecordError::Syntax(_))
        ));
        let chat = r#"{"Version":"2.0.0","Channel":"CHAT","AccountId":"1","InstanceId":"i","ContactId":"c","StreamingEventType":"STARTED"}"#;
        assert!(matches!(
            SegmentRecord::read(chat.as_bytes()),
            Err(RecordError::NotVoice(c)) if c == "CHAT"
        ));
        let ended = r#"{"Version":"1.0.0","Channel":"VOICE","AccountId":"1","Instance":"i","ContactId":"c","EventType":"FAILED"}"#;
        assert!(SegmentRecord::read(ended.as_bytes())
            .unwrap()
            .event_type
            .ends_session());
    }
}
