//! Reading the admin API's bodies into changes of a tenant record: every field checked, every
//! problem named by its path in one `400` (the Salesforce error body).

use serde_json::{Map, Value};

use super::record::{
    instance_id, CategorySetting, KeyRecord, Limits, Redaction, RedactionMode, Status, TenantRecord,
};
use crate::auth::keys::{load_key, Material};
use crate::auth::registry::parse_permissions;
use crate::auth::Permission;
use crate::error::{ApiError, FieldError};
use crate::intelligence::categories::check_category;

pub const MAX_AUDIENCES: usize = 20;
pub const MAX_CATEGORIES: usize = 100;
pub const MAX_KEYWORDS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 512;
pub const MAX_PROMPT_CHARS: usize = 20_000;
pub const MAX_CONNECT_INSTANCES: usize = 40;
/// A record is one DynamoDB item (≤ 400 KB); a certificate is ~1.3 KB.
pub const MAX_KEYS: usize = 100;
pub const MAX_SUBJECT_CHARS: usize = 255;
pub const MAX_RETENTION_DAYS: u64 = 3650;
pub const MAX_REQUESTS_PER_SECOND: f64 = 100_000.0;
pub const MAX_BURST: u64 = 1_000_000;
/// The entity names redaction knows (Amazon Transcribe's and Contact Lens's spelling).
pub const REDACTION_ENTITIES: [&str; 4] = ["CREDIT_DEBIT_NUMBER", "SSN", "EMAIL", "PHONE"];

const SETTINGS: [&str; 9] = [
    "status",
    "audiences",
    "categories",
    "summaryPrompt",
    "retentionDays",
    "redaction",
    "limits",
    "connectInstances",
    "orgId",
];

/// Applies a `PUT /tenants/{orgId}` body to `record`: only the fields given change (`null`
/// clears an optional one). Returns the names of the fields changed, for the audit.
pub fn apply_settings(record: &mut TenantRecord, body: &Value) -> Result<Vec<String>, ApiError> {
    let Value::Object(fields) = body else {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    };
    let mut problems = Vec::new();
    let mut changed = Vec::new();
    for (name, value) in fields {
        if name == "keys" {
            problems.push(FieldError::invalid(
                "keys",
                "keys are added and revoked at /tenants/{orgId}/keys",
            ));
            continue;
        }
        if !SETTINGS.contains(&name.as_str()) {
            problems.push(FieldError::invalid(
                clip(name),
                "is not a tenant setting (status, audiences, categories, summaryPrompt, \
                 retentionDays, redaction, limits, connectInstances)",
            ));
            continue;
        }
        let outcome = match name.as_str() {
            "orgId" => match value.as_str() {
                Some(org) if org == record.org_id => Ok(()),
                _ => Err(vec![FieldError::invalid(
                    "orgId",
                    "must be the org id of the path, or left out",
                )]),
            },
            "status" => status(value).map(|s| record.status = s),
            "audiences" => audiences(value).map(|a| record.audiences = a),
            "categories" => categories(value).map(|c| record.categories = c),
            "summaryPrompt" => summary_prompt(value).map(|p| record.summary_prompt = p),
            "retentionDays" => retention_days(value).map(|d| record.retention_days = d),
            "redaction" => redaction(value).map(|r| record.redaction = r),
            "limits" => limits(value).map(|l| record.limits = l),
            "connectInstances" => connect_instances(value).map(|c| record.connect_instances = c),
            _ => unreachable!("checked above"),
        };
        match outcome {
            Ok(()) if name != "orgId" => changed.push(name.clone()),
            Ok(()) => {}
            Err(mut errors) => problems.append(&mut errors),
        }
    }
    if problems.is_empty() {
        Ok(changed)
    } else {
        Err(ApiError::Validation(problems))
    }
}

type Checked<T> = Result<T, Vec<FieldError>>;

fn one<T>(path: &str, why: impl std::fmt::Display) -> Checked<T> {
    Err(vec![FieldError::invalid(path, why)])
}

fn status(value: &Value) -> Checked<Status> {
    match value.as_str() {
        Some("active") => Ok(Status::Active),
        Some("suspended") => Ok(Status::Suspended),
        _ => one("status", "must be \"active\" or \"suspended\""),
    }
}

