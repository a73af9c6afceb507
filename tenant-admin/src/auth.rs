//! How requests are authorised: the local server's admin token as a bearer token, or SigV4
//! with the operator's AWS credentials (API Gateway's `AWS_IAM` authorization).
//!
//! The rule: a token given (`--admin-token`, `ADMIN_TOKEN`, `--admin-token-file`) is used as
//! it is; else the file `make run` keeps (`.dev-keys/admin-token`) is used for a server on this
//! machine; else the request is signed. The default file is never sent to a remote endpoint: an
//! operator who ran `make run` in this checkout and then points the tool at AWS must get
//! SigV4, not a dev token sent to API Gateway.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION};

use crate::call::Endpoint;
use crate::error::Error;
use crate::sigv4;

/// The local admin token. Shown nowhere: not by `Debug`, not in errors.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(String);

impl AdminToken {
    /// A token from text (trimmed); `None` when it is blank.
    pub fn new(text: &str) -> Option<Self> {
        let text = text.trim();
        (!text.is_empty()).then(|| AdminToken(text.to_owned()))
    }

    fn header(&self) -> Result<HeaderValue, Error> {
        let mut value = HeaderValue::try_from(format!("Bearer {}", self.0))
            .map_err(|_| Error::usage("the admin token holds characters a header cannot carry"))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken([redacted])")
    }
}

/// Where an admin token may come from, as the command line and environment give them.
#[derive(Debug, Clone, Default)]
pub struct TokenSources {
    /// `--admin-token` or `ADMIN_TOKEN`.
    pub token: Option<String>,
    /// `--admin-token-file`: must be readable when given.
    pub token_file: Option<PathBuf>,
    /// The file `make run` writes (`$DEV_KEYS_DIR/admin-token`, else `.dev-keys/admin-token`).
    pub default_file: PathBuf,
}

/// The file `make run` writes its admin token to, as the local server names it.
pub fn default_token_file(dev_keys_dir: Option<&str>) -> PathBuf {
    let dir = dev_keys_dir
        .filter(|d| !d.trim().is_empty())
        .unwrap_or(".dev-keys");
    Path::new(dir).join("admin-token")
}

/// Which authorisation the requests carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthChoice {
    Bearer(AdminToken),
    SigV4,
}

/// Applies the module's rule.
pub fn choose(sources: &TokenSources, endpoint: &Endpoint) -> Result<AuthChoice, Error> {
    if let Some(token) = sources.token.as_deref().and_then(AdminToken::new) {
        return Ok(AuthChoice::Bearer(token));
    }
    if let Some(path) = &sources.token_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::usage(format!(
                "cannot read the admin token file {}: {e}",
                path.display()
            ))
        })?;
        return AdminToken::new(&text)
            .map(AuthChoice::Bearer)
            .ok_or_else(|| {
                Error::usage(format!("the admin token file {} is empty", path.display()))
            });
    }
    if endpoint.is_loopback() {
        if let Some(token) = std::fs::read_to_string(&sources.default_file)
            .ok()
            .as_deref()
            .and_then(AdminToken::new)
        {
            return Ok(AuthChoice::Bearer(token));
        }
    }
    Ok(AuthChoice::SigV4)
}

