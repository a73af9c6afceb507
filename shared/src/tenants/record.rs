//! The tenant record (CONTRACT §7) as stored, and as the admin API shows it: keys by `keyId` and
//! `fingerprint`, never their PEM text.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// `active`, or `suspended`: a suspended tenant's tokens are refused, its data kept. Offboarding
/// (`DELETE /admin/v1/tenants/{orgId}`) makes it `offboarding` (no keys, its data being erased),
/// then `offboarded`; only `active` tokens are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Active,
    Suspended,
    Offboarding,
    Offboarded,
}

impl Status {
    /// Offboarding or offboarded.
    pub fn is_offboarded(self) -> bool {
        matches!(self, Self::Offboarding | Self::Offboarded)
    }
}

/// One registered key. Exactly one of `public_key` and `certificate` holds the PEM text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    pub key_id: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    pub permissions: Vec<String>,
    #[serde(default)]
    pub allow_token_reuse: bool,
    /// SHA-256 of the key's SubjectPublicKeyInfo DER, lower-case hex.
    pub fingerprint: String,
    /// RFC 3339, UTC.
    pub added_at: String,
}

impl KeyRecord {
    /// What the admin API shows of a key: everything but its material.
    pub fn view(&self) -> Value {
        json!({
            "keyId": self.key_id,
            "subject": self.subject,
            "kind": if self.certificate.is_some() { "certificate" } else { "publicKey" },
            "permissions": self.permissions,
            "allowTokenReuse": self.allow_token_reuse,
            "fingerprint": self.fingerprint,
            "addedAt": self.added_at,
        })
    }
}

/// One keyword category of the tenant's (CONTRACT §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CategorySetting {
    pub name: String,
    pub keywords: Vec<String>,
    #[serde(default)]
    pub alert: bool,
}

/// Redaction of transcript content and event details (CONTRACT §8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Redaction {
    pub entities: Vec<String>,
    pub mode: RedactionMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RedactionMode {
    /// Every match becomes `[PII]`.
    #[serde(rename = "PII")]
    Pii,
    /// Every match becomes its entity's name, `[CREDIT_DEBIT_NUMBER]`.
    #[serde(rename = "ENTITY_TYPE")]
    EntityType,
}

/// Request limits (CONTRACT §9), as the record's `limits` holds them.
pub use crate::limits::Limits;

/// Everything that is per org. Stored as one item; `version` guards concurrent changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantRecord {
    pub org_id: String,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub keys: Vec<KeyRecord>,
    #[serde(default)]
    pub audiences: Vec<String>,
    #[serde(default)]
    pub categories: Vec<CategorySetting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_prompt: Option<String>,
    /// `None`: the stack's `RETENTION_DAYS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redaction: Option<Redaction>,
    /// `None`: the stack's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// Amazon Connect instance ARNs or ids, as given.
    #[serde(default)]
    pub connect_instances: Vec<String>,
    /// The erasure job of its offboarding (status `offboarding` or `offboarded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erasure_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Incremented by every change; a change is written only over the version it was made from.
    pub version: u64,
}

impl TenantRecord {
    /// A new, active tenant with nothing configured.
    pub fn new(org_id: &str, now: &str) -> Self {
        Self {
            org_id: org_id.to_owned(),
            status: Status::Active,
            keys: Vec::new(),
            audiences: Vec::new(),
            categories: Vec::new(),
            summary_prompt: None,
            retention_days: None,
            redaction: None,
            limits: None,
            connect_instances: Vec::new(),
            erasure_id: None,
            created_at: now.to_owned(),
            updated_at: now.to_owned(),
            version: 0,
        }
    }

    /// The admin API's answer: the record with each key's material left out.
    pub fn view(&self) -> Value {
        let mut value = serde_json::to_value(self).expect("a tenant record serialises");
        value["keys"] = Value::Array(self.keys.iter().map(KeyRecord::view).collect());
        value
    }

    /// The Connect instance ids this tenant's contact flows and Contact Lens data come from.
    pub fn instance_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .connect_instances
            .iter()
            .map(|i| instance_id(i).to_owned())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// The instance id of an instance ARN (`arn:aws:connect:…:instance/{id}`), or the id itself.
pub fn instance_id(instance: &str) -> &str {
    match instance.rsplit_once(":instance/") {
        Some((_, id)) => id.split('/').next().unwrap_or(id),
        None => instance,
    }
}

/// Whether `org` can be an org id: 15 or 18 ASCII letters and digits.
pub fn is_org_id(org: &str) -> bool {
    matches!(org.len(), 15 | 18) && org.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_from_arns_and_ids() {
        let arn =
            "arn:aws:connect:eu-west-1:123456789012:instance/8a3c5f1e-0000-4000-8000-000000000001";
        assert_eq!(instance_id(arn), "8a3c5f1e-0000-4000-8000-000000000001");
        assert_eq!(
            instance_id(&format!("{arn}/contact/abc")),
            "8a3c5f1e-0000-4000-8000-000000000001"
        );
        assert_eq!(instance_id("plain-id"), "plain-id");
    }

    #[test]
    fn org_ids() {
        assert!(is_org_id("00DHs00000Kmpyr"));
        assert!(is_org_id("00DHs00000KmpyrAAA"));
        assert!(!is_org_id("00DHs00000Kmpy"));
        assert!(!is_org_id("00DHs00000Kmpy-"));
        assert!(!is_org_id("00DHs00000Kmpyré"));
    }

    #[test]
    fn the_view_has_no_key_material() {
        let mut record = TenantRecord::new("00DHs00000Kmpyr", "2026-12-03T00:00:00Z");
        record.keys.push(KeyRecord {
            key_id: "key_1".into(),
            subject: "scv4cc1".into(),
            public_key: Some("-----BEGIN PUBLIC KEY-----\nMIIB".into()),
            certificate: None,
            permissions: vec!["events:write".into()],
            allow_token_reuse: false,
            fingerprint: "ab".repeat(32),
            added_at: "2026-12-03T00:00:00Z".into(),
        });
        let view = record.view().to_string();
        assert!(!view.contains("BEGIN"), "{view}");
        assert!(view.contains("key_1") && view.contains(&"ab".repeat(32)));
    }
}
