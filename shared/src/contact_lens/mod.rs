//! Amazon Connect Contact Lens, read natively (CONTRACT §10): the real-time segment stream
//! (Kinesis) into the conversation's transcript, signals and legs, through the same flows the
//! telephony API writes with.
//!
//! * The tenant is the one whose `connectInstances` hold the record's `InstanceId`; records of
//!   an instance mapped to no tenant are dropped, counted and logged.
//! * The conversation is the contact's: a recorded voice call leg's conversation (a transfer
//!   leg joins its parent's), else the contact's own key, which the telephony store joins to
//!   the parent's conversation once a voice call record names the contact as a transfer leg.
//! * Times are the contact's anchor ([`anchors`]) plus the record's offsets.
//! * A record that does not parse is logged, counted and skipped: it never blocks the shard.
//!   Only an outage (storage or bus) fails records, and then every record of the contacts
//!   whose writes failed is reported, so that Lambda retries them; every write is idempotent.

pub mod analysis_file;
pub mod anchors;
pub mod files;
pub mod kinesis;
pub mod mapping;
pub mod post_call;
pub mod record;
pub mod samples;

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

pub use anchors::{ContactAnchors, DynamoAnchors, MemoryAnchors};
pub use record::{RecordError, SegmentRecord};

use crate::app::{App, Store};
use crate::bus::details::Origin;
use crate::bus::{BusEvent, EventPublisher, TRANSCRIPT_DETAIL_TYPE};
use crate::clock::now_secs;
use crate::model::{ConversationKey, OrgId, RealtimeEvents, VendorCallKey, VoiceCallUpdate};
use crate::store::{MessageBatch, Resolution};
use crate::telephony::contact_flow::CONNECT_PROVIDER;
use crate::telephony::{accept_signals, apply_update, store_messages, Accepted};
use mapping::ContactWrites;

/// What the stream function holds: the telephony app it writes through and the anchors.
pub struct ContactLensApp<S, B, A> {
    pub app: App<S, B>,
    pub anchors: A,
}

pub type AwsContactLensApp = ContactLensApp<
    crate::store::dynamo::DynamoStore,
    crate::bus::eventbridge::EventBridgeBus,
    DynamoAnchors,
>;

impl AwsContactLensApp {
    /// The stream function's settings (`TABLE_NAME`, `EVENT_BUS_NAME`, `TENANTS_TABLE`, …), its
    /// clients and tenant directory. Makes no AWS call.
    pub async fn from_env() -> Result<Self, crate::app::ConfigError> {
        Ok(Self::with_files_from_env().await?.0)
    }

    /// The same, and the S3 reader of the post-call analysis files (one SDK configuration).
    pub async fn with_files_from_env() -> Result<(Self, files::S3Files), crate::app::ConfigError> {
        let settings = crate::app::Settings::from_env()?;
        let sdk = crate::aws_sdk::load().await;
        let tenants = crate::tenants::from_env(&sdk)?;
        let app = crate::app::AwsApp::new(&sdk, &settings, tenants);
        let anchors = DynamoAnchors::new(app.store.clone(), settings.retention_days);
        Ok((Self { app, anchors }, files::S3Files::new(&sdk)))
    }
}

impl<S: Store, B: EventPublisher, A: ContactAnchors> ContactLensApp<S, B, A> {
    /// One Kinesis invocation, answered with its batch item failures.
    pub async fn handle_kinesis(
        &self,
        event: &kinesis::StreamEvent,
    ) -> aws_lambda_events::event::streams::KinesisEventResponse {
        kinesis::handle(&self.app, &self.anchors, event).await.0
    }
}

/// One stream record as the event source mapping hands it over.
#[derive(Debug, Clone, Copy)]
pub struct StreamRecord<'a> {
    pub sequence_number: &'a str,
    /// The record's `ApproximateArrivalTimestamp`, in epoch milliseconds.
    pub arrival_millis: u64,
    /// The record's data, base64-decoded.
    pub data: &'a [u8],
}

