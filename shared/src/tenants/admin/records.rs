//! The tenant record's routes: the list, one tenant, its keys; a tenant created or changed
//! (`PUT`), a key added or revoked. Each change goes through [`super::change::change`].

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::{json, Value};

use super::change::change;
use super::{existing, ok, unknown_tenant, AdminApp, Principal, MAX_PAGE};
use crate::bus::EventPublisher;
use crate::error::ApiError;
use crate::tenants::import::key_id;
use crate::tenants::record::{is_org_id, Status, TenantRecord};
use crate::tenants::settings::{apply_settings, NewKey, MAX_KEYS};
use crate::tenants::store::TenantAdminStore;

const DEFAULT_PAGE: usize = 100;

pub(super) async fn get<T: TenantAdminStore, B, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
) -> Result<Response<Bytes>, ApiError> {
    let record = existing(&app.store, org).await?;
    ok(StatusCode::OK, &record.view())
}

pub(super) async fn keys<T: TenantAdminStore, B, C>(
    app: &AdminApp<T, B, C>,
    org: &str,
) -> Result<Response<Bytes>, ApiError> {
    let record = existing(&app.store, org).await?;
    let keys: Vec<Value> = record.keys.iter().map(|k| k.view()).collect();
    ok(StatusCode::OK, &json!({ "keys": keys }))
}

pub(super) async fn list<T: TenantAdminStore, B, C>(
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

pub(super) async fn put<T: TenantAdminStore, B: EventPublisher, C>(
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

pub(super) async fn add_key<T: TenantAdminStore, B: EventPublisher, C>(
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

pub(super) async fn revoke_key<T: TenantAdminStore, B: EventPublisher, C>(
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
