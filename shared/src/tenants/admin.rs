//! The admin API, base `/admin/v1` (CONTRACT §7): tenants created and changed, keys added and
//! revoked, every change audited and published as `TenantChanged`. JSON only. Who may call it
//! is settled before [`handle`]: in AWS by API Gateway's `AWS_IAM` authorization (the caller's
//! ARN from the request context, [`iam_principal`]); locally by the admin token
//! ([`token_principal`]).

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::import::key_id;
use super::record::{is_org_id, Status, TenantRecord};
use super::settings::{apply_settings, NewKey, MAX_KEYS};
use super::store::{AuditEntry, SaveError, TenantAdminStore, TenantChange};
use crate::bus::EventPublisher;
use crate::clock::{now_millis, rfc3339};
use crate::erasure::jobs::ErasureJobs;
use crate::erasure::{self, ConversationEraser};
use crate::error::ApiError;
use crate::format::Format;
use crate::model::OrgId;
use crate::respond;

pub const BASE_PATH: &str = "/admin/v1";
/// Most tenants on one page of the list.
pub const MAX_PAGE: usize = 1000;
const DEFAULT_PAGE: usize = 100;
/// Attempts at a change that keeps meeting a concurrent one.
const ATTEMPTS: usize = 3;

/// Who is calling: an IAM principal's ARN, or `local-admin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal(pub String);

pub struct AdminApp<T, B, C> {
    pub store: T,
    pub bus: B,
    /// The conversations table: erasure and legal hold (CONTRACT §8).
    pub conversations: C,
    /// From an offboarding's start to its first erasure ([`super::offboard::OFFBOARD_SETTLE`];
    /// shorter only in tests).
    pub offboard_settle: std::time::Duration,
}

/// The caller of a request API Gateway authorised with `AWS_IAM` (payload 2.0): its
/// principal's ARN, from `requestContext.authorizer.iam.userArn`. `None` when the request did
/// not come through IAM authorization.
pub fn iam_principal(event: &Value) -> Option<Principal> {
    event
        .pointer("/requestContext/authorizer/iam/userArn")
        .and_then(Value::as_str)
        .filter(|arn| arn.starts_with("arn:"))
        .map(|arn| Principal(arn.to_owned()))
}

/// The local caller when the request carries the admin token (compared in constant time).
pub fn token_principal(headers: &HeaderMap, admin_token: &str) -> Option<Principal> {
    let presented = headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim()
        .strip_prefix("Bearer ")
        .map(str::trim)?;
    let same = aws_lc_rs::constant_time::verify_slices_are_equal(
        presented.as_bytes(),
        admin_token.as_bytes(),
    )
    .is_ok();
    (same && !admin_token.is_empty()).then(|| Principal("local-admin".to_owned()))
}

/// Answers one admin request of an authorised `principal` (`None`: refused with `401`).
pub async fn handle<T: TenantAdminStore, B: EventPublisher, C: ConversationEraser + ErasureJobs>(
    app: &AdminApp<T, B, C>,
    request: Request<Bytes>,
    principal: Option<Principal>,
) -> Response<Bytes> {
    let outcome = match principal {
        None => Err(ApiError::Unauthorized(
            "the admin API needs the admin's credentials".into(),
        )),
        Some(principal) => route(app, &request, &principal).await,
    };
    let started = std::time::Instant::now();
    let (response, code) = match outcome {
        Ok(response) => (response, None),
        Err(err) => {
            tracing::info!(status = err.status().as_u16(), error = %err, "admin request refused");
            (respond::error(Format::Json, &err), Some(err.error_code()))
        }
    };
    crate::metrics::answered("admin", "admin", response.status(), code, started);
    response
}

