//! The trusted-key registry: loading it, and verifying requests against it.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::error::{excerpt, KeyProblem, RegistryError};
use super::keys::{load_key, Material, Permissions, TrustedKey};
use super::{jwt, AuthError, Permission, Verified};

/// Names of the environment variables [`KeyRegistry::from_env`] reads.
const ENV_INLINE: &str = "TRUSTED_KEYS";
const ENV_FILE: &str = "TRUSTED_KEYS_FILE";

/// Public keys trusted to sign bearer tokens, per `(orgId, subject)`, with what each allows.
///
/// Built once at start-up ([`KeyRegistry::from_env`]); immutable afterwards, so it is `Send +
/// Sync` and can be shared behind an `Arc` without locking.
///
/// The document format:
///
/// ```json
/// { "audiences": ["https://scrt.salesforce.com"],
///   "keys": [
///     { "orgId": "00D...", "subject": "scv4cc1", "publicKey": "-----BEGIN PUBLIC KEY-----\n...",
///       "permissions": ["events:write"] },
///     { "orgId": "00D...", "subject": "insights-console", "certificate": "-----BEGIN CERTIFICATE-----\n...",
///       "permissions": ["intelligence:read"] } ] }
/// ```
///
/// `publicKey` takes SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`) PEM; `certificate` an X.509
/// `CERTIFICATE` whose key is used (its validity dates are not enforced: it is only a container).
/// Several entries for one `(orgId, subject)` are all accepted, for key rotation.
/// Without `audiences`, tokens carrying an `aud` are refused.
pub struct KeyRegistry {
    /// orgId → subject → keys. Nested so a lookup borrows the token's strings.
    orgs: HashMap<String, HashMap<String, Vec<TrustedKey>>>,
    audiences: Vec<String>,
    /// The entries as registered, in document order: what an import turns into tenant records.
    entries: Vec<RegistryEntry>,
    len: usize,
}

/// One entry of a registry document, checked (its key loads) and kept as text.
#[derive(Clone)]
pub struct RegistryEntry {
    pub org_id: String,
    pub subject: String,
    pub material: KeyMaterial,
    pub permissions: Vec<Permission>,
    pub allow_token_reuse: bool,
}

/// Registered PEM text, by the field it was registered under.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    PublicKey(String),
    Certificate(String),
}

impl KeyMaterial {
    pub(crate) fn as_material(&self) -> Material<'_> {
        match self {
            KeyMaterial::PublicKey(pem) => Material::PublicKey(pem),
            KeyMaterial::Certificate(pem) => Material::Certificate(pem),
        }
    }
}

impl KeyRegistry {
    /// Parses a registry document (see the type's documentation).
    pub fn from_json(doc: &str) -> Result<Self, RegistryError> {
        let value: Value = serde_json::from_str(doc).map_err(|e| RegistryError::json(&e))?;
        let Value::Object(top) = value else {
            return Err(document("the document must be a JSON object"));
        };
        if let Some(name) = top
            .keys()
            .find(|k| !matches!(k.as_str(), "audiences" | "keys"))
        {
            return Err(document(format!("unknown field {:?}", excerpt(name))));
        }
        let mut registry = KeyRegistry {
            orgs: HashMap::new(),
            audiences: parse_audiences(top.get("audiences"))?,
            entries: Vec::new(),
            len: 0,
        };
        let Some(Value::Array(entries)) = top.get("keys") else {
            return Err(document("keys must be an array"));
        };
        for (index, entry) in entries.iter().enumerate() {
            let (registered, key) = load_entry(entry).map_err(|problem| {
                let name = |field| entry.get(field).and_then(Value::as_str).map(excerpt);
                RegistryError::Key {
                    index,
                    org_id: name("orgId").unwrap_or_default(),
                    subject: name("subject").unwrap_or_default(),
                    problem,
                }
            })?;
            let subjects = registry.orgs.entry(registered.org_id.clone()).or_default();
            subjects
                .entry(registered.subject.clone())
                .or_default()
                .push(key);
            registry.entries.push(registered);
            registry.len += 1;
        }
        Ok(registry)
    }

