//! [`Tenants`]: every function's one way to a tenant's settings, read when first needed and
//! cached for at most [`CACHE_TTL`].
//!
//! * A known org costs one consistent `GetItem` per function instance per [`CACHE_TTL`]; keys
//!   added, keys revoked and suspensions take effect within that bound everywhere.
//! * An unknown org costs nothing: the cache also holds the **roster**, the set of org ids that
//!   have a record (one `Query` of a keys-only index, refreshed at most once per [`CACHE_TTL`],
//!   one refresh at a time), and a token naming an org not in it is refused without a read. So
//!   10,000 tokens naming random orgs make at most one read, not 10,000.
//! * Nothing is read at start-up: the first token a cold instance sees reads its tenant and the
//!   roster, concurrently.
//!
//! Refusals never say whether the org exists: an unknown org, a suspended one, an unknown
//! subject and a bad signature are all [`AuthError::UnknownIssuerOrSubject`] or
//! [`AuthError::InvalidSignature`], which callers answer alike (CONTRACT §1).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::record::{instance_id, is_org_id};
use super::store::TenantSource;
use super::tenant::Tenant;
use crate::auth::registry::Presented;
use crate::auth::{AuthError, Permission, Verified};
use crate::clock::{Clock, SystemClock};
use crate::model::OrgId;
use crate::store::StoreError;

/// The longest a function holds a tenant, the roster, or an instance mapping before reading it
/// again. Half of the 60 s the contract allows, so a change is seen well inside it.
pub const CACHE_TTL: Duration = Duration::from_secs(30);

/// Connect instance mappings held at most (they come from Connect, not from callers; the bound
/// is a guard, not a working set).
const MAX_INSTANCES: usize = 10_000;

/// Why a request was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The token does not pass (401).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The tenant could not be read (503): no answer about the token either way.
    #[error("tenant settings unavailable")]
    Unavailable,
}

/// A verified token and the settings of its tenant.
pub struct Admitted {
    pub token: Verified,
    pub tenant: Arc<Tenant>,
}

struct Cached<T> {
    value: T,
    read_at: u64,
}

struct Inner {
    source: Arc<dyn TenantSource>,
    clock: Arc<dyn Clock>,
    ttl_ms: u64,
    tenants: Mutex<HashMap<String, Cached<Option<Arc<Tenant>>>>>,
    roster: Mutex<Option<Cached<Arc<HashSet<String>>>>>,
    /// Held while the roster is read, so a burst of unknown orgs makes one read.
    roster_refresh: tokio::sync::Mutex<()>,
    instances: Mutex<HashMap<String, Cached<Option<String>>>>,
    connect_default: Option<OrgId>,
    reads: AtomicU64,
}

/// The tenant directory with its cache. Clones share it.
#[derive(Clone)]
pub struct Tenants {
    inner: Arc<Inner>,
    /// The request limits of the sides that admit telephony and action requests (CONTRACT §9).
    limiter: Option<crate::limits::Limiter>,
}

/// A store reads a tenant's own retention through the same cache (one read per 30 s at most).
impl crate::store::dynamo::RetentionSource for Tenants {
    fn retention_days<'a>(
        &'a self,
        org: &'a OrgId,
    ) -> futures_util::future::BoxFuture<'a, Option<u32>> {
        Box::pin(async move {
            match self.get(org.as_str()).await {
                Ok(tenant) => tenant.and_then(|t| t.retention_days),
                Err(_) => {
                    tracing::warn!("tenant unreadable: the stack's retention applies");
                    None
                }
            }
        })
    }
}

impl Tenants {
    /// A directory over `source`, on the system clock. `connect_default` is the tenant of
    /// contact flows whose instance maps to none (`CONNECT_TENANT`).
    pub fn new(source: Arc<dyn TenantSource>, connect_default: Option<OrgId>) -> Self {
        Self::with_clock(source, connect_default, Arc::new(SystemClock))
    }