async fn route<T: TenantAdminStore, B: EventPublisher, C: ConversationEraser + ErasureJobs>(
    app: &AdminApp<T, B, C>,
    request: &Request<Bytes>,
    by: &Principal,
) -> Result<Response<Bytes>, ApiError> {
    let not_found = || ApiError::NotFound("The requested resource does not exist".into());
    let path = request.uri().path();
    let rest = path
        .strip_prefix(BASE_PATH)
        .and_then(|r| r.strip_prefix("/tenants"))
        .ok_or_else(not_found)?;
    let segments: Vec<&str> = rest.split('/').skip(1).collect();
    let method = request.method();
    let allow = |allow| Err(ApiError::MethodNotAllowed { allow });
    match (segments.as_slice(), rest.is_empty()) {
        ([], true) => match *method {
            Method::GET => list(app, request).await,
            _ => allow("GET"),
        },
        ([org], _) => {
            let org = org_of(org)?;
            match *method {
                Method::GET => get(app, &org).await,
                Method::PUT => put(app, &org, &json_body(request)?, by).await,
                Method::DELETE => super::offboard::offboard(app, &org, by).await,
                _ => allow("GET, PUT, DELETE"),
            }
        }
        ([org, "keys"], _) => {
            let org = org_of(org)?;
            match *method {
                Method::GET => keys(app, &org).await,
                Method::POST => add_key(app, &org, &json_body(request)?, by).await,
                _ => allow("GET, POST"),
            }
        }
        ([org, "conversations", record], _) => {
            let org = OrgId::new(org_of(org)?);
            match *method {
                Method::DELETE => {
                    let body = erasure::admin::erase(
                        &app.conversations,
                        &app.bus,
                        &app.store,
                        &org,
                        record,
                        &by.0,
                    )
                    .await?;
                    ok(StatusCode::OK, &body)
                }
                _ => allow("DELETE"),
            }
        }
        ([org, "erasures"], _) => {
            let org = OrgId::new(org_of(org)?);
            match *method {
                Method::POST => {
                    let body = erasure::admin::start_participant(
                        &app.conversations,
                        &app.bus,
                        &app.store,
                        &org,
                        &json_body(request)?,
                        &by.0,
                    )
                    .await?;
                    ok(StatusCode::ACCEPTED, &body)
                }
                _ => allow("POST"),
            }
        }
        ([org, "erasures", id], _) => {
            let org = OrgId::new(org_of(org)?);
            match *method {
                Method::GET => {
                    let body = super::offboard::erasure_status(app, org.as_str(), id, by).await?;
                    ok(StatusCode::OK, &body)
                }
                _ => allow("GET"),
            }
        }
        ([org, "conversations", record, "hold"], _) => {
            let org = OrgId::new(org_of(org)?);
            match *method {
                Method::PUT => {
                    let body = erasure::admin::hold(
                        &app.conversations,
                        &app.bus,
                        &app.store,
                        &org,
                        record,
                        &json_body(request)?,
                        &by.0,
                    )
                    .await?;
                    ok(StatusCode::OK, &body)
                }
                _ => allow("PUT"),
            }
        }
        ([org, "keys", key], _) => {
            let org = org_of(org)?;
            match *method {
                Method::DELETE => revoke_key(app, &org, key, by).await,
                _ => allow("DELETE"),
            }
        }
        _ => Err(not_found()),
    }
}

fn org_of(segment: &str) -> Result<String, ApiError> {
    if is_org_id(segment) {
        Ok(segment.to_owned())
    } else {
        Err(ApiError::invalid(
            "orgId",
            "must be an org id: 15 or 18 letters and digits",
        ))
    }
}

fn json_body(request: &Request<Bytes>) -> Result<Value, ApiError> {
    match Format::of_request(request.headers())? {
        Format::Json => Ok(Format::Json.parse(request.body())?),
        Format::Xml => Err(ApiError::UnsupportedMediaType),
    }
}

pub(super) fn ok(status: StatusCode, value: &Value) -> Result<Response<Bytes>, ApiError> {
    Ok(respond::object(Format::Json, status, value))
}

pub(super) fn unknown_tenant(org: &str) -> ApiError {
    ApiError::NotFound(format!("No tenant {org}"))
}

async fn load<T: TenantAdminStore>(store: &T, org: &str) -> Result<Option<TenantRecord>, ApiError> {
    store.load(org).await.map_err(|_| ApiError::Unavailable)
}

