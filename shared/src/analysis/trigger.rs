//! Which conversations a batch of DynamoDB stream records asks to analyse, and the analysis
//! function's answer to Lambda: the records whose conversation could not be analysed, for
//! Lambda to retry (partial batch failures; the lowest sequence number is retried from).
//!
//! A trigger is a conversation partition's `HEAD` written with `ended` set (every write after a
//! possible end keeps it): the event source mapping's filter passes only those, and the handler
//! checks again, since the local stream follower passes everything.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde_dynamo::AttributeValue;
use tracing::Instrument;

use super::record::{Analyser, AnalysisError};
use crate::bus::EventPublisher;
use crate::model::{ConversationKey, OrgId};
use crate::store::analysis::{AnalysisStore, ENDED_ATTRIBUTE, HEAD_SK};

/// One stream record, as much of it as the analysis reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The record's sequence number: what a failure reports.
    pub sequence: String,
    pub pk: Option<String>,
    pub sk: Option<String>,
    /// The new image has `ended = true`.
    pub ended: bool,
}

impl Change {
    pub fn of_lambda(record: &EventRecord) -> Self {
        let text = |v: Option<&AttributeValue>| match v {
            Some(AttributeValue::S(s)) => Some(s.clone()),
            _ => None,
        };
        let change = &record.change;
        Self {
            sequence: change.sequence_number.clone().unwrap_or_default(),
            pk: text(change.keys.get("pk")),
            sk: text(change.keys.get("sk")),
            ended: matches!(
                change.new_image.get(ENDED_ATTRIBUTE),
                Some(AttributeValue::Bool(true))
            ),
        }
    }

    /// The conversation to analyse, when this record is a trigger.
    pub fn trigger(&self) -> Option<(OrgId, ConversationKey)> {
        if !self.ended || self.sk.as_deref() != Some(HEAD_SK) {
            return None;
        }
        let (org, key) = self.pk.as_deref()?.split_once("#CONV#")?;
        // Org ids never contain `#` (store::items): the first `#` ends the org id.
        if org.is_empty() || org.contains('#') || key.is_empty() {
            return None;
        }
        Some((OrgId::new(org), ConversationKey::stored(key.to_owned())))
    }
}

/// The distinct conversations of a batch, each with the sequence number of its first record.
pub fn triggers(changes: &[Change]) -> Vec<(OrgId, ConversationKey, String)> {
    let mut out: Vec<(OrgId, ConversationKey, String)> = Vec::new();
    for change in changes {
        let Some((org, conversation)) = change.trigger() else {
            continue;
        };
        if !out.iter().any(|(o, c, _)| *o == org && *c == conversation) {
            out.push((org, conversation, change.sequence.clone()));
        }
    }
    out
}

/// Analyses each conversation the batch names once; answers the sequence numbers of the records
/// whose conversation failed (empty when all succeeded).
pub async fn handle<S: AnalysisStore, B: EventPublisher>(
    analyser: &Analyser<S, B>,
    changes: &[Change],
) -> Vec<String> {
    let mut failed = Vec::new();
    for (org, conversation, sequence) in triggers(changes) {
        let span = tracing::info_span!(
            "analysis",
            tenant = org.as_str(),
            conversation = conversation.as_str()
        );
        match analyser.analyse(&org, &conversation).instrument(span).await {
            Ok(outcome) => tracing::info!(
                ?outcome,
                tenant = org.as_str(),
                conversation = conversation.as_str(),
                "analysis trigger handled"
            ),
            Err(e @ (AnalysisError::Store(_) | AnalysisError::Bus(_))) => {
                tracing::error!(error = %e, tenant = org.as_str(), conversation = conversation.as_str(), "analysis failed: its record will be retried");
                failed.push(sequence);
            }
        }
    }
    failed
}

/// The Lambda's handler: a DynamoDB stream batch in, partial batch failures out.
pub async fn handle_event<S: AnalysisStore, B: EventPublisher>(
    analyser: &Analyser<S, B>,
    event: &Event,
) -> DynamoDbEventResponse {
    let changes: Vec<Change> = event.records.iter().map(Change::of_lambda).collect();
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = handle(analyser, &changes)
        .await
        .into_iter()
        .map(|sequence| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence);
            failure
        })
        .collect();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(seq: &str, pk: &str, sk: &str, ended: bool) -> Change {
        Change {
            sequence: seq.into(),
            pk: Some(pk.into()),
            sk: Some(sk.into()),
            ended,
        }
    }

    #[test]
    fn only_ended_heads_trigger_once_per_conversation() {
        let changes = [
            change("1", "00D1#CONV#a", "MSG#m1", true),
            change("2", "00D1#CONV#a", "HEAD", false),
            change("3", "00D1#CONV#a", "HEAD", true),
            change("4", "00D1#CONV#a", "HEAD", true),
            change("5", "00D1#CONV#b#with#hashes", "HEAD", true),
            change("6", "00D1#CONV#a", "ANALYSIS", true),
            change("7", "00D1#VCK#a", "HEAD", true),
            change("8", "00D2#CONV#a", "HEAD", true),
        ];
        let found: Vec<(String, String, String)> = triggers(&changes)
            .into_iter()
            .map(|(o, c, s)| (o.to_string(), c.as_str().to_owned(), s))
            .collect();
        assert_eq!(
            found,
            [
                ("00D1".into(), "a".into(), "3".into()),
                ("00D1".into(), "b#with#hashes".into(), "5".into()),
                ("00D2".into(), "a".into(), "8".into()),
            ]
        );
    }

    #[test]
    fn reads_the_lambda_event() {
        let event: Event =
            serde_json::from_str(include_str!("../../../events/analysis-stream.json"))
                .expect("a DynamoDB stream event");
        let changes: Vec<Change> = event.records.iter().map(Change::of_lambda).collect();
        let found = triggers(&changes);
        assert_eq!(found.len(), 1, "{changes:?}");
        assert_eq!(found[0].1.as_str(), "5324881f-1e84-4367-8930-f69a74b30ca6");
    }
}
