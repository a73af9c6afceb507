//! `/services/data/vNN.N/actions/standard/getConversationIntelligence` (CONTRACT §3): describe
//! (`GET`, `HEAD`) and invoke (`POST`, 1..100 inputs, one result per input, in order).

pub mod contact_flow;
mod describe;

use std::collections::HashMap;

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::analysis;
use crate::auth::Permission;
use crate::clock::now_secs;
use crate::error::ApiError;
use crate::format::Format;
use crate::model::{ConversationKey, OrgId};
use crate::respond;
use crate::store::ConversationReader;
use crate::tenants::{Refusal, Tenant, Tenants};
use crate::validate::{self, Problems};

pub const BASE_PATH: &str = "/services/data/";
pub const ACTION_NAME: &str = "getConversationIntelligence";
/// The first API version that has the action.
const FIRST_VERSION: u32 = 65;
pub const MAX_INPUTS: usize = 100;

/// What the action needs: the tenants (keys, categories) and the read side of the store.
pub struct ActionsApp<R> {
    pub tenants: Tenants,
    pub store: R,
}

/// Answers one `/services/data` request. Never fails: every error becomes its Salesforce answer.
pub async fn handle<R: ConversationReader>(
    app: &ActionsApp<R>,
    request: Request<Bytes>,
) -> Response<Bytes> {
    let started = std::time::Instant::now();
    let format = Format::of_accept(request.headers());
    let route = if request.method() == Method::POST {
        "invoke"
    } else {
        "describe"
    };
    let (response, code) = match answer(app, &request, format).await {
        Ok(response) => (response, None),
        Err(err) => {
            tracing::info!(status = err.status().as_u16(), error = %err, "action request refused");
            (respond::error(format, &err), Some(err.error_code()))
        }
    };
    crate::metrics::answered("action", route, response.status(), code, started);
    response
}

/// `v65.0` and later.
fn supported_version(version: &str) -> bool {
    let Some((major, minor)) = version.strip_prefix('v').and_then(|v| v.split_once('.')) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor) && major.parse::<u32>().is_ok_and(|m| m >= FIRST_VERSION)
}

async fn answer<R: ConversationReader>(
    app: &ActionsApp<R>,
    request: &Request<Bytes>,
    format: Format,
) -> Result<Response<Bytes>, ApiError> {
    let not_found = || ApiError::NotFound("The requested resource does not exist".into());
    let rest = request
        .uri()
        .path()
        .strip_prefix(BASE_PATH)
        .ok_or_else(not_found)?;
    let Some((version, "actions/standard/getConversationIntelligence")) = rest.split_once('/')
    else {
        return Err(not_found());
    };
    if !supported_version(version) {
        return Err(ApiError::NotFound(format!(
            "API version {version} is not supported: use v65.0 or later"
        )));
    }
    let method = request.method();
    if ![Method::GET, Method::HEAD, Method::POST].contains(method) {
        return Err(ApiError::MethodNotAllowed {
            allow: "GET, HEAD, POST",
        });
    }
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let admitted = app
        .tenants
        .verify(header, Permission::IntelligenceRead, now_secs())
        .await
        .map_err(|refusal| match refusal {
            Refusal::Auth(e) => {
                tracing::info!(reason = %e, "action token refused");
                ApiError::SessionInvalid
            }
            Refusal::Unavailable => ApiError::Unavailable,
        })?;
    tracing::Span::current().record("tenant", admitted.token.org_id.as_str());
    // Over its limits: 403, as Salesforce's REST API answers an org over its limits.
    app.tenants
        .admit_request(&admitted.tenant)
        .await
        .map_err(|e| ApiError::RequestLimit {
            status: StatusCode::FORBIDDEN,
            retry_after_secs: e.retry_after_secs,
        })?;

    if method == Method::POST {
        return invoke(app, &admitted.tenant, request, format).await;
    }
    let mut response = respond::object(format, StatusCode::OK, &describe::description());
    if method == Method::HEAD {
        let length = response.body().len();
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(length));
        *response.body_mut() = Bytes::new();
    }
    Ok(response)
}