/// Signs with credentials of the SDK's default chain (environment, profile files, web identity,
/// container and instance roles; SSO and `credential_process` with the `sso` feature), fetched
/// once and again only when they near expiry.
pub struct Signer {
    provider: SharedCredentialsProvider,
    region: String,
    cached: Mutex<Option<Credentials>>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// Credentials closer than this to their expiry are fetched again.
const REFRESH_BEFORE: Duration = Duration::from_secs(300);

impl Signer {
    /// Loads the AWS configuration (`profile`, else `AWS_PROFILE`, else the default). The
    /// region is `region` when given, else the endpoint's (an `execute-api` host names it),
    /// else the configuration's.
    pub async fn load(
        endpoint: &Endpoint,
        region: Option<&str>,
        profile: Option<&str>,
    ) -> Result<Self, Error> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = profile {
            loader = loader.profile_name(profile);
        }
        let chosen = region
            .map(str::to_owned)
            .or_else(|| endpoint.execute_api_region());
        if let Some(region) = &chosen {
            loader = loader.region(Region::new(region.clone()));
        }
        let sdk = loader.load().await;
        let region = chosen
            .or_else(|| sdk.region().map(|r| r.to_string()))
            .ok_or_else(|| {
                Error::usage(format!(
                    "no AWS region to sign for: the endpoint's host ({}) names none; pass --region or set AWS_REGION",
                    endpoint.host()
                ))
            })?;
        let provider = sdk
            .credentials_provider()
            .ok_or_else(|| Error::Signing("no AWS credentials provider is configured".into()))?;
        Ok(Self::new(provider, region))
    }

