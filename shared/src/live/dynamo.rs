//! The DynamoDB adapter of the subscriptions port, in the service's one table:
//!
//! | item | pk | sk | |
//! |---|---|---|---|
//! | subscription | `{org}#LIVE#{conversationKey}` | `CONN#{connectionId}` | what delivery Queries |
//! | the connection's index of it | `LIVECONN#{connectionId}` | `SUB#{recordId}` | `subPk`: the subscription's pk |
//! | idle marker | `LIVE#IDLE` | `{connectionId}` | `connectedAt`; deleted on the first subscribe |
//!
//! Every item carries `expiresAt` (TTL), which only collects what a lost `$disconnect` left.
//!
//! A subscription also marks the conversation's head [`super::WATCHED`] before it is answered:
//! a write whose head update came before the mark wrote its data before it too, so a console
//! that reads the conversation after `subscribed` sees it; every later write is delivered.

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use serde::{Deserialize, Serialize};

use super::subscriptions::{Subscription, Subscriptions, SUBSCRIPTION_TTL_SECS};
use crate::model::{ConversationKey, OrgId};
use crate::store::codec::{attributes, decode};
use crate::store::dynamo::{condition_failed, put, unavailable, DynamoStore};
use crate::store::StoreError;

pub const SUBSCRIPTION_ITEM: &str = "LIVE_SUBSCRIPTION";
pub const CONNECTION_INDEX_ITEM: &str = "LIVE_CONNECTION_SUBSCRIPTION";
pub const IDLE_ITEM: &str = "LIVE_IDLE";
const IDLE_PK: &str = "LIVE#IDLE";

impl DynamoStore {
    /// `watched` on the conversation's head (which a subscription to a conversation without
    /// data yet creates, expiring like a subscription), unless it is being erased.
    async fn mark_watched(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
        now: u64,
    ) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .key(
                "pk",
                AttributeValue::S(crate::store::items::conversation_pk(org, conversation)),
            )
            .key(
                "sk",
                AttributeValue::S(crate::store::analysis::HEAD_SK.into()),
            )
            .update_expression("SET #w = :yes, expiresAt = if_not_exists(expiresAt, :expires)")
            .condition_expression("attribute_not_exists(erasing)")
            .expression_attribute_names("#w", super::WATCHED)
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(
                ":expires",
                AttributeValue::N((now + SUBSCRIPTION_TTL_SECS).to_string()),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => {
                // Being erased: the subscription follows it out ({"type":"erased"}).
                Ok(())
            }
            Err(e) => Err(unavailable("UpdateItem", e)),
        }
    }
}

pub fn subscription_pk(org: &OrgId, conversation: &ConversationKey) -> String {
    format!("{org}#LIVE#{}", conversation.as_str())
}

fn connection_pk(connection: &str) -> String {
    format!("LIVECONN#{connection}")
}

