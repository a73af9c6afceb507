//! The storage port: what the handlers need from a durable store, and nothing more.

pub mod analysis;
mod analysis_items;
mod backoff;
pub(crate) mod codec;
pub mod dynamo;
pub mod guards;
pub mod items;
pub mod memory;
pub mod participants;
pub mod updates;

use std::future::Future;

use crate::model::{
    ConversationKey, NewVoiceCall, OrgId, PostCallSentiment, SignalEvent, TranscriptMessage,
    VendorCallKey, VoiceCallId, VoiceCallUpdate,
};

pub use backoff::Backoff;
pub use updates::{RoutingBatch, RoutingItem};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or kept refusing after bounded retries. The details were
    /// logged where it happened; callers answer `503`.
    #[error("storage unavailable")]
    Unavailable,
}

/// Real-time signals of one request, bound for one conversation. The store takes the events:
/// their names and details move into the stored items.
#[derive(Debug, Clone)]
pub struct SignalBatch<'a> {
    pub org: &'a OrgId,
    pub conversation: &'a ConversationKey,
    pub vendor_call_key: &'a VendorCallKey,
    pub service: &'a str,
    pub provider: Option<&'a str>,
    pub events: Vec<IdentifiedSignal>,
    /// Unix seconds at which the request was accepted.
    pub received_at: u64,
}

/// A signal with its identity (see [`items::signal_identity`]), computed once per request.
#[derive(Debug, Clone)]
pub struct IdentifiedSignal {
    pub identity: String,
    pub event: SignalEvent,
}

impl IdentifiedSignal {
    pub fn new(org: &OrgId, conversation: &ConversationKey, event: SignalEvent) -> Self {
        Self {
            identity: items::signal_identity(org, conversation, &event),
            event,
        }
    }
}

/// Records which token ids (`jti`) have been used, across every instance of the service.
pub trait ReplayGuard: Send + Sync {
    /// `Ok(true)` when this is the first use of `jti` for `org` within its validity, `Ok(false)`
    /// when it was seen before. The record expires at `expires_at` (unix seconds).
    fn claim_token_id(
        &self,
        org: &OrgId,
        jti: &str,
        expires_at: u64,
        now: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Forgets a claimed `jti`, so the same token may be used again (after a failed write).
    fn release_token_id(
        &self,
        org: &OrgId,
        jti: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// One request's transcript messages, bound for one conversation.
#[derive(Debug, Clone, Copy)]
pub struct MessageBatch<'a> {
    pub org: &'a OrgId,
    pub conversation: &'a ConversationKey,
    pub vendor_call_key: &'a VendorCallKey,
    pub provider: Option<&'a str>,
    pub messages: &'a [TranscriptMessage],
    pub received_at: u64,
}

/// One request's post-call sentiment, bound for one conversation.
#[derive(Debug, Clone, Copy)]
pub struct PostCallBatch<'a> {
    pub org: &'a OrgId,
    pub conversation: &'a ConversationKey,
    pub vendor_call_key: &'a VendorCallKey,
    pub service: &'a str,
    pub provider: Option<&'a str>,
    pub events: &'a [PostCallSentiment],
    pub received_at: u64,
}

/// A voice call leg to record under a fresh id.
#[derive(Debug, Clone, Copy)]
pub struct NewLeg<'a> {
    pub org: &'a OrgId,
    pub id: &'a VoiceCallId,
    pub conversation: &'a ConversationKey,
    pub call: &'a NewVoiceCall,
    pub provider: Option<&'a str>,
    pub now: u64,
}

/// A call update (CONTRACT §2.6) of a recorded leg.
#[derive(Debug, Clone, Copy)]
pub struct LegUpdate<'a> {
    pub org: &'a OrgId,
    pub leg: &'a Leg,
    pub update: &'a VoiceCallUpdate,
    pub provider: Option<&'a str>,
    /// Unix seconds.
    pub now: u64,
}

impl LegUpdate<'_> {
    /// When the update ends the leg: now. A leg ended before keeps its first end.
    pub fn ends_at(&self) -> Option<u64> {
        self.update.ends_leg().then_some(self.now)
    }
}

