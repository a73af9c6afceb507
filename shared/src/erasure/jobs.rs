//! Erasure jobs (CONTRACT §8) of a participant or of a whole tenant (offboarding): the job
//! record, its port ([`ErasureJobs`]) and its DynamoDB and memory adapters, and [`advance`],
//! which moves a job on by one bounded slice.
//!
//! | item | pk | sk | |
//! |---|---|---|---|
//! | erasure job | `{org}#ERASURE#{erasureId}` | `JOB` | `kind`, `participantHash`, `status`, `conversations`, `items`, `held`, `cursor`, `notBefore`, `version` |
//!
//! A participant job walks the participant's index (`super::index`) and holds its hash, never
//! the participant. A tenant job walks the org's index of conversation heads (`byTenant`, see
//! `crate::store::items`), from `notBefore` on: by then no function still accepts the tenant's
//! tokens from its cache, so no new conversation can appear behind the walk. Jobs are driven by
//! the admin API itself: the call that starts one and every `GET` of its status each process
//! conversations for at most [`SLICE`] (at least one), saving the job after each conversation; an
//! interrupted slice is carried on by the next call.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::index::{participant_hash, participant_pk, PARTICIPANT_ITEM};
use crate::model::{ConversationKey, OrgId};
use crate::store::analysis::HEAD_SK;
use crate::store::codec::{attributes, decode};
use crate::store::dynamo::{condition_failed, unavailable, DynamoStore};
use crate::store::items::{conversation_pk, TENANT_INDEX, TENANT_KEY};
use crate::store::memory::MemoryStore;
use crate::store::StoreError;

pub const JOB_ITEM: &str = "ERASURE_JOB";
/// A participant's erasure.
pub const PARTICIPANT_JOB: &str = "participant";
/// A tenant's offboarding.
pub const TENANT_JOB: &str = "tenant";
/// How long one invocation works on a job: well within the admin function's 10 s timeout.
pub const SLICE: Duration = Duration::from_secs(5);
/// Index entries read per Query.
const PAGE: i32 = 25;
/// How long a finished job's record is kept (its audit items stay with the tenant's).
const JOB_TTL_SECS: u64 = 30 * 86_400;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub pk: String,
    pub sk: String,
    pub item_type: String,
    pub erasure_id: String,
    pub org_id: String,
    /// [`PARTICIPANT_JOB`] or [`TENANT_JOB`].
    #[serde(default = "participant_kind")]
    pub kind: String,
    /// The participant's index hash (a participant job).
    #[serde(default)]
    pub participant_hash: String,
    /// Unix seconds before which the job does nothing (a tenant job: the cache bound).
    #[serde(default)]
    pub not_before: u64,
    /// `running` or `done`.
    pub status: String,
    pub conversations: u64,
    pub items: u64,
    /// Conversations left alone: under legal hold.
    pub held: u64,
    /// The last conversation key dealt with (index entries sort by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    pub version: u64,
    pub by: String,
    pub created_at: u64,
    pub expires_at: u64,
}

fn participant_kind() -> String {
    PARTICIPANT_JOB.into()
}

pub fn job_pk(org: &OrgId, id: &str) -> String {
    format!("{org}#ERASURE#{id}")
}

impl Job {
    /// The erasure of everything `participant` took part in.
    pub fn new(org: &OrgId, participant: &str, by: &str, now: u64) -> Self {
        Self::of_kind(
            org,
            PARTICIPANT_JOB,
            participant_hash(participant),
            by,
            now,
            now,
        )
    }

    /// The erasure of all of the org's conversations, from `not_before` (unix seconds) on.
    pub fn offboarding(org: &OrgId, by: &str, now: u64, not_before: u64) -> Self {
        Self::of_kind(org, TENANT_JOB, String::new(), by, now, not_before)
    }

    fn of_kind(
        org: &OrgId,
        kind: &str,
        participant_hash: String,
        by: &str,
        now: u64,
        not_before: u64,
    ) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            pk: job_pk(org, &id),
            sk: "JOB".into(),
            item_type: JOB_ITEM.into(),
            erasure_id: id,
            org_id: org.to_string(),
            kind: kind.to_owned(),
            participant_hash,
            not_before,
            status: "running".into(),
            conversations: 0,
            items: 0,
            held: 0,
            cursor: None,
            version: 0,
            by: by.to_owned(),
            created_at: now,
            expires_at: now + JOB_TTL_SECS,
        }
    }

    pub fn is_done(&self) -> bool {
        self.status == "done"
    }

    pub fn is_offboarding(&self) -> bool {
        self.kind == TENANT_JOB
    }
}

