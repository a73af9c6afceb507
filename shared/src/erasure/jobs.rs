//! Participant erasure jobs (CONTRACT §8): the job record, its port ([`ErasureJobs`]) and its
//! DynamoDB and memory adapters, and [`advance`], which moves a job on by one bounded slice.
//!
//! | item | pk | sk | |
//! |---|---|---|---|
//! | erasure job | `{org}#ERASURE#{erasureId}` | `JOB` | `participantHash`, `status`, `conversations`, `items`, `held`, `cursor`, `version` |
//!
//! The job holds the participant's index hash, never the participant. It is driven by the
//! admin API itself: the `POST` that starts it and every `GET` of its status each process
//! conversations of the participant's index entries for at most [`SLICE`] (at least one), saving
//! the job after each conversation; an interrupted slice is carried on by the next call.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::index::{participant_hash, participant_pk, PARTICIPANT_ITEM};
use crate::model::OrgId;
use crate::store::dynamo::{attributes, decode, unavailable, DynamoStore};
use crate::store::memory::MemoryStore;
use crate::store::StoreError;

pub const JOB_ITEM: &str = "ERASURE_JOB";
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
    pub participant_hash: String,
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

pub fn job_pk(org: &OrgId, id: &str) -> String {
    format!("{org}#ERASURE#{id}")
}

impl Job {
    pub fn new(org: &OrgId, participant: &str, by: &str, now: u64) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            pk: job_pk(org, &id),
            sk: "JOB".into(),
            item_type: JOB_ITEM.into(),
            erasure_id: id,
            org_id: org.to_string(),
            participant_hash: participant_hash(participant),
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
pub async fn advance<J, F, Fut>(
    jobs: &J,
    mut job: Job,
    slice: Duration,
    mut erase_one: F,
) -> Result<Job, StoreError>
where
    J: ErasureJobs,
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<Step, StoreError>>,
{
    let started = Instant::now();
    let org = OrgId::new(job.org_id.clone());
    while !job.is_done() {
        let (page, more) = jobs
            .participant_conversations(&org, &job.participant_hash, job.cursor.as_deref())
            .await?;
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
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
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
            .client()
            .query()
            .table_name(self.table())
            .expression_attribute_values(":pk", AttributeValue::S(participant_pk(org, hash)))
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
}
