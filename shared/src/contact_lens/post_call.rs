//! The post-call analysis file into the conversation (CONTRACT §10): its categories with their
//! points of interest, the issues, outcomes and action items of its turns, its conversation
//! characteristics and summary as signals marked with Contact Lens as their source; its overall
//! sentiment as post-call sentiment (which ends the conversation, so the analysis runs); its
//! transcript, through the transcript path, only when the stream stored none (the file's turn
//! ids are not the stream's).

use serde::Serialize;
use serde_json::json;

use super::analysis_file::{contact_of_key, is_voice_analysis, AnalysisFile, FileTurn};
use super::files::AnalysisFiles;
use super::mapping::{self, category_signals, sentiment_signal, summary_signal, SERVICE};
use super::{ContactAnchors, ContactLensApp};
use crate::app::Store;
use crate::bus::details::{self, Origin};
use crate::bus::EventPublisher;
use crate::clock::now_secs;
use crate::model::{
    ConversationKey, Participant, PostCallKind, PostCallSentiment, RealtimeEvents, Sentiment,
    Signal, SignalEvent, TranscriptMessage, VendorCallKey,
};
use crate::store::{ConversationReader, MessageBatch, PostCallBatch, Resolution};
use crate::telephony::contact_flow::CONNECT_PROVIDER;
use crate::telephony::{accept_signals, store_messages, Accepted};

/// The signals the file's turns and characteristics become (`crate::intelligence::vendor`).
pub use crate::intelligence::vendor::{ACTION_ITEM_SIGNAL, CHARACTERISTICS_SIGNAL, OUTCOME_SIGNAL};

/// What one file came to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FileOutcome {
    /// Read into the conversation.
    Stored { entries: usize, signals: usize },
    /// Not a voice analysis file, gone, or not one this service reads (logged).
    #[default]
    Skipped,
    /// The file's instance maps to no active tenant (logged).
    Unmapped,
    /// The tenant reads the other variant (raw or redacted).
    OtherVariant,
}

/// Storage or the bus failed: the invocation fails so that it is retried.
#[derive(Debug, thiserror::Error)]
#[error("storage, files or event bus unavailable")]
pub struct Outage;