/// A recorded voice call leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    pub voice_call_id: VoiceCallId,
    pub vendor_call_key: VendorCallKey,
    pub conversation: ConversationKey,
}

/// What a `vendorCallKey` in a path stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The conversation its data belongs to: its first leg's, or its own when it is not a
    /// recorded leg (yet).
    Conversation(ConversationKey),
    /// The key is one of this tenant's voiceCallIds, which the contract refuses as a key.
    VoiceCallId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Recorded under the proposed id.
    New,
    /// The vendorCallKey was already recorded: the existing leg (creation is idempotent).
    Existing(Leg),
    /// The proposed id is taken (a random collision): propose another.
    IdTaken,
}

/// Everything stored for one conversation, each kind in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationRecord {
    pub legs: Vec<items::LegItem>,
    pub messages: Vec<items::MessageItem>,
    pub signals: Vec<items::SignalItem>,
    pub post_call: Vec<items::PostCallItem>,
    pub routing: Vec<RoutingItem>,
}

impl ConversationRecord {
    pub fn is_empty(&self) -> bool {
        self.legs.is_empty()
            && self.messages.is_empty()
            && self.signals.is_empty()
            && self.post_call.is_empty()
            && self.routing.is_empty()
    }

    /// A conversation has ended when every leg has ended (call updates, a contact flow's
    /// `ended`), or when post-call events arrived (CONTRACT §3.2).
    pub fn has_ended(&self) -> bool {
        !self.post_call.is_empty()
            || (!self.legs.is_empty() && self.legs.iter().all(|l| l.ended_at.is_some()))
    }

    /// Adds what a transfer leg's own partition holds (data sent with the leg's key before its
    /// record joined it to this conversation). The same transcript entry (`messageId`) or the
    /// same event sent under both keys is kept once.
    pub fn absorb(&mut self, other: ConversationRecord) {
        use std::collections::HashSet;
        let messages: HashSet<String> =
            self.messages.iter().map(|m| m.message_id.clone()).collect();
        self.messages.extend(
            other
                .messages
                .into_iter()
                .filter(|m| !messages.contains(&m.message_id)),
        );
        let signal_id = |s: &items::SignalItem| {
            (
                s.signal_type.clone(),
                s.value.clone(),
                s.participant.clone(),
                s.start_time,
            )
        };
        let signals: HashSet<_> = self.signals.iter().map(signal_id).collect();
        self.signals.extend(
            other
                .signals
                .into_iter()
                .filter(|s| !signals.contains(&signal_id(s))),
        );
        let legs: HashSet<String> = self.legs.iter().map(|l| l.voice_call_id.clone()).collect();
        self.legs.extend(
            other
                .legs
                .into_iter()
                .filter(|l| !legs.contains(&l.voice_call_id)),
        );
        self.post_call.extend(other.post_call);
        self.routing.extend(other.routing);
    }

    /// Puts each kind in time order (the table keeps messages by id, signals by time).
    pub fn sort(&mut self) {
        self.legs.sort_by(|a, b| {
            (a.start_time_millis, &a.voice_call_id).cmp(&(b.start_time_millis, &b.voice_call_id))
        });
        self.messages.sort_by(|a, b| a.time_key.cmp(&b.time_key));
        self.signals.sort_by(|a, b| a.sk.cmp(&b.sk));
        self.post_call.sort_by(|a, b| a.sk.cmp(&b.sk));
        self.routing
            .sort_by(|a, b| (a.received_at, &a.sk).cmp(&(b.received_at, &b.sk)));
    }
}

/// The read side: what the intelligence action needs. Reads are `Query` calls only.
pub trait ConversationReader: Send + Sync {
    /// The conversation a `recordId` names: a voiceCallId (any leg), else a vendorCallKey (a
    /// recorded leg's, or a conversation that never had a record). `None` when it can name
    /// nothing of this tenant's.
    fn find_conversation(
        &self,
        org: &OrgId,
        record_id: &str,
    ) -> impl Future<Output = Result<Option<ConversationKey>, StoreError>> + Send;