    /// Reads the registry from `TRUSTED_KEYS` (the document itself) or else from the file named
    /// by `TRUSTED_KEYS_FILE`. With neither set (empty counts as unset) the registry is empty,
    /// and every request will be refused.
    pub fn from_env() -> Result<Self, RegistryError> {
        let inline = match std::env::var_os(ENV_INLINE) {
            Some(v) => Some(
                v.into_string()
                    .map_err(|_| document(format!("{ENV_INLINE} is not valid UTF-8")))?,
            ),
            None => None,
        };
        let file = std::env::var_os(ENV_FILE).map(PathBuf::from);
        let registry = Self::from_sources(inline, file)?;
        tracing::info!(keys = registry.len(), "loaded trusted keys");
        Ok(registry)
    }

    fn from_sources(inline: Option<String>, file: Option<PathBuf>) -> Result<Self, RegistryError> {
        if let Some(doc) = inline.filter(|d| !d.trim().is_empty()) {
            return Self::from_json(&doc);
        }
        match file.filter(|p| !p.as_os_str().is_empty()) {
            Some(path) => match std::fs::read_to_string(&path) {
                Ok(doc) => Self::from_json(&doc),
                Err(source) => Err(RegistryError::Read { path, source }),
            },
            None => Ok(Self::empty()),
        }
    }

    fn empty() -> Self {
        KeyRegistry {
            orgs: HashMap::new(),
            audiences: Vec::new(),
            entries: Vec::new(),
            len: 0,
        }
    }

    /// Number of registered keys.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The accepted `aud` values.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The entries as registered (PEM text, never logged).
    pub fn entries(&self) -> &[RegistryEntry] {
        &self.entries
    }

    /// Authenticates a request. `authorization` is the raw `Authorization` header value, if any;
    /// `now` is unix seconds.
    ///
    /// Checks run cheapest first and in an order that makes the error say what is wrong: token
    /// shape and header algorithm, then issuer/subject, then [`Presented::verify`].
    pub fn verify(
        &self,
        authorization: Option<&str>,
        needed: Permission,
        now: u64,
    ) -> Result<Verified, AuthError> {
        let presented = Presented::read(authorization)?;
        let keys = self
            .orgs
            .get(presented.issuer())
            .and_then(|subjects| subjects.get(presented.subject()))
            .ok_or(AuthError::UnknownIssuerOrSubject)?;
        presented.verify(keys, &self.audiences, needed, now)
    }
}

/// A bearer token read but not yet verified: its header's algorithm and its claims, with the
/// issuer and subject known to be present. Whoever holds the keys of that issuer and subject
/// (this registry, or a tenant record) finishes with [`Presented::verify`].
pub(crate) struct Presented<'a> {
    token: &'a str,
    alg: jsonwebtoken::Algorithm,
    claims: jwt::Claims,
}

impl<'a> Presented<'a> {
    /// The token's shape and header algorithm, then its (unverified) `iss` and `sub`.
    pub fn read(authorization: Option<&'a str>) -> Result<Self, AuthError> {
        let token = jwt::bearer_token(authorization)?;
        let alg = jwt::header_alg(token)?;
        let claims = jwt::unverified_claims(token)?;
        if claims.iss.is_none() {
            return Err(AuthError::MissingClaim("iss"));
        }
        if claims.sub.is_none() {
            return Err(AuthError::MissingClaim("sub"));
        }
        Ok(Self { token, alg, claims })
    }

    /// The unverified `iss`: which tenant's keys to try.
    pub fn issuer(&self) -> &str {
        self.claims.iss.as_deref().unwrap_or_default()
    }

    /// The unverified `sub`: which of the tenant's keys to try.
    pub fn subject(&self) -> &str {
        self.claims.sub.as_deref().unwrap_or_default()
    }

