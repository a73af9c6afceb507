//! The in-process adapter of [`ConversationEraser`] (handler unit tests, benchmarks): the same
//! answers as the DynamoDB adapter, with no race to guard against (one lock).

use super::{ConversationEraser, Erasure, ErasureError, Held};
use crate::model::{ConversationKey, OrgId, VendorCallKey, VoiceCallId};
use crate::store::items::{conversation_pk, vendor_key_pk, voice_call_pk};
use crate::store::memory::{MemoryStore, Tables};

/// The conversation `record_id` names and its partition keys (its own, then its legs').
fn partitions(t: &Tables, org: &OrgId, record_id: &str) -> Option<(ConversationKey, Vec<String>)> {
    let by_id = VoiceCallId::parse(record_id).and_then(|id| t.legs.get(&voice_call_pk(org, &id)));
    let key = VendorCallKey::parse(record_id).ok();
    let by_key = key
        .as_ref()
        .and_then(|k| t.legs.get(&vendor_key_pk(org, k)));
    let conversation = match by_id.or(by_key) {
        Some(leg) => leg.conversation.clone(),
        None => ConversationKey::of_first_leg(key.as_ref()?),
    };
    let mut pks = vec![conversation_pk(org, &conversation)];
    for leg in t.legs.values().filter(|l| l.conversation == conversation) {
        let pk = conversation_pk(
            org,
            &ConversationKey::stored(leg.vendor_call_key.to_string()),
        );
        if !pks.contains(&pk) {
            pks.push(pk);
        }
    }
    Some((conversation, pks))
}

fn count(t: &Tables, pks: &[String]) -> usize {
    let of = |pk: &String| pks.contains(pk);
    t.signals.keys().filter(|k| of(&k.0)).count()
        + t.messages.keys().filter(|k| of(&k.0)).count()
        + t.post_call.keys().filter(|k| of(&k.0)).count()
        + t.routing.keys().filter(|k| of(&k.0)).count()
}

impl ConversationEraser for MemoryStore {
    async fn erase(
        &self,
        org: &OrgId,
        record_id: &str,
        _now: u64,
    ) -> Result<Erasure, ErasureError> {
        self.with(|t| {
            let (conversation, pks) =
                partitions(t, org, record_id).ok_or(ErasureError::NotFound)?;
            let legs: Vec<(String, crate::store::Leg)> = t
                .legs
                .iter()
                .filter(|(_, l)| l.conversation == conversation)
                .map(|(pk, l)| (pk.clone(), l.clone()))
                .collect();
            if legs.is_empty() && count(t, &pks) == 0 {
                return Err(ErasureError::NotFound);
            }
            if t.held.contains(&pks[0]) {
                return Err(ErasureError::LegalHold);
            }
            let items = count(t, &pks) + legs.len();
            let of = |pk: &String| pks.contains(pk);
            t.signals.retain(|k, _| !of(&k.0));
            t.messages.retain(|k, _| !of(&k.0));
            t.post_call.retain(|k, _| !of(&k.0));
            t.routing.retain(|k, _| !of(&k.0));
            for (pk, _) in &legs {
                t.legs.remove(pk);
                t.updates.remove(pk);
            }
            let mut voice_calls: Vec<String> = legs
                .iter()
                .map(|(_, l)| l.voice_call_id.to_string())
                .collect();
            voice_calls.dedup();
            Ok(Erasure {
                conversation,
                partitions: pks,
                vendor_keys: legs
                    .iter()
                    .map(|(_, l)| l.vendor_call_key.to_string())
                    .collect(),
                voice_calls,
                items: items as u64,
            })
        })
    }

    async fn finish(
        &self,
        _org: &OrgId,
        erasure: &Erasure,
        _now: u64,
    ) -> Result<u64, ErasureError> {
        Ok(erasure.items)
    }

    async fn set_hold(
        &self,
        org: &OrgId,
        record_id: &str,
        hold: bool,
        _now: u64,
    ) -> Result<Held, ErasureError> {
        self.with(|t| {
            let (conversation, pks) =
                partitions(t, org, record_id).ok_or(ErasureError::NotFound)?;
            let items = count(t, &pks);
            if items == 0 && !t.legs.values().any(|l| l.conversation == conversation) {
                return Err(ErasureError::NotFound);
            }
            let changed = if hold {
                t.held.insert(pks[0].clone())
            } else {
                t.held.remove(&pks[0])
            };
            Ok(Held {
                conversation,
                items: if changed { items as u64 } else { 0 },
            })
        })
    }
}