async fn invoke<R: ConversationReader>(
    app: &ActionsApp<R>,
    tenant: &Tenant,
    request: &Request<Bytes>,
    answer_format: Format,
) -> Result<Response<Bytes>, ApiError> {
    // A body without Content-Type is read as JSON, as Salesforce does.
    let format = match request.headers().get(CONTENT_TYPE) {
        None => Format::Json,
        Some(_) => Format::of_request(request.headers())?,
    };
    let record_ids = inputs(format.parse(request.body())?, format)?;
    let results = results(app, tenant, record_ids, answer_format, READ_CONCURRENCY).await?;
    Ok(respond::list(answer_format, StatusCode::OK, &results))
}

/// How many reads of distinct inputs (resolving a recordId, reading a conversation) are in flight
/// at once: the action's latency is mostly DynamoDB round trips, not computation.
pub const READ_CONCURRENCY: usize = 8;

/// One result per input, in input order. Each distinct recordId is resolved and rendered once and
/// each conversation computed once, up to `concurrency` of them at a time; results are then
/// admitted to the response budget in input order, so the answer does not depend on
/// `concurrency` (the benchmark compares 1 with [`READ_CONCURRENCY`]).
pub async fn results<R: ConversationReader>(
    app: &ActionsApp<R>,
    tenant: &Tenant,
    record_ids: Vec<Option<String>>,
    format: Format,
    concurrency: usize,
) -> Result<Vec<Value>, ApiError> {
    let org = &tenant.org;
    let concurrency = concurrency.max(1);
    let distinct_records = distinct(record_ids.iter().flatten());
    // The futures are made up front (they start only when polled): a stream of closures over
    // borrowed items would make the handler's future not provably `Send`.
    let finds: Vec<_> = distinct_records
        .iter()
        .map(|record_id| conversation_of(app, org, record_id))
        .collect();
    let conversations: Vec<Option<ConversationKey>> = stream::iter(finds)
        .buffered(concurrency)
        .try_collect()
        .await?;
    let distinct_conversations = distinct(conversations.iter().flatten());
    let reads: Vec<_> = distinct_conversations
        .iter()
        .map(|conversation| outputs_of(app, tenant, conversation))
        .collect();
    let outputs: Vec<Option<Value>> = stream::iter(reads)
        .buffered(concurrency)
        .try_collect()
        .await?;
    let outputs: HashMap<&ConversationKey, Option<Value>> =
        distinct_conversations.into_iter().zip(outputs).collect();

    let rendered: HashMap<&String, Rendered> = distinct_records
        .into_iter()
        .zip(&conversations)
        .map(|(record_id, conversation)| {
            let found = conversation.as_ref().and_then(|c| outputs[c].clone());
            let result = match found {
                Some(outputs) => {
                    json!({"actionName": ACTION_NAME, "errors": null, "isSuccess": true, "outputValues": outputs})
                }
                // Another tenant's record is answered exactly as a missing one.
                None => failure(
                    "NOT_FOUND",
                    &format!("No voice call or conversation found for recordId {record_id}"),
                ),
            };
            (record_id, Rendered::new(result, format))
        })
        .collect();

    let mut budget = ResponseBudget::new(format);
    Ok(record_ids
        .iter()
        .map(|record_id| match record_id {
            Some(record_id) => budget.admit(rendered[record_id].clone()),
            None => {
                let missing = failure(
                    "REQUIRED_FIELD_MISSING",
                    "Required field is missing: recordId",
                );
                budget.admit(Rendered::new(missing, format))
            }
        })
        .collect())
}

/// The conversation a `recordId` names, `None` when it names nothing of this tenant's.
async fn conversation_of<R: ConversationReader>(
    app: &ActionsApp<R>,
    org: &OrgId,
    record_id: &str,
) -> Result<Option<ConversationKey>, ApiError> {
    app.store
        .find_conversation(org, record_id)
        .await
        .map_err(|_| ApiError::Unavailable)
}

/// A conversation's action outputs, `None` when it holds nothing.
async fn outputs_of<R: ConversationReader>(
    app: &ActionsApp<R>,
    tenant: &Tenant,
    conversation: &ConversationKey,
) -> Result<Option<Value>, ApiError> {
    // A finished conversation from its stored analysis, else computed from its data.
    analysis::read_intelligence(&app.store, &tenant.org, conversation, &tenant.categories)
        .await
        .map_err(|_| ApiError::Unavailable)
}

/// The distinct items, in order of first appearance.
fn distinct<'a, T: Eq + std::hash::Hash>(items: impl Iterator<Item = &'a T>) -> Vec<&'a T> {
    let mut seen = std::collections::HashSet::new();
    items.filter(|item| seen.insert(*item)).collect()
}

