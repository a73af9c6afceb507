//! What a contact flow learns about the call in progress (CONTRACT §4): a flat map of strings a
//! "Check contact attributes" block can branch on (docs/api.md, "Contact flows").

use super::ActionsApp;
use crate::contact_flow::{clip, ContactFlow, FlatMap};
use crate::intelligence::categories::{NEXT_STEP, PRICING, QUESTION};
use crate::intelligence::moments::ATTENTION_SENTIMENT;
use crate::intelligence::{self, Insight, Intelligence};
use crate::store::ConversationReader;

#[derive(Debug, thiserror::Error)]
#[error("storage unavailable")]
pub struct Outage;

/// `Err` only for an outage (Connect then retries).
pub async fn handle<R: ConversationReader>(
    app: &ActionsApp<R>,
    flow: &ContactFlow,
) -> Result<FlatMap, Outage> {
    let configured = app
        .tenants
        .connect_tenant(flow.instance_arn.as_deref())
        .await
        .map_err(|_| Outage)?;
    let (org, key) = match flow.target(configured.as_ref()) {
        Ok(target) => target,
        Err(refused) => return Ok(refused),
    };
    if let Err(e) = app.tenants.admit_org(org).await {
        return Ok(crate::contact_flow::limit_exceeded(e));
    }
    let mut answer = FlatMap::new();
    let conversation = app
        .store
        .find_conversation(org, key.as_str())
        .await
        .map_err(|_| Outage)?;
    let record = match &conversation {
        Some(conversation) => app
            .store
            .read_conversation(org, conversation)
            .await
            .map_err(|_| Outage)?,
        None => Default::default(),
    };
    let Some(conversation) = conversation.filter(|_| !record.is_empty()) else {
        answer.insert("status".into(), "not_found".into());
        answer.insert("conversationKey".into(), clip(key.as_str()));
        return Ok(answer);
    };
    let tenant = app.tenants.settings_of(org).await.map_err(|_| Outage)?;
    let outputs = intelligence::compute(&record, &tenant.categories);
    answer.insert("status".into(), "ok".into());
    answer.insert("conversationKey".into(), clip(conversation.as_str()));
    answer.insert(
        "transcriptEntries".into(),
        record.messages.len().to_string(),
    );
    summarise(&outputs, &mut answer);
    Ok(answer)
}

fn summarise(outputs: &Intelligence, answer: &mut FlatMap) {
    let count = |category: &str| {
        outputs
            .moment_insights
            .iter()
            .find(|m| m.category == category)
            .map_or(0, |m| m.moment_times.len())
    };
    answer.insert("questionCount".into(), count(QUESTION).to_string());
    answer.insert("pricingCount".into(), count(PRICING).to_string());
    answer.insert("nextStepCount".into(), count(NEXT_STEP).to_string());

    let mut categories: Vec<&str> = outputs
        .moment_insights
        .iter()
        .map(|m| m.category.as_str())
        .collect();
    let mut signals = 0;
    let mut attention = outputs
        .moment_insights
        .iter()
        .flat_map(|m| &m.moment_times)
        .any(|t| t.needs_attention);
    for insight in &outputs.conversation_insights {
        match insight {
            Insight::Sentiment {
                participant,
                average,
                minimum,
                latest,
                trend,
                ..
            } => {
                let who = if participant == "CUSTOMER" {
                    "customer"
                } else {
                    "agent"
                };
                answer.insert(format!("{who}SentimentLatest"), format!("{latest:.2}"));
                answer.insert(format!("{who}SentimentAverage"), format!("{average:.2}"));
                answer.insert(format!("{who}SentimentMinimum"), format!("{minimum:.2}"));
                answer.insert(format!("{who}SentimentTrend"), (*trend).to_owned());
                attention |= who == "customer" && *latest <= ATTENTION_SENTIMENT;
            }
            Insight::Signal {
                category, count, ..
            } => {
                signals += count;
                if !categories.contains(&category.as_str()) {
                    categories.push(category);
                }
            }
            Insight::TalkTime { .. }
            | Insight::NonTalkTime { .. }
            | Insight::VendorAnalysis { .. } => {}
        }
    }
    answer.insert("signalCount".into(), signals.to_string());
    answer.insert("categories".into(), clip(&categories.join(",")));
    answer.insert("needsAttention".into(), attention.to_string());
    if let Some(step) = outputs
        .moment_insights
        .iter()
        .find(|m| m.category == NEXT_STEP)
        .and_then(|m| m.moment_times.last())
    {
        answer.insert("lastNextStep".into(), clip(&step.entries.join(" ")));
    }
}
