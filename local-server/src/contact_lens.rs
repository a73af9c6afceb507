//! Contact Lens locally (CONTRACT §10): a Kinesis stream and an S3 bucket in the emulator, both
//! named [`NAME`], followed in the background and handed to the same domain functions the two
//! Lambdas run, as the event source mapping and the bucket's notifications do in AWS: records
//! in order per shard, failed ones retried until they pass (every write is idempotent); each
//! object created after the start, once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::types::{ShardIteratorType, StreamStatus};
use shared::app::Store;
use shared::bus::EventPublisher;
use shared::contact_lens::files::S3Files;
use shared::contact_lens::{ingest, post_call, ContactAnchors, ContactLensApp, StreamRecord};
use shared::store::ConversationReader;

/// The stream's and the bucket's name.
pub const NAME: &str = "voicecall-intelligence-contact-lens";
const POLL: Duration = Duration::from_millis(500);

/// Why the stream or the bucket could not be set up.
#[derive(Debug)]
pub struct SetupError(String);

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SetupError {}

fn setup<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> SetupError + '_ {
    move |e| SetupError(format!("{what}: {e}"))
}

/// Creates the stream and the bucket when missing and follows both until the process ends.
pub async fn spawn<S, B, A>(
    sdk: &aws_config::SdkConfig,
    app: Arc<ContactLensApp<S, B, A>>,
) -> Result<(), SetupError>
where
    S: Store + ConversationReader + 'static,
    B: EventPublisher + 'static,
    A: ContactAnchors + 'static,
{
    let kinesis = aws_sdk_kinesis::Client::new(sdk);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    );
    if kinesis
        .describe_stream_summary()
        .stream_name(NAME)
        .send()
        .await
        .is_err()
    {
        kinesis
            .create_stream()
            .stream_name(NAME)
            .shard_count(1)
            .send()
            .await
            .map_err(setup("CreateStream"))?;
    }
    for _ in 0..50 {
        let summary = kinesis
            .describe_stream_summary()
            .stream_name(NAME)
            .send()
            .await
            .map_err(setup("DescribeStreamSummary"))?;
        if summary
            .stream_description_summary()
            .is_some_and(|d| d.stream_status() == &StreamStatus::Active)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let shards = kinesis
        .list_shards()
        .stream_name(NAME)
        .send()
        .await
        .map_err(setup("ListShards"))?;
    for shard in shards.shards() {
        let iterator = kinesis
            .get_shard_iterator()
            .stream_name(NAME)
            .shard_id(shard.shard_id())
            .shard_iterator_type(ShardIteratorType::Latest)
            .send()
            .await
            .map_err(setup("GetShardIterator"))?
            .shard_iterator
            .ok_or_else(|| SetupError("no shard iterator".into()))?;
        tokio::spawn(follow_shard(kinesis.clone(), iterator, app.clone()));
    }

    if s3.head_bucket().bucket(NAME).send().await.is_err() {
        s3.create_bucket()
            .bucket(NAME)
            .send()
            .await
            .map_err(setup("CreateBucket"))?;
    }
    // Objects already there were written before the notification existed.
    let seen = list(&s3).await.map_err(setup("ListObjectsV2"))?;
    let files = S3Files::new(sdk);
    tokio::spawn(follow_bucket(s3, files, seen, app));
    Ok(())
}

async fn follow_shard<S, B, A>(
    kinesis: aws_sdk_kinesis::Client,
    mut iterator: String,
    app: Arc<ContactLensApp<S, B, A>>,
) where
    S: Store,
    B: EventPublisher,
    A: ContactAnchors,
{
    loop {
        let output = match kinesis
            .get_records()
            .shard_iterator(&iterator)
            .limit(100)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "Contact Lens stream: GetRecords failed; retrying");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        let mut pending: Vec<(Vec<u8>, String, u64)> = output
            .records()
            .iter()
            .map(|r| {
                let arrival = r
                    .approximate_arrival_timestamp()
                    .and_then(|t| t.to_millis().ok())
                    .and_then(|t| u64::try_from(t).ok())
                    .unwrap_or_default();
                (
                    r.data().as_ref().to_vec(),
                    r.sequence_number().to_owned(),
                    arrival,
                )
            })
            .collect();
        // As the event source mapping: the batch's failures again until they pass.
        while !pending.is_empty() {
            let records: Vec<StreamRecord<'_>> = pending
                .iter()
                .map(|(data, seq, arrival)| StreamRecord {
                    sequence_number: seq,
                    arrival_millis: *arrival,
                    data,
                })
                .collect();
            let report = ingest(&app.app, &app.anchors, &records).await;
            let failed: HashSet<String> = report.failed.into_iter().collect();
            pending.retain(|(_, seq, _)| failed.contains(seq));
            if !pending.is_empty() {
                tokio::time::sleep(POLL).await;
            }
        }
        let idle = output.records.is_empty();
        match output.next_shard_iterator {
            Some(next) => iterator = next,
            None => return,
        }
        if idle {
            tokio::time::sleep(POLL).await;
        }
    }
}

async fn list(s3: &aws_sdk_s3::Client) -> Result<HashSet<String>, String> {
    let mut keys = HashSet::new();
    let mut pages = s3.list_objects_v2().bucket(NAME).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| e.to_string())?;
        for object in page.contents() {
            if let Some(key) = object.key() {
                keys.insert(format!("{key}\n{}", object.e_tag().unwrap_or_default()));
            }
        }
    }
    Ok(keys)
}

async fn follow_bucket<S, B, A>(
    s3: aws_sdk_s3::Client,
    files: S3Files,
    mut seen: HashSet<String>,
    app: Arc<ContactLensApp<S, B, A>>,
) where
    S: Store + ConversationReader,
    B: EventPublisher,
    A: ContactAnchors,
{
    loop {
        tokio::time::sleep(POLL).await;
        let now = match list(&s3).await {
            Ok(keys) => keys,
            Err(e) => {
                tracing::warn!(error = %e, "Contact Lens bucket: listing failed; retrying");
                continue;
            }
        };
        let mut created: Vec<&String> = now.iter().filter(|k| !seen.contains(*k)).collect();
        created.sort();
        let mut done = Vec::new();
        for entry in created {
            let key = entry.split('\n').next().unwrap_or_default();
            let at = shared::clock::now_millis();
            match post_call::ingest_file(&app, &files, NAME, key, at).await {
                Ok(_) => done.push(entry.clone()),
                // Retried at the next poll, as Lambda retries an asynchronous invocation.
                Err(e) => tracing::warn!(error = %e, "Contact Lens analysis file: retrying"),
            }
        }
        seen.extend(done);
    }
}
