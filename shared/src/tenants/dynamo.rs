//! The DynamoDB adapter of the tenant ports: the tenants table (docs/operations.md, "Tenants").
//!
//! | item | `pk` | `sk` | holds |
//! |---|---|---|---|
//! | tenant record | `T#{orgId}` | `tenant` | the record; `roster` = `tenants` puts it in the roster index |
//! | Connect instance | `I#{instanceId}` | `connect` | `owner`: the org it belongs to |
//! | audit | `A#{orgId}` | `{millis}#{uuid}` | `at`, `by`, `change`, `detail` |
//!
//! The keys-only index `roster` (hash `roster`, range `orgId`) lists every org id in order: the
//! cache's roster is one `Query` of it, the admin list a page of it and one `BatchGetItem`.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, Select, TransactWriteItem,
};
use aws_sdk_dynamodb::Client;
use futures::future::BoxFuture;
use futures::FutureExt;

use super::record::TenantRecord;
use super::store::{
    AuditEntry, AuditLog, SaveError, TenantAdminStore, TenantChange, TenantPage, TenantSource,
};
use crate::aws_sdk::OnFirstUse;
use crate::store::codec::{attributes, decode};
use crate::store::dynamo::unavailable;
use crate::store::StoreError;

pub const ROSTER_INDEX: &str = "roster";
pub const ROSTER_ATTRIBUTE: &str = "roster";
const ROSTER_VALUE: &str = "tenants";
const RECORD_SK: &str = "tenant";
const INSTANCE_SK: &str = "connect";
/// `BatchGetItem` takes at most 100 keys.
const BATCH_GET_LIMIT: usize = 100;

#[derive(Debug, Clone)]
pub struct DynamoTenants {
    client: OnFirstUse<Client>,
    table: String,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn record_key(org: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), s(format!("T#{org}"))),
        ("sk".to_owned(), s(RECORD_SK)),
    ])
}

fn instance_key(id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), s(format!("I#{id}"))),
        ("sk".to_owned(), s(INSTANCE_SK)),
    ])
}

impl DynamoTenants {
    pub fn new(client: impl Into<OnFirstUse<Client>>, table: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn client(&self) -> &Client {
        self.client.get()
    }

    async fn get_record(&self, org: &str) -> Result<Option<TenantRecord>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(&self.table)
            .set_key(Some(record_key(org)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("GetItem tenant", e))?;
        out.item.map(decode).transpose()
    }

    async fn get_owner(&self, id: &str) -> Result<Option<String>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(&self.table)
            .set_key(Some(instance_key(id)))
            .send()
            .await
            .map_err(|e| unavailable("GetItem instance", e))?;
        Ok(out
            .item
            .and_then(|mut item| item.remove("owner"))
            .and_then(|v| v.as_s().ok().cloned()))
    }

    /// Org ids of the roster after `after`, up to `limit` (all when `None`), and whether more
    /// follow.
    async fn roster_page(
        &self,
        limit: Option<usize>,
        after: Option<&str>,
    ) -> Result<(Vec<String>, bool), StoreError> {
        let mut orgs = Vec::new();
        let mut start = after.map(|org| {
            let mut key = record_key(org);
            key.insert(ROSTER_ATTRIBUTE.to_owned(), s(ROSTER_VALUE));
            key.insert("orgId".to_owned(), s(org));
            key
        });
        loop {
            let wanted = limit.map(|l| l - orgs.len());
            let out = self
                .client()
                .query()
                .table_name(&self.table)
                .index_name(ROSTER_INDEX)
                .key_condition_expression("#r = :r")
                .expression_attribute_names("#r", ROSTER_ATTRIBUTE)
                .expression_attribute_values(":r", s(ROSTER_VALUE))
                .projection_expression("orgId")
                .set_limit(wanted.map(|w| w.min(10_000) as i32))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("Query roster", e))?;
            orgs.extend(
                out.items()
                    .iter()
                    .filter_map(|item| item.get("orgId")?.as_s().ok().cloned()),
            );
            let more = out.last_evaluated_key.is_some();
            match out.last_evaluated_key {
                Some(key) if limit.is_none_or(|l| orgs.len() < l) => start = Some(key),
                _ => return Ok((orgs, more)),
            }
        }
    }

    async fn batch_records(&self, orgs: &[String]) -> Result<Vec<TenantRecord>, StoreError> {
        let mut records: Vec<TenantRecord> = Vec::with_capacity(orgs.len());
        for chunk in orgs.chunks(BATCH_GET_LIMIT) {
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.iter().map(|o| record_key(o)).collect()))
                    .consistent_read(true)
                    .build()
                    .expect("keys are set"),
            );
            let mut attempts = 0;
            while let Some(keys) = request.take() {
                attempts += 1;
                let out = self
                    .client()
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .map_err(|e| unavailable("BatchGetItem tenants", e))?;
                if let Some(mut found) = out.responses {
                    for item in found.remove(&self.table).unwrap_or_default() {
                        records.push(decode(item)?);
                    }
                }
                request = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys.is_empty());
                if request.is_some() {
                    if attempts >= 8 {
                        tracing::error!("BatchGetItem tenants: keys left unprocessed");
                        return Err(StoreError::Unavailable);
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempts)).await;
                }
            }
        }
        records.sort_by(|a, b| a.org_id.cmp(&b.org_id));
        Ok(records)
    }
}

