//! The start-up documents of earlier versions (`TRUSTED_KEYS`/`TRUSTED_KEYS_FILE`,
//! `INSIGHT_CATEGORIES`/`INSIGHT_CATEGORIES_FILE`, `SUMMARY_PROMPTS`) turned into tenant records:
//! the source of a local run or a test without a tenants table, and a one-time import into one.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::record::{is_org_id, CategorySetting, KeyRecord, TenantRecord};
use crate::auth::keys::load_key;
use crate::auth::{KeyMaterial, KeyRegistry, RegistryError};
use crate::intelligence::categories::{CategoriesError, InsightCategories};
use crate::prompts::SummaryPrompts;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Keys(#[from] RegistryError),
    #[error("insight categories: {0}")]
    Categories(#[from] CategoriesError),
    #[error("SUMMARY_PROMPTS: {0}")]
    Prompts(String),
    #[error("org id {0:?} is not 15 or 18 letters and digits")]
    OrgId(String),
}

/// A key's id: derived from its subject and fingerprint, so adding the same key twice (an
/// import run again, a retried request) names the key already there.
pub fn key_id(subject: &str, fingerprint: &str) -> String {
    let digest = Sha256::digest(format!("{subject}\n{fingerprint}"));
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("key_{hex}")
}

/// One record per org named by any of the documents. The registry's `audiences` apply to
/// every org it names.
pub fn records(
    registry: &KeyRegistry,
    categories_doc: &str,
    prompts: Option<&SummaryPrompts>,
    now: &str,
) -> Result<Vec<TenantRecord>, ImportError> {
    let mut by_org: BTreeMap<String, TenantRecord> = BTreeMap::new();
    fn record<'m>(
        by_org: &'m mut BTreeMap<String, TenantRecord>,
        org: &str,
        audiences: &[String],
        now: &str,
    ) -> Result<&'m mut TenantRecord, ImportError> {
        if !is_org_id(org) {
            return Err(ImportError::OrgId(org.chars().take(40).collect()));
        }
        Ok(by_org.entry(org.to_owned()).or_insert_with(|| {
            let mut r = TenantRecord::new(org, now);
            r.audiences = audiences.to_vec();
            r
        }))
    }
    let audiences = registry.audiences();
    for entry in registry.entries() {
        let key = load_key(entry.material.as_material(), Default::default())
            .expect("the registry loaded this key");
        let fingerprint = key.fingerprint_hex();
        let (public_key, certificate) = match &entry.material {
            KeyMaterial::PublicKey(pem) => (Some(pem.clone()), None),
            KeyMaterial::Certificate(pem) => (None, Some(pem.clone())),
        };
        let key_id = key_id(&entry.subject, &fingerprint);
        let tenant = record(&mut by_org, &entry.org_id, audiences, now)?;
        if tenant.keys.iter().any(|k| k.key_id == key_id) {
            continue;
        }
        tenant.keys.push(KeyRecord {
            key_id,
            subject: entry.subject.clone(),
            public_key,
            certificate,
            permissions: entry
                .permissions
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            allow_token_reuse: entry.allow_token_reuse,
            fingerprint,
            added_at: now.to_owned(),
        });
    }
    let mut grouped: Vec<_> = InsightCategories::entries_from_json(categories_doc)?
        .into_iter()
        .collect();
    grouped.sort_by(|a, b| a.0.cmp(&b.0));
    for (org, own) in grouped {
        record(&mut by_org, &org, audiences, now)?.categories = own
            .into_iter()
            .map(|c| CategorySetting {
                name: c.name,
                keywords: c.keywords,
                alert: c.alert,
            })
            .collect();
    }
    if let Some(prompts) = prompts {
        for (org, template) in prompts.overrides() {
            record(&mut by_org, org, audiences, now)?.summary_prompt = Some(template.to_owned());
        }
    }
    Ok(by_org.into_values().collect())
}

/// The records the environment's documents describe (see the module's documentation).
pub fn records_from_env(now: &str) -> Result<Vec<TenantRecord>, ImportError> {
    let registry = KeyRegistry::from_env()?;
    let categories = InsightCategories::document_from_env()?;
    let prompts = match std::env::var("SUMMARY_PROMPTS") {
        Ok(doc) if !doc.trim().is_empty() => {
            Some(SummaryPrompts::from_json(&doc).map_err(ImportError::Prompts)?)
        }
        _ => None,
    };
    records(&registry, &categories, prompts.as_ref(), now)
}

/// What [`into_store`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    pub created: usize,
    pub keys_added: usize,
}

/// Writes `records` into a tenant store, adding what is missing: a tenant without a record gets
/// the imported one whole; an existing tenant gets the imported keys it lacks (by `keyId`) and
/// keeps its settings. Running it again changes nothing. Audited as `imported` by `by`.
pub async fn into_store<T: super::store::TenantAdminStore>(
    store: &T,
    records: Vec<TenantRecord>,
    by: &str,
) -> Result<Imported, super::store::SaveError> {
    use super::store::{AuditEntry, TenantChange};
    let mut done = Imported::default();
    for imported in records {
        let at_millis = crate::clock::now_millis();
        let current = store.load(&imported.org_id).await?;
        let expected_version = current.as_ref().map(|r| r.version);
        let (mut record, keys_added) = match current {
            None => {
                let keys = imported.keys.len();
                done.created += 1;
                (imported, keys)
            }
            Some(mut record) => {
                let missing: Vec<KeyRecord> = imported
                    .keys
                    .into_iter()
                    .filter(|k| !record.keys.iter().any(|have| have.key_id == k.key_id))
                    .collect();
                if missing.is_empty() {
                    continue;
                }
                let added = missing.len();
                record.keys.extend(missing);
                (record, added)
            }
        };
        done.keys_added += keys_added;
        record.version = expected_version.map_or(1, |v| v + 1);
        record.updated_at = crate::clock::rfc3339(at_millis);
        let audit = AuditEntry {
            org_id: record.org_id.clone(),
            at_millis,
            by: by.to_owned(),
            change: "imported",
            detail: serde_json::json!({ "keysAdded": keys_added }),
        };
        let instances_added = if expected_version.is_none() {
            record.instance_ids()
        } else {
            Vec::new()
        };
        store
            .save(TenantChange {
                record: &record,
                expected_version,
                instances_added,
                instances_removed: Vec::new(),
                audit: &audit,
            })
            .await?;
    }
    Ok(done)
}
