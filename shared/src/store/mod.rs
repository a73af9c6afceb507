//! The storage port: what the handlers need from a durable store, and nothing more.

mod backoff;
pub mod dynamo;
pub mod items;
pub mod memory;

use std::future::Future;

use crate::model::{ConversationKey, OrgId, SignalEvent, VendorCallKey};

pub use backoff::Backoff;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or kept refusing after bounded retries. The details were
    /// logged where it happened; callers answer `503`.
    #[error("storage unavailable")]
    Unavailable,
}

/// Real-time signals of one request, bound for one conversation.
#[derive(Debug, Clone, Copy)]
pub struct SignalBatch<'a> {
    pub org: &'a OrgId,
    pub conversation: &'a ConversationKey,
    pub vendor_call_key: &'a VendorCallKey,
    pub service: &'a str,
    pub provider: Option<&'a str>,
    pub events: &'a [IdentifiedSignal],
    /// Unix seconds at which the request was accepted.
    pub received_at: u64,
}

/// A signal with its identity (see [`items::signal_identity`]), computed once per request.
#[derive(Debug, Clone)]
pub struct IdentifiedSignal {
    pub identity: String,
    pub event: SignalEvent,
}

impl IdentifiedSignal {
    pub fn new(event: SignalEvent) -> Self {
        Self { identity: items::signal_identity(&event), event }
    }
}

/// Records which token ids (`jti`) have been used, across every instance of the service.
pub trait ReplayGuard: Send + Sync {
    /// `Ok(true)` when this is the first use of `jti` for `org` within its validity, `Ok(false)`
    /// when it was seen before. The record expires at `expires_at` (unix seconds).
    fn claim_token_id(
        &self,
        org: &OrgId,
        jti: &str,
        expires_at: u64,
        now: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Durable home of real-time signals. Writing the same signal twice keeps one copy.
pub trait SignalStore: Send + Sync {
    fn put_signals(&self, batch: SignalBatch<'_>) -> impl Future<Output = Result<(), StoreError>> + Send;
}
