//! The segment stream's Kinesis event (an event source mapping with `ReportBatchItemFailures`)
//! into [`super::ingest`], and its report into the partial batch response.
//!
//! The event is read by [`StreamEvent`] rather than `aws_lambda_events`' `KinesisEvent`: that
//! type's `SecondTimestamp` reads the fraction of `approximateArrivalTimestamp` as a count of
//! milliseconds whatever its digits (`1795970768.8` becomes …768.008), which would move a
//! contact's anchor by up to 0.9 s. The answer is the crate's `KinesisEventResponse`.

use aws_lambda_events::encodings::Base64Data;
use aws_lambda_events::event::streams::{KinesisBatchItemFailure, KinesisEventResponse};
use serde::Deserialize;

use super::{ingest, BatchReport, ContactAnchors, StreamRecord};
use crate::app::{App, Store};
use crate::bus::EventPublisher;

/// A Kinesis event as Lambda delivers it: what the handler reads of it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<EventRecord>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventRecord {
    pub kinesis: KinesisData,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisData {
    #[serde(default)]
    pub sequence_number: String,
    /// Epoch seconds with a fraction.
    #[serde(default)]
    pub approximate_arrival_timestamp: f64,
    pub data: Base64Data,
}

impl KinesisData {
    pub fn arrival_millis(&self) -> u64 {
        let millis = (self.approximate_arrival_timestamp * 1000.0).round();
        if millis.is_finite() && millis > 0.0 {
            millis as u64
        } else {
            0
        }
    }
}

/// Handles one invocation: every record that must be retried is a batch item failure (Lambda
/// retries from the earliest of them); records that do not parse are skipped, not failed.
pub async fn handle<S: Store, B: EventPublisher, A: ContactAnchors>(
    app: &App<S, B>,
    anchors: &A,
    event: &StreamEvent,
) -> (KinesisEventResponse, BatchReport) {
    let records: Vec<StreamRecord<'_>> = event
        .records
        .iter()
        .map(|r| StreamRecord {
            sequence_number: &r.kinesis.sequence_number,
            arrival_millis: r.kinesis.arrival_millis(),
            data: &r.kinesis.data,
        })
        .collect();
    let report = ingest(app, anchors, &records).await;
    let mut response = KinesisEventResponse::default();
    for sequence_number in &report.failed {
        let mut failure = KinesisBatchItemFailure::default();
        failure.item_identifier = Some(sequence_number.clone());
        response.batch_item_failures.push(failure);
    }
    (response, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrival_keeps_its_milliseconds() {
        let event: StreamEvent = serde_json::from_value(serde_json::json!({"Records": [
            {"kinesis": {"sequenceNumber": "1", "approximateArrivalTimestamp": 1795970768.8, "data": "e30="}},
            {"kinesis": {"sequenceNumber": "2", "approximateArrivalTimestamp": 1.545084650987E9, "data": ""}}]}))
        .unwrap();
        assert_eq!(event.records[0].kinesis.arrival_millis(), 1_795_970_768_800);
        assert_eq!(&event.records[0].kinesis.data[..], b"{}");
        assert_eq!(event.records[1].kinesis.arrival_millis(), 1_545_084_650_987);
    }
}