    /// Checks the token against the keys registered for its issuer and subject: permission,
    /// key type, the signature (one check unless the token is signed by a later key of a
    /// rotation), and finally the verified claims' times and `audiences`.
    pub fn verify(
        self,
        keys: &[TrustedKey],
        audiences: &[String],
        needed: Permission,
        now: u64,
    ) -> Result<Verified, AuthError> {
        let mut permitted = keys
            .iter()
            .filter(|k| k.permissions.contains(needed))
            .peekable();
        if permitted.peek().is_none() {
            return Err(AuthError::MissingPermission(needed));
        }
        let mut usable = permitted.filter(|k| k.alg == self.alg).peekable();
        if usable.peek().is_none() {
            return Err(AuthError::AlgorithmNotAllowed);
        }
        // The first key whose signature matches wins; any other failure is final. The claims
        // read above are then verified: the signature covers those very bytes.
        let token = self.token;
        let allow_token_reuse = usable
            .map(|k| k.verify_signature(token).map(|()| k.allow_token_reuse))
            .find(|r| !matches!(r, Err(AuthError::InvalidSignature)))
            .unwrap_or(Err(AuthError::InvalidSignature))?;

        let expires_at = jwt::check_claims(&self.claims, now, audiences)?;
        let claims = self.claims;
        Ok(Verified {
            // Both are present: checked when read.
            org_id: claims.iss.unwrap_or_default(),
            subject: claims.sub.unwrap_or_default(),
            jti: claims.jti,
            expires_at,
            allow_token_reuse,
        })
    }
}

/// Lists who is registered, never the keys.
impl fmt::Debug for KeyRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subjects: Vec<(&str, &str, usize)> = self
            .orgs
            .iter()
            .flat_map(|(org, subs)| {
                subs.iter()
                    .map(move |(sub, keys)| (org.as_str(), sub.as_str(), keys.len()))
            })
            .collect();
        f.debug_struct("KeyRegistry")
            .field("keys", &self.len)
            .field("audiences", &self.audiences)
            .field("subjects", &subjects)
            .finish()
    }
}

fn document(message: impl Into<String>) -> RegistryError {
    RegistryError::Document(message.into())
}

fn parse_audiences(value: Option<&Value>) -> Result<Vec<String>, RegistryError> {
    let bad = || document("audiences must be an array of non-empty strings");
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|a| match a {
                Value::String(s) if !s.is_empty() => Ok(s.clone()),
                _ => Err(bad()),
            })
            .collect(),
        Some(_) => Err(bad()),
    }
}

const ENTRY_FIELDS: [&str; 6] = [
    "orgId",
    "subject",
    "publicKey",
    "certificate",
    "permissions",
    "allowTokenReuse",
];

fn load_entry(entry: &Value) -> Result<(RegistryEntry, TrustedKey), KeyProblem> {
    let Value::Object(fields) = entry else {
        return Err(KeyProblem::NotAnObject);
    };
    if let Some(name) = fields.keys().find(|k| !ENTRY_FIELDS.contains(&k.as_str())) {
        return Err(KeyProblem::UnknownField(excerpt(name)));
    }
    let org_id = required_str(fields, "orgId")?;
    let subject = required_str(fields, "subject")?;
    let (permissions, listed) = parse_permissions(fields.get("permissions"))?;
    let material = match (
        optional_str(fields, "publicKey")?,
        optional_str(fields, "certificate")?,
    ) {
        (Some(pem), None) => KeyMaterial::PublicKey(pem.to_owned()),
        (None, Some(pem)) => KeyMaterial::Certificate(pem.to_owned()),
        _ => return Err(KeyProblem::KeyMaterialCount),
    };
    let allow_token_reuse = match fields.get("allowTokenReuse") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(KeyProblem::BadBoolean("allowTokenReuse")),
    };
    let mut key = load_key(material.as_material(), permissions)?;
    key.allow_token_reuse = allow_token_reuse;
    let registered = RegistryEntry {
        org_id: org_id.to_owned(),
        subject: subject.to_owned(),
        material,
        permissions: listed,
        allow_token_reuse,
    };
    Ok((registered, key))
}

fn required_str<'a>(
    fields: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, KeyProblem> {
    optional_str(fields, name)?.ok_or(KeyProblem::BadString(name))
}

/// `None` when absent or null; an error when present but not a non-empty string.
fn optional_str<'a>(
    fields: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, KeyProblem> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        Some(_) => Err(KeyProblem::BadString(name)),
    }
}

