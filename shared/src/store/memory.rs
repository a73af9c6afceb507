//! An in-process implementation of the storage ports, for the benchmark and handler unit tests.
//! Every storage behaviour is also tested against a real DynamoDB-compatible server.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use super::items::{
    conversation_pk, token_pk, vendor_key_pk, voice_call_pk, MessageItem, PostCallItem, SignalItem,
    VoiceCallItems,
};
use super::updates::update_attributes;
use super::{
    Created, Leg, LegUpdate, MessageBatch, NewLeg, PostCallBatch, ReplayGuard, RoutingBatch,
    RoutingItem, SignalBatch, StoreError, TelephonyStore, Watched,
};
use crate::model::{OrgId, VendorCallKey, VoiceCallId};

#[derive(Debug, Default)]
pub(crate) struct Tables {
    pub(crate) signals: BTreeMap<(String, String), SignalItem>,
    pub(crate) messages: BTreeMap<(String, String), MessageItem>,
    pub(crate) post_call: BTreeMap<(String, String), PostCallItem>,
    /// Voice call records and vendor keys, by partition key.
    pub(crate) legs: HashMap<String, Leg>,
    /// What call updates set on each voice call record, by its partition key; and when a leg
    /// ended.
    pub(crate) updates: HashMap<String, (serde_json::Map<String, serde_json::Value>, Option<u64>)>,
    pub(crate) routing: BTreeMap<(String, String), RoutingItem>,
    token_ids: HashMap<String, u64>,
    /// Conversation partition keys under legal hold (CONTRACT §8).
    pub(crate) held: std::collections::HashSet<String>,
    /// Participant erasure jobs (`crate::erasure::jobs`), as JSON, by partition key.
    pub(crate) jobs: HashMap<String, serde_json::Value>,
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
    retention_secs: u64,
}

impl MemoryStore {
    pub fn new(retention_days: u32) -> Self {
        Self {
            retention_secs: u64::from(retention_days) * 86_400,
            ..Self::default()
        }
    }

    /// Every stored signal, in key order.
    pub fn signals(&self) -> Vec<SignalItem> {
        self.tables
            .lock()
            .expect("lock")
            .signals
            .values()
            .cloned()
            .collect()
    }

    /// Every stored transcript entry, in key order.
    pub fn messages(&self) -> Vec<MessageItem> {
        self.with(|t| t.messages.values().cloned().collect())
    }

    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Tables) -> T) -> T {
        f(&mut self.tables.lock().expect("lock"))
    }
}

impl TelephonyStore for MemoryStore {
    async fn put_signals(&self, mut batch: SignalBatch<'_>) -> Result<Watched, StoreError> {
        let expires_at = batch.received_at + self.retention_secs;
        let pk = conversation_pk(batch.org, batch.conversation);
        let events = std::mem::take(&mut batch.events);
        self.with(|t| {
            for event in events {
                let item = SignalItem::new(&batch, &pk, event, expires_at);
                t.signals.insert((item.pk.clone(), item.sk.clone()), item);
            }
        });
        // The memory store keeps no live subscriptions: everything is delivered.
        Ok(Watched(true))
    }

    async fn put_messages(&self, batches: &[MessageBatch<'_>]) -> Result<Vec<Watched>, StoreError> {
        self.with(|t| {
            for batch in batches {
                for message in batch.messages {
                    let item =
                        MessageItem::new(batch, message, batch.received_at + self.retention_secs);
                    t.messages.insert((item.pk.clone(), item.sk.clone()), item);
                }
            }
        });
        Ok(vec![Watched(true); batches.len()])
    }

    async fn put_post_call(&self, batch: PostCallBatch<'_>) -> Result<(), StoreError> {
        let expires_at = batch.received_at + self.retention_secs;
        self.with(|t| {
            for event in batch.events {
                let item = PostCallItem::new(&batch, event, expires_at);
                t.post_call.insert((item.pk.clone(), item.sk.clone()), item);
            }
        });
        Ok(())
    }

    async fn voice_call(&self, org: &OrgId, id: &VoiceCallId) -> Result<Option<Leg>, StoreError> {
        Ok(self.with(|t| t.legs.get(&voice_call_pk(org, id)).cloned()))
    }

    async fn leg_of(&self, org: &OrgId, key: &VendorCallKey) -> Result<Option<Leg>, StoreError> {
        Ok(self.with(|t| t.legs.get(&vendor_key_pk(org, key)).cloned()))
    }

    async fn create_voice_call(&self, new: NewLeg<'_>) -> Result<Created, StoreError> {
        let items = VoiceCallItems::new(&new, new.now + self.retention_secs);
        Ok(self.with(|t| {
            if let Some(existing) = t.legs.get(&items.vendor_key.pk) {
                return Created::Existing(existing.clone());
            }
            if t.legs.contains_key(&items.record.pk) {
                return Created::IdTaken;
            }
            let leg = Leg {
                voice_call_id: new.id.clone(),
                vendor_call_key: new.call.vendor_call_key.clone(),
                conversation: new.conversation.clone(),
            };
            t.legs.insert(items.vendor_key.pk, leg.clone());
            t.legs.insert(items.record.pk, leg);
            Created::New
        }))
    }

    async fn update_voice_call(&self, update: LegUpdate<'_>) -> Result<bool, StoreError> {
        let pk = voice_call_pk(update.org, &update.leg.voice_call_id);
        Ok(self.with(|t| {
            if !t.legs.contains_key(&pk) {
                return false;
            }
            let (fields, ended) = t.updates.entry(pk).or_default();
            fields.extend(update_attributes(update.update));
            *ended = ended.or(update.ends_at());
            true
        }))
    }

    async fn put_routing(&self, batch: RoutingBatch<'_>, identity: &str) -> Result<(), StoreError> {
        let item = RoutingItem::new(&batch, identity, batch.received_at + self.retention_secs);
        self.with(|t| t.routing.insert((item.pk.clone(), item.sk.clone()), item));
        Ok(())
    }
}

impl ReplayGuard for MemoryStore {
    async fn release_token_id(&self, org: &OrgId, jti: &str) -> Result<(), StoreError> {
        self.with(|t| t.token_ids.remove(&token_pk(org, jti)));
        Ok(())
    }

    async fn claim_token_id(
        &self,
        org: &OrgId,
        jti: &str,
        expires_at: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        let key = token_pk(org, jti);
        Ok(self.with(|t| match t.token_ids.get(&key) {
            Some(&until) if until >= now => false,
            _ => {
                t.token_ids.insert(key, expires_at);
                true
            }
        }))
    }
}
