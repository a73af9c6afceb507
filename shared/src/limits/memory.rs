//! Buckets held in memory: one process's tenants (unit tests, benchmarks).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use futures::future::BoxFuture;

use super::gcra::{self, Rate, Take};
use super::store::Buckets;
use crate::model::OrgId;
use crate::store::StoreError;

#[derive(Default)]
pub struct MemoryBuckets {
    tats: Mutex<HashMap<String, u64>>,
    requests: AtomicU64,
}

impl MemoryBuckets {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Buckets for MemoryBuckets {
    fn take<'a>(
        &'a self,
        org: &'a OrgId,
        want: u32,
        rate: Rate,
        now_us: u64,
    ) -> BoxFuture<'a, Result<Take, StoreError>> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut tats = self.tats.lock().unwrap_or_else(|p| p.into_inner());
        let tat = tats.get(org.as_str()).copied();
        let (take, new_tat) = gcra::take(tat, now_us, want, rate);
        if let Some(t) = new_tat {
            tats.insert(org.as_str().to_owned(), t);
        }
        Box::pin(std::future::ready(Ok(take)))
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