/// The set, and the permissions in document order without repeats.
pub(crate) fn parse_permissions(
    value: Option<&Value>,
) -> Result<(Permissions, Vec<Permission>), KeyProblem> {
    let Some(Value::Array(items)) = value else {
        return Err(KeyProblem::BadPermissions);
    };
    let mut permissions = Permissions::default();
    let mut listed = Vec::new();
    for item in items {
        let name = item.as_str().ok_or(KeyProblem::BadPermissions)?;
        let p =
            Permission::parse(name).ok_or_else(|| KeyProblem::UnknownPermission(excerpt(name)))?;
        if !permissions.contains(p) {
            listed.push(p);
        }
        permissions.insert(p);
    }
    // A key that allows nothing can only be a mistake in the document.
    if permissions == Permissions::default() {
        return Err(KeyProblem::BadPermissions);
    }
    Ok((permissions, listed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_precedence() {
        let dir = std::env::temp_dir().join(format!("auth-registry-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.json");
        std::fs::write(&path, r#"{"keys": [], "audiences": ["from-file"]}"#).unwrap();
        let inline = Some(r#"{"keys": [], "audiences": ["inline"]}"#.to_owned());

        let r = KeyRegistry::from_sources(inline.clone(), Some(path.clone())).unwrap();
        assert_eq!(r.audiences, ["inline"], "TRUSTED_KEYS wins");
        let r = KeyRegistry::from_sources(Some("  ".into()), Some(path.clone())).unwrap();
        assert_eq!(
            r.audiences,
            ["from-file"],
            "blank TRUSTED_KEYS counts as unset"
        );
        let r = KeyRegistry::from_sources(None, None).unwrap();
        assert!(r.is_empty() && r.audiences.is_empty());
        let err = KeyRegistry::from_sources(None, Some(dir.join("absent.json"))).unwrap_err();
        assert!(matches!(err, RegistryError::Read { .. }), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn document_errors() {
        let cases = [
            ("", "invalid JSON"),
            ("{\"keys\": [", "invalid JSON"),
            ("[]", "must be a JSON object"),
            ("{}", "keys must be an array"),
            (r#"{"keys": [], "key": []}"#, "unknown field \"key\""),
            (r#"{"keys": [], "audiences": "x"}"#, "audiences must be"),
            (r#"{"keys": [], "audiences": [""]}"#, "audiences must be"),
        ];
        for (doc, expected) in cases {
            let err = KeyRegistry::from_json(doc).unwrap_err().to_string();
            assert!(err.contains(expected), "{doc:?}: {err}");
        }
    }

    #[test]
    fn entry_field_errors_name_the_entry() {
        let cases = [
            (r#"[1]"#, KeyProblem::NotAnObject),
            (
                r#"{"orgId": "o", "subject": "s", "permissions": ["events:write"], "publicKey": "x", "kid": 1}"#,
                KeyProblem::UnknownField("kid".into()),
            ),
            (
                r#"{"subject": "s", "permissions": ["events:write"], "publicKey": "x"}"#,
                KeyProblem::BadString("orgId"),
            ),
            (
                r#"{"orgId": "o", "subject": "", "permissions": ["events:write"], "publicKey": "x"}"#,
                KeyProblem::BadString("subject"),
            ),
            (
                r#"{"orgId": "o", "subject": "s", "permissions": ["events:write"]}"#,
                KeyProblem::KeyMaterialCount,
            ),
            (
                r#"{"orgId": "o", "subject": "s", "permissions": ["events:write"], "publicKey": "x", "certificate": "y"}"#,
                KeyProblem::KeyMaterialCount,
            ),
            (
                r#"{"orgId": "o", "subject": "s", "permissions": [], "publicKey": "x"}"#,
                KeyProblem::BadPermissions,
            ),
            (
                r#"{"orgId": "o", "subject": "s", "publicKey": "x"}"#,
                KeyProblem::BadPermissions,
            ),
            (
                r#"{"orgId": "o", "subject": "s", "permissions": ["events:read"], "publicKey": "x"}"#,
                KeyProblem::UnknownPermission("events:read".into()),
            ),
            (
                r#"{"orgId": "o", "subject": "s", "permissions": ["events:write"], "publicKey": "x"}"#,
                KeyProblem::BadPem,
            ),
        ];
        for (entry, expected) in cases {
            let doc = format!(r#"{{"keys": [{entry}]}}"#);
            match KeyRegistry::from_json(&doc) {
                Err(RegistryError::Key {
                    index: 0, problem, ..
                }) => assert_eq!(problem, expected, "{entry}"),
                other => panic!("{entry}: {other:?}"),
            }
        }
    }
}
