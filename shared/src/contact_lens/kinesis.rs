//! The segment stream's Kinesis event (an event source mapping with `ReportBatchItemFailures`)
//! into [`super::ingest`], and its report into the partial batch response.

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::streams::{KinesisBatchItemFailure, KinesisEventResponse};

use super::{ingest, BatchReport, ContactAnchors, StreamRecord};
use crate::app::{App, Store};
use crate::bus::EventPublisher;

/// Handles one invocation: every record that must be retried is a batch item failure (Lambda
/// retries from the earliest of them); records that do not parse are skipped, not failed.
pub async fn handle<S: Store, B: EventPublisher, A: ContactAnchors>(
    app: &App<S, B>,
    anchors: &A,
    event: &KinesisEvent,
) -> (KinesisEventResponse, BatchReport) {
    let records: Vec<StreamRecord<'_>> = event
        .records
        .iter()
        .map(|r| StreamRecord {
            sequence_number: &r.kinesis.sequence_number,
            arrival_millis: u64::try_from(
                r.kinesis.approximate_arrival_timestamp.0.timestamp_millis(),
            )
            .unwrap_or_default(),
            data: &r.kinesis.data.0,
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