fn connection_sk(connection: &str) -> String {
    format!("CONN#{connection}")
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionItem {
    pk: String,
    sk: String,
    item_type: String,
    connection_id: String,
    expires_at: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionIndexItem {
    pk: String,
    sk: String,
    item_type: String,
    sub_pk: String,
    expires_at: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdleItem {
    pk: String,
    sk: String,
    item_type: String,
    connected_at: u64,
    expires_at: u64,
}

fn delete(pk: String, sk: String) -> WriteRequest {
    WriteRequest::builder()
        .delete_request(
            DeleteRequest::builder()
                .key("pk", AttributeValue::S(pk))
                .key("sk", AttributeValue::S(sk))
                .build()
                .expect("key is set"),
        )
        .build()
}

impl DynamoStore {
    /// The connection's index items.
    async fn connection_index(
        &self,
        connection: &str,
    ) -> Result<Vec<ConnectionIndexItem>, StoreError> {
        self.query_partition(connection_pk(connection))
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }
}

impl Subscriptions for DynamoStore {
    async fn connected(&self, connection: &str, now: u64) -> Result<(), StoreError> {
        let marker = IdleItem {
            pk: IDLE_PK.into(),
            sk: connection.into(),
            item_type: IDLE_ITEM.into(),
            connected_at: now,
            expires_at: now + SUBSCRIPTION_TTL_SECS,
        };
        self.client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(attributes(marker)?))
            .send()
            .await
            .map_err(|e| unavailable("PutItem", e))?;
        Ok(())
    }

    async fn subscribe(&self, s: Subscription<'_>) -> Result<(), StoreError> {
        let expires_at = s.now + SUBSCRIPTION_TTL_SECS;
        let sub_pk = subscription_pk(s.org, s.conversation);
        let subscription = SubscriptionItem {
            pk: sub_pk.clone(),
            sk: connection_sk(s.connection),
            item_type: SUBSCRIPTION_ITEM.into(),
            connection_id: s.connection.into(),
            expires_at,
        };
        let index = ConnectionIndexItem {
            pk: connection_pk(s.connection),
            sk: format!("SUB#{}", s.record_id),
            item_type: CONNECTION_INDEX_ITEM.into(),
            sub_pk,
            expires_at,
        };
        self.mark_watched(s.org, s.conversation, s.now).await?;
        // One BatchWriteItem: both items, and the connection is no longer idle.
        self.batch_write(vec![
            put(attributes(subscription)?),
            put(attributes(index)?),
            delete(IDLE_PK.into(), s.connection.into()),
        ])
        .await
    }

    async fn unsubscribe(&self, connection: &str, record_id: &str) -> Result<(), StoreError> {
        let index = self.connection_index(connection).await?;
        let sk = format!("SUB#{record_id}");
        let Some(gone) = index.iter().find(|i| i.sk == sk) else {
            return Ok(());
        };
        let mut requests = vec![delete(gone.pk.clone(), gone.sk.clone())];
        // Two ids of one conversation (a voiceCallId and its vendorCallKey) share its
        // subscription: it stays while the other holds it.
        if !index.iter().any(|i| i.sk != sk && i.sub_pk == gone.sub_pk) {
            requests.push(delete(gone.sub_pk.clone(), connection_sk(connection)));
        }
        self.batch_write(requests).await
    }

    async fn subscribers(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<Vec<String>, StoreError> {
        let items = self
            .query_partition(subscription_pk(org, conversation))
            .await?;
        items
            .into_iter()
            .map(|i| decode::<SubscriptionItem>(i).map(|s| s.connection_id))
            .collect()
    }

    async fn drop_conversation(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<(), StoreError> {
        let sub_pk = subscription_pk(org, conversation);
        let mut requests = Vec::new();
        for connection in self.subscribers(org, conversation).await? {
            for index in self.connection_index(&connection).await? {
                if index.sub_pk == sub_pk {
                    requests.push(delete(index.pk, index.sk));
                }
            }
            requests.push(delete(sub_pk.clone(), connection_sk(&connection)));
        }
        self.batch_write(requests).await
    }

    async fn disconnected(&self, connection: &str) -> Result<(), StoreError> {
        let index = self.connection_index(connection).await?;
        let mut requests = vec![delete(IDLE_PK.into(), connection.into())];
        let mut subs: Vec<&str> = Vec::new();
        for i in &index {
            requests.push(delete(i.pk.clone(), i.sk.clone()));
            if !subs.contains(&i.sub_pk.as_str()) {
                subs.push(&i.sub_pk);
                requests.push(delete(i.sub_pk.clone(), connection_sk(connection)));
            }
        }
        self.batch_write(requests).await
    }

    async fn idle_connections(&self, opened_before: u64) -> Result<Vec<String>, StoreError> {
        let items = self.query_partition(IDLE_PK.into()).await?;
        Ok(items
            .into_iter()
            .filter_map(|i| decode::<IdleItem>(i).ok())
            .filter(|i| i.connected_at < opened_before)
            .map(|i| i.sk)
            .collect())
    }
}