/// A non-empty string of at most `max` characters without control characters.
fn text(path: &str, value: &Value, max: usize) -> Checked<String> {
    match value.as_str() {
        Some(s) if s.trim().is_empty() => one(path, "must not be empty"),
        Some(s) if s.chars().count() > max => {
            one(path, format!("must be at most {max} characters"))
        }
        Some(s) if s.chars().any(char::is_control) => {
            one(path, "must not contain control characters")
        }
        Some(s) => Ok(s.to_owned()),
        None => one(path, "must be a string"),
    }
}

/// An array of at most `max` items, each checked by `item` (all problems reported).
fn array<T>(
    path: &str,
    value: &Value,
    max: usize,
    mut item: impl FnMut(&str, &Value) -> Checked<T>,
) -> Checked<Vec<T>> {
    let Value::Array(items) = value else {
        return one(path, "must be an array");
    };
    if items.len() > max {
        return one(path, format!("must hold at most {max} items"));
    }
    let mut out = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (i, v) in items.iter().enumerate() {
        match item(&format!("{path}[{i}]"), v) {
            Ok(t) => out.push(t),
            Err(mut e) => problems.append(&mut e),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn audiences(value: &Value) -> Checked<Vec<String>> {
    let mut list = array("audiences", value, MAX_AUDIENCES, |path, v| {
        text(path, v, MAX_TEXT_CHARS)
    })?;
    list.dedup();
    Ok(list)
}

fn categories(value: &Value) -> Checked<Vec<CategorySetting>> {
    let mut names: Vec<String> = Vec::new();
    array("categories", value, MAX_CATEGORIES, |path, v| {
        let Value::Object(fields) = v else {
            return one(path, "must be an object with name, keywords and alert");
        };
        if let Some(other) = fields
            .keys()
            .find(|k| !matches!(k.as_str(), "name" | "keywords" | "alert"))
        {
            return one(
                &format!("{path}.{}", clip(other)),
                "is not a category field",
            );
        }
        let name = text(
            &format!("{path}.name"),
            fields.get("name").unwrap_or(&Value::Null),
            80,
        )?;
        let keywords = array(
            &format!("{path}.keywords"),
            fields.get("keywords").unwrap_or(&Value::Null),
            MAX_KEYWORDS,
            |p, k| text(p, k, 200),
        )?;
        let alert = match fields.get("alert") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return one(&format!("{path}.alert"), "must be true or false"),
        };
        check_category(&name, &keywords, names.iter().map(String::as_str)).or_else(|why| {
            let field = if why.starts_with("keywords") {
                "keywords"
            } else {
                "name"
            };
            one(&format!("{path}.{field}"), why)
        })?;
        names.push(name.clone());
        Ok(CategorySetting {
            name,
            keywords,
            alert,
        })
    })
}

fn summary_prompt(value: &Value) -> Checked<Option<String>> {
    if value.is_null() {
        return Ok(None);
    }
    let Some(prompt) = value.as_str() else {
        return one("summaryPrompt", "must be a string or null");
    };
    if prompt.chars().count() > MAX_PROMPT_CHARS {
        return one(
            "summaryPrompt",
            format!("must be at most {MAX_PROMPT_CHARS} characters"),
        );
    }
    if !prompt.contains("{transcript}") {
        return one(
            "summaryPrompt",
            "must contain {transcript}, where the transcript goes",
        );
    }
    Ok(Some(prompt.to_owned()))
}

fn whole(value: &Value, min: u64, max: u64) -> Option<u64> {
    value.as_u64().filter(|n| (min..=max).contains(n))
}

fn retention_days(value: &Value) -> Checked<Option<u32>> {
    if value.is_null() {
        return Ok(None);
    }
    match whole(value, 1, MAX_RETENTION_DAYS) {
        Some(days) => Ok(Some(days as u32)),
        None => one(
            "retentionDays",
            format!("must be a whole number of days from 1 to {MAX_RETENTION_DAYS}, or null"),
        ),
    }
}

fn redaction(value: &Value) -> Checked<Option<Redaction>> {
    let fields = match value {
        Value::Null => return Ok(None),
        Value::Object(fields) => fields,
        _ => {
            return one(
                "redaction",
                "must be an object with entities and mode, or null",
            )
        }
    };
    if let Some(other) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "entities" | "mode"))
    {
        return one(
            &format!("redaction.{}", clip(other)),
            "is not a redaction field",
        );
    }
    let mut problems = Vec::new();
    let entities = array(
        "redaction.entities",
        fields.get("entities").unwrap_or(&Value::Null),
        REDACTION_ENTITIES.len(),
        |path, v| match v.as_str() {
            Some(e) if REDACTION_ENTITIES.contains(&e) => Ok(e.to_owned()),
            _ => one(
                path,
                format!("must be one of {}", REDACTION_ENTITIES.join(", ")),
            ),
        },
    );
    let mode = match fields.get("mode").and_then(Value::as_str) {
        Some("PII") => Ok(RedactionMode::Pii),
        Some("ENTITY_TYPE") => Ok(RedactionMode::EntityType),
        _ => one("redaction.mode", "must be \"PII\" or \"ENTITY_TYPE\""),
    };
    let (entities, mode) = match (entities, mode) {
        (Ok(e), Ok(m)) => (e, m),
        (e, m) => {
            problems.extend(e.err().into_iter().flatten());
            problems.extend(m.err().into_iter().flatten());
            return Err(problems);
        }
    };
    let mut entities = entities;
    entities.sort();
    entities.dedup();
    Ok(Some(Redaction { entities, mode }))
}

