//! `make bench`: what resolving a tenant costs (CONTRACT §7), next to floors of the same run.
//!
//! * a warm token check through the tenant cache, against the same check on a start-up
//!   registry (what every function did before tenants lived in a table);
//! * the first request of a tenant: compiling its record (the storage read itself is one
//!   `GetItem`, counted, not timed: it is a network round trip);
//! * memory held by 10,000 cached tenants (live heap bytes, counted by the allocator);
//! * storage reads caused by 10,000 tokens naming unknown orgs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use shared::auth::keygen::{generate_p256_keypair, generate_rsa_keypair, sign_es256, sign_rs256};
use shared::auth::{KeyRegistry, Permission};
use shared::clock::now_secs;
use shared::tenants::memory::MemoryTenants;
use shared::tenants::record::{KeyRecord, TenantRecord};
use shared::tenants::{Tenant, Tenants};

/// Live heap bytes.
struct Counting;
static LIVE: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ORG: &str = "00DHs00000Kmpyr";

fn per_call(iterations: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
}

fn record(org: &str, pem: &str, now: &str) -> TenantRecord {
    let mut record = TenantRecord::new(org, now);
    record.keys.push(KeyRecord {
        key_id: "key_bench".into(),
        subject: "scv4cc1".into(),
        public_key: Some(pem.to_owned()),
        certificate: None,
        permissions: vec!["events:write".into()],
        allow_token_reuse: false,
        fingerprint: "00".repeat(32),
        added_at: now.to_owned(),
    });
    record
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let pair = generate_rsa_keypair();
    let now = now_secs();
    let token = sign_rs256(
        &pair.private_pkcs8_pem,
        &json!({"iss": ORG, "sub": "scv4cc1", "iat": now, "exp": now + 3600}),
    )
    .unwrap();
    let bearer = format!("Bearer {token}");
    let doc = json!({"keys": [{"orgId": ORG, "subject": "scv4cc1",
        "publicKey": pair.public_spki_pem, "permissions": ["events:write"]}]})
    .to_string();

    let registry = KeyRegistry::from_json(&doc).unwrap();
    let floor = per_call(2_000, || {
        black_box(
            registry
                .verify(Some(&bearer), Permission::EventsWrite, now)
                .unwrap(),
        );
    });
    let tenants = shared::tenants::of_documents(&doc, r#"{"categories":[]}"#, None).unwrap();
    runtime
        .block_on(tenants.verify(Some(&bearer), Permission::EventsWrite, now))
        .unwrap();
    let cached = per_call(2_000, || {
        let admitted = runtime
            .block_on(tenants.verify(Some(&bearer), Permission::EventsWrite, now))
            .unwrap();
        black_box(admitted);
    });
    println!("tenants: warm RS256 token check through the cache {cached:.1} µs, start-up registry {floor:.1} µs: {:.2}×", cached / floor);

    let stamp = "2026-12-03T00:00:00.000Z";
    let rsa_record = record(ORG, &pair.public_spki_pem, stamp);
    let compile = per_call(2_000, || {
        black_box(Tenant::compile(&rsa_record));
    });
    println!("tenants: first request of a tenant: compiling its record {compile:.1} µs (+ 1 GetItem, and the roster Query once per instance per 30 s), {:.2}× the token check", compile / floor);

    // 10,000 tenants seen: each a record with one P-256 key and no categories.
    let ec = generate_p256_keypair();
    let orgs: Vec<String> = (0..10_000).map(|i| format!("00DM{i:011}")).collect();
    let source =
        MemoryTenants::with_records(orgs.iter().map(|o| record(o, &ec.public_spki_pem, stamp)));
    let many = Tenants::new(Arc::new(source), None);
    let before = LIVE.load(Ordering::Relaxed);
    let start = Instant::now();
    for org in &orgs {
        let token = sign_es256(
            &ec,
            &json!({"iss": org, "sub": "scv4cc1", "iat": now, "exp": now + 3600}),
        )
        .unwrap();
        let bearer = format!("Bearer {token}");
        runtime
            .block_on(many.verify(Some(&bearer), Permission::EventsWrite, now))
            .unwrap();
    }
    let elapsed = start.elapsed();
    let held = LIVE.load(Ordering::Relaxed) - before;
    println!(
        "tenants: 10,000 tenants seen: {:.1} MiB held by the cache ({} bytes a tenant), {} cached, filled in {:.2} s",
        held as f64 / (1024.0 * 1024.0),
        held / 10_000,
        many.cached(),
        elapsed.as_secs_f64()
    );

    let before = many.reads();
    for i in 0..10_000u32 {
        let org = format!("00DU{i:011}");
        let token = sign_es256(
            &ec,
            &json!({"iss": org, "sub": "scv4cc1", "iat": now, "exp": now + 3600}),
        )
        .unwrap();
        let bearer = format!("Bearer {token}");
        assert!(runtime
            .block_on(many.verify(Some(&bearer), Permission::EventsWrite, now))
            .is_err());
    }
    println!(
        "tenants: 10,000 tokens naming unknown orgs: {} storage reads (roster fresh; at most 1 per 30 s otherwise)",
        many.reads() - before
    );
}