impl TenantSource for DynamoTenants {
    fn tenant<'a>(
        &'a self,
        org: &'a str,
    ) -> BoxFuture<'a, Result<Option<TenantRecord>, StoreError>> {
        self.get_record(org).boxed()
    }

    fn roster(&self) -> BoxFuture<'_, Result<HashSet<String>, StoreError>> {
        async move {
            let (orgs, _) = self.roster_page(None, None).await?;
            Ok(orgs.into_iter().collect())
        }
        .boxed()
    }

    fn instance_owner<'a>(
        &'a self,
        instance_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        self.get_owner(instance_id).boxed()
    }
}

impl AuditLog for DynamoTenants {
    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let put = audit_put(&self.table, entry);
        self.client()
            .put_item()
            .table_name(&self.table)
            .set_item(Some(put.item().clone()))
            .send()
            .await
            .map_err(|e| unavailable("PutItem audit", e))?;
        Ok(())
    }
}

impl TenantAdminStore for DynamoTenants {
    async fn load(&self, org: &str) -> Result<Option<TenantRecord>, StoreError> {
        self.get_record(org).await
    }

    async fn save(&self, change: TenantChange<'_>) -> Result<(), SaveError> {
        let org = change.record.org_id.as_str();
        let mut item = attributes(change.record)?;
        item.extend(record_key(org));
        item.insert(ROSTER_ATTRIBUTE.to_owned(), s(ROSTER_VALUE));
        let mut record = Put::builder().table_name(&self.table).set_item(Some(item));
        record = match change.expected_version {
            None => record.condition_expression("attribute_not_exists(pk)"),
            Some(v) => record
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        let mut items = vec![
            TransactWriteItem::builder()
                .put(record.build().expect("table and item are set"))
                .build(),
            TransactWriteItem::builder()
                .put(audit_put(&self.table, change.audit))
                .build(),
        ];
        for id in &change.instances_added {
            let mut mapping = instance_key(id);
            mapping.insert("owner".to_owned(), s(org));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(mapping))
                .condition_expression("attribute_not_exists(pk) OR #o = :org")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_values(":org", s(org))
                .build()
                .expect("table and item are set");
            items.push(TransactWriteItem::builder().put(put).build());
        }
        for id in &change.instances_removed {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(instance_key(id)))
                .condition_expression("attribute_not_exists(pk) OR #o = :org")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_values(":org", s(org))
                .build()
                .expect("table and key are set");
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        match self
            .client()
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                Err(SaveError::Conflict)
            }
            Err(e) => Err(unavailable("TransactWriteItems tenant", e).into()),
        }
    }

    async fn list(&self, limit: usize, after: Option<&str>) -> Result<TenantPage, StoreError> {
        let (orgs, more) = self.roster_page(Some(limit), after).await?;
        let tenants = self.batch_records(&orgs).await?;
        let next_after = if more { orgs.last().cloned() } else { None };
        Ok(TenantPage {
            tenants,
            next_after,
        })
    }

    async fn instance_owner(&self, instance_id: &str) -> Result<Option<String>, StoreError> {
        self.get_owner(instance_id).await
    }
}

fn audit_put(table: &str, audit: &AuditEntry) -> Put {
    let item = HashMap::from([
        ("pk".to_owned(), s(format!("A#{}", audit.org_id))),
        (
            "sk".to_owned(),
            s(format!(
                "{:013}#{}",
                audit.at_millis,
                uuid::Uuid::new_v4().simple()
            )),
        ),
        ("at".to_owned(), s(crate::clock::rfc3339(audit.at_millis))),
        ("by".to_owned(), s(&audit.by)),
        ("change".to_owned(), s(audit.change)),
        ("detail".to_owned(), s(audit.detail.to_string())),
    ]);
    Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .build()
        .expect("table and item are set")
}

/// Audit items of `org`, oldest first (tests and the operator's tool).
pub async fn audit_of(
    client: &Client,
    table: &str,
    org: &str,
) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
    let out = client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", s(format!("A#{org}")))
        .select(Select::AllAttributes)
        .send()
        .await
        .map_err(|e| unavailable("Query audit", e))?;
    Ok(out.items.unwrap_or_default())
}