/// Lambda's synchronous response limit (6 MB), less room for the status, headers, the envelope
/// API Gateway's proxy format wraps the body in, and up to [`MAX_INPUTS`] `LIMIT_EXCEEDED`
/// failures (under 300 bytes each), which are admitted past the limit.
const RESPONSE_LIMIT_BYTES: usize = 6 * 1024 * 1024 - 64 * 1024;

/// One input's result with what it adds to the answer: its rendering in the answer's format,
/// as it will travel inside the JSON string of the Lambda response (escapes included).
#[derive(Clone)]
struct Rendered {
    result: Value,
    bytes: usize,
}

impl Rendered {
    fn new(result: Value, format: Format) -> Self {
        let text = format.render_list("Results", "Result", std::slice::from_ref(&result));
        Self {
            bytes: escaped_len(&text),
            result,
        }
    }
}

/// Admits results in order while the answer stays under [`RESPONSE_LIMIT_BYTES`]; a result that
/// would pass it is replaced by its own `LIMIT_EXCEEDED` failure (CONTRACT §3), so the earlier
/// inputs still succeed and later small ones (a `NOT_FOUND`) still fit.
struct ResponseBudget {
    format: Format,
    used: usize,
}

impl ResponseBudget {
    fn new(format: Format) -> Self {
        Self { format, used: 0 }
    }

    fn admit(&mut self, rendered: Rendered) -> Value {
        let fits = |r: &Rendered, used: usize| used.saturating_add(r.bytes) <= RESPONSE_LIMIT_BYTES;
        let rendered = if fits(&rendered, self.used) {
            rendered
        } else {
            let over = failure(
                "LIMIT_EXCEEDED",
                "The answer would exceed the 6 MB response limit: ask for this recordId in a separate request",
            );
            Rendered::new(over, self.format)
        };
        self.used = self.used.saturating_add(rendered.bytes);
        rendered.result
    }
}

/// The length of `text` once written as a JSON string's content (quotes, backslashes and
/// control characters escaped), as it is inside the Lambda response.
fn escaped_len(text: &[u8]) -> usize {
    text.iter().fold(text.len(), |len, &b| match b {
        b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => len + 1,
        0..=0x1f => len + 5,
        _ => len,
    })
}

fn failure(status_code: &str, message: &str) -> Value {
    json!({"actionName": ACTION_NAME, "errors": [{"statusCode": status_code, "message": message, "fields": ["recordId"]}],
           "isSuccess": false, "outputValues": null})
}

