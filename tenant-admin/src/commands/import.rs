//! `import`: the `TRUSTED_KEYS` and `INSIGHT_CATEGORIES` documents of earlier versions turned
//! into admin calls. Per org named (in org id order): a PUT of its settings (the registry's
//! `audiences`, and its categories when the categories document names it), then a POST of each
//! of its keys. Idempotent: the PUT replaces the same fields with the same values, and a key
//! registered already is answered `200` with its existing id.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::keys::{MaterialKind, NewKey};
use super::settings::read_text;
use super::Output;
use crate::call::Call;
use crate::client::Api;
use crate::error::Error;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryDocument {
    audiences: Option<Vec<String>>,
    keys: Vec<RegistryEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RegistryEntry {
    org_id: String,
    subject: String,
    public_key: Option<String>,
    certificate: Option<String>,
    permissions: Vec<String>,
    #[serde(default)]
    allow_token_reuse: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesDocument {
    categories: Vec<CategoryEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CategoryEntry {
    org_id: String,
    name: String,
    keywords: Vec<String>,
    #[serde(default)]
    alert: bool,
}

/// One org's part of the import.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantImport {
    pub org: String,
    pub settings: Value,
    pub keys: Vec<NewKey>,
}

/// Everything an import will do, read and checked before the first request.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub tenants: Vec<TenantImport>,
}

/// A document's serde error, told without the values it quotes (a PEM where a list belongs
/// would be quoted whole): the field names of missing or unknown fields, and the place.
fn document_error(what: &str, e: &serde_json::Error) -> Error {
    let text = e.to_string();
    let why = if ["missing field", "unknown field", "duplicate field"]
        .iter()
        .any(|p| text.starts_with(p))
    {
        text.split(" at line").next().unwrap_or_default().to_owned()
    } else if e.is_syntax() || e.is_eof() {
        "not valid JSON".to_owned()
    } else {
        "a field holds the wrong kind of value".to_owned()
    };
    Error::usage(format!(
        "{what}: {why} (line {}, column {})",
        e.line(),
        e.column()
    ))
}

fn checked_org(what: &str, index: usize, org: &str) -> Result<(), Error> {
    crate::cli::org_id(org)
        .map(drop)
        .map_err(|why| Error::usage(format!("{what}, entry {index}: orgId: {why}")))
}

impl Plan {
    /// Reads both documents from their files.
    pub fn read(trusted_keys: &Path, categories: Option<&Path>) -> Result<Self, Error> {
        let registry = read_text(trusted_keys, "the trusted keys document")?;
        let categories = categories
            .map(|path| read_text(path, "the categories document"))
            .transpose()?;
        Self::parse(&registry, categories.as_deref())
    }

    pub fn parse(registry: &str, categories: Option<&str>) -> Result<Self, Error> {
        const KEYS: &str = "the trusted keys document";
        const CATEGORIES: &str = "the categories document";
        let registry: RegistryDocument =
            serde_json::from_str(registry).map_err(|e| document_error(KEYS, &e))?;
        let categories: Option<CategoriesDocument> = categories
            .map(|doc| serde_json::from_str(doc).map_err(|e| document_error(CATEGORIES, &e)))
            .transpose()?;

        let mut keys: BTreeMap<String, Vec<NewKey>> = BTreeMap::new();
        for (index, entry) in registry.keys.into_iter().enumerate() {
            checked_org(KEYS, index, &entry.org_id)?;
            let (kind, pem) = match (entry.public_key, entry.certificate) {
                (Some(pem), None) => (MaterialKind::PublicKey, pem),
                (None, Some(pem)) => (MaterialKind::Certificate, pem),
                _ => {
                    return Err(Error::usage(format!(
                        "{KEYS}, entry {index} ({} {}): give one of publicKey and certificate",
                        entry.org_id, entry.subject
                    )))
                }
            };
            let key = NewKey::new(
                &entry.subject,
                kind,
                pem,
                &entry.permissions,
                entry.allow_token_reuse,
            );
            keys.entry(entry.org_id).or_default().push(key);
        }
        let mut own_categories: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (index, c) in categories
            .into_iter()
            .flat_map(|d| d.categories)
            .enumerate()
        {
            checked_org(CATEGORIES, index, &c.org_id)?;
            own_categories
                .entry(c.org_id)
                .or_default()
                .push(json!({"name": c.name, "keywords": c.keywords, "alert": c.alert}));
        }

        let mut orgs: Vec<String> = keys.keys().chain(own_categories.keys()).cloned().collect();
        orgs.sort();
        orgs.dedup();
        let tenants = orgs
            .into_iter()
            .map(|org| {
                let mut settings = Map::new();
                if let Some(audiences) = &registry.audiences {
                    settings.insert("audiences".into(), json!(audiences));
                }
                if let Some(categories) = own_categories.remove(&org) {
                    settings.insert("categories".into(), Value::Array(categories));
                }
                TenantImport {
                    keys: keys.remove(&org).unwrap_or_default(),
                    settings: Value::Object(settings),
                    org,
                }
            })
            .collect();
        Ok(Plan { tenants })
    }

    /// The requests, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.tenants
            .iter()
            .flat_map(|t| {
                std::iter::once(Call::put(&["tenants", &t.org], t.settings.clone())).chain(
                    t.keys
                        .iter()
                        .map(|k| Call::post(&["tenants", &t.org, "keys"], k.body())),
                )
            })
            .collect()
    }

    /// The requests as `--dry-run` prints them: key material left out.
    pub fn describe(&self) -> Value {
        let calls: Vec<Value> = self
            .calls()
            .into_iter()
            .map(|call| {
                let mut body = call.body.clone().unwrap_or(Value::Null);
                for field in ["publicKey", "certificate"] {
                    if let Some(pem) = body.get_mut(field) {
                        *pem = json!("(PEM from the document, not shown)");
                    }
                }
                json!({"method": call.method.as_str(), "path": call.path_and_query(), "body": body})
            })
            .collect();
        json!({ "requests": calls })
    }
}