fn limits(value: &Value) -> Checked<Option<Limits>> {
    let fields = match value {
        Value::Null => return Ok(None),
        Value::Object(fields) => fields,
        _ => {
            return one(
                "limits",
                "must be an object with requestsPerSecond and burst, or null",
            )
        }
    };
    if let Some(other) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "requestsPerSecond" | "burst"))
    {
        return one(&format!("limits.{}", clip(other)), "is not a limits field");
    }
    let rate = fields
        .get("requestsPerSecond")
        .and_then(Value::as_f64)
        .filter(|r| r.is_finite() && *r > 0.0 && *r <= MAX_REQUESTS_PER_SECOND);
    let burst = fields.get("burst").and_then(|b| whole(b, 1, MAX_BURST));
    match (rate, burst) {
        (Some(requests_per_second), Some(burst)) => Ok(Some(Limits {
            requests_per_second,
            burst: burst as u32,
        })),
        (rate, burst) => {
            let mut problems = Vec::new();
            if rate.is_none() {
                problems.push(FieldError::invalid(
                    "limits.requestsPerSecond",
                    format!("must be a number above 0 and at most {MAX_REQUESTS_PER_SECOND}"),
                ));
            }
            if burst.is_none() {
                problems.push(FieldError::invalid(
                    "limits.burst",
                    format!("must be a whole number from 1 to {MAX_BURST}"),
                ));
            }
            Err(problems)
        }
    }
}

/// An instance ARN `arn:<partition>:connect:<region>:<account>:instance/<id>`, or the id.
fn connect_instances(value: &Value) -> Checked<Vec<String>> {
    let mut seen: Vec<String> = Vec::new();
    array(
        "connectInstances",
        value,
        MAX_CONNECT_INSTANCES,
        |path, v| {
            let instance = text(path, v, 256)?;
            let id = instance_id(&instance);
            let arn_ok = match instance.split_once(":instance/") {
                None => true,
                Some((head, _)) => {
                    let parts: Vec<&str> = head.split(':').collect();
                    parts.len() == 5
                        && parts[0] == "arn"
                        && parts[1].starts_with("aws")
                        && parts[2] == "connect"
                        && !parts[3].is_empty()
                        && parts[4].len() == 12
                        && parts[4].bytes().all(|b| b.is_ascii_digit())
                }
            };
            let id_ok = !id.is_empty()
                && id.len() <= 100
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !arn_ok || !id_ok || instance.starts_with("arn:") != instance.contains(":instance/")
            {
                return one(
                    path,
                    "must be an Amazon Connect instance ARN \
                     (arn:aws:connect:<region>:<account>:instance/<id>) or instance id",
                );
            }
            if seen.iter().any(|s| s == id) {
                return one(path, "names an instance listed before");
            }
            seen.push(id.to_owned());
            Ok(instance)
        },
    )
}

/// A `POST /tenants/{orgId}/keys` body, checked: the key loads as a verifier would use it.
#[derive(Clone)]
pub struct NewKey {
    pub subject: String,
    pub permissions: Vec<Permission>,
    pub allow_token_reuse: bool,
    pub fingerprint: String,
    pem: String,
    field: &'static str,
}