/// Reads the object `key` of `bucket`, created at `created_millis` (epoch ms).
pub async fn ingest_file<S, B, A, F>(
    cl: &ContactLensApp<S, B, A>,
    files: &F,
    bucket: &str,
    key: &str,
    created_millis: u64,
) -> Result<FileOutcome, Outage>
where
    S: Store + ConversationReader,
    B: EventPublisher,
    A: ContactAnchors,
    F: AnalysisFiles,
{
    let app = &cl.app;
    if !is_voice_analysis(key) {
        tracing::debug!("object is not a voice analysis file; skipped");
        return Ok(FileOutcome::Skipped);
    }
    let Some(data) = files.get(bucket, key).await.map_err(|_| Outage)? else {
        tracing::info!("Contact Lens analysis file gone; skipped");
        return Ok(FileOutcome::Skipped);
    };
    let file = match AnalysisFile::read(&data) {
        Ok(file) => file,
        Err(e) => {
            tracing::warn!(error = %e, "Contact Lens analysis file does not parse; skipped");
            return Ok(FileOutcome::Skipped);
        }
    };
    let voice = file.channel.as_deref().is_none_or(|c| c == "VOICE");
    let completed = file
        .job_status
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case("COMPLETED"));
    let meta = file.customer_metadata.clone();
    let contact = meta
        .as_ref()
        .and_then(|m| m.contact_id.clone())
        .or_else(|| contact_of_key(key).map(str::to_owned));
    let instance = meta.and_then(|m| m.instance_id);
    let (true, true, Some(contact), Some(instance)) = (voice, completed, contact, instance) else {
        tracing::warn!(
            voice,
            completed,
            "Contact Lens analysis file without a completed voice job, contact or instance; skipped"
        );
        return Ok(FileOutcome::Skipped);
    };
    let Some(tenant) = app
        .tenants
        .mapped_connect_tenant(&instance)
        .await
        .map_err(|_| Outage)?
    else {
        tracing::warn!(
            instance_id = %instance,
            "Contact Lens analysis file of an instance mapped to no active tenant dropped"
        );
        return Ok(FileOutcome::Unmapped);
    };
    // A tenant with redaction reads the redacted file, others the raw one (each is written).
    if file.is_redacted() != tenant.redaction.is_some() {
        return Ok(FileOutcome::OtherVariant);
    }
    let org = tenant.org.clone();
    let Ok(vendor_key) = VendorCallKey::parse(&contact) else {
        tracing::warn!("Contact Lens analysis file with an unusable ContactId; skipped");
        return Ok(FileOutcome::Skipped);
    };
    let conversation = match app
        .store
        .resolve(&org, &vendor_key)
        .await
        .map_err(|_| Outage)?
    {
        Resolution::Conversation(c) => c,
        Resolution::VoiceCallId => ConversationKey::of_first_leg(&vendor_key),
    };
    let characteristics = file
        .conversation_characteristics
        .clone()
        .unwrap_or_default();
    let duration = characteristics
        .total_conversation_duration_millis
        .unwrap_or_else(|| {
            file.transcript
                .iter()
                .map(|t| t.end_offset_millis)
                .max()
                .unwrap_or(0)
        });
    let anchor = cl
        .anchors
        .anchor(&org, &contact, created_millis.saturating_sub(duration))
        .await
        .map_err(|_| Outage)?;
    let now = now_secs();
    let provider = Some(CONNECT_PROVIDER);

    // The transcript, when the stream gave none.
    let stored = app
        .store
        .read_conversation(&org, &conversation)
        .await
        .map_err(|_| Outage)?;
    let mut signals: Vec<SignalEvent> = Vec::new();
    let mut entries: Vec<TranscriptMessage> = Vec::new();
    if stored.messages.is_empty() {
        for turn in &file.transcript {
            let role = file.role_of(turn);
            if let Some(entry) = mapping::transcript_entry(&as_transcript(turn, role), anchor) {
                entries.push(entry);
            }
            signals.extend(sentiment_signal(
                role,
                turn.sentiment.as_deref(),
                turn.begin_offset_millis,
                anchor,
            ));
        }
    }
    // The tenant's redaction, as at the telephony API's entry points (CONTRACT §8): also over a
    // file Contact Lens redacted itself, which masks other entities than ours.
    tenant.redactor.apply(&mut entries);
    if !entries.is_empty() {
        let batch = MessageBatch {
            org: &org,
            conversation: &conversation,
            vendor_call_key: &vendor_key,
            provider,
            messages: &entries,
            received_at: now,
        };
        store_messages(app, &[batch]).await.map_err(|_| Outage)?;
    }

    // Categories, detections, characteristics, summary.
    let alerts = tenant.alert_categories();
    if let Some(categories) = &file.categories {
        signals.extend(category_signals(categories, duration, anchor, |n| {
            alerts.iter().any(|a| a.eq_ignore_ascii_case(n))
        }));
    }
    for turn in &file.transcript {
        let role = file.role_of(turn);
        for (name, found) in [
            (mapping::ISSUE_SIGNAL, &turn.issues_detected),
            (OUTCOME_SIGNAL, &turn.outcomes_detected),
            (ACTION_ITEM_SIGNAL, &turn.action_items_detected),
        ] {
            for d in found {
                let offsets = d
                    .character_offsets
                    .map(|o| (o.begin_offset_char, o.end_offset_char));
                signals.push(SignalEvent {
                    signal: Signal::Category(name.to_owned()),
                    start_time: anchor + turn.begin_offset_millis,
                    score: None,
                    participant: Participant::parse(role),
                    details: Some(json!({
                        "transcriptId": turn.id,
                        "BeginOffsetMillis": turn.begin_offset_millis,
                        "EndOffsetMillis": turn.end_offset_millis,
                        "beginOffsetChar": offsets.map(|o| o.0),
                        "endOffsetChar": offsets.map(|o| o.1),
                    })),
                });
            }
        }
    }
    signals.push(SignalEvent {
        signal: Signal::Category(CHARACTERISTICS_SIGNAL.to_owned()),
        start_time: anchor,
        score: None,
        participant: None,
        details: Some(serde_json::to_value(characteristics.summary()).map_err(|_| Outage)?),
    });
    let summary = characteristics
        .contact_summary
        .as_ref()
        .and_then(|s| s.post_contact_summary.as_ref())
        .and_then(|s| s.content.as_deref());
    signals.extend(summary.and_then(|c| summary_signal(c, duration, anchor)));
    signals.sort_by_key(|s| s.start_time);
    let signal_count = signals.len();
    let at = Accepted {
        org: &org,
        key: &vendor_key,
        conversation: &conversation,
        provider,
        now,
    };
    let mut events = RealtimeEvents {
        service: SERVICE.to_owned(),
        persist: true,
        events: signals,
    };
    tenant.redactor.apply(&mut events);
    accept_signals(app, &at, events).await.map_err(|_| Outage)?;

    // The overall sentiment, as the post-call forwarder sends it (−5..5, ×200): it also ends
    // the conversation, so that its analysis runs.
    let overall: Vec<PostCallSentiment> = characteristics
        .sentiment
        .iter()
        .flat_map(|s| &s.overall_sentiment)
        .filter_map(|(role, score)| {
            let participant = Participant::parse(role)?;
            let hundredths = (score * PostCallKind::OVERALL_SCALE as f64 * 100.0).round() as i64;
            Some(PostCallSentiment {
                kind: PostCallKind::Overall {
                    score: score.to_string(),
                },
                participant,
                value: Sentiment::from_hundredths(hundredths)?,
                start_time: anchor,
                end_time: anchor + duration,
            })
        })
        .collect();
    if !overall.is_empty() {
        let batch = PostCallBatch {
            org: &org,
            conversation: &conversation,
            vendor_call_key: &vendor_key,
            service: SERVICE,
            provider,
            events: &overall,
            received_at: now,
        };
        app.store.put_post_call(batch).await.map_err(|_| Outage)?;
        let origin = Origin::new(&org, conversation.as_str(), vendor_key.as_str(), provider);
        let published = overall
            .iter()
            .map(|e| details::post_call(origin, SERVICE, e))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Outage)?;
        app.bus.publish(published).await.map_err(|_| Outage)?;
    }
    tracing::info!(
        entries = entries.len(),
        signals = signal_count,
        redacted = file.is_redacted(),
        "Contact Lens analysis file read"
    );
    Ok(FileOutcome::Stored {
        entries: entries.len(),
        signals: signal_count,
    })
}

