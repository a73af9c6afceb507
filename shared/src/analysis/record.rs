//! Analysing one conversation: read its head, then its data; when it has ended, compute the
//! outputs and store them as its record at that head version; publish `ConversationAnalysed`.
//! Idempotent: a repeated or concurrent trigger finds the record fresh, or loses the
//! conditional write to an analysis of the same or a later version.

use serde::Serialize;

use crate::analysis::bedrock::BedrockSummariser;
use crate::analysis::summariser::{summarise, GenerativeSummariser, Summariser, SummaryConfig};
use crate::aws_sdk::OnFirstUse;
use crate::bus::eventbridge::EventBridgeBus;
use crate::bus::{BusEvent, EventPublisher, PublishError, ANALYSED_DETAIL_TYPE};
use crate::clock::now_secs;
use crate::config::{ConfigError, Settings};
use crate::intelligence;
use crate::model::{ConversationKey, OrgId};
use crate::store::analysis::{AnalysisStore, NewAnalysis, StoreOutcome};
use crate::store::dynamo::DynamoStore;
use crate::store::StoreError;
use crate::tenants::Tenants;

/// The summariser of records this analysis writes (CONTRACT §3.2: the record says which).
pub const BUILT_IN_SUMMARISER: &str = "built-in";

/// What the analysis function needs: the store, the bus, the tenants (categories, prompts),
/// and the generative summariser when one is configured (`SUMMARY_MODEL_ID`).
pub struct Analyser<S, B, G = BedrockSummariser> {
    pub store: S,
    pub bus: B,
    pub tenants: Tenants,
    pub generative: Option<G>,
}

pub type AwsAnalyser = Analyser<DynamoStore, EventBridgeBus, BedrockSummariser>;

impl AwsAnalyser {
    /// Table, bus, retention (`RETENTION_DAYS`, the record expires with the data) and the
    /// tenants from the environment. Makes no AWS call.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let settings = Settings::from_env()?;
        let summary = SummaryConfig::from_env().map_err(|why| ConfigError::Invalid {
            name: "SUMMARY_*",
            why,
        })?;
        let sdk = crate::aws_sdk::load().await;
        let tenants = crate::tenants::from_env(&sdk)?;
        let mut analyser = Self::new(&sdk, &settings, tenants);
        analyser.generative = BedrockSummariser::new(&sdk, &summary);
        Ok(analyser)
    }

    pub fn new(sdk: &aws_config::SdkConfig, settings: &Settings, tenants: Tenants) -> Self {
        Self {
            // The record expires with the tenant's retention, as its data does.
            store: DynamoStore::new(
                OnFirstUse::of(sdk, aws_sdk_dynamodb::Client::new),
                &settings.table_name,
                settings.retention_days,
            )
            .with_tenant_retention(tenants.clone()),
            bus: EventBridgeBus::new(
                OnFirstUse::of(sdk, aws_sdk_eventbridge::Client::new),
                &settings.event_bus_name,
                &settings.event_source,
            ),
            tenants,
            generative: None,
        }
    }
}

/// What one analysis did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The record was stored (and `ConversationAnalysed` published).
    Stored { head_version: u64 },
    /// The record is fresh already (a repeated trigger).
    Fresh,
    /// A concurrent analysis stored the same or a later version first.
    AlreadyCurrent,
    /// The conversation has not ended: nothing to store.
    NotEnded,
    /// The partition is a transfer leg's own: its conversation's head was raised too, and that
    /// conversation is analysed instead.
    PartOfAnother,
    /// No head: nothing was written under the head protocol.
    NoHead,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("storage unavailable")]
    Store(#[from] StoreError),
    #[error("event bus unavailable")]
    Bus(#[from] PublishError),
}

/// The `detail` of `ConversationAnalysed`: where the record is and what wrote it. The record
/// itself is read through the action.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AnalysedDetail<'a> {
    tenant: &'a str,
    conversation_key: &'a str,
    /// The head version the record was computed at: the same for a repeated publication.
    head_version: u64,
    analysed_at: u64,
    summariser: &'a str,
}

impl<S: AnalysisStore, B: EventPublisher, G: GenerativeSummariser> Analyser<S, B, G> {
    /// Analyses `conversation` if it has ended and its record is not fresh.
    pub async fn analyse(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
    ) -> Result<Outcome, AnalysisError> {
        let found = self.store.record_and_head(org, conversation).await?;
        let Some(head) = &found.head else {
            return Ok(Outcome::NoHead);
        };
        if head.part_of.is_some() {
            return Ok(Outcome::PartOfAnother);
        }
        if let Some(record) = found.fresh() {
            if !record.published {
                // The analysis that stored it stopped before publishing: publish now.
                let stored = Stored {
                    head_version: record.head_version,
                    analysed_at: record.analysed_at,
                    summariser: &record.summariser,
                };
                self.publish(org, conversation, stored).await?;
            }
            return Ok(Outcome::Fresh);
        }
        let head_version = head.version;
        let data = self.store.read_conversation(org, conversation).await?;
        if !data.has_ended() {
            return Ok(Outcome::NotEnded);
        }
        let tenant = self.tenants.settings_of(org).await?;
        let mut outputs = intelligence::compute(&data, &tenant.categories);
        // The generative summary when one is configured and usable; the built-in one otherwise.
        let prompt = tenant.summary_prompt.as_deref();
        let written = summarise(self.generative.as_ref(), org.as_str(), prompt, &data).await;
        let summariser = match &written.by {
            Summariser::BuiltIn => BUILT_IN_SUMMARISER.to_owned(),
            Summariser::Generative { model_id } => model_id.clone(),
        };
        outputs.conversation_intelligence.call_summary = written.call_summary;
        let json = serde_json::to_vec(&outputs).expect("outputs serialise");
        let mut partitions = vec![conversation.as_str().to_owned()];
        for leg in &data.legs {
            if !partitions.contains(&leg.vendor_call_key) {
                partitions.push(leg.vendor_call_key.clone());
            }
        }
        let now = now_secs();
        let stored = self
            .store
            .put_analysis(NewAnalysis {
                org,
                conversation,
                head_version,
                summariser: &summariser,
                partitions,
                outputs_json: &json,
                now,
            })
            .await?;
        if stored == StoreOutcome::AlreadyCurrent {
            return Ok(Outcome::AlreadyCurrent);
        }
        let stored = Stored {
            head_version,
            analysed_at: now,
            summariser: &summariser,
        };
        self.publish(org, conversation, stored).await?;
        tracing::info!(
            conversation = conversation.as_str(),
            head_version,
            bytes = json.len(),
            "conversation analysed"
        );
        Ok(Outcome::Stored { head_version })
    }

    /// Publishes `ConversationAnalysed`, then notes it on the record (at least once: a crash
    /// in between publishes again on the next trigger).
    async fn publish(
        &self,
        org: &OrgId,
        conversation: &ConversationKey,
        stored: Stored<'_>,
    ) -> Result<(), AnalysisError> {
        let detail = AnalysedDetail {
            tenant: org.as_str(),
            conversation_key: conversation.as_str(),
            head_version: stored.head_version,
            analysed_at: stored.analysed_at,
            summariser: stored.summariser,
        };
        self.bus
            .publish(vec![BusEvent::new(ANALYSED_DETAIL_TYPE, &detail)?])
            .await?;
        self.store
            .mark_published(org, conversation, stored.head_version)
            .await?;
        Ok(())
    }
}

/// A stored record, as `ConversationAnalysed` describes it.
#[derive(Debug, Clone, Copy)]
struct Stored<'a> {
    head_version: u64,
    analysed_at: u64,
    summariser: &'a str,
}
