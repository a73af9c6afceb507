//! Request limits per tenant (CONTRACT §9): `requestsPerSecond` and `burst`, the tenant's own
//! (its record's `limits`) or the stack's defaults, held across every function instance.
//!
//! Each tenant has one bucket ([`gcra`]) in a shared store ([`Buckets`]: DynamoDB in AWS and
//! locally, memory in unit tests). An instance does not touch it per request: it **leases** a
//! share of the tenant's budget (a take of `n` requests in one conditional update) and admits
//! from the lease until it is spent or [`LEASE_TTL_MS`] old. The lease doubles while an
//! instance spends it in time, up to a quarter second of the tenant's rate (and at most its
//! burst), and when it lapses unspent the next is what was spent of it, so:
//!
//! * at steady load a tenant's instance makes one store request per `n` admitted requests:
//!   `n` is what it admits in a second, up to a quarter second of the tenant's limit. That is
//!   ≤ 0.1 extra requests per accepted request when an instance serves the tenant 10 requests
//!   a second or more and the limit is 40/s or more; below either it is one request per
//!   second per instance and tenant;
//! * the limit holds within 10 % over any 10 s: a lease is spent within a second of being
//!   taken from the shared bucket, so what is admitted over 10 s was taken over at most 11;
//! * a refused tenant is refused locally until its bucket has room again (`Retry-After`), so a
//!   flood costs no store request per refusal.
//!
//! When the store cannot be reached the request is admitted (and logged): the limits protect
//! the service from a tenant, not a tenant from an outage.

pub mod dynamo;
pub mod gcra;
pub mod memory;
pub mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use gcra::{Rate, Take};
pub use store::Buckets;

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, SystemClock};
use crate::model::OrgId;

/// Request limits (CONTRACT §9): a tenant's own (its record's `limits`) or the stack's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub requests_per_second: f64,
    pub burst: u32,
}

/// How long a lease may be spent from after it was taken.
pub const LEASE_TTL_MS: u64 = 1_000;
/// The largest lease, as a share of a second of the tenant's rate.
const LEASE_SHARE_OF_RATE: f64 = 0.25;
const MAX_LEASE: u32 = 1_000;

/// A request refused for its tenant's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("request limit exceeded; retry after {retry_after_secs} s")]
pub struct Exceeded {
    /// Whole seconds, at least 1: `Retry-After`.
    pub retry_after_secs: u64,
}

/// One instance's state of one tenant.
#[derive(Debug, Default)]
struct Local {
    /// Requests left of the current lease.
    left: u32,
    /// When the current lease lapses (ms).
    lease_until: u64,
    /// The size of the current lease.
    size: u32,
    /// Refused until then (ms), without asking the store.
    refused_until: u64,
}

struct Inner {
    buckets: Arc<dyn Buckets>,
    /// The stack's defaults (`LIMIT_REQUESTS_PER_SECOND`, `LIMIT_BURST`); `None`: a tenant with
    /// no limits of its own is not limited.
    default: Option<Limits>,
    clock: Arc<dyn Clock>,
    local: Mutex<HashMap<String, Local>>,
}

/// The limits of one function instance. Clones share the leases.
#[derive(Clone)]
pub struct Limiter {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("default", &self.inner.default)
            .finish_non_exhaustive()
    }
}

impl Limiter {
    pub fn new(buckets: Arc<dyn Buckets>, default: Option<Limits>) -> Self {
        Self::with_clock(buckets, default, Arc::new(SystemClock))
    }