impl NewKey {
    /// Reads and checks the body. A key that does not load (garbage, RSA below 2048 bits, an
    /// unsupported key type, a private key pasted by mistake) is a `400` naming its field; the
    /// message never quotes the material.
    pub fn read(body: &Value) -> Result<Self, ApiError> {
        let Value::Object(fields) = body else {
            return Err(ApiError::invalid("body", "must be a JSON object"));
        };
        let mut problems = Vec::new();
        for name in fields.keys() {
            if !matches!(
                name.as_str(),
                "subject" | "publicKey" | "certificate" | "permissions" | "allowTokenReuse"
            ) {
                problems.push(FieldError::invalid(clip(name), "is not a key field"));
            }
        }
        let subject = match fields.get("subject") {
            None | Some(Value::Null) => {
                problems.push(FieldError::missing("subject"));
                None
            }
            Some(v) => text("subject", v, MAX_SUBJECT_CHARS)
                .map_err(|mut e| problems.append(&mut e))
                .ok(),
        };
        let permissions = match parse_permissions(fields.get("permissions")) {
            Ok((_, listed)) => Some(listed),
            Err(problem) => {
                problems.push(FieldError::invalid(
                    "permissions",
                    format!("{problem}; known: events:write, intelligence:read"),
                ));
                None
            }
        };
        let allow_token_reuse = match fields.get("allowTokenReuse") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                problems.push(FieldError::invalid(
                    "allowTokenReuse",
                    "must be true or false",
                ));
                false
            }
        };
        let material = pem_field(fields, &mut problems);
        match (subject, permissions, material) {
            (Some(subject), Some(permissions), Some((field, pem, fingerprint)))
                if problems.is_empty() =>
            {
                Ok(Self {
                    subject,
                    permissions,
                    allow_token_reuse,
                    fingerprint,
                    pem,
                    field,
                })
            }
            _ => Err(ApiError::Validation(problems)),
        }
    }

    /// The key as stored.
    pub fn into_record(self, key_id: String, added_at: &str) -> KeyRecord {
        let (public_key, certificate) = match self.field {
            "certificate" => (None, Some(self.pem)),
            _ => (Some(self.pem), None),
        };
        KeyRecord {
            key_id,
            subject: self.subject,
            public_key,
            certificate,
            permissions: self
                .permissions
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            allow_token_reuse: self.allow_token_reuse,
            fingerprint: self.fingerprint,
            added_at: added_at.to_owned(),
        }
    }
}

/// The one PEM field of a key body, loaded: (field, text, fingerprint).
fn pem_field(
    fields: &Map<String, Value>,
    problems: &mut Vec<FieldError>,
) -> Option<(&'static str, String, String)> {
    let given: Vec<&'static str> = ["publicKey", "certificate"]
        .into_iter()
        .filter(|f| fields.get(*f).is_some_and(|v| !v.is_null()))
        .collect();
    let field = match given.as_slice() {
        [field] => *field,
        [] => {
            problems.push(FieldError::missing("publicKey"));
            return None;
        }
        _ => {
            problems.push(FieldError::invalid(
                "certificate",
                "give exactly one of publicKey or certificate",
            ));
            return None;
        }
    };
    let Some(pem) = fields[field].as_str() else {
        problems.push(FieldError::invalid(field, "must be PEM text"));
        return None;
    };
    if pem.len() > 16 * 1024 {
        problems.push(FieldError::invalid(field, "must be at most 16 KiB of PEM"));
        return None;
    }
    let material = match field {
        "certificate" => Material::Certificate(pem),
        _ => Material::PublicKey(pem),
    };
    // Checked the way requests will use it; the error names the problem, never the text.
    match load_key(material, Default::default()) {
        Ok(key) => Some((field, pem.to_owned(), key.fingerprint_hex())),
        Err(problem) => {
            problems.push(FieldError::invalid(
                field,
                format!(
                    "{problem}: an RSA key of at least 2048 bits or an EC P-256 key is required"
                ),
            ));
            None
        }
    }
}

