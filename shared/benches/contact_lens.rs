//! `make bench`: the Contact Lens stream handler (CONTRACT §10), next to a floor of the same run.
//!
//! * records per second of `shared::contact_lens::kinesis::handle` on a 100-record Kinesis
//!   batch (documented-shape segment records of 10 calls: utterances, transcripts, categories,
//!   summaries, `STARTED`/`COMPLETED`), storage and bus in-process, against parsing the same
//!   batch alone (the event's JSON, each record's base64 and JSON): the ratio is what the
//!   handler costs beyond reading its input;
//! * DynamoDB requests per transcript segment: the requests the DynamoDB adapter makes for the
//!   batch's store calls (BatchWriteItem by 25, one HEAD update per write, a GetItem per key
//!   lookup, a transaction per ended leg, a conditional PutItem per new contact anchor), counted
//!   by a store that delegates to the memory store.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use shared::app::App;
use shared::bus::memory::MemoryBus;
use shared::contact_lens::kinesis::{handle, StreamEvent};
use shared::contact_lens::samples;
use shared::contact_lens::{MemoryAnchors, SegmentRecord};
use shared::model::{OrgId, VendorCallKey, VoiceCallId};
use shared::store::memory::MemoryStore;
use shared::store::{
    Created, Leg, LegUpdate, MessageBatch, NewLeg, PostCallBatch, ReplayGuard, RoutingBatch,
    SignalBatch, StoreError, TelephonyStore, Watched,
};
use shared::tenants::memory::MemoryTenants;
use shared::tenants::{TenantRecord, Tenants};

const ORG: &str = "00D000000000001";
const BATCH: usize = 100;
/// Concurrent calls in the batch: 10 calls of 11 records, cut at 100.
const CALLS: u32 = 10;

/// The memory store, counting the DynamoDB requests the DynamoDB adapter would make.
#[derive(Default)]
struct Counted {
    inner: MemoryStore,
    requests: AtomicU64,
}

impl Counted {
    fn add(&self, n: usize) {
        self.requests.fetch_add(n as u64, Ordering::Relaxed);
    }
    /// BatchWriteItem calls for `items`, and the HEAD update of the write.
    fn writes(&self, items: usize) {
        self.add(items.div_ceil(25) + 1);
    }
}

