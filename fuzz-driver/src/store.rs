//! The in-memory store, wrapped so that every item a write would put in DynamoDB is first mapped
//! with `serde_dynamo` exactly as `store/dynamo.rs` maps it and checked against DynamoDB's
//! limits ([`crate::limits`]). It also answers the read side from what it was given, so the
//! action runs on what the telephony handlers accepted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use shared::model::{ConversationKey, OrgId, VendorCallKey, VoiceCallId};
use shared::store::items::{
    conversation_pk, token_pk, MessageItem, PostCallItem, SignalItem, TokenIdItem, VoiceCallItems,
    TOKEN_ITEM,
};
use shared::store::memory::MemoryStore;
use shared::store::updates::update_attributes;
use shared::store::{
    ConversationReader, ConversationRecord, Created, Leg, LegUpdate, MessageBatch, NewLeg,
    PostCallBatch, ReplayGuard, RoutingBatch, RoutingItem, SignalBatch, StoreError, TelephonyStore,
    Watched,
};

use crate::limits::{self, Item};

#[derive(Default)]
struct Seen {
    /// Items that break a DynamoDB limit: what, and why.
    violations: Vec<String>,
    /// A bounded sample of accepted items, to write to a real DynamoDB-compatible server.
    sample: Vec<Item>,
    records: HashMap<(String, String), ConversationRecord>,
    keys: HashMap<(String, String), ConversationKey>,
}

/// Cheap to clone: the telephony app and the action share one.
#[derive(Clone)]
pub struct CheckingStore(Arc<Shared>);

pub struct Shared {
    inner: MemoryStore,
    seen: Mutex<Seen>,
    sample_size: usize,
}

impl std::ops::Deref for CheckingStore {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl CheckingStore {
    pub fn new(sample_size: usize) -> Self {
        Self(Arc::new(Shared {
            inner: MemoryStore::new(90),
            seen: Mutex::new(Seen::default()),
            sample_size,
        }))
    }
}

impl Shared {
    /// Items refused by DynamoDB's limits since the last call.
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut self.seen.lock().expect("lock").violations)
    }

    pub fn sample(&self) -> Vec<Item> {
        self.seen.lock().expect("lock").sample.clone()
    }

    fn check<T: Serialize>(&self, what: &str, item: &T) {
        let mut seen = self.seen.lock().expect("lock");
        match serde_dynamo::aws_sdk_dynamodb_1::to_item::<_>(item).map(|i: Item| i) {
            Err(e) => seen.violations.push(format!("{what}: serde_dynamo: {e}")),
            Ok(item) => match limits::check(&item) {
                Err(why) => seen.violations.push(format!("{what}: {why}")),
                Ok(()) if seen.sample.len() < self.sample_size => seen.sample.push(item),
                Ok(()) => {}
            },
        }
    }

    fn record(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
        f: impl FnOnce(&mut ConversationRecord),
    ) {
        let mut seen = self.seen.lock().expect("lock");
        let key = (org.as_str().to_owned(), conversation.as_str().to_owned());
        f(seen.records.entry(key).or_default());
    }

    fn name(&self, org: &OrgId, id: &str, conversation: &ConversationKey) {
        let key = (org.as_str().to_owned(), id.to_owned());
        self.seen
            .lock()
            .expect("lock")
            .keys
            .insert(key, conversation.clone());
    }
}

impl TelephonyStore for CheckingStore {
    async fn put_signals(&self, batch: SignalBatch<'_>) -> Result<Watched, StoreError> {
        let pk = conversation_pk(batch.org, batch.conversation);
        for event in &batch.events {
            let item = SignalItem::new(&batch, &pk, event.clone(), batch.received_at);
            self.check("signal", &item);
            self.record(batch.org, batch.conversation, |r| r.signals.push(item));
        }
        self.name(
            batch.org,
            batch.vendor_call_key.as_str(),
            batch.conversation,
        );
        self.inner.put_signals(batch).await
    }

