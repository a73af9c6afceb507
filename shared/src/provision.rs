//! Creating the table and the bus where they are missing: for the local server and the tests.
//! In AWS, `template.yaml` creates both.

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};

use crate::store::items::{TENANT_INDEX, TENANT_KEY, TIME_INDEX, TIME_KEY};

/// The table's TTL attribute (unix seconds).
pub const TTL_ATTRIBUTE: &str = "expiresAt";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProvisionError(String);

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("complete")
}

/// The org's conversations, by their heads' `tenantIndex` (keys only: see `store::items`).
fn tenant_index() -> GlobalSecondaryIndex {
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("complete")
    };
    GlobalSecondaryIndex::builder()
        .index_name(TENANT_INDEX)
        .key_schema(key(TENANT_KEY, KeyType::Hash))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::KeysOnly)
                .build(),
        )
        .build()
        .expect("complete")
}

/// The table's stream, read by the post-call analysis (the images carry the head's `ended`).
fn stream() -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewImage)
        .build()
        .expect("complete")
}

/// Creates the single table (`pk`/`sk`, on-demand, TTL on `expiresAt`, local index `byTime` on
/// `timeKey`, the global index `byTenant`, a `NEW_IMAGE` stream) unless it exists; adds the
/// stream and the index to an existing table made before it had them.
pub async fn ensure_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), ProvisionError> {
    if let Ok(existing) = client.describe_table().table_name(name).send().await {
        let table = existing.table;
        let indexed = table.as_ref().is_some_and(|t| {
            t.global_secondary_indexes()
                .iter()
                .any(|i| i.index_name() == Some(TENANT_INDEX))
        });
        let streaming = table
            .and_then(|t| t.stream_specification)
            .is_some_and(|s| s.stream_enabled);
        if !indexed {
            // A table made before offboarding had its index: the index added (AWS backfills it).
            client
                .update_table()
                .table_name(name)
                .attribute_definitions(string_attribute(TENANT_KEY))
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .create(
                            CreateGlobalSecondaryIndexAction::builder()
                                .index_name(TENANT_INDEX)
                                .set_key_schema(Some(tenant_index().key_schema))
                                .set_projection(tenant_index().projection)
                                .build()
                                .expect("complete"),
                        )
                        .build(),
                )
                .send()
                .await
                .map_err(|e| {
                    ProvisionError(format!("UpdateTable {name}: {}", DisplayErrorContext(&e)))
                })?;
        }
        if !streaming {
            client
                .update_table()
                .table_name(name)
                .stream_specification(stream())
                .send()
                .await
                .map_err(|e| {
                    ProvisionError(format!("UpdateTable {name}: {}", DisplayErrorContext(&e)))
                })?;
        }
        return Ok(());
    }
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("complete")
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("complete")
    };
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(stream())
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .attribute_definitions(attr(TIME_KEY))
        .attribute_definitions(attr(TENANT_KEY))
        .global_secondary_indexes(tenant_index())
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name(TIME_INDEX)
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key(TIME_KEY, KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .expect("complete"),
        )
        .send()
        .await
        .map_err(|e| ProvisionError(format!("CreateTable {name}: {}", DisplayErrorContext(&e))))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .expect("complete"),
        )
        .send()
        .await
        .map_err(|e| {
            ProvisionError(format!(
                "UpdateTimeToLive {name}: {}",
                DisplayErrorContext(&e)
            ))
        })?;
    Ok(())
}

/// Creates the tenants table unless it exists: `pk`/`sk`, on-demand, and the keys-only global
/// index `roster` (hash `roster`, range `orgId`) of [`crate::tenants::dynamo`].
pub async fn ensure_tenants_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), ProvisionError> {
    use crate::tenants::dynamo::{ROSTER_ATTRIBUTE, ROSTER_INDEX};
    if client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("complete")
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("complete")
    };
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .attribute_definitions(attr(ROSTER_ATTRIBUTE))
        .attribute_definitions(attr("orgId"))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(ROSTER_INDEX)
                .key_schema(key(ROSTER_ATTRIBUTE, KeyType::Hash))
                .key_schema(key("orgId", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .expect("complete"),
        )
        .send()
        .await
        .map_err(|e| ProvisionError(format!("CreateTable {name}: {}", DisplayErrorContext(&e))))?;
    Ok(())
}

/// Creates the event bus unless it exists.
pub async fn ensure_bus(
    client: &aws_sdk_eventbridge::Client,
    name: &str,
) -> Result<(), ProvisionError> {
    if client.describe_event_bus().name(name).send().await.is_ok() {
        return Ok(());
    }
    client
        .create_event_bus()
        .name(name)
        .send()
        .await
        .map_err(|e| {
            ProvisionError(format!(
                "CreateEventBus {name}: {}",
                aws_sdk_eventbridge::error::DisplayErrorContext(&e)
            ))
        })?;
    Ok(())
}
