//! `keys …`: add, list, revoke. A key's PEM is read from its file and sent, never printed.

use std::fmt;
use std::path::Path;

use serde_json::{json, Value};

use super::settings::read_text;
use super::Output;
use crate::call::Call;
use crate::cli::KeyMaterialArgs;
use crate::client::Api;
use crate::error::Error;

/// Which field of the API a PEM goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaterialKind {
    PublicKey,
    Certificate,
}

impl MaterialKind {
    pub fn field(self) -> &'static str {
        match self {
            MaterialKind::PublicKey => "publicKey",
            MaterialKind::Certificate => "certificate",
        }
    }
}

/// A key to register: its subject, PEM and permissions.
#[derive(Clone, PartialEq, Eq)]
pub struct NewKey {
    pub subject: String,
    pub kind: MaterialKind,
    pem: String,
    pub permissions: Vec<String>,
    pub allow_token_reuse: bool,
}

/// Shows everything but the PEM.
impl fmt::Debug for NewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKey")
            .field("subject", &self.subject)
            .field("kind", &self.kind)
            .field("pem", &format_args!("[{} bytes]", self.pem.len()))
            .field("permissions", &self.permissions)
            .field("allow_token_reuse", &self.allow_token_reuse)
            .finish()
    }
}

impl NewKey {
    pub fn new(
        subject: &str,
        kind: MaterialKind,
        pem: String,
        permissions: &[String],
        allow_token_reuse: bool,
    ) -> Self {
        NewKey {
            subject: subject.to_owned(),
            kind,
            pem,
            permissions: permissions.to_vec(),
            allow_token_reuse,
        }
    }

    /// The key `keys add` describes, its PEM read from the file given.
    pub fn read(
        subject: &str,
        material: &KeyMaterialArgs,
        permissions: &[String],
        allow_token_reuse: bool,
    ) -> Result<Self, Error> {
        let (kind, path) = match (&material.public_key, &material.certificate) {
            (Some(path), None) => (MaterialKind::PublicKey, path),
            (None, Some(path)) => (MaterialKind::Certificate, path),
            _ => return Err(Error::usage("give one of --public-key and --certificate")),
        };
        let pem = read_pem(path, kind)?;
        Ok(Self::new(
            subject,
            kind,
            pem,
            permissions,
            allow_token_reuse,
        ))
    }

    /// The POST body (holds the PEM: never print it).
    pub fn body(&self) -> Value {
        let mut body = json!({
            "subject": self.subject,
            "permissions": self.permissions,
            "allowTokenReuse": self.allow_token_reuse,
        });
        body[self.kind.field()] = json!(self.pem);
        body
    }
}

/// The PEM text of `path`, checked to be PEM (the API checks it is a usable key); an error
/// names the file, never its content.
fn read_pem(path: &Path, kind: MaterialKind) -> Result<String, Error> {
    let what = match kind {
        MaterialKind::PublicKey => "the public key file",
        MaterialKind::Certificate => "the certificate file",
    };
    let pem = read_text(path, what)?;
    if !pem.contains("-----BEGIN ") {
        return Err(Error::usage(format!(
            "{what} {} is not PEM (-----BEGIN …-----)",
            path.display()
        )));
    }
    if pem.contains("PRIVATE KEY-----") {
        return Err(Error::usage(format!(
            "{what} {} holds a private key: register the public half only",
            path.display()
        )));
    }
    Ok(pem)
}

fn keys_of(org: &str) -> [&str; 3] {
    ["tenants", org, "keys"]
}

/// Registers `key`: `201` for a new key, `200` with its existing ids when the same key is
/// registered already for that subject.
pub async fn add(api: &impl Api, org: &str, key: &NewKey) -> Result<Output, Error> {
    let call = Call::post(&keys_of(org), key.body());
    let answer = api.send(&call).await?;
    let existed = answer.status == 200;
    let out = Output::json(answer.expect(&call, &[200, 201])?);
    Ok(if existed {
        out.note(format!(
            "this key of {} was registered already",
            key.subject
        ))
    } else {
        out
    })
}