fn as_transcript(turn: &FileTurn, role: &str) -> super::record::Transcript {
    super::record::Transcript {
        id: turn.id.clone(),
        participant_id: turn.participant_id.clone(),
        participant_role: role.to_owned(),
        content: turn.content.clone(),
        begin_offset_millis: turn.begin_offset_millis,
        end_offset_millis: turn.end_offset_millis,
        sentiment: turn.sentiment.clone(),
        issues_detected: Vec::new(),
    }
}

/// One object an event says was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedObject {
    pub bucket: String,
    pub key: String,
    pub created_millis: u64,
}

/// The objects of an EventBridge `Object Created` event (S3 events to EventBridge) or of an S3
/// notification (`Records[].s3`, keys URL-encoded); nothing for any other event.
pub fn created_objects(event: &serde_json::Value) -> Vec<CreatedObject> {
    let millis = |time: &serde_json::Value| {
        time.as_str()
            .and_then(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
            .map_or_else(
                || now_secs() * 1000,
                |t| u64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or_default(),
            )
    };
    if event["detail-type"] == "Object Created" {
        let detail = &event["detail"];
        return match (
            detail["bucket"]["name"].as_str(),
            detail["object"]["key"].as_str(),
        ) {
            (Some(bucket), Some(key)) => vec![CreatedObject {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                created_millis: millis(&event["time"]),
            }],
            _ => Vec::new(),
        };
    }
    event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            r["eventName"]
                .as_str()
                .is_some_and(|n| n.starts_with("ObjectCreated"))
        })
        .filter_map(|r| {
            let bucket = r["s3"]["bucket"]["name"].as_str()?;
            let raw = r["s3"]["object"]["key"].as_str()?.replace('+', " ");
            let key = percent_encoding::percent_decode_str(&raw)
                .decode_utf8()
                .ok()?;
            Some(CreatedObject {
                bucket: bucket.to_owned(),
                key: key.into_owned(),
                created_millis: millis(&r["eventTime"]),
            })
        })
        .collect()
}

/// One invocation: every object it names, in order. `Err` (so the invocation is retried) when
/// any could not be read for an outage; every read is idempotent.
pub async fn handle_event<S, B, A, F>(
    cl: &ContactLensApp<S, B, A>,
    files: &F,
    event: &serde_json::Value,
) -> Result<Vec<FileOutcome>, Outage>
where
    S: Store + ConversationReader,
    B: EventPublisher,
    A: ContactAnchors,
    F: AnalysisFiles,
{
    let mut outcomes = Vec::new();
    for object in created_objects(event) {
        outcomes.push(
            ingest_file(
                cl,
                files,
                &object.bucket,
                &object.key,
                object.created_millis,
            )
            .await?,
        );
    }
    Ok(outcomes)
}