/// The `recordId` of each input, in order (`None` where it is missing or blank). A body without
/// `inputs` is a parser error, as Salesforce answers it.
fn inputs(body: Value, format: Format) -> Result<Vec<Option<String>>, ApiError> {
    let parser_error = |message: &str| ApiError::Malformed {
        format,
        message: message.to_owned(),
    };
    let Value::Object(mut obj) = body else {
        return Err(parser_error(
            "The request body must be an object with an inputs list",
        ));
    };
    let inputs = obj
        .remove("inputs")
        .filter(|v| !v.is_null())
        .ok_or_else(|| parser_error("Missing required field: inputs"))?;
    let mut problems = Problems::default();
    let inputs = problems.take(validate::list(inputs, 1, MAX_INPUTS, format), || {
        "inputs".into()
    });
    let inputs = problems.finish(inputs)?.unwrap_or_default();
    Ok(inputs
        .iter()
        .map(|input| {
            let id = input.get("recordId")?;
            validate::text(id, 255).ok().map(|s| s.trim().to_owned())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use crate::store::items::LegItem;
    use crate::store::{ConversationRecord, StoreError};

    /// Answers later for earlier conversations, so that concurrent reads finish out of order.
    #[derive(Default)]
    struct CountingReader {
        finds: AtomicUsize,
        reads: AtomicUsize,
    }

    fn conversation_named(record_id: &str) -> Option<&'static str> {
        match record_id {
            "a" => Some("conv-a"),
            "b" | "d" => Some("conv-b"),
            _ => None,
        }
    }

    impl ConversationReader for CountingReader {
        async fn find_conversation(
            &self,
            _org: &OrgId,
            record_id: &str,
        ) -> Result<Option<ConversationKey>, StoreError> {
            self.finds.fetch_add(1, Ordering::SeqCst);
            let wait = if record_id == "a" { 20 } else { 1 };
            tokio::time::sleep(Duration::from_millis(wait)).await;
            Ok(conversation_named(record_id).map(|c| ConversationKey::stored(c.into())))
        }

        async fn read_conversation(
            &self,
            _org: &OrgId,
            conversation: &ConversationKey,
        ) -> Result<ConversationRecord, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            let wait = if conversation.as_str() == "conv-a" {
                20
            } else {
                1
            };
            tokio::time::sleep(Duration::from_millis(wait)).await;
            Ok(ConversationRecord {
                legs: vec![LegItem {
                    pk: format!("org#CONV#{}", conversation.as_str()),
                    sk: "LEG#0LQ000000000001GAA".into(),
                    item_type: "LEG".into(),
                    voice_call_id: "0LQ000000000001GAA".into(),
                    vendor_call_key: conversation.as_str().into(),
                    initiation_method: "Inbound".into(),
                    start_time_millis: 1_795_449_600_000,
                    participants: Vec::new(),
                    parent_voice_call_id: None,
                    ended_at: None,
                    expires_at: 0,
                }],
                ..ConversationRecord::default()
            })
        }
    }

    fn app() -> ActionsApp<CountingReader> {
        ActionsApp {
            tenants: Tenants::new(
                std::sync::Arc::new(crate::tenants::memory::MemoryTenants::default()),
                None,
            ),
            store: CountingReader::default(),
        }
    }

    #[tokio::test]
    async fn concurrent_reads_answer_in_input_order_once_per_distinct_input() {
        let ids = ["a", "", "b", "a", "c", "d"]
            .map(|id| (!id.is_empty()).then(|| id.to_owned()))
            .to_vec();
        let org = Tenant::unconfigured(&OrgId::new("00DHs00000Kmpyr"));
        let concurrent = app();
        let answer = results(&concurrent, &org, ids.clone(), Format::Json, 8)
            .await
            .unwrap();
        let statuses: Vec<&str> = answer
            .iter()
            .map(|r| match &r["errors"] {
                Value::Null => "ok",
                errors => errors[0]["statusCode"].as_str().unwrap(),
            })
            .collect();
        assert_eq!(
            statuses,
            [
                "ok",
                "REQUIRED_FIELD_MISSING",
                "ok",
                "ok",
                "NOT_FOUND",
                "ok"
            ]
        );
        assert_eq!(answer[0], answer[3]);
        assert_eq!(answer[2]["outputValues"], answer[5]["outputValues"]);
        // a, b, c, d resolved once each; conv-a and conv-b read once each.
        assert_eq!(concurrent.store.finds.load(Ordering::SeqCst), 4);
        assert_eq!(concurrent.store.reads.load(Ordering::SeqCst), 2);

        let sequential = results(&app(), &org, ids, Format::Json, 1).await.unwrap();
        assert_eq!(sequential, answer);
    }

    #[test]
    fn versions_from_65() {
        for ok in ["v65.0", "v66.0", "v100.5"] {
            assert!(supported_version(ok), "{ok}");
        }
        for bad in ["v64.0", "65.0", "v65", "vX.0", "v65.", "v.0", ""] {
            assert!(!supported_version(bad), "{bad}");
        }
    }

    #[test]
    fn inputs_are_read_in_order() {
        let ids = inputs(
            json!({"inputs": [{"recordId": "a"}, {}, {"recordId": " "}, {"recordId": "b"}]}),
            Format::Json,
        )
        .unwrap();
        assert_eq!(
            ids,
            [Some("a".to_owned()), None, None, Some("b".to_owned())]
        );
        assert!(matches!(
            inputs(json!({}), Format::Json),
            Err(ApiError::Malformed { .. })
        ));
        assert!(matches!(
            inputs(json!({"inputs": []}), Format::Json),
            Err(ApiError::Validation(_))
        ));
        let many = vec![json!({"recordId": "a"}); MAX_INPUTS + 1];
        assert!(matches!(
            inputs(json!({"inputs": many}), Format::Json),
            Err(ApiError::Validation(_))
        ));
        assert_eq!(
            inputs(json!({"inputs": {"recordId": "x"}}), Format::Xml).unwrap(),
            [Some("x".to_owned())]
        );
    }
}