    pub fn new(provider: SharedCredentialsProvider, region: String) -> Self {
        Signer {
            provider,
            region,
            cached: Mutex::new(None),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    async fn credentials(&self) -> Result<Credentials, Error> {
        let fresh = |c: &Credentials| {
            c.expiry().is_none_or(|at| {
                at.duration_since(SystemTime::now())
                    .is_ok_and(|left| left > REFRESH_BEFORE)
            })
        };
        if let Some(credentials) = self.cached.lock().expect("not poisoned").as_ref() {
            if fresh(credentials) {
                return Ok(credentials.clone());
            }
        }
        let credentials = self.provider.provide_credentials().await.map_err(|e| {
            let sso = if cfg!(feature = "sso") {
                ""
            } else {
                " (an SSO or credential_process profile needs a build with --features sso, or \
                 `eval \"$(aws configure export-credentials --format env)\"` first)"
            };
            Error::Signing(format!(
                "no AWS credentials to sign with ({e}); configure them as for the AWS CLI{sso}, \
                 or pass --admin-token for a local server"
            ))
        })?;
        *self.cached.lock().expect("not poisoned") = Some(credentials.clone());
        Ok(credentials)
    }
}

/// The authorisation every request of a run carries.
#[derive(Debug)]
pub enum Auth {
    Bearer(AdminToken),
    SigV4(Signer),
}

impl Auth {
    /// Adds the authorisation to `request` (complete but for `content-length`).
    pub async fn authorize(&self, request: &mut http::Request<Bytes>) -> Result<(), Error> {
        match self {
            Auth::Bearer(token) => {
                request.headers_mut().insert(AUTHORIZATION, token.header()?);
                Ok(())
            }
            Auth::SigV4(signer) => {
                let credentials = signer.credentials().await?;
                sigv4::sign_request(request, &credentials, &signer.region, SystemTime::now())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            let dir = std::env::temp_dir().join(format!(
                "tenant-admin-auth-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn file(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, text).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn local() -> Endpoint {
        Endpoint::parse("http://127.0.0.1:3000").unwrap()
    }

    fn aws() -> Endpoint {
        Endpoint::parse("https://abc.execute-api.eu-west-1.amazonaws.com").unwrap()
    }

    fn bearer(text: &str) -> AuthChoice {
        AuthChoice::Bearer(AdminToken::new(text).unwrap())
    }

    #[test]
    fn a_given_token_is_a_bearer_token_anywhere() {
        let sources = TokenSources {
            token: Some(" given \n".into()),
            default_file: "/nonexistent/admin-token".into(),
            ..Default::default()
        };
        assert_eq!(choose(&sources, &local()).unwrap(), bearer("given"));
        assert_eq!(choose(&sources, &aws()).unwrap(), bearer("given"));
    }

    #[test]
    fn a_given_token_file_is_read_and_must_exist() {
        let dir = TempDir::new();
        let sources = TokenSources {
            token_file: Some(dir.file("given-file", "from-file\n")),
            default_file: dir.file("default", "from-default"),
            ..Default::default()
        };
        assert_eq!(choose(&sources, &aws()).unwrap(), bearer("from-file"));
        let missing = TokenSources {
            token_file: Some(dir.0.join("missing")),
            ..sources.clone()
        };
        assert!(matches!(choose(&missing, &local()), Err(Error::Usage(_))));
        let empty = TokenSources {
            token_file: Some(dir.file("empty", "  \n")),
            ..sources
        };
        assert!(matches!(choose(&empty, &local()), Err(Error::Usage(_))));
    }

    #[test]
    fn a_blank_token_counts_as_none() {
        let sources = TokenSources {
            token: Some("   ".into()),
            default_file: "/nonexistent/admin-token".into(),
            ..Default::default()
        };
        assert_eq!(choose(&sources, &aws()).unwrap(), AuthChoice::SigV4);
    }

    #[test]
    fn the_default_file_serves_a_local_server_only() {
        let dir = TempDir::new();
        let sources = TokenSources {
            default_file: dir.file("admin-token", "dev-token\n"),
            ..Default::default()
        };
        assert_eq!(choose(&sources, &local()).unwrap(), bearer("dev-token"));
        assert_eq!(choose(&sources, &aws()).unwrap(), AuthChoice::SigV4);
        let absent = TokenSources {
            default_file: dir.0.join("absent"),
            ..Default::default()
        };
        assert_eq!(choose(&absent, &local()).unwrap(), AuthChoice::SigV4);
    }

    #[test]
    fn the_default_file_follows_dev_keys_dir() {
        assert_eq!(default_token_file(None), Path::new(".dev-keys/admin-token"));
        assert_eq!(
            default_token_file(Some("")),
            Path::new(".dev-keys/admin-token")
        );
        assert_eq!(
            default_token_file(Some("/tmp/k")),
            Path::new("/tmp/k/admin-token")
        );
    }

    #[test]
    fn the_token_is_never_shown() {
        let token = AdminToken::new("s3cret-token").unwrap();
        assert!(!format!("{token:?}").contains("s3cret"));
        assert!(!format!("{:?}", bearer("s3cret-token")).contains("s3cret"));
        let auth = Auth::Bearer(token);
        assert!(!format!("{auth:?}").contains("s3cret"));
    }

    #[tokio::test]
    async fn bearer_auth_sets_a_sensitive_authorization_header() {
        let auth = Auth::Bearer(AdminToken::new("tok").unwrap());
        let mut request = http::Request::new(Bytes::new());
        auth.authorize(&mut request).await.unwrap();
        let value = request.headers().get(AUTHORIZATION).unwrap();
        assert_eq!(value, "Bearer tok");
        assert!(value.is_sensitive());
    }

    #[tokio::test]
    async fn sigv4_auth_signs_with_the_providers_credentials_and_caches_them() {
        let provider = SharedCredentialsProvider::new(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            Some("token".into()),
            None,
            "test",
        ));
        let auth = Auth::SigV4(Signer::new(provider, "eu-west-1".into()));
        for _ in 0..2 {
            let mut request = http::Request::builder()
                .uri("https://abc.execute-api.eu-west-1.amazonaws.com/admin/v1/tenants")
                .body(Bytes::new())
                .unwrap();
            auth.authorize(&mut request).await.unwrap();
            let authorization = request.headers()["authorization"].to_str().unwrap();
            assert!(
                authorization.contains("Credential=AKIDEXAMPLE/"),
                "{authorization}"
            );
            assert!(authorization.contains("/eu-west-1/execute-api/aws4_request"));
            assert_eq!(request.headers()["x-amz-security-token"], "token");
        }
        let Auth::SigV4(signer) = &auth else {
            unreachable!()
        };
        assert!(signer.cached.lock().unwrap().is_some());
    }
}