/// Where jobs are kept, and the participant index they walk.
pub trait ErasureJobs: Send + Sync {
    fn job(
        &self,
        org: &OrgId,
        id: &str,
    ) -> impl Future<Output = Result<Option<Job>, StoreError>> + Send;

    /// Writes `job` if the stored one still has `expected` as its version (`None`: a new job).
    /// `Ok(false)`: another call moved it on meanwhile.
    fn save_job(
        &self,
        job: &Job,
        expected: Option<u64>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Up to a page of the conversation keys the participant's index names after `after`, and
    /// whether more follow.
    fn participant_conversations(
        &self,
        org: &OrgId,
        hash: &str,
        after: Option<&str>,
    ) -> impl Future<Output = Result<(Vec<String>, bool), StoreError>> + Send;

    /// Up to a page of the org's conversation keys after `after` (in the index's order), and
    /// whether more follow.
    fn tenant_conversations(
        &self,
        org: &OrgId,
        after: Option<&str>,
    ) -> impl Future<Output = Result<(Vec<String>, bool), StoreError>> + Send;
}

/// One step of a job's work, for its caller to publish and audit (the erasure of one
/// conversation is [`super::admin`]'s, shared with the single-conversation route).
pub enum Step {
    Erased(u64),
    Held,
    Gone,
}

/// Moves `job` on for at most `slice` (at least one conversation), erasing each conversation
/// with `erase_one`; saves after each one. Stops early on a failure (the next call resumes).
/// Before the job's `not_before` (`now`, unix seconds) it does nothing.
pub async fn advance<J, F, Fut>(
    jobs: &J,
    mut job: Job,
    slice: Duration,
    now: u64,
    mut erase_one: F,
) -> Result<Job, StoreError>
where
    J: ErasureJobs,
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<Step, StoreError>>,
{
    let started = Instant::now();
    let org = OrgId::new(job.org_id.clone());
    if now < job.not_before {
        return Ok(job);
    }
    while !job.is_done() {
        let cursor = job.cursor.as_deref();
        let (page, more) = if job.is_offboarding() {
            jobs.tenant_conversations(&org, cursor).await?
        } else {
            jobs.participant_conversations(&org, &job.participant_hash, cursor)
                .await?
        };
        for conversation in &page {
            if started.elapsed() > slice {
                return Ok(job);
            }
            match erase_one(conversation.clone()).await? {
                Step::Erased(items) => {
                    job.conversations += 1;
                    job.items += items;
                }
                Step::Held => job.held += 1,
                Step::Gone => {}
            }
            job.cursor = Some(conversation.clone());
            if !save(jobs, &mut job).await? {
                return reload(jobs, &org, job).await;
            }
        }
        if !more {
            job.status = "done".into();
            if !save(jobs, &mut job).await? {
                return reload(jobs, &org, job).await;
            }
        }
    }
    Ok(job)
}

async fn save<J: ErasureJobs>(jobs: &J, job: &mut Job) -> Result<bool, StoreError> {
    let expected = job.version;
    job.version += 1;
    jobs.save_job(job, Some(expected)).await
}

/// Another call moved the job on: its record is the truth.
async fn reload<J: ErasureJobs>(jobs: &J, org: &OrgId, job: Job) -> Result<Job, StoreError> {
    Ok(jobs.job(org, &job.erasure_id).await?.unwrap_or(job))
}

impl ErasureJobs for DynamoStore {
    async fn job(&self, org: &OrgId, id: &str) -> Result<Option<Job>, StoreError> {
        let output = self
            .client()
            .get_item()
            .table_name(self.table())
            .key("pk", AttributeValue::S(job_pk(org, id)))
            .key("sk", AttributeValue::S("JOB".into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem", e))?;
        output.item.map(decode).transpose()
    }

    async fn save_job(&self, job: &Job, expected: Option<u64>) -> Result<bool, StoreError> {
        let put = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(attributes(job)?));
        let put = match expected {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(v) => put
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(unavailable("PutItem", e)),
        }
    }

    /// One Query of the participant's index partition: never a Scan.
    async fn participant_conversations(
        &self,
        org: &OrgId,
        hash: &str,
        after: Option<&str>,
    ) -> Result<(Vec<String>, bool), StoreError> {
        let query = self
            .partition_query(participant_pk(org, hash))
            .limit(PAGE)
            .consistent_read(true);
        let query = match after {
            Some(after) => query
                .key_condition_expression("pk = :pk AND sk > :after")
                .expression_attribute_values(":after", AttributeValue::S(after.to_owned())),
            None => query.key_condition_expression("pk = :pk"),
        };
        let output = query.send().await.map_err(|e| unavailable("Query", e))?;
        let more = output.last_evaluated_key().is_some();
        let keys = output
            .items()
            .iter()
            .filter(|i| matches!(i.get("itemType"), Some(AttributeValue::S(t)) if t == PARTICIPANT_ITEM))
            .filter_map(|i| match i.get("sk") {
                Some(AttributeValue::S(sk)) => Some(sk.clone()),
                _ => None,
            })
            .collect();
        Ok((keys, more))
    }

    /// One Query of the keys-only index `byTenant`: never a Scan. (An index is read eventually
    /// consistently; a tenant job starts after every write of the tenant's has settled.)
    async fn tenant_conversations(
        &self,
        org: &OrgId,
        after: Option<&str>,
    ) -> Result<(Vec<String>, bool), StoreError> {
        let query = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(TENANT_INDEX)
            .key_condition_expression("#t = :org")
            .expression_attribute_names("#t", TENANT_KEY)
            .expression_attribute_values(":org", AttributeValue::S(org.to_string()))
            .limit(PAGE);
        let query = match after {
            Some(after) => {
                let pk = conversation_pk(org, &ConversationKey::stored(after.to_owned()));
                query
                    .exclusive_start_key(TENANT_KEY, AttributeValue::S(org.to_string()))
                    .exclusive_start_key("pk", AttributeValue::S(pk))
                    .exclusive_start_key("sk", AttributeValue::S(HEAD_SK.into()))
            }
            None => query,
        };
        let output = query.send().await.map_err(|e| unavailable("Query", e))?;
        let more = output.last_evaluated_key().is_some();
        let prefix = format!("{org}#CONV#");
        let keys = output
            .items()
            .iter()
            .filter_map(|i| match i.get("pk") {
                Some(AttributeValue::S(pk)) => pk.strip_prefix(&prefix).map(str::to_owned),
                _ => None,
            })
            .collect();
        Ok((keys, more))
    }
}

impl ErasureJobs for MemoryStore {
    async fn job(&self, org: &OrgId, id: &str) -> Result<Option<Job>, StoreError> {
        let stored = self.with(|t| t.jobs.get(&job_pk(org, id)).cloned());
        Ok(stored.and_then(|j| serde_json::from_value(j).ok()))
    }

