//! A tenant record compiled for use: keys ready to verify signatures, categories with their
//! matcher. What the cache holds and handlers are given.

use std::collections::HashMap;

use super::record::{Limits, Redaction, RedactionMode, Status, TenantRecord};
use crate::auth::keys::{load_key, Material, Permissions, TrustedKey};
use crate::auth::Permission;
use crate::intelligence::TenantCategories;
use crate::model::OrgId;
use crate::redaction::{Entity, Mask, Redactor};

pub struct Tenant {
    pub org: OrgId,
    pub status: Status,
    /// subject → its keys, in the order added.
    keys: HashMap<String, Vec<TrustedKey>>,
    pub(crate) audiences: Vec<String>,
    pub categories: TenantCategories,
    pub summary_prompt: Option<String>,
    /// `None`: the stack's `RETENTION_DAYS`.
    pub retention_days: Option<u32>,
    pub redaction: Option<Redaction>,
    /// `redaction` compiled: what every handler applies to transcript content and event
    /// details right after validation (CONTRACT §8); [`Redactor::OFF`] without a setting.
    pub redactor: Redactor,
    pub limits: Option<Limits>,
}

impl Tenant {
    /// Compiles `record`. Keys were checked when added; one that no longer loads (it cannot
    /// happen unless the item was edited by hand) is left out and logged by id.
    pub fn compile(record: &TenantRecord) -> Self {
        let mut keys: HashMap<String, Vec<TrustedKey>> = HashMap::new();
        for key in &record.keys {
            let material = match (&key.public_key, &key.certificate) {
                (Some(pem), None) => Material::PublicKey(pem),
                (None, Some(pem)) => Material::Certificate(pem),
                _ => {
                    tracing::warn!(key_id = %key.key_id, "stored key has no single PEM; left out");
                    continue;
                }
            };
            let mut permissions = Permissions::default();
            key.permissions
                .iter()
                .filter_map(|p| Permission::parse(p))
                .for_each(|p| permissions.insert(p));
            match load_key(material, permissions) {
                Ok(mut trusted) => {
                    trusted.allow_token_reuse = key.allow_token_reuse;
                    keys.entry(key.subject.clone()).or_default().push(trusted);
                }
                Err(problem) => {
                    tracing::warn!(key_id = %key.key_id, %problem, "stored key does not load; left out");
                }
            }
        }
        let categories = TenantCategories::configured(
            &record.org_id,
            record
                .categories
                .iter()
                .map(|c| (c.name.as_str(), c.keywords.as_slice(), c.alert)),
        );
        Self {
            org: OrgId::new(record.org_id.clone()),
            status: record.status,
            keys,
            audiences: record.audiences.clone(),
            categories,
            summary_prompt: record.summary_prompt.clone(),
            retention_days: record.retention_days,
            redaction: record.redaction.clone(),
            redactor: redactor(record.redaction.as_ref()),
            limits: record.limits,
        }
    }

    /// An org with no record: no keys, the built-in categories, the stack's settings. What the
    /// analysis uses for a conversation whose tenant has since been removed.
    pub fn unconfigured(org: &OrgId) -> Self {
        Self {
            org: org.clone(),
            status: Status::Active,
            keys: HashMap::new(),
            audiences: Vec::new(),
            categories: TenantCategories::configured(org.as_str(), []),
            summary_prompt: None,
            retention_days: None,
            redaction: None,
            redactor: Redactor::OFF,
            limits: None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }

    pub(crate) fn keys_of(&self, subject: &str) -> Option<&[TrustedKey]> {
        self.keys.get(subject).map(Vec::as_slice)
    }

    /// Number of keys that load.
    pub fn key_count(&self) -> usize {
        self.keys.values().map(Vec::len).sum()
    }

    /// The names of the tenant's alert categories.
    pub fn alert_categories(&self) -> Vec<String> {
        self.categories
            .categories
            .iter()
            .filter(|c| c.alert)
            .map(|c| c.name.clone())
            .collect()
    }
}

/// The stored setting as a [`Redactor`]. Entity names were checked when the setting was made;
/// one unknown (an item edited by hand) is left out.
fn redactor(setting: Option<&Redaction>) -> Redactor {
    let Some(setting) = setting else {
        return Redactor::OFF;
    };
    let mask = match setting.mode {
        RedactionMode::Pii => Mask::Pii,
        RedactionMode::EntityType => Mask::EntityType,
    };
    Redactor::new(
        setting.entities.iter().filter_map(|e| Entity::parse(e)),
        mask,
    )
}

impl std::fmt::Debug for Tenant {
    /// Who, and how many keys: never the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant")
            .field("org", &self.org)
            .field("status", &self.status)
            .field("keys", &self.key_count())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenants::settings::REDACTION_ENTITIES;

    #[test]
    fn every_accepted_entity_name_is_one_redaction_masks() {
        for name in REDACTION_ENTITIES {
            assert!(Entity::parse(name).is_some(), "{name}");
        }
    }

    #[test]
    fn the_redaction_setting_compiles_into_the_tenant() {
        let mut record = TenantRecord::new("00DHs00000Kmpyr", "2026-12-03T00:00:00Z");
        let text = "card 4111 1111 1111 1111, mail a@b.cd";
        assert!(!Tenant::compile(&record).redactor.is_on());
        record.redaction = Some(Redaction {
            entities: vec!["CREDIT_DEBIT_NUMBER".into()],
            mode: RedactionMode::EntityType,
        });
        assert_eq!(
            Tenant::compile(&record).redactor.text(text),
            "card [CREDIT_DEBIT_NUMBER], mail a@b.cd"
        );
        record.redaction = Some(Redaction {
            entities: vec![
                "EMAIL".into(),
                "CREDIT_DEBIT_NUMBER".into(),
                "NOT_ONE".into(),
            ],
            mode: RedactionMode::Pii,
        });
        assert_eq!(
            Tenant::compile(&record).redactor.text(text),
            "card [PII], mail [PII]"
        );
        assert_eq!(
            Tenant::unconfigured(&OrgId::new("00DHs00000Kmpyr")).redactor,
            Redactor::OFF
        );
    }
}
