//! Post-call analysis (CONTRACT §3.2): when a conversation ends, its three outputs are computed
//! once and stored as its analysis record; the action answers a finished conversation from that
//! record (one Query), and a live or changed one from its data.
//!
//! * [`record`]: analysing one conversation — read the head and the data, compute, store the
//!   record (conditionally: never over a newer one), publish `ConversationAnalysed`.
//! * [`trigger`]: which conversations a batch of DynamoDB stream records asks to analyse, and the
//!   Lambda's answer (partial batch failures).
//! * [`stream`]: the local stand-in for Lambda's event source mapping: follows the table's stream
//!   (`make run`, the tests) and feeds the same handler.
//!
//! Staleness rests on the conversation partition's `HEAD` (see [`crate::store::analysis`]).
//!
//! Who writes the summary: the built-in summariser ([`crate::intelligence::summary`]) always
//! can; a generative one (Amazon Bedrock's Converse API, [`bedrock`]) may be configured, and
//! whatever it fails to do in time falls back to the built-in summary ([`summariser`]). The
//! result says which summariser wrote it.

pub mod bedrock;
pub mod record;
pub mod sanitise;
pub mod stream;
pub mod summariser;
pub mod trigger;

use serde_json::Value;

use crate::intelligence::{self, TenantCategories};
use crate::model::{ConversationKey, OrgId};
use crate::store::{ConversationReader, StoreError};

pub use record::{Analyser, AwsAnalyser, Outcome};
pub use summariser::{
    summarise, GenerativeError, GenerativeSummariser, Summariser, SummaryConfig, SummaryPrompts,
    WrittenSummary,
};

/// The action's outputs for one conversation: from its stored analysis when that is fresh (one
/// Query), else computed from its data (the head Query, then the conversation's Query pages).
/// `None` when nothing is stored for the conversation.
pub async fn read_intelligence<R: ConversationReader>(
    store: &R,
    org: &OrgId,
    conversation: &ConversationKey,
    categories: &TenantCategories,
) -> Result<Option<Value>, StoreError> {
    if let Some(json) = store.fresh_outputs(org, conversation).await? {
        match serde_json::from_slice(&json) {
            Ok(outputs) => return Ok(Some(outputs)),
            // Never answered wrong: computed from the data instead.
            Err(e) => tracing::error!(error = %e, "stored analysis is not JSON"),
        }
    }
    let record = store.read_conversation(org, conversation).await?;
    Ok((!record.is_empty()).then(|| {
        serde_json::to_value(intelligence::compute(&record, categories)).expect("outputs serialise")
    }))
}