/// A field name copied into an error, bounded.
fn clip(name: &str) -> String {
    name.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> TenantRecord {
        TenantRecord::new("00DHs00000Kmpyr", "2026-12-03T00:00:00Z")
    }

    fn paths(err: ApiError) -> Vec<String> {
        crate::error::field_paths(err)
    }

    #[test]
    fn only_given_fields_change() {
        let mut r = record();
        r.audiences = vec!["a".into()];
        let changed = apply_settings(&mut r, &json!({"retentionDays": 30})).unwrap();
        assert_eq!(changed, ["retentionDays"]);
        assert_eq!(r.retention_days, Some(30));
        assert_eq!(r.audiences, ["a"]);
        apply_settings(&mut r, &json!({"retentionDays": null})).unwrap();
        assert_eq!(r.retention_days, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let body = json!({
            "status": "paused",
            "audiences": ["", 3],
            "categories": [{"name": "Pricing", "keywords": ["x"]}, {"name": "A", "keywords": []}],
            "summaryPrompt": "no placeholder",
            "retentionDays": 0,
            "redaction": {"entities": ["CREDIT_DEBIT_NUMBER", "DNA"], "mode": "MASK"},
            "limits": {"requestsPerSecond": -1, "burst": 1.5},
            "connectInstances": ["arn:aws:connect:eu-west-1:12:instance/x", "ok-id", "ok-id"],
            "keys": [],
            "colour": "red"
        });
        let got = paths(apply_settings(&mut record(), &body).unwrap_err());
        for expected in [
            "status",
            "audiences[0]",
            "audiences[1]",
            "categories[0].name",
            "categories[1].keywords",
            "summaryPrompt",
            "retentionDays",
            "redaction.entities[1]",
            "redaction.mode",
            "limits.requestsPerSecond",
            "limits.burst",
            "connectInstances[0]",
            "connectInstances[2]",
            "keys",
            "colour",
        ] {
            assert!(
                got.iter().any(|p| p == expected),
                "{expected} not in {got:?}"
            );
        }
    }

    #[test]
    fn settings_that_pass() {
        let mut r = record();
        let body = json!({
            "status": "suspended",
            "categories": [{"name": "Competitor", "keywords": ["Acme"], "alert": true}],
            "summaryPrompt": "Summarise {transcript}",
            "redaction": {"entities": ["SSN", "EMAIL"], "mode": "ENTITY_TYPE"},
            "limits": {"requestsPerSecond": 50, "burst": 100},
            "connectInstances": ["arn:aws:connect:eu-west-1:123456789012:instance/8a3c5f1e-0000-4000-8000-000000000001"]
        });
        apply_settings(&mut r, &body).unwrap();
        assert_eq!(r.status, Status::Suspended);
        assert_eq!(r.categories[0].name, "Competitor");
        assert_eq!(r.redaction.as_ref().unwrap().entities, ["EMAIL", "SSN"]);
        assert_eq!(r.instance_ids(), ["8a3c5f1e-0000-4000-8000-000000000001"]);
    }

    #[test]
    fn keys_that_are_not_usable_are_refused_without_echo() {
        let pair = crate::auth::keygen::generate_rsa_keypair();
        let cases = [
            json!({"subject": "s", "publicKey": "garbage", "permissions": ["events:write"]}),
            json!({"subject": "s", "publicKey": pair.private_pkcs8_pem, "permissions": ["events:write"]}),
            json!({"subject": "s", "certificate": pair.public_spki_pem, "permissions": ["events:write"]}),
            json!({"subject": "s", "publicKey": pair.public_spki_pem, "permissions": ["events:read"]}),
            json!({"publicKey": pair.public_spki_pem, "permissions": ["events:write"]}),
        ];
        for body in cases {
            let err = NewKey::read(&body).err().expect("refused");
            let text = serde_json::to_string(&err.body()).unwrap();
            assert!(!text.contains("MII"), "{text}");
            assert_eq!(err.status(), http::StatusCode::BAD_REQUEST);
        }
        let ok = NewKey::read(
            &json!({"subject": "s", "publicKey": pair.public_spki_pem, "permissions": ["events:write", "events:write"]}),
        )
        .unwrap_or_else(|e| panic!("a good key: {e}"));
        assert_eq!(ok.permissions, [Permission::EventsWrite]);
        let stored = ok.into_record("key_1".into(), "now");
        assert_eq!(stored.fingerprint.len(), 64);
        assert!(stored.public_key.is_some() && stored.certificate.is_none());
    }
}
