//! Buckets in the conversation table: one item per tenant (`{org}#LIMIT` / `LIMIT`) holding its
//! `tat`, moved by conditional `UpdateItem`s so that concurrent instances never overdraw it.
//!
//! `max(tat, now)` is not an update expression, so a take is one of two updates, each guarded
//! by the condition under which it is right: a *refilled* bucket (`tat ≤ now`, or no item) is
//! set to `now + n·T`; a *running* one (`now < tat ≤ now + τ − n·T`) is moved by `n·T`. The
//! adapter tries the one its last answer suggests; a failed condition returns the item as it is
//! (`ReturnValuesOnConditionCheckFailure`), from which the right update (or a refusal, or a
//! smaller grant) follows. At most three requests; at steady load one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use futures::future::BoxFuture;

use super::gcra::{self, Rate, Take};
use super::store::Buckets;
use crate::aws_sdk::OnFirstUse;
use crate::model::OrgId;
use crate::store::dynamo::unavailable;
use crate::store::StoreError;

pub const LIMIT_ITEM: &str = "LIMIT";
/// A bucket item outlives its last use by a day, then TTL removes it.
const ITEM_TTL_SECS: u64 = 86_400;

pub fn limit_pk(org: &OrgId) -> String {
    format!("{org}#LIMIT")
}

pub struct DynamoBuckets {
    client: OnFirstUse<Client>,
    table: String,
    /// The `tat` each tenant's bucket had at the last answer: which update to try first.
    last: Mutex<HashMap<String, u64>>,
    requests: AtomicU64,
}

/// One conditional update and what came of it.
enum Attempt {
    Done(u64),
    /// The condition failed; the item's `tat` then (`None`: no item).
    Stale(Option<u64>),
}

impl DynamoBuckets {
    pub fn new(client: impl Into<OnFirstUse<Client>>, table: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            table: table.into(),
            last: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
        }
    }

    async fn take_now(
        &self,
        org: &OrgId,
        want: u32,
        rate: Rate,
        now: u64,
    ) -> Result<Take, StoreError> {
        let mut known = self
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(org.as_str())
            .copied();
        for _ in 0..3 {
            let (take, new_tat) = gcra::take(known, now, want, rate);
            let (Take::Granted(n), Some(new_tat)) = (take, new_tat) else {
                return Ok(take);
            };
            let refilled = known.is_none_or(|t| t <= now);
            match self.update(org, refilled, n, new_tat, rate, now).await? {
                Attempt::Done(tat) => {
                    self.remember(org, tat);
                    return Ok(Take::Granted(n));
                }
                Attempt::Stale(tat) => known = tat,
            }
        }
        // Three instances moved the bucket between our reads: treat it as full for a moment.
        Ok(Take::Wait(rate.interval_us))
    }

    async fn update(
        &self,
        org: &OrgId,
        refilled: bool,
        n: u32,
        new_tat: u64,
        rate: Rate,
        now: u64,
    ) -> Result<Attempt, StoreError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let num = |v: u64| AttributeValue::N(v.to_string());
        let expires = now / 1_000_000 + ITEM_TTL_SECS;
        let request = self
            .client
            .get()
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(limit_pk(org)))
            .key("sk", AttributeValue::S(LIMIT_ITEM.to_owned()))
            .expression_attribute_values(":now", num(now))
            .expression_attribute_values(":exp", num(expires))
            .expression_attribute_values(":type", AttributeValue::S(LIMIT_ITEM.to_owned()))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let request = if refilled {
            request
                .update_expression("SET tat = :tat, expiresAt = :exp, itemType = :type")
                .condition_expression("attribute_not_exists(tat) OR tat <= :now")
                .expression_attribute_values(":tat", num(new_tat))
        } else {
            let step = u64::from(n) * rate.interval_us;
            let highest = (now + rate.tolerance_us).saturating_sub(step);
            request
                .update_expression("SET tat = tat + :step, expiresAt = :exp, itemType = :type")
                .condition_expression("tat > :now AND tat <= :highest")
                .expression_attribute_values(":step", num(step))
                .expression_attribute_values(":highest", num(highest))
        };
        match request.send().await {
            Ok(out) => Ok(Attempt::Done(
                out.attributes()
                    .and_then(tat_of)
                    .unwrap_or(new_tat),
            )),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    Ok(Attempt::Stale(failed.item().and_then(tat_of)))
                }
                _ => Err(unavailable("UpdateItem", e)),
            },
        }
    }

    fn remember(&self, org: &OrgId, tat: u64) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.len() >= 10_000 {
            last.clear();
        }
        last.insert(org.as_str().to_owned(), tat);
    }
}

fn tat_of(item: &HashMap<String, AttributeValue>) -> Option<u64> {
    item.get("tat")?.as_n().ok()?.parse().ok()
}

impl Buckets for DynamoBuckets {
    fn take<'a>(
        &'a self,
        org: &'a OrgId,
        want: u32,
        rate: Rate,
        now_us: u64,
    ) -> BoxFuture<'a, Result<Take, StoreError>> {
        Box::pin(self.take_now(org, want, rate, now_us))
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