/// Makes the plan's requests, stopping at the first error (running the import again resumes
/// it: what was done is answered as done).
pub async fn run(api: &impl Api, plan: &Plan) -> Result<Output, Error> {
    let mut tenants = Vec::new();
    let (mut added, mut existing) = (0, 0);
    for tenant in &plan.tenants {
        let put = Call::put(&["tenants", &tenant.org], tenant.settings.clone());
        api.send(&put).await?.expect(&put, &[200])?;
        let mut keys = Vec::new();
        for key in &tenant.keys {
            let post = Call::post(&["tenants", &tenant.org, "keys"], key.body());
            let answer = api.send(&post).await?;
            let is_new = answer.status == 201;
            let ids = answer.expect(&post, &[200, 201])?;
            if is_new {
                added += 1;
            } else {
                existing += 1;
            }
            keys.push(json!({
                "subject": key.subject,
                "keyId": ids.get("keyId"),
                "fingerprint": ids.get("fingerprint"),
                "added": is_new,
            }));
        }
        tenants.push(json!({"orgId": tenant.org, "keys": keys}));
    }
    Ok(Output::json(json!({
        "tenants": tenants,
        "keysAdded": added,
        "keysAlreadyRegistered": existing,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fake::FakeApi;

    const A: &str = "00DA00000000001";
    const B: &str = "00DB00000000002";
    const C: &str = "00DC00000000003";
    const PEM_A: &str = "-----BEGIN PUBLIC KEY-----\nAAAA-material\n-----END PUBLIC KEY-----\n";
    const CERT_B: &str = "-----BEGIN CERTIFICATE-----\nBBBB-material\n-----END CERTIFICATE-----\n";

    fn registry() -> String {
        json!({
            "audiences": ["https://scrt.salesforce.com"],
            "keys": [
                {"orgId": B, "subject": "b-cc", "certificate": CERT_B,
                 "permissions": ["events:write", "intelligence:read"]},
                {"orgId": A, "subject": "scv4cc1", "publicKey": PEM_A, "permissions": ["events:write"]},
                {"orgId": A, "subject": "kvs", "publicKey": PEM_A, "permissions": ["events:write"],
                 "allowTokenReuse": true},
            ]
        })
        .to_string()
    }

    const CATEGORIES: &str = r#"{"categories":[
        {"orgId":"00DA00000000001","name":"Competitor","keywords":["Acme"],"alert":true},
        {"orgId":"00DC00000000003","name":"Churn","keywords":["cancel"]}
    ]}"#;

    #[test]
    fn the_documents_become_a_put_per_org_then_its_keys() {
        let plan = Plan::parse(&registry(), Some(CATEGORIES)).unwrap();
        let calls = plan.calls();
        let described: Vec<String> = calls.iter().map(Call::describe).collect();
        assert_eq!(
            described,
            [
                format!("PUT /admin/v1/tenants/{A}"),
                format!("POST /admin/v1/tenants/{A}/keys"),
                format!("POST /admin/v1/tenants/{A}/keys"),
                format!("PUT /admin/v1/tenants/{B}"),
                format!("POST /admin/v1/tenants/{B}/keys"),
                format!("PUT /admin/v1/tenants/{C}"),
            ]
        );
        let aud = json!(["https://scrt.salesforce.com"]);
        assert_eq!(
            calls[0].body,
            Some(json!({"audiences": aud, "categories": [
                {"name": "Competitor", "keywords": ["Acme"], "alert": true}]}))
        );
        assert_eq!(
            calls[1].body,
            Some(json!({"subject": "scv4cc1", "publicKey": PEM_A,
                "permissions": ["events:write"], "allowTokenReuse": false}))
        );
        assert_eq!(calls[2].body.as_ref().unwrap()["allowTokenReuse"], true);
        assert_eq!(
            calls[3].body,
            Some(json!({"audiences": aud})),
            "B is in no category"
        );
        assert_eq!(calls[4].body.as_ref().unwrap()["certificate"], CERT_B);
        assert_eq!(
            calls[5].body,
            Some(json!({"audiences": aud, "categories": [
                {"name": "Churn", "keywords": ["cancel"], "alert": false}]})),
            "an org of the categories only"
        );
    }

    #[test]
    fn without_audiences_or_categories_the_put_only_creates() {
        let doc = json!({"keys": [{"orgId": A, "subject": "s", "publicKey": PEM_A, "permissions": ["events:write"]}]});
        let plan = Plan::parse(&doc.to_string(), None).unwrap();
        assert_eq!(plan.calls()[0].body, Some(json!({})));
    }

    #[test]
    fn dry_run_shows_the_requests_without_material() {
        let plan = Plan::parse(&registry(), None).unwrap();
        let text = plan.describe().to_string();
        assert!(!text.contains("material"), "{text}");
        assert!(text.contains("\"subject\":\"b-cc\""), "{text}");
        assert_eq!(plan.describe()["requests"].as_array().unwrap().len(), 5);
    }

    #[test]
    fn bad_documents_are_usage_errors_that_quote_no_material() {
        let cases = [
            "not json".to_owned(),
            json!({"keys": PEM_A}).to_string(),
            json!({"keys": [{"orgId": A, "subject": "s", "publicKey": PEM_A}]}).to_string(),
            json!({"keys": [], "extra": 1}).to_string(),
            json!({"keys": [{"orgId": "bad", "subject": "s", "publicKey": PEM_A, "permissions": []}]}).to_string(),
            json!({"keys": [{"orgId": A, "subject": "s", "publicKey": PEM_A, "certificate": CERT_B, "permissions": []}]}).to_string(),
            json!({"keys": [{"orgId": A, "subject": "s", "permissions": []}]}).to_string(),
        ];
        for doc in cases {
            let error = Plan::parse(&doc, None).unwrap_err();
            assert!(matches!(error, Error::Usage(_)), "{doc}");
            assert!(!error.to_string().contains("material"), "{error}");
        }
        let missing = Plan::parse(
            &json!({"keys": [{"orgId": A, "subject": "s", "publicKey": PEM_A}]}).to_string(),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(missing.contains("missing field `permissions`"), "{missing}");
        let bad_category = Plan::parse(
            &json!({"keys": []}).to_string(),
            Some(r#"{"categories":[{"orgId":"x","name":"n","keywords":[]}]}"#),
        );
        assert!(matches!(bad_category, Err(Error::Usage(_))));
    }

    #[tokio::test]
    async fn run_reports_what_was_added_and_what_was_there() {
        let plan = Plan::parse(&registry(), None).unwrap();
        let api = FakeApi::answering([
            (200, json!({"orgId": A})),
            (201, json!({"keyId": "key_1", "fingerprint": "f1"})),
            (200, json!({"keyId": "key_2", "fingerprint": "f2"})),
            (200, json!({"orgId": B})),
            (201, json!({"keyId": "key_3", "fingerprint": "f3"})),
        ]);
        let out = run(&api, &plan).await.unwrap().json.unwrap();
        assert_eq!(out["keysAdded"], 2);
        assert_eq!(out["keysAlreadyRegistered"], 1);
        assert_eq!(
            out["tenants"][0]["keys"][1],
            json!({"subject": "kvs", "keyId": "key_2", "fingerprint": "f2", "added": false})
        );
        assert!(!out.to_string().contains("material"));
        assert_eq!(api.calls(), plan.calls());
    }

    #[tokio::test]
    async fn run_stops_at_the_first_error() {
        let plan = Plan::parse(&registry(), None).unwrap();
        let api = FakeApi::answering([
            (200, json!({"orgId": A})),
            (
                400,
                json!([{"errorCode": "INVALID_FIELD", "fields": ["publicKey"]}]),
            ),
        ]);
        assert!(matches!(
            run(&api, &plan).await,
            Err(Error::Api { status: 400, .. })
        ));
        assert_eq!(api.calls().len(), 2);
    }
}
