//! One real-time signal from a contact flow (CONTRACT §4). `Parameters`: `type` (`Category` or
//! `Sentiment`, or the full `IntelligenceSignal__…` names), `value`, and where needed
//! `participant` (`AGENT`/`CUSTOMER`, required for sentiment), `score`, `service` (default
//! `AmazonConnectContactFlow`), `persist` (default `true`), `startTime` (default: the invocation's
//! time in epoch milliseconds), `vendorCallKey` (default: the contact's first leg).
//! `event` = `ended` instead ends the contact's own leg (a disconnect flow).

use serde_json::{json, Map, Value};

use super::call_flows::apply_update;
use super::flows::{accept_signals, Accepted};
use super::realtime;
use crate::app::{App, Store};
use crate::bus::EventPublisher;
use crate::contact_flow::{self, ContactFlow, FlatMap};
use crate::error::{ApiError, FieldError, FieldErrorCode};
use crate::format::Format;
use crate::model::{OrgId, Signal, VendorCallKey, VoiceCallUpdate};
use crate::store::Resolution;

pub const DEFAULT_SERVICE: &str = "AmazonConnectContactFlow";
/// What Connect sends as the provider of contact-flow signals.
pub const CONNECT_PROVIDER: &str = "amazon-connect";

#[derive(Debug, thiserror::Error)]
#[error("storage or event bus unavailable")]
pub struct Outage;

/// Accepts one signal from a contact flow. `Err` only for an outage (Connect then retries).
pub async fn handle<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    flow: &ContactFlow,
    now_millis: u64,
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
        return Ok(contact_flow::limit_exceeded(e));
    }
    if let Some(field) = flow.invalid.first() {
        return Ok(contact_flow::error("INVALID_FIELD", field, "must be text"));
    }
    if flow.is_ended() {
        return end_leg(app, org, &key, now_millis).await;
    }
    let parsed = match realtime::parse(body(flow, now_millis), Format::Xml) {
        Ok(parsed) => parsed,
        Err(ApiError::Validation(fields)) => return Ok(refused(&fields)),
        Err(_) => {
            return Ok(contact_flow::error(
                "INVALID_FIELD",
                "Parameters",
                "invalid parameters",
            ))
        }
    };
    let conversation = match app.store.resolve(org, &key).await.map_err(|_| Outage)? {
        Resolution::Conversation(conversation) => conversation,
        Resolution::VoiceCallId => {
            return Ok(contact_flow::error(
                "INVALID_FIELD",
                "Parameters.vendorCallKey",
                "must not be a voiceCallId",
            ))
        }
    };
    let at = Accepted {
        org,
        key: &key,
        conversation: &conversation,
        provider: Some(CONNECT_PROVIDER),
        now: now_millis / 1000,
    };
    let keys = accept_signals(app, &at, parsed).await.map_err(|_| Outage)?;
    let mut answer = FlatMap::new();
    answer.insert("status".into(), "accepted".into());
    answer.insert(
        "conversationKey".into(),
        contact_flow::clip(conversation.as_str()),
    );
    answer.insert(
        "eventKey".into(),
        keys.into_iter().next().unwrap_or_default(),
    );
    Ok(answer)
}

/// Ends the contact's leg, as a call update with `isActiveCall: false` does (CONTRACT §4): a
/// disconnect flow closes conversations no telephony client closes.
async fn end_leg<S: Store, B: EventPublisher>(
    app: &App<S, B>,
    org: &OrgId,
    key: &VendorCallKey,
    now_millis: u64,
) -> Result<FlatMap, Outage> {
    let Some(leg) = app.store.find_leg(org, key).await.map_err(|_| Outage)? else {
        return Ok(contact_flow::error(
            "NOT_FOUND",
            "ContactData.ContactId",
            "No voice call record for this contact",
        ));
    };
    let update = VoiceCallUpdate {
        is_active_call: Some(false),
        ..VoiceCallUpdate::default()
    };
    match apply_update(
        app,
        org,
        &leg,
        &update,
        Some(CONNECT_PROVIDER),
        now_millis / 1000,
    )
    .await
    {
        Ok(()) => {}
        Err(ApiError::NotFound(_)) => {
            return Ok(contact_flow::error(
                "NOT_FOUND",
                "ContactData.ContactId",
                "No voice call record for this contact",
            ))
        }
        Err(_) => return Err(Outage),
    }
    let mut answer = FlatMap::new();
    answer.insert("status".into(), "ended".into());
    answer.insert("voiceCallId".into(), leg.voice_call_id.to_string());
    answer.insert(
        "conversationKey".into(),
        contact_flow::clip(leg.conversation.as_str()),
    );
    Ok(answer)
}

/// The parameters as a one-event request body, read by the same rules as the HTTP endpoint
/// (as XML is: every value is text).
fn body(flow: &ContactFlow, now_millis: u64) -> Value {
    let kind = match flow.parameter("type") {
        Some(t) if t.eq_ignore_ascii_case("Category") => Signal::CATEGORY_TYPE.to_owned(),
        Some(t) if t.eq_ignore_ascii_case("Sentiment") => Signal::SENTIMENT_TYPE.to_owned(),
        Some(t) => t.to_owned(),
        None => String::new(),
    };
    let mut event = Map::new();
    event.insert("type".into(), Value::String(kind));
    for name in ["value", "participant", "score"] {
        if let Some(v) = flow.parameter(name) {
            event.insert(name.into(), Value::String(v.to_owned()));
        }
    }
    let start = flow
        .parameter("startTime")
        .map_or_else(|| now_millis.to_string(), str::to_owned);
    event.insert("startTime".into(), Value::String(start));
    json!({
        "service": flow.parameter("service").unwrap_or(DEFAULT_SERVICE),
        "persist": flow.parameter("persist").unwrap_or("true"),
        "events": [Value::Object(event)],
    })
}

/// The first refused field, named as the flow's parameter (`events[0].value` →
/// `Parameters.value`), and every refused one in `errorFields`.
fn refused(fields: &[FieldError]) -> FlatMap {
    let parameter = |path: &str| {
        format!(
            "Parameters.{}",
            path.strip_prefix("events[0].").unwrap_or(path)
        )
    };
    let first = &fields[0];
    let code = match first.code {
        FieldErrorCode::Missing => "REQUIRED_FIELD_MISSING",
        FieldErrorCode::Invalid => "INVALID_FIELD",
    };
    let mut map = contact_flow::error(code, &parameter(&first.path), &first.message);
    let all: Vec<String> = fields.iter().map(|f| parameter(&f.path)).collect();
    map.insert("errorFields".into(), contact_flow::clip(&all.join(",")));
    map
}