/// What a batch came to. `failed`: the sequence numbers to report as batch item failures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReport {
    pub failed: Vec<String>,
    pub records: usize,
    /// Records that do not parse (skipped).
    pub unreadable: usize,
    /// Records of other channels (chat), skipped.
    pub other_channel: usize,
    /// Records of instances mapped to no tenant, dropped.
    pub unmapped: usize,
    pub contacts: usize,
    pub entries: usize,
    pub signals: usize,
    pub partials: usize,
    pub legs_ended: usize,
    /// `COMPLETED`/`FAILED` of a contact with no voice call record: no leg to end.
    pub ended_without_record: usize,
}

/// Storage or the bus failed: the contact's records are retried.
#[derive(Debug)]
struct Outage;

type Contact<'r> = Vec<(&'r StreamRecord<'r>, SegmentRecord)>;

/// Handles one batch of segment stream records, in order.
pub async fn ingest<S: Store, B: EventPublisher, A: ContactAnchors>(
    app: &App<S, B>,
    anchors: &A,
    records: &[StreamRecord<'_>],
) -> BatchReport {
    let mut report = BatchReport {
        records: records.len(),
        ..BatchReport::default()
    };
    let mut order: Vec<(String, String)> = Vec::new();
    let mut contacts: HashMap<(String, String), Contact<'_>> = HashMap::new();
    for r in records {
        match SegmentRecord::read(r.data) {
            Ok(record) => {
                let id = (record.instance_id.clone(), record.contact_id.clone());
                contacts
                    .entry(id.clone())
                    .or_insert_with(|| {
                        order.push(id);
                        Vec::new()
                    })
                    .push((r, record));
            }
            Err(RecordError::NotVoice(channel)) => {
                report.other_channel += 1;
                tracing::debug!(sequence_number = r.sequence_number, %channel, "Contact Lens record of another channel skipped");
            }
            Err(RecordError::Syntax(e)) => {
                report.unreadable += 1;
                tracing::warn!(sequence_number = r.sequence_number, error = %e, "Contact Lens record does not parse; skipped");
            }
        }
    }
    report.contacts = order.len();
    for id in order {
        let group = contacts
            .remove(&id)
            .expect("every contact in order is grouped");
        if contact(app, anchors, &id.0, &id.1, &group, &mut report)
            .await
            .is_err()
        {
            report
                .failed
                .extend(group.iter().map(|(r, _)| r.sequence_number.to_owned()));
        }
    }
    tracing::info!(
        records = report.records,
        failed = report.failed.len(),
        unreadable = report.unreadable,
        other_channel = report.other_channel,
        unmapped = report.unmapped,
        entries = report.entries,
        signals = report.signals,
        partials = report.partials,
        legs_ended = report.legs_ended,
        "Contact Lens batch handled"
    );
    let skipped = report.unreadable + report.other_channel;
    let handled = skipped + report.unmapped + report.failed.len();
    crate::metrics::contact_lens_records(
        report.records.saturating_sub(handled),
        skipped,
        report.unmapped,
        report.failed.len(),
    );
    report
}

/// One contact's records of the batch.
async fn contact<S: Store, B: EventPublisher, A: ContactAnchors>(
    app: &App<S, B>,
    anchors: &A,
    instance: &str,
    contact_id: &str,
    group: &Contact<'_>,
    report: &mut BatchReport,
) -> Result<(), Outage> {
    let Some(tenant) = app
        .tenants
        .mapped_connect_tenant(instance)
        .await
        .map_err(|_| Outage)?
    else {
        report.unmapped += group.len();
        tracing::warn!(
            instance_id = instance,
            records = group.len(),
            "Contact Lens records of an instance mapped to no active tenant dropped (connectInstances)"
        );
        return Ok(());
    };
    let org = tenant.org.clone();
    let key = match VendorCallKey::parse(contact_id) {
        Ok(key) => key,
        Err(why) => {
            report.unreadable += group.len();
            tracing::warn!(
                why,
                "Contact Lens records with an unusable ContactId skipped"
            );
            return Ok(());
        }
    };
    let conversation = match app.store.resolve(&org, &key).await.map_err(|_| Outage)? {
        Resolution::Conversation(c) => c,
        Resolution::VoiceCallId => ConversationKey::of_first_leg(&key),
    };
    let proposed = group
        .iter()
        .map(|(r, rec)| r.arrival_millis.saturating_sub(rec.latest_offset()))
        .min()
        .unwrap_or_default();
    let anchor = anchors
        .anchor(&org, contact_id, proposed)
        .await
        .map_err(|_| Outage)?;
    let alerts = tenant.alert_categories();
    let writes = ContactWrites::collect(group.iter().map(|(_, rec)| rec), anchor, |name| {
        alerts.iter().any(|a| a.eq_ignore_ascii_case(name))
    });
    let now = now_secs();
    let provider = Some(CONNECT_PROVIDER);

    // Partials first, so that a turn's final entry, published after, replaces them. Not pushed
    // for a tenant with redaction: live text goes through the transcript path only.
    let partials: Vec<&Value> = writes
        .partials
        .iter()
        .filter(|p| {
            p["messageId"]
                .as_str()
                .is_none_or(|id| !writes.entries.contains_key(id))
        })
        .collect();
    if !partials.is_empty() && !tenant.redactor.is_on() {
        let origin = Origin::new(&org, conversation.as_str(), key.as_str(), provider);
        let events = partials
            .iter()
            .map(|p| BusEvent::new(TRANSCRIPT_DETAIL_TYPE, &with_origin(origin, p)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Outage)?;
        app.bus.publish(events).await.map_err(|_| Outage)?;
        report.partials += partials.len();
    }
    if !writes.entries.is_empty() {
        let mut messages: Vec<_> = writes.entries.into_values().collect();
        // The tenant's redaction, as at the telephony API's entry points (CONTRACT §8).
        tenant.redactor.apply(&mut messages);
        let batch = MessageBatch {
            org: &org,
            conversation: &conversation,
            vendor_call_key: &key,
            provider,
            messages: &messages,
            received_at: now,
        };
        store_messages(app, &[batch]).await.map_err(|_| Outage)?;
        report.entries += messages.len();
    }
    if !writes.signals.is_empty() {
        let count = writes.signals.len();
        let at = Accepted {
            org: &org,
            key: &key,
            conversation: &conversation,
            provider,
            now,
        };
        let mut events = RealtimeEvents {
            service: mapping::SERVICE.to_owned(),
            persist: true,
            events: writes.signals,
        };
        tenant.redactor.apply(&mut events);
        accept_signals(app, &at, events).await.map_err(|_| Outage)?;
        report.signals += count;
    }
    if writes.ends {
        end_leg(app, &org, &key, now, report).await?;
    }
    Ok(())
}

/// `COMPLETED`/`FAILED`: the contact's leg ends, as a call update with `isActiveCall: false`
/// does, so the post-call analysis runs once every leg has ended.
async fn end_leg<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    org: &OrgId,
    key: &VendorCallKey,
    now: u64,
    report: &mut BatchReport,
) -> Result<(), Outage> {
    let Some(leg) = app.store.find_leg(org, key).await.map_err(|_| Outage)? else {
        report.ended_without_record += 1;
        tracing::info!("Contact Lens session ended for a contact with no voice call record");
        return Ok(());
    };
    let update = VoiceCallUpdate {
        is_active_call: Some(false),
        ..VoiceCallUpdate::default()
    };
    match apply_update(app, org, &leg, &update, Some(CONNECT_PROVIDER), now).await {
        Ok(()) => report.legs_ended += 1,
        Err(crate::error::ApiError::NotFound(_)) => report.ended_without_record += 1,
        Err(_) => return Err(Outage),
    }
    Ok(())
}

fn with_origin(origin: Origin<'_>, fields: &Value) -> Value {
    let mut detail = serde_json::to_value(origin).expect("an origin serialises");
    if let (Value::Object(d), Value::Object(f)) = (&mut detail, fields) {
        d.extend(f.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    detail
}

#[cfg(test)]
mod tests;
