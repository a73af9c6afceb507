//! The admin API, base `/admin/v1` (CONTRACT §7): tenants created and changed, keys added and
//! revoked, every change audited and published as `TenantChanged`. JSON only. Who may call it
//! is settled before [`handle`]: in AWS by API Gateway's `AWS_IAM` authorization (the caller's
//! ARN from the request context, [`iam_principal`]); locally by the admin token
//! ([`token_principal`]).

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use serde_json::Value;

mod change;
pub mod offboard;
mod records;

use super::record::{is_org_id, TenantRecord};
use super::store::TenantAdminStore;
use crate::bus::EventPublisher;
use crate::erasure::jobs::ErasureJobs;
use crate::erasure::{self, ConversationEraser};
use crate::error::ApiError;
use crate::format::Format;
use crate::model::OrgId;
use crate::respond;

pub const BASE_PATH: &str = "/admin/v1";
/// Most tenants on one page of the list.
pub const MAX_PAGE: usize = 1000;

/// Who is calling: an IAM principal's ARN, or `local-admin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal(pub String);

pub struct AdminApp<T, B, C> {
    pub store: T,
    pub bus: B,
    /// The conversations table: erasure and legal hold (CONTRACT §8).
    pub conversations: C,
    /// From an offboarding's start to its first erasure ([`offboard::OFFBOARD_SETTLE`];
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
            Method::GET => records::list(app, request).await,
            _ => allow("GET"),
        },
        ([org], _) => {
            let org = org_of(org)?;
            match *method {
                Method::GET => records::get(app, &org).await,
                Method::PUT => records::put(app, &org, &json_body(request)?, by).await,
                Method::DELETE => offboard::offboard(app, &org, by).await,
                _ => allow("GET, PUT, DELETE"),
            }
        }
        ([org, "keys"], _) => {
            let org = org_of(org)?;
            match *method {
                Method::GET => records::keys(app, &org).await,
                Method::POST => records::add_key(app, &org, &json_body(request)?, by).await,
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
                    let body = offboard::erasure_status(app, org.as_str(), id, by).await?;
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
                Method::DELETE => records::revoke_key(app, &org, key, by).await,
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

pub(crate) fn ok(status: StatusCode, value: &Value) -> Result<Response<Bytes>, ApiError> {
    Ok(respond::object(Format::Json, status, value))
}

pub(crate) fn unknown_tenant(org: &str) -> ApiError {
    ApiError::NotFound(format!("No tenant {org}"))
}

pub(crate) async fn load<T: TenantAdminStore>(
    store: &T,
    org: &str,
) -> Result<Option<TenantRecord>, ApiError> {
    store.load(org).await.map_err(|_| ApiError::Unavailable)
}

/// The tenant `org`'s record, or `404` when it has none.
pub(crate) async fn existing<T: TenantAdminStore>(
    store: &T,
    org: &str,
) -> Result<TenantRecord, ApiError> {
    load(store, org).await?.ok_or_else(|| unknown_tenant(org))
}