async fn get<T: TenantAdminStore, B, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
) -> Result<Response<Bytes>, ApiError> {
    let record = load(&app.store, org)
        .await?
        .ok_or_else(|| unknown_tenant(org))?;
    ok(StatusCode::OK, &record.view())
}

async fn keys<T: TenantAdminStore, B, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
) -> Result<Response<Bytes>, ApiError> {
    let record = load(&app.store, org)
        .await?
        .ok_or_else(|| unknown_tenant(org))?;
    let keys: Vec<Value> = record.keys.iter().map(|k| k.view()).collect();
    ok(StatusCode::OK, &json!({ "keys": keys }))
}

async fn list<T: TenantAdminStore, B, C>(
    app: &AdminApp<T, B, C>,
    request: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let mut limit = DEFAULT_PAGE;
    let mut cursor = None;
    for (name, value) in url_query(request.uri().query().unwrap_or("")) {
        match name.as_str() {
            "limit" => {
                limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|l| (1..=MAX_PAGE).contains(l))
                    .ok_or_else(|| {
                        ApiError::invalid("limit", format!("must be a number from 1 to {MAX_PAGE}"))
                    })?;
            }
            "cursor" if is_org_id(&value) => cursor = Some(value),
            "cursor" => {
                return Err(ApiError::invalid(
                    "cursor",
                    "must be a nextCursor of an earlier page",
                ))
            }
            other => {
                return Err(ApiError::invalid(
                    other.chars().take(64).collect::<String>(),
                    "is not a parameter of the list (limit, cursor)",
                ))
            }
        }
    }
    let page = app
        .store
        .list(limit, cursor.as_deref())
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let tenants: Vec<Value> = page.tenants.iter().map(TenantRecord::view).collect();
    let mut body = json!({ "tenants": tenants });
    if let Some(next) = page.next_after {
        body["nextCursor"] = Value::String(next);
    }
    ok(StatusCode::OK, &body)
}

fn url_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// One change made by `change` to the current record (or `None`, none yet), written over the
/// version it was made from, audited and published; retried when a concurrent change wins.
pub(super) async fn change<T, B, C, F>(
    app: &AdminApp<T, B, C>,
    org: &str,
    by: &Principal,
    mut change: F,
) -> Result<TenantRecord, ApiError>
where
    T: TenantAdminStore,
    B: EventPublisher,
    F: FnMut(
        Option<TenantRecord>,
        &str,
    ) -> Result<Option<(TenantRecord, &'static str, Value)>, ApiError>,
{
    for _ in 0..ATTEMPTS {
        let current = load(&app.store, org).await?;
        let expected_version = current.as_ref().map(|r| r.version);
        let before = current
            .as_ref()
            .map(TenantRecord::instance_ids)
            .unwrap_or_default();
        let at_millis = now_millis();
        let now = rfc3339(at_millis);
        let Some((mut record, what, detail)) = change(current.clone(), &now)? else {
            // Nothing to write (a key already there).
            return current.ok_or_else(|| unknown_tenant(org));
        };
        record.version = expected_version.map_or(1, |v| v + 1);
        record.updated_at = now.clone();
        let after = record.instance_ids();
        let added: Vec<String> = after
            .iter()
            .filter(|i| !before.contains(i))
            .cloned()
            .collect();
        let removed: Vec<String> = before
            .iter()
            .filter(|i| !after.contains(i))
            .cloned()
            .collect();
        for id in &added {
            match app.store.instance_owner(id).await {
                Ok(Some(owner)) if owner != org => {
                    return Err(ApiError::Conflict {
                        code: "DUPLICATE_VALUE",
                        message: format!(
                            "connectInstances: the Amazon Connect instance {id} belongs to another tenant"
                        ),
                    })
                }
                Ok(_) => {}
                Err(_) => return Err(ApiError::Unavailable),
            }
        }
        let audit = AuditEntry {
            org_id: org.to_owned(),
            at_millis,
            by: by.0.clone(),
            change: what,
            detail: detail.clone(),
        };
        let saved = app
            .store
            .save(TenantChange {
                record: &record,
                expected_version,
                instances_added: added,
                instances_removed: removed,
                audit: &audit,
            })
            .await;
        match saved {
            Ok(()) => {
                publish(app, &audit).await;
                tracing::info!(tenant = org, change = what, by = %by.0, "tenant changed");
                return Ok(record);
            }
            Err(SaveError::Conflict) => continue,
            Err(SaveError::Store(_)) => return Err(ApiError::Unavailable),
        }
    }
    Err(ApiError::Conflict {
        code: "CONFLICT",
        message: "The tenant is being changed concurrently; retry the request".into(),
    })
}

/// `TenantChanged` on the bus (see [`super::store::publish_change`]).
async fn publish<T, B: EventPublisher, C>(app: &AdminApp<T, B, C>, audit: &AuditEntry) {
    super::store::publish_change(&app.bus, audit).await;
}

async fn put<T: TenantAdminStore, B: EventPublisher, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
    body: &Value,
    by: &Principal,
) -> Result<Response<Bytes>, ApiError> {
    let record = change(app, org, by, |current, now| {
        // An offboarded org id is onboarded afresh (CONTRACT §8: nothing of it is left).
        let current = current.filter(|r| r.status != Status::Offboarded);
        if let Some(current) = &current {
            super::offboard::refuse_while_offboarding(current)?;
        }
        let created = current.is_none();
        let mut record = current.unwrap_or_else(|| TenantRecord::new(org, now));
        let fields = apply_settings(&mut record, body)?;
        let what = if created { "created" } else { "updated" };
        Ok(Some((record, what, json!({ "fields": fields }))))
    })
    .await?;
    ok(StatusCode::OK, &record.view())
}

