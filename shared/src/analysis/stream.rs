//! The local stand-in for Lambda's DynamoDB stream event source mapping (`make run`, the tests):
//! follows every shard of the table's stream with `GetRecords` and hands each batch to the same
//! handler the analysis function runs ([`super::trigger::handle`]). A failed batch is retried
//! after a pause, as Lambda retries it, up to a bound; then it is logged and skipped (Lambda's
//! on-failure destination).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use aws_sdk_dynamodbstreams::Client;

use super::record::Analyser;
use super::trigger::{handle, Change};
use crate::bus::EventPublisher;
use crate::store::analysis::{AnalysisStore, ENDED_ATTRIBUTE};

/// How often an idle shard is polled.
const IDLE_POLL: Duration = Duration::from_millis(200);
/// Every how many polling rounds the stream's shards are listed again.
const SHARD_LISTING_ROUNDS: u64 = 25;
/// How many times a failed batch is retried before it is skipped.
const RETRIES: u32 = 3;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StreamError(String);

impl Change {
    pub fn of_stream(record: &Record) -> Self {
        let stream = record.dynamodb.as_ref();
        let key = |name: &str| match stream.and_then(|s| s.keys.as_ref()?.get(name)) {
            Some(AttributeValue::S(s)) => Some(s.clone()),
            _ => None,
        };
        let image: Option<&HashMap<String, AttributeValue>> =
            stream.and_then(|s| s.new_image.as_ref());
        Self {
            sequence: stream
                .and_then(|s| s.sequence_number.clone())
                .unwrap_or_default(),
            pk: key("pk"),
            sk: key("sk"),
            ended: matches!(
                image.and_then(|i| i.get(ENDED_ATTRIBUTE)),
                Some(AttributeValue::Bool(true))
            ),
        }
    }
}

/// The ARN of `table`'s stream (the table must have one: `provision::ensure_table` enables it).
pub async fn stream_arn(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<String, StreamError> {
    let described = dynamodb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| {
            StreamError(format!(
                "DescribeTable {table}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(&e)
            ))
        })?;
    described
        .table
        .and_then(|t| t.latest_stream_arn)
        .ok_or_else(|| StreamError(format!("table {table} has no stream")))
}

/// Follows the stream from its oldest record (a restart re-reads what it already analysed: the
/// analysis is idempotent) until the task is dropped. Shards are read one after another, each
/// to its current end, then again after a pause.
pub async fn follow<S, B>(streams: Client, arn: String, analyser: Arc<Analyser<S, B>>)
where
    S: AnalysisStore + 'static,
    B: EventPublisher + 'static,
{
    // Shard id → the iterator to read it on with.
    let mut iterators: HashMap<String, Option<String>> = HashMap::new();
    for round in 0u64.. {
        // New shards appear rarely (a split every few hours in AWS): listed now and then.
        if round % SHARD_LISTING_ROUNDS == 0 {
            if let Err(e) = discover_shards(&streams, &arn, &mut iterators).await {
                tracing::warn!(error = %e, "stream shards not listed");
            }
        }
        let mut busy = false;
        for iterator in iterators.values_mut() {
            let Some(current) = iterator.clone() else {
                continue;
            };
            match streams.get_records().shard_iterator(&current).send().await {
                Ok(output) => {
                    let records = output.records.unwrap_or_default();
                    busy |= !records.is_empty();
                    let changes: Vec<Change> = records.iter().map(Change::of_stream).collect();
                    analyse_batch(&analyser, &changes).await;
                    *iterator = output.next_shard_iterator;
                }
                Err(e) => {
                    tracing::warn!(
                        error = %aws_sdk_dynamodbstreams::error::DisplayErrorContext(&e),
                        "GetRecords failed"
                    );
                }
            }
        }
        if !busy {
            tokio::time::sleep(IDLE_POLL).await;
        }
    }
}

async fn analyse_batch<S: AnalysisStore, B: EventPublisher>(
    analyser: &Analyser<S, B>,
    changes: &[Change],
) {
    let mut pending: Vec<Change> = changes.to_vec();
    for attempt in 0..=RETRIES {
        let failed = handle(analyser, &pending).await;
        if failed.is_empty() {
            return;
        }
        // As Lambda does: retry from the first failed record on.
        let first = pending
            .iter()
            .position(|c| failed.contains(&c.sequence))
            .unwrap_or(0);
        pending.drain(..first);
        if attempt < RETRIES {
            tokio::time::sleep(IDLE_POLL * 2u32.pow(attempt)).await;
        }
    }
    tracing::error!(
        records = pending.len(),
        "stream records skipped after retries"
    );
}

async fn discover_shards(
    streams: &Client,
    arn: &str,
    iterators: &mut HashMap<String, Option<String>>,
) -> Result<(), StreamError> {
    let described = streams
        .describe_stream()
        .stream_arn(arn)
        .send()
        .await
        .map_err(|e| {
            StreamError(format!(
                "DescribeStream: {}",
                aws_sdk_dynamodbstreams::error::DisplayErrorContext(&e)
            ))
        })?;
    let shards = described
        .stream_description
        .and_then(|d| d.shards)
        .unwrap_or_default();
    for shard in shards {
        let Some(id) = shard.shard_id else { continue };
        if iterators.contains_key(&id) {
            continue;
        }
        let iterator = streams
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(&id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .map_err(|e| {
                StreamError(format!(
                    "GetShardIterator: {}",
                    aws_sdk_dynamodbstreams::error::DisplayErrorContext(&e)
                ))
            })?
            .shard_iterator;
        iterators.insert(id, iterator);
    }
    Ok(())
}

/// Starts following `table`'s stream in the background with `analyser`; the local server and the
/// test fixture call this. Fails when the table has no stream.
pub async fn spawn<S, B>(
    sdk: &aws_config::SdkConfig,
    table: &str,
    analyser: Arc<Analyser<S, B>>,
) -> Result<tokio::task::JoinHandle<()>, StreamError>
where
    S: AnalysisStore + 'static,
    B: EventPublisher + 'static,
{
    let arn = stream_arn(&aws_sdk_dynamodb::Client::new(sdk), table).await?;
    let streams = Client::new(sdk);
    Ok(tokio::spawn(follow(streams, arn, analyser)))
}
