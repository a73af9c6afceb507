//! The subscriptions port: which connections watch which conversation, and which connections
//! have not subscribed yet (closed after [`IDLE_SECS`]).

use std::future::Future;

use crate::model::{ConversationKey, OrgId};
use crate::store::StoreError;

/// A connection that has not subscribed within this many seconds is closed (CONTRACT §6).
pub const IDLE_SECS: u64 = 30;

/// How long a subscription record outlives its creation before DynamoDB's TTL may collect it:
/// API Gateway closes a WebSocket after 2 hours at most; an hour more for the sweep's slack.
/// Gone connections are removed as soon as they are noticed; the TTL only collects leftovers.
pub const SUBSCRIPTION_TTL_SECS: u64 = 3 * 3600;

/// One subscription of a connection, as the connection's index records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription<'a> {
    pub org: &'a OrgId,
    pub conversation: &'a ConversationKey,
    /// The id the client named (a voiceCallId or vendorCallKey): what it unsubscribes with.
    pub record_id: &'a str,
    pub connection: &'a str,
    /// Unix seconds.
    pub now: u64,
}

pub trait Subscriptions: Send + Sync {
    /// A connection opened (API Gateway's `$connect`): remembered as idle until it subscribes.
    fn connected(
        &self,
        connection: &str,
        now: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn subscribe(
        &self,
        subscription: Subscription<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stops the subscription the connection made with `record_id`; nothing when it made none.
    fn unsubscribe(
        &self,
        connection: &str,
        record_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The connections subscribed to a conversation: one Query.
    fn subscribers(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Drops every subscription to a conversation (it was erased).
    fn drop_conversation(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Forgets everything about a connection (closed, or found gone).
    fn disconnected(&self, connection: &str)
        -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Connections opened before `opened_before` (unix seconds) that never subscribed.
    fn idle_connections(
        &self,
        opened_before: u64,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
}