pub async fn list(api: &impl Api, org: &str) -> Result<Output, Error> {
    let call = Call::get(&keys_of(org));
    api.send(&call)
        .await?
        .expect(&call, &[200])
        .map(Output::json)
}

pub async fn revoke(api: &impl Api, org: &str, key_id: &str) -> Result<Output, Error> {
    let call = Call::delete(&["tenants", org, "keys", key_id]);
    api.send(&call).await?.expect(&call, &[200, 204])?;
    Ok(Output::default().note(format!("revoked key {key_id} of {org}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fake::FakeApi;
    use std::path::PathBuf;

    const ORG: &str = "00D000000000001";
    const PEM: &str = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEsecret\n-----END PUBLIC KEY-----\n";

    fn temp_file(name: &str, text: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("tenant-admin-keys-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn material(public_key: Option<PathBuf>, certificate: Option<PathBuf>) -> KeyMaterialArgs {
        KeyMaterialArgs {
            public_key,
            certificate,
        }
    }

    #[test]
    fn the_body_carries_the_pem_under_its_field() {
        let path = temp_file("pub.pem", PEM);
        let key = NewKey::read(
            "cc",
            &material(Some(path.clone()), None),
            &["events:write".into()],
            true,
        )
        .unwrap();
        assert_eq!(
            key.body(),
            json!({"subject": "cc", "publicKey": PEM, "permissions": ["events:write"], "allowTokenReuse": true})
        );
        let cert = NewKey::read("cc", &material(None, Some(path.clone())), &[], false).unwrap();
        assert_eq!(cert.body()["certificate"], PEM);
        assert!(cert.body().get("publicKey").is_none());
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn debug_never_shows_the_pem() {
        let key = NewKey::new("cc", MaterialKind::PublicKey, PEM.into(), &[], false);
        assert!(!format!("{key:?}").contains("secret"));
    }

    #[test]
    fn what_is_not_a_public_pem_is_refused_without_echoing_it() {
        let not_pem = temp_file("not.pem", "ssh-rsa AAAAsecret user@host");
        let private = temp_file(
            "priv.pem",
            "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n",
        );
        for path in [not_pem, private] {
            let error =
                NewKey::read("cc", &material(Some(path.clone()), None), &[], false).unwrap_err();
            assert!(matches!(error, Error::Usage(_)));
            assert!(!error.to_string().contains("secret"), "{error}");
            std::fs::remove_file(path).unwrap();
        }
        let missing = NewKey::read(
            "cc",
            &material(Some("/nonexistent.pem".into()), None),
            &[],
            false,
        );
        assert!(matches!(missing, Err(Error::Usage(_))));
    }

    #[tokio::test]
    async fn adding_a_registered_key_again_is_fine_and_said_so() {
        let key = NewKey::new(
            "cc",
            MaterialKind::PublicKey,
            PEM.into(),
            &["events:write".into()],
            false,
        );
        let ids = json!({"keyId": "key_1", "fingerprint": "ab"});
        let api = FakeApi::answering([(201, ids.clone()), (200, ids.clone())]);
        let first = add(&api, ORG, &key).await.unwrap();
        assert_eq!(
            (first.json.as_ref(), first.note.as_ref()),
            (Some(&ids), None)
        );
        let again = add(&api, ORG, &key).await.unwrap();
        assert_eq!(again.json, Some(ids));
        assert!(again.note.is_some());
        assert_eq!(
            api.described()[0],
            format!("POST /admin/v1/tenants/{ORG}/keys")
        );
    }

    #[tokio::test]
    async fn revoke_deletes_the_key_by_its_id() {
        let api = FakeApi::answering([(204, Value::Null)]);
        let out = revoke(&api, ORG, "key_0a1b").await.unwrap();
        assert_eq!(out.json, None);
        assert_eq!(
            api.described(),
            [format!("DELETE /admin/v1/tenants/{ORG}/keys/key_0a1b")]
        );
    }
}
