//! Segment stream records shaped as the Amazon Connect administrator guide's voice sample and
//! the Service Cloud Voice forwarder's test fixture show them (utterances carrying `Sentiment`
//! and `IssuesDetected`), for tests, the runtime-emulator tests and the bench. The call is the
//! one `../shared/clients/recorded-requests.jsonl` recorded through the forwarder (contact C1):
//! the same turns, ids and categories.

use serde_json::{json, Value};

/// The Connect instance of the recorded call (its queue ARN names it).
pub const INSTANCE_ID: &str = "11111111-2222-3333-4444-555555555555";
pub const CONTACT_ID: &str = "73bdece1-3ac5-4eab-a589-1efa94ab5f2b";
/// The recorded call's first Kinesis arrival, epoch seconds.
pub const ARRIVAL_SECS: u64 = 1_795_970_768;

/// One turn: `Id`, role, text, begin and end offsets, sentiment label.
pub type Turn = (
    &'static str,
    &'static str,
    &'static str,
    u64,
    u64,
    &'static str,
);

pub const TURNS: [Turn; 5] = [
    (
        "4c2e76b7-4843-4388-b3fd-bea896528462",
        "CUSTOMER",
        "Hi, how much is the premium plan?",
        1000,
        4200,
        "NEUTRAL",
    ),
    (
        "4906f88d-d145-4b58-9476-6b5f1bf888ed",
        "AGENT",
        "It is $55 per user per month.",
        5200,
        9200,
        "NEUTRAL",
    ),
    (
        "a0963c18-c235-42c5-acba-3337a08c841d",
        "CUSTOMER",
        "That is too expensive, I want to cancel my account.",
        9700,
        13200,
        "NEGATIVE",
    ),
    (
        "44eaae33-d77f-4785-a784-a164f4f51aa8",
        "AGENT",
        "I will send you a quote with a discount by Friday.",
        15200,
        19200,
        "POSITIVE",
    ),
    (
        "c303cf20-46e5-442f-a92d-9f8e04c81a26",
        "CUSTOMER",
        "OK. Can you email me the details?",
        21200,
        24200,
        "NEUTRAL",
    ),
];

/// The categories the forwarder sent for the call, with their points of interest.
pub const CATEGORIES: [(&str, u64, u64); 3] = [
    ("PricingQuestion", 1000, 4200),
    ("Cancellation", 9000, 12500),
    ("FollowUpRequested", 18000, 21000),
];

pub const SUMMARY: &str = "The customer asked about the premium plan's price and wanted to cancel; the agent offered a discounted quote by Friday.";

fn common(instance: &str, contact: &str, event_type: &str) -> Value {
    json!({
        "Version": "1.0.0",
        "Channel": "VOICE",
        "AccountId": "123456789012",
        "InstanceId": instance,
        "ContactId": contact,
        "LanguageCode": "en-US",
        "EventType": event_type,
    })
}

fn segments(instance: &str, contact: &str, segments: Vec<Value>) -> Value {
    let mut r = common(instance, contact, "SEGMENTS");
    r["Segments"] = Value::Array(segments);
    r
}

/// The utterances of a turn (its text in two pieces) and its final transcript.
pub fn turn_segments(turn: &Turn, utterance_tag: &str) -> Vec<Value> {
    let (id, role, text, begin, end, sentiment) = *turn;
    let middle = begin + (end - begin) / 2;
    let cut = text.find(' ').map_or(text.len(), |i| i + 1);
    let issues = if text.contains("cancel") {
        let at = text.find("cancel").unwrap_or(0) as u64;
        json!([{"CharacterOffsets": {"BeginOffsetChar": at, "EndOffsetChar": at + 17}}])
    } else {
        json!([])
    };
    let utterance = |n: u32, piece: &str, b: u64, e: u64| {
        json!({"Utterance": {
            "Id": format!("{}-{utterance_tag}{n}", &id[..8]),
            "TranscriptId": id,
            "ParticipantId": role,
            "ParticipantRole": role,
            "PartialContent": piece,
            "BeginOffsetMillis": b,
            "EndOffsetMillis": e,
            "Sentiment": sentiment,
            "IssuesDetected": [],
        }})
    };
    vec![
        utterance(1, text[..cut].trim_end(), begin, middle),
        utterance(2, &text[cut..], middle, end),
        json!({"Transcript": {
            "Id": id,
            "ParticipantId": role,
            "ParticipantRole": role,
            "Content": text,
            "BeginOffsetMillis": begin,
            "EndOffsetMillis": end,
            "Sentiment": sentiment,
            "IssuesDetected": issues,
        }}),
    ]
}