    /// Every item of the conversation, read with one paginated Query.
    fn read_conversation(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> impl Future<Output = Result<ConversationRecord, StoreError>> + Send;

    /// The outputs (JSON) of the conversation's stored analysis, when it was computed at the
    /// conversation's current head (CONTRACT §3.2); `None`: compute them from the data. A store
    /// without analyses never has one.
    fn fresh_outputs(
        &self,
        _org: &OrgId,
        _conversation: &ConversationKey,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send {
        async { Ok(None) }
    }

    /// Whether anything is stored for the conversation (a leg, a transcript entry, a signal…):
    /// what tells a conversation that exists from a key nobody sent.
    fn has_conversation(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        async move { Ok(!self.read_conversation(org, conversation).await?.is_empty()) }
    }
}

/// Whether a live subscription ever marked the conversation's head `watched` (read from the
/// head the write updates anyway, so it costs nothing). Adapters that keep no such mark answer
/// `true`: everything is delivered, as before the mark existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched(pub bool);

/// Durable home of everything the telephony endpoints accept. Writing the same thing twice
/// keeps one copy.
///
/// The writes that publish per item (signals, transcript entries) answer whether their
/// conversation is watched live ([`Watched`]): their bus events say so, and live delivery runs
/// for watched conversations only.
pub trait TelephonyStore: Send + Sync {
    fn put_signals(
        &self,
        batch: SignalBatch<'_>,
    ) -> impl Future<Output = Result<Watched, StoreError>> + Send;

    /// All batches are written together (bulk transcripts span conversations); one
    /// [`Watched`] per batch.
    fn put_messages(
        &self,
        batches: &[MessageBatch<'_>],
    ) -> impl Future<Output = Result<Vec<Watched>, StoreError>> + Send;

    fn put_post_call(
        &self,
        batch: PostCallBatch<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// What `key` stands for: one of this tenant's voiceCallIds (refused as a key), or the key
    /// of a conversation (its first leg's when it is a recorded leg).
    fn resolve(
        &self,
        org: &OrgId,
        key: &VendorCallKey,
    ) -> impl Future<Output = Result<Resolution, StoreError>> + Send {
        async move {
            if let Some(id) = VoiceCallId::parse(key.as_str()) {
                if self.voice_call(org, &id).await?.is_some() {
                    return Ok(Resolution::VoiceCallId);
                }
            }
            let leg = self.leg_of(org, key).await?;
            Ok(Resolution::Conversation(leg.map_or_else(
                || ConversationKey::of_first_leg(key),
                |l| l.conversation,
            )))
        }
    }

    fn voice_call(
        &self,
        org: &OrgId,
        id: &VoiceCallId,
    ) -> impl Future<Output = Result<Option<Leg>, StoreError>> + Send;

    fn leg_of(
        &self,
        org: &OrgId,
        key: &VendorCallKey,
    ) -> impl Future<Output = Result<Option<Leg>, StoreError>> + Send;

    fn create_voice_call(
        &self,
        leg: NewLeg<'_>,
    ) -> impl Future<Output = Result<Created, StoreError>> + Send;

    /// Applies a call update to the leg's record (and ends the leg when it says so). `Ok(false)`
    /// when the record no longer exists.
    fn update_voice_call(
        &self,
        update: LegUpdate<'_>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records a routing request on its conversation (a retry overwrites it).
    fn put_routing(
        &self,
        batch: RoutingBatch<'_>,
        identity: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The recorded leg `id_or_key` names: one of this tenant's voiceCallIds, else a recorded
    /// vendorCallKey. `None` when it names no recorded leg of this tenant.
    fn find_leg(
        &self,
        org: &OrgId,
        id_or_key: &VendorCallKey,
    ) -> impl Future<Output = Result<Option<Leg>, StoreError>> + Send {
        async move {
            if let Some(id) = VoiceCallId::parse(id_or_key.as_str()) {
                if let Some(leg) = self.voice_call(org, &id).await? {
                    return Ok(Some(leg));
                }
            }
            self.leg_of(org, id_or_key).await
        }
    }
}
