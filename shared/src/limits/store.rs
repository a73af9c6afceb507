//! The port of the limits: one bucket per tenant, shared by every function instance.

use futures::future::BoxFuture;

use super::gcra::{Rate, Take};
use crate::model::OrgId;
use crate::store::StoreError;

/// Where tenants' buckets are kept. Object-safe; called once per lease, not per request.
pub trait Buckets: Send + Sync {
    /// Takes up to `want` requests from `org`'s bucket at `now_us` (unix microseconds),
    /// atomically against every other instance: [`Take::Granted`] with how many, or
    /// [`Take::Wait`] when none fit.
    fn take<'a>(
        &'a self,
        org: &'a OrgId,
        want: u32,
        rate: Rate,
        now_us: u64,
    ) -> BoxFuture<'a, Result<Take, StoreError>>;

    /// Requests made to the backing store so far (what the limits cost).
    fn requests(&self) -> u64;
}