/// The whole call as the stream carries it: `STARTED`, one `SEGMENTS` record per turn, one per
/// category match, the post-contact summary, `COMPLETED`.
pub fn call(instance: &str, contact: &str) -> Vec<Value> {
    let mut records = vec![common(instance, contact, "STARTED")];
    for turn in &TURNS {
        records.push(segments(instance, contact, turn_segments(turn, "u")));
    }
    for (name, begin, end) in CATEGORIES {
        let mut details = serde_json::Map::new();
        details.insert(
            name.into(),
            json!({"PointsOfInterest": [{"BeginOffsetMillis": begin, "EndOffsetMillis": end}]}),
        );
        records.push(segments(
            instance,
            contact,
            vec![json!({"Categories": {"MatchedCategories": [name], "MatchedDetails": details}})],
        ));
    }
    records.push(segments(
        instance,
        contact,
        vec![json!({"PostContactSummary": {"Content": SUMMARY, "Status": "COMPLETED"}})],
    ));
    records.push(common(instance, contact, "COMPLETED"));
    records
}

/// A Kinesis event of `records` (data, sequence number, arrival in epoch milliseconds), as the
/// event source mapping delivers it.
pub fn kinesis_event(records: &[(Vec<u8>, String, u64)]) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|(data, sequence_number, arrival)| {
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": CONTACT_ID,
                    "sequenceNumber": sequence_number,
                    "data": base64(data),
                    "approximateArrivalTimestamp": *arrival as f64 / 1000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("shardId-000000000000:{sequence_number}"),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/contact-lens-stream",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/voicecall-intelligence-contact-lens",
            })
        })
        .collect();
    json!({ "Records": records })
}

/// How long after the moment it describes a record arrives, in these samples.
pub const ARRIVAL_LAG_MILLIS: u64 = 800;

/// `data` in base64, as the event carries it.
fn base64(data: &[u8]) -> Value {
    let mut encoded = aws_lambda_events::encodings::Base64Data::default();
    encoded.extend_from_slice(data);
    serde_json::to_value(encoded).expect("base64 serialises")
}

/// `records` numbered as one shard would: sequence numbers in order, each arriving
/// [`ARRIVAL_LAG_MILLIS`] after its latest offset (so every record proposes the same anchor).
pub fn numbered(records: &[Value]) -> Vec<(Vec<u8>, String, u64)> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let data = serde_json::to_vec(r).expect("a record serialises");
            let offset = super::SegmentRecord::read(&data).map_or(0, |r| r.latest_offset());
            let arrival = ARRIVAL_SECS * 1000 + offset + ARRIVAL_LAG_MILLIS;
            (data, format!("4959{:052}", i + 1), arrival)
        })
        .collect()
}

/// The participants of the sample call's analysis file, as Contact Lens names them.
pub const CUSTOMER_PARTICIPANT: &str = "e9b36a6d-12aa-4c21-9745-1881648ecfc8";
pub const AGENT_PARTICIPANT: &str = "f36a545d-67b2-4fd4-89fb-896136b609a7";
pub const FILE_SUMMARY: &str = "The customer found the premium plan too expensive and asked to cancel; the agent will email a discounted quote by Friday.";

/// The key Contact Lens writes the sample call's analysis file under (raw or redacted).
pub fn analysis_key(contact: &str, redacted: bool) -> String {
    if redacted {
        format!("connect/example/Analysis/Voice/Redacted/2026/11/29/{contact}_analysis_redacted_2026-11-29T17:01:00Z.json")
    } else {
        format!("connect/example/Analysis/Voice/2026/11/29/{contact}_analysis_2026-11-29T17:01:00Z.json")
    }
}