    pub fn with_clock(
        buckets: Arc<dyn Buckets>,
        default: Option<Limits>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                buckets,
                default,
                clock,
                local: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The limits that apply to a tenant with limits `own` of its own: those, else the stack's.
    pub fn limits_of(&self, own: Option<Limits>) -> Option<Limits> {
        own.or(self.inner.default)
    }

    /// Store requests made so far.
    pub fn store_requests(&self) -> u64 {
        self.inner.buckets.requests()
    }

    /// Admits one request of the tenant `org` (its own limits `own`), or refuses it with when
    /// to retry.
    pub async fn admit(&self, org: &OrgId, own: Option<Limits>) -> Result<(), Exceeded> {
        let Some(limits) = self.limits_of(own) else {
            return Ok(());
        };
        let rate = Rate::of(&limits);
        let now = self.inner.clock.now_millis();
        let want = {
            let mut local = self.lock();
            let state = local.entry(org.as_str().to_owned()).or_default();
            if now < state.refused_until {
                return Err(exceeded(state.refused_until - now));
            }
            if state.left > 0 && now < state.lease_until {
                state.left -= 1;
                return Ok(());
            }
            // Spent in time: twice the lease; lapsed unspent: what was spent of it (the rate
            // this instance sees over a lease's life).
            let largest = largest_lease(&limits, rate);
            let next = if state.left == 0 {
                state.size.saturating_mul(2)
            } else {
                state.size - state.left
            };
            state.left = 0;
            next.clamp(1, largest)
        };
        let taken = self.inner.buckets.take(org, want, rate, now * 1000).await;
        let mut local = self.lock();
        let state = local.entry(org.as_str().to_owned()).or_default();
        match taken {
            Ok(Take::Granted(n)) => {
                state.size = state.left + n;
                state.left += n - 1;
                state.lease_until = now + LEASE_TTL_MS;
                Ok(())
            }
            Ok(Take::Wait(us)) => {
                let ms = us.div_ceil(1000).max(1);
                state.refused_until = now + ms;
                Err(exceeded(ms))
            }
            Err(_) => {
                tracing::warn!("request limits unavailable: the request is admitted");
                Ok(())
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Local>> {
        let mut local = self.inner.local.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded by the tenants that made requests; swept when it grows past a round number.
        if local.len() >= 10_000 {
            local.clear();
        }
        local
    }
}

fn largest_lease(limits: &Limits, rate: Rate) -> u32 {
    let share = (limits.requests_per_second * LEASE_SHARE_OF_RATE).floor() as u32;
    share.clamp(1, MAX_LEASE).min(rate.burst)
}

fn exceeded(wait_ms: u64) -> Exceeded {
    Exceeded {
        retry_after_secs: wait_ms.div_ceil(1000).max(1),
    }
}

/// An environment variable of the limits that is set wrong.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name} is invalid: {why}")]
pub struct EnvError {
    pub name: &'static str,
    pub why: String,
}

/// The stack's defaults from `LIMIT_REQUESTS_PER_SECOND` and `LIMIT_BURST` (the template's
/// `DefaultRequestsPerSecond` and `DefaultBurst` parameters), read once at start-up. Both unset
/// or empty: no default. Never a tenant's own limits: those are on its record.
pub fn default_from_env() -> Result<Option<Limits>, EnvError> {
    let read = |name: &'static str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let (rate, burst) = (read("LIMIT_REQUESTS_PER_SECOND"), read("LIMIT_BURST"));
    let (rate, burst) = match (rate, burst) {
        (None, None) => return Ok(None),
        (Some(rate), Some(burst)) => (rate, burst),
        _ => {
            return Err(EnvError {
                name: "LIMIT_BURST",
                why: "LIMIT_REQUESTS_PER_SECOND and LIMIT_BURST are set together".into(),
            })
        }
    };
    let requests_per_second = rate
        .parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r > 0.0)
        .ok_or(EnvError {
            name: "LIMIT_REQUESTS_PER_SECOND",
            why: "must be a number above 0".into(),
        })?;
    let burst = burst
        .parse::<u32>()
        .ok()
        .filter(|b| *b >= 1)
        .ok_or(EnvError {
            name: "LIMIT_BURST",
            why: "must be a whole number ≥ 1".into(),
        })?;
    Ok(Some(Limits {
        requests_per_second,
        burst,
    }))
}

/// The limiter of a function: buckets in `table`, the stack's defaults from the environment.
/// Makes no AWS call.
pub fn from_env(sdk: &aws_config::SdkConfig, table: &str) -> Result<Limiter, EnvError> {
    let buckets = dynamo::DynamoBuckets::new(
        crate::aws_sdk::OnFirstUse::of(sdk, aws_sdk_dynamodb::Client::new),
        table,
    );
    Ok(Limiter::new(Arc::new(buckets), default_from_env()?))
}

#[cfg(test)]
mod tests;