impl TelephonyStore for Counted {
    async fn put_signals(&self, batch: SignalBatch<'_>) -> Result<Watched, StoreError> {
        self.writes(batch.events.len());
        self.inner.put_signals(batch).await
    }
    async fn put_messages(&self, batches: &[MessageBatch<'_>]) -> Result<Vec<Watched>, StoreError> {
        let items: usize = batches.iter().map(|b| b.messages.len()).sum();
        self.add(items.div_ceil(25) + batches.len());
        self.inner.put_messages(batches).await
    }
    async fn put_post_call(&self, batch: PostCallBatch<'_>) -> Result<(), StoreError> {
        self.writes(batch.events.len());
        self.inner.put_post_call(batch).await
    }
    async fn voice_call(&self, org: &OrgId, id: &VoiceCallId) -> Result<Option<Leg>, StoreError> {
        self.add(1);
        self.inner.voice_call(org, id).await
    }
    async fn leg_of(&self, org: &OrgId, key: &VendorCallKey) -> Result<Option<Leg>, StoreError> {
        self.add(1);
        self.inner.leg_of(org, key).await
    }
    async fn create_voice_call(&self, leg: NewLeg<'_>) -> Result<Created, StoreError> {
        self.add(1);
        self.inner.create_voice_call(leg).await
    }
    async fn update_voice_call(&self, update: LegUpdate<'_>) -> Result<bool, StoreError> {
        self.add(1);
        self.inner.update_voice_call(update).await
    }
    async fn put_routing(&self, batch: RoutingBatch<'_>, identity: &str) -> Result<(), StoreError> {
        self.add(1);
        self.inner.put_routing(batch, identity).await
    }
}

impl ReplayGuard for Counted {
    async fn claim_token_id(
        &self,
        org: &OrgId,
        jti: &str,
        expires_at: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        self.inner.claim_token_id(org, jti, expires_at, now).await
    }
    async fn release_token_id(&self, org: &OrgId, jti: &str) -> Result<(), StoreError> {
        self.inner.release_token_id(org, jti).await
    }
}

/// 100 records: the sample call's records for 8 contacts, interleaved as one shard carries
/// concurrent calls.
fn batch() -> (StreamEvent, usize) {
    let calls: Vec<Vec<serde_json::Value>> = (0..CALLS)
        .map(|i| {
            let contact = format!("{:08x}-3ac5-4eab-a589-1efa94ab5f2b", 0x73bd_ece1_u32 + i);
            samples::call(samples::INSTANCE_ID, &contact)
        })
        .collect();
    let mut records = Vec::new();
    let mut round = 0;
    let most = calls.iter().map(Vec::len).max().unwrap_or(0);
    assert!(calls.iter().map(Vec::len).sum::<usize>() >= BATCH);
    while records.len() < BATCH && round < most {
        for call in &calls {
            if let Some(r) = call.get(round) {
                if records.len() < BATCH {
                    records.push(r.clone());
                }
            }
        }
        round += 1;
    }
    let segments = records
        .iter()
        .map(|r| {
            r["Segments"].as_array().map_or(0, |s| {
                s.iter().filter(|s| s.get("Transcript").is_some()).count()
            })
        })
        .sum();
    let event = samples::kinesis_event(&samples::numbered(&records));
    (
        serde_json::from_value(event).expect("a Kinesis event"),
        segments,
    )
}

fn world() -> (App<Counted, MemoryBus>, MemoryAnchors) {
    let mut record = TenantRecord::new(ORG, "2026-12-03T00:00:00Z");
    record.connect_instances = vec![samples::INSTANCE_ID.to_owned()];
    let tenants = Tenants::new(Arc::new(MemoryTenants::with_records([record])), None);
    (
        App::with_ports(tenants, Counted::default(), MemoryBus::default()),
        MemoryAnchors::default(),
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (event, segments) = batch();
    let raw = {
        // The event as Lambda hands it over: its JSON text.
        let records: Vec<(Vec<u8>, String, u64)> = event
            .records
            .iter()
            .map(|r| {
                (
                    r.kinesis.data.to_vec(),
                    r.kinesis.sequence_number.clone(),
                    r.kinesis.arrival_millis(),
                )
            })
            .collect();
        serde_json::to_vec(&samples::kinesis_event(&records)).unwrap()
    };

    // Floor: the event's JSON, each record's base64 (by the event type) and JSON.
    let parse = || {
        let event: StreamEvent = serde_json::from_slice(&raw).expect("event");
        let n = event
            .records
            .iter()
            .filter(|r| SegmentRecord::read(&r.kinesis.data).is_ok())
            .count();
        black_box(n);
    };
    let rounds = 200;
    for _ in 0..rounds / 10 {
        parse();
    }
    let start = Instant::now();
    for _ in 0..rounds {
        parse();
    }
    let floor = start.elapsed().as_secs_f64() / f64::from(rounds);

    // The handler: the same bytes parsed, then handled (a fresh world each round: first
    // delivery, every anchor new, every entry written).
    let mut total = 0.0;
    let mut requests = 0;
    for i in 0..rounds {
        let (app, anchors) = world();
        let start = Instant::now();
        let event: StreamEvent = serde_json::from_slice(&raw).expect("event");
        let (response, report) = runtime.block_on(handle(&app, &anchors, &event));
        let took = start.elapsed().as_secs_f64();
        assert!(response.batch_item_failures.is_empty());
        assert_eq!(report.records, BATCH);
        if i >= rounds / 10 {
            total += took;
        }
        requests =
            app.store.requests.load(Ordering::Relaxed) + anchors.calls.load(Ordering::Relaxed);
    }
    let handler = total / f64::from(rounds - rounds / 10);

    println!(
        "contact_lens: a {BATCH}-record Kinesis batch ({segments} transcript segments, {CALLS} contacts)"
    );
    println!(
        "  parse alone (floor): {:>10.0} records/s",
        BATCH as f64 / floor
    );
    println!(
        "  stream handler:      {:>10.0} records/s  ({:.1}× the floor's time)",
        BATCH as f64 / handler,
        handler / floor
    );
    println!(
        "  DynamoDB requests:   {requests} for the batch, {:.2} per transcript segment",
        requests as f64 / segments as f64
    );
}