/// The sample call's post-call analysis file, shaped as the administrator guide's example
/// output file (`Version` 1.1.0): participants by id, categories with points of interest, the
/// conversation characteristics, the summary, and turns with issues, outcomes and action items
/// (their `Text` included, as Contact Lens writes it). Redacted: an email masked as `[PII]`.
pub fn analysis_file(instance: &str, contact: &str, redacted: bool) -> Value {
    let participant = |role: &str| {
        if role == "AGENT" {
            AGENT_PARTICIPANT
        } else {
            CUSTOMER_PARTICIPANT
        }
    };
    let transcript: Vec<Value> = TURNS
        .iter()
        .enumerate()
        .map(|(i, (_, role, text, begin, end, sentiment))| {
            let detected = |what: &str| {
                let hit = match what {
                    "issue" => text.contains("cancel"),
                    "outcome" => text.contains("quote"),
                    _ => text.contains("email"),
                };
                if hit {
                    json!([{"CharacterOffsets": {"BeginOffsetChar": 0, "EndOffsetChar": text.len()}, "Text": text}])
                } else {
                    json!([])
                }
            };
            let content = if redacted && text.contains("email") {
                text.replace("email me", "[PII] me")
            } else {
                (*text).to_owned()
            };
            json!({
                "BeginOffsetMillis": begin,
                "Content": content,
                "EndOffsetMillis": end,
                "Id": format!("turn-{i}-{}", &contact[..8]),
                "ParticipantId": participant(role),
                "Sentiment": sentiment,
                "LoudnessScore": [78.2, 80.1, 79.5],
                "IssuesDetected": detected("issue"),
                "OutcomesDetected": detected("outcome"),
                "ActionItemsDetected": detected("action"),
            })
        })
        .collect();
    let quarter = |scores: [f64; 4]| -> Value {
        let q = 24_200 / 4;
        Value::Array(
            scores
                .iter()
                .enumerate()
                .map(|(i, s)| json!({"BeginOffsetMillis": q * i as u64, "EndOffsetMillis": q * (i as u64 + 1), "Score": s}))
                .collect(),
        )
    };
    let mut file = json!({
        "Version": "1.1.0",
        "AccountId": "123456789012",
        "Channel": "VOICE",
        "ContentMetadata": {"Output": if redacted { "Redacted" } else { "Raw" }},
        "JobStatus": "COMPLETED",
        "LanguageCode": "en-US",
        "Participants": [
            {"ParticipantId": CUSTOMER_PARTICIPANT, "ParticipantRole": "CUSTOMER"},
            {"ParticipantId": AGENT_PARTICIPANT, "ParticipantRole": "AGENT"}
        ],
        "Categories": {
            "MatchedCategories": ["Cancellation"],
            "MatchedDetails": {"Cancellation": {"PointsOfInterest": [{"BeginOffsetMillis": 9000, "EndOffsetMillis": 12500}]}}
        },
        "ConversationCharacteristics": {
            "ContactSummary": {"PostContactSummary": {"Content": FILE_SUMMARY}},
            "TotalConversationDurationMillis": 24_200,
            "Sentiment": {
                "OverallSentiment": {"AGENT": 2.5, "CUSTOMER": -1.4},
                "SentimentByPeriod": {"QUARTER": {
                    "AGENT": quarter([0.0, 0.0, 5.0, 5.0]),
                    "CUSTOMER": quarter([0.0, -5.0, -2.5, 0.0])
                }}
            },
            "Interruptions": {
                "InterruptionsByInterrupter": {"AGENT": [{"BeginOffsetMillis": 13000, "DurationMillis": 400, "EndOffsetMillis": 13400}]},
                "TotalCount": 1,
                "TotalTimeMillis": 400
            },
            "NonTalkTime": {"TotalTimeMillis": 4500, "Instances": []},
            "TalkSpeed": {"DetailsByParticipant": {"AGENT": {"AverageWordsPerMinute": 165}, "CUSTOMER": {"AverageWordsPerMinute": 140}}},
            "TalkTime": {"TotalTimeMillis": 17700, "DetailsByParticipant": {"AGENT": {"TotalTimeMillis": 8000}, "CUSTOMER": {"TotalTimeMillis": 9700}}}
        },
        "CustomModels": [],
        "Transcript": transcript,
        "CustomerMetadata": {
            "InputS3Uri": format!("s3://example-connect/connect/example/CallRecordings/2026/11/29/{contact}_20261129T16:56_UTC.wav"),
            "ContactId": contact,
            "InstanceId": instance
        }
    });
    if redacted {
        file["ContentMetadata"]["RedactionTypes"] = json!(["PII"]);
        file["ContentMetadata"]["RedactionTypesMetadata"] =
            json!({"PII": {"RedactionEntitiesRequested": ["EMAIL"], "RedactionMaskMode": "PII"}});
    }
    file
}