    pub fn with_clock(
        source: Arc<dyn TenantSource>,
        connect_default: Option<OrgId>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                source,
                clock,
                ttl_ms: CACHE_TTL.as_millis() as u64,
                tenants: Mutex::new(HashMap::new()),
                roster: Mutex::new(None),
                roster_refresh: tokio::sync::Mutex::new(()),
                instances: Mutex::new(HashMap::new()),
                connect_default,
                reads: AtomicU64::new(0),
            }),
            limiter: None,
        }
    }

    /// This directory with `limiter` holding its tenants' request limits.
    pub fn limited_by(mut self, limiter: crate::limits::Limiter) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// The limiter, when this directory has one.
    pub fn limiter(&self) -> Option<&crate::limits::Limiter> {
        self.limiter.as_ref()
    }

    /// Admits one request of `tenant` under its limits (none without a limiter). Called once
    /// the token is verified and before anything else is done or stored (its `jti` included).
    pub async fn admit_request(&self, tenant: &Tenant) -> Result<(), crate::limits::Exceeded> {
        crate::metrics::tenant_request(tenant.org.as_str());
        match &self.limiter {
            Some(limiter) => limiter.admit(&tenant.org, tenant.limits).await,
            None => Ok(()),
        }
    }

    /// Storage reads made so far (records, roster pages counted as one, instance lookups).
    pub fn reads(&self) -> u64 {
        self.inner.reads.load(Ordering::Relaxed)
    }

    /// Tenants held in the cache now.
    pub fn cached(&self) -> usize {
        lock(&self.inner.tenants).len()
    }

    /// Verifies a bearer token against its tenant's keys: the tenant is read (or taken from
    /// the cache) only once the token is well formed and names an org id that could exist.
    pub async fn verify(
        &self,
        authorization: Option<&str>,
        needed: Permission,
        now_secs: u64,
    ) -> Result<Admitted, Refusal> {
        let presented = Presented::read(authorization)?;
        let tenant = self
            .get(presented.issuer())
            .await
            .map_err(|_| Refusal::Unavailable)?
            .filter(|t| t.is_active())
            .ok_or(AuthError::UnknownIssuerOrSubject)?;
        let keys = tenant
            .keys_of(presented.subject())
            .ok_or(AuthError::UnknownIssuerOrSubject)?;
        let token = presented.verify(keys, &tenant.audiences, needed, now_secs)?;
        Ok(Admitted { token, tenant })
    }

    /// Admits one contact-flow invocation for `org` under its tenant's limits (the stack's for
    /// an org without a record). If the tenant cannot be read it is admitted: the flow's own
    /// handling answers the outage.
    pub async fn admit_org(&self, org: &OrgId) -> Result<(), crate::limits::Exceeded> {
        if self.limiter.is_none() {
            return Ok(());
        }
        match self.settings_of(org).await {
            Ok(tenant) => self.admit_request(&tenant).await,
            Err(_) => Ok(()),
        }
    }

    /// The tenant `org`, `None` when it has no record (suspended ones included: callers that
    /// admit requests check [`Tenant::is_active`]).
    pub async fn get(&self, org: &str) -> Result<Option<Arc<Tenant>>, StoreError> {
        if !is_org_id(org) {
            return Ok(None);
        }
        let now = self.now();
        if let Some(hit) = self.fresh_tenant(org, now) {
            return Ok(hit);
        }
        let record = match self.fresh_roster(now) {
            // Not a tenant: refused from the roster, and nothing cached for it.
            Some(roster) if !roster.contains(org) => return Ok(None),
            Some(_) => self.read_record(org).await?,
            // A cold or stale roster is read alongside the record: one round trip.
            None => {
                let (record, roster) = futures::join!(self.read_record(org), self.roster(now));
                roster?;
                record?
            }
        };
        let tenant = record.map(|r| Arc::new(Tenant::compile(&r)));
        let mut tenants = lock(&self.inner.tenants);
        // Only orgs of the roster get here, so the map is bounded by the number of tenants;
        // expired entries of removed tenants are swept when it doubles.
        if tenants.len() >= 1024 && tenants.len().is_power_of_two() {
            let ttl = self.inner.ttl_ms;
            tenants.retain(|_, c| now.saturating_sub(c.read_at) < ttl);
        }
        tenants.insert(
            org.to_owned(),
            Cached {
                value: tenant.clone(),
                read_at: now,
            },
        );
        Ok(tenant)
    }

    /// The tenant `org`, or the built-in settings when it has none: for work on data already
    /// stored (the analysis), where the tenant's categories and prompt apply if it has them.
    pub async fn settings_of(&self, org: &OrgId) -> Result<Arc<Tenant>, StoreError> {
        Ok(self
            .get(org.as_str())
            .await?
            .unwrap_or_else(|| Arc::new(Tenant::unconfigured(org))))
    }

    /// The tenant of a contact flow invoked from the Connect instance `instance` (its ARN or
    /// id): the org it is mapped to, else `CONNECT_TENANT`; `None`: not configured.
    pub async fn connect_tenant(
        &self,
        instance: Option<&str>,
    ) -> Result<Option<OrgId>, StoreError> {
        let mapped = match instance.map(instance_id).filter(|id| !id.is_empty()) {
            Some(id) => self.instance_owner(id).await?,
            None => None,
        };
        let Some(org) = mapped
            .map(OrgId::new)
            .or_else(|| self.inner.connect_default.clone())
        else {
            return Ok(None);
        };
        // A suspended tenant's contact flows are refused like an unmapped instance's.
        match self.get(org.as_str()).await? {
            Some(tenant) if !tenant.is_active() => Ok(None),
            _ => Ok(Some(org)),
        }
    }

    /// The active tenant whose `connectInstances` hold `instance` (an ARN or id), with no
    /// default: what Contact Lens data is stored under (CONTRACT §10: an instance mapped to no
    /// tenant is dropped, never stored under a guess such as `CONNECT_TENANT`).
    pub async fn mapped_connect_tenant(
        &self,
        instance: &str,
    ) -> Result<Option<Arc<Tenant>>, StoreError> {
        let id = instance_id(instance);
        if id.is_empty() {
            return Ok(None);
        }
        let Some(org) = self.instance_owner(id).await? else {
            return Ok(None);
        };
        Ok(self.get(&org).await?.filter(|t| t.is_active()))
    }

    async fn instance_owner(&self, id: &str) -> Result<Option<String>, StoreError> {
        let now = self.now();
        if let Some(c) = lock(&self.inner.instances).get(id) {
            if self.is_fresh(c.read_at, now) {
                return Ok(c.value.clone());
            }
        }
        self.inner.reads.fetch_add(1, Ordering::Relaxed);
        let owner = self.inner.source.instance_owner(id).await?;
        let mut instances = lock(&self.inner.instances);
        if instances.len() >= MAX_INSTANCES {
            instances.clear();
        }
        instances.insert(
            id.to_owned(),
            Cached {
                value: owner.clone(),
                read_at: now,
            },
        );
        Ok(owner)
    }

    fn now(&self) -> u64 {
        self.inner.clock.now_millis()
    }

    fn is_fresh(&self, read_at: u64, now: u64) -> bool {
        now.saturating_sub(read_at) < self.inner.ttl_ms
    }

    fn fresh_tenant(&self, org: &str, now: u64) -> Option<Option<Arc<Tenant>>> {
        let tenants = lock(&self.inner.tenants);
        let cached = tenants.get(org)?;
        self.is_fresh(cached.read_at, now)
            .then(|| cached.value.clone())
    }

    fn fresh_roster(&self, now: u64) -> Option<Arc<HashSet<String>>> {
        let roster = lock(&self.inner.roster);
        let cached = roster.as_ref()?;
        self.is_fresh(cached.read_at, now)
            .then(|| cached.value.clone())
    }

    async fn read_record(&self, org: &str) -> Result<Option<super::TenantRecord>, StoreError> {
        self.inner.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.source.tenant(org).await
    }

    /// The roster, read unless another task has just read it.
    async fn roster(&self, now: u64) -> Result<Arc<HashSet<String>>, StoreError> {
        let _one_at_a_time = self.inner.roster_refresh.lock().await;
        if let Some(roster) = self.fresh_roster(self.now()) {
            return Ok(roster);
        }
        self.inner.reads.fetch_add(1, Ordering::Relaxed);
        let roster = Arc::new(self.inner.source.roster().await?);
        *lock(&self.inner.roster) = Some(Cached {
            value: roster.clone(),
            read_at: now,
        });
        Ok(roster)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