async fn add_key<T: TenantAdminStore, B: EventPublisher, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
    body: &Value,
    by: &Principal,
) -> Result<Response<Bytes>, ApiError> {
    let key = NewKey::read(body)?;
    let id = key_id(&key.subject, &key.fingerprint);
    let fingerprint = key.fingerprint.clone();
    let mut existed = false;
    change(app, org, by, |current, now| {
        let mut record = current.ok_or_else(|| unknown_tenant(org))?;
        if record.status.is_offboarded() {
            super::offboard::refuse_while_offboarding(&record)?;
            return Err(unknown_tenant(org));
        }
        if record.keys.iter().any(|k| k.key_id == id) {
            existed = true;
            return Ok(None);
        }
        if record.keys.len() >= MAX_KEYS {
            return Err(ApiError::invalid(
                "keys",
                format!("a tenant holds at most {MAX_KEYS} keys; revoke one first"),
            ));
        }
        let stored = key.clone().into_record(id.clone(), now);
        let detail = json!({
            "keyId": stored.key_id,
            "subject": stored.subject,
            "fingerprint": stored.fingerprint,
            "permissions": stored.permissions,
        });
        record.keys.push(stored);
        Ok(Some((record, "keyAdded", detail)))
    })
    .await?;
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    ok(status, &json!({ "keyId": id, "fingerprint": fingerprint }))
}

async fn revoke_key<T: TenantAdminStore, B: EventPublisher, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
    key: &str,
    by: &Principal,
) -> Result<Response<Bytes>, ApiError> {
    change(app, org, by, |current, _| {
        let mut record = current.ok_or_else(|| unknown_tenant(org))?;
        let Some(at) = record.keys.iter().position(|k| k.key_id == key) else {
            return Err(ApiError::NotFound(format!("No key {key} of tenant {org}")));
        };
        let revoked = record.keys.remove(at);
        let detail = json!({
            "keyId": revoked.key_id,
            "subject": revoked.subject,
            "fingerprint": revoked.fingerprint,
        });
        Ok(Some((record, "keyRevoked", detail)))
    })
    .await?;
    Ok(Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Bytes::new())
        .expect("a bare status is valid"))
}