    async fn save_job(&self, job: &Job, expected: Option<u64>) -> Result<bool, StoreError> {
        let value = serde_json::to_value(job).map_err(|_| StoreError::Unavailable)?;
        Ok(self.with(|t| {
            let current = t.jobs.get(&job.pk).and_then(|j| j["version"].as_u64());
            if current != expected {
                return false;
            }
            t.jobs.insert(job.pk.clone(), value);
            true
        }))
    }

    /// The memory store indexes transcript speakers only (it keeps no voice call records'
    /// numbers).
    async fn participant_conversations(
        &self,
        org: &OrgId,
        hash: &str,
        after: Option<&str>,
    ) -> Result<(Vec<String>, bool), StoreError> {
        let prefix = format!("{org}#CONV#");
        Ok(self.with(|t| {
            let mut keys: Vec<String> = t
                .messages
                .values()
                .filter(|m| participant_hash(&m.participant_id) == hash)
                .filter_map(|m| m.pk.strip_prefix(&prefix).map(str::to_owned))
                .filter(|k| after.is_none_or(|a| k.as_str() > a))
                .collect();
            keys.sort();
            keys.dedup();
            (keys, false)
        }))
    }

    /// Every conversation with a transcript entry, a signal or a post-call sentiment.
    async fn tenant_conversations(
        &self,
        org: &OrgId,
        after: Option<&str>,
    ) -> Result<(Vec<String>, bool), StoreError> {
        let prefix = format!("{org}#CONV#");
        Ok(self.with(|t| {
            let partitions = t
                .messages
                .keys()
                .chain(t.signals.keys())
                .chain(t.post_call.keys())
                .map(|(pk, _)| pk);
            let mut keys: Vec<String> = partitions
                .filter_map(|pk| pk.strip_prefix(&prefix).map(str::to_owned))
                .filter(|k| after.is_none_or(|a| k.as_str() > a))
                .collect();
            keys.sort();
            keys.dedup();
            (keys, false)
        }))
    }
}