    async fn put_messages(&self, batches: &[MessageBatch<'_>]) -> Result<Vec<Watched>, StoreError> {
        for batch in batches {
            for message in batch.messages {
                let item = MessageItem::new(batch, message, batch.received_at);
                self.check("message", &item);
                self.record(batch.org, batch.conversation, |r| r.messages.push(item));
            }
            self.name(
                batch.org,
                batch.vendor_call_key.as_str(),
                batch.conversation,
            );
        }
        self.inner.put_messages(batches).await
    }

    async fn put_post_call(&self, batch: PostCallBatch<'_>) -> Result<(), StoreError> {
        for event in batch.events {
            let item = PostCallItem::new(&batch, event, batch.received_at);
            self.check("post-call", &item);
            self.record(batch.org, batch.conversation, |r| r.post_call.push(item));
        }
        self.name(
            batch.org,
            batch.vendor_call_key.as_str(),
            batch.conversation,
        );
        self.inner.put_post_call(batch).await
    }

    async fn voice_call(&self, org: &OrgId, id: &VoiceCallId) -> Result<Option<Leg>, StoreError> {
        self.inner.voice_call(org, id).await
    }

    async fn leg_of(&self, org: &OrgId, key: &VendorCallKey) -> Result<Option<Leg>, StoreError> {
        self.inner.leg_of(org, key).await
    }

    async fn create_voice_call(&self, new: NewLeg<'_>) -> Result<Created, StoreError> {
        let items = VoiceCallItems::new(&new, new.now);
        self.check("voice call", &items.record);
        self.check("vendor key", &items.vendor_key);
        self.check("leg", &items.leg);
        let created = self.inner.create_voice_call(new).await?;
        if created == Created::New {
            self.record(new.org, new.conversation, |r| r.legs.push(items.leg));
            self.name(new.org, new.id.as_str(), new.conversation);
            self.name(new.org, new.call.vendor_call_key.as_str(), new.conversation);
        }
        Ok(created)
    }

    async fn update_voice_call(&self, update: LegUpdate<'_>) -> Result<bool, StoreError> {
        // The attributes the update sets, with the record's keys, as DynamoDB would hold them.
        let mut attributes = update_attributes(update.update);
        attributes.insert("pk".into(), update.leg.voice_call_id.as_str().into());
        attributes.insert("sk".into(), "VC".into());
        self.check("call update", &attributes);
        self.inner.update_voice_call(update).await
    }

    async fn put_routing(&self, batch: RoutingBatch<'_>, identity: &str) -> Result<(), StoreError> {
        let item = RoutingItem::new(&batch, identity, batch.received_at);
        self.check("routing request", &item);
        self.record(batch.org, batch.conversation, |r| r.routing.push(item));
        self.inner.put_routing(batch, identity).await
    }
}

impl ReplayGuard for CheckingStore {
    async fn claim_token_id(
        &self,
        org: &OrgId,
        jti: &str,
        expires_at: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        let item = TokenIdItem {
            pk: token_pk(org, jti),
            sk: TOKEN_ITEM.to_owned(),
            item_type: TOKEN_ITEM.to_owned(),
            expires_at,
        };
        self.check("token id", &item);
        self.inner.claim_token_id(org, jti, expires_at, now).await
    }

    async fn release_token_id(&self, org: &OrgId, jti: &str) -> Result<(), StoreError> {
        self.inner.release_token_id(org, jti).await
    }
}

impl ConversationReader for CheckingStore {
    async fn find_conversation(
        &self,
        org: &OrgId,
        record_id: &str,
    ) -> Result<Option<ConversationKey>, StoreError> {
        let key = (org.as_str().to_owned(), record_id.to_owned());
        Ok(self.seen.lock().expect("lock").keys.get(&key).cloned())
    }

    async fn read_conversation(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<ConversationRecord, StoreError> {
        let key = (org.as_str().to_owned(), conversation.as_str().to_owned());
        let mut record = self
            .seen
            .lock()
            .expect("lock")
            .records
            .get(&key)
            .cloned()
            .unwrap_or_default();
        record.sort();
        Ok(record)
    }
}
