//! The AWS SDK configuration every function and the local server load, with its HTTPS client.
//!
//! The SDK's default HTTPS client trusts the system's root certificates, which it reads at start-up
//! (rustls-native-certs): on Debian that is every file of `/etc/ssl/certs`, measured at ~2.7 ms of
//! a ~6 ms cold start. Here the client trusts Mozilla's root set compiled into the binary
//! (`webpki-root-certs`, the set the system stores derive from): no file is read, and the roots
//! move with the binary, not with the image it runs on.
//!
//! Nor is the client built at start-up: its TLS context (the roots as a PEM bundle, ~0.5 ms) and
//! its connectors (the SDK makes one as each service client is created, to fail early on a bad
//! system store; a built-in store cannot be bad) are made by [`OnFirstRequest`] when the first
//! request needs them.
//!
//! Nor are the service clients: creating one runs the SDK's runtime plugins once to check them
//! (~0.1–0.2 ms a client). [`OnFirstUse`] makes each when its first request needs it, so a cold
//! start refused before any AWS call (a bad token, a bad body) never pays for it.
//!
//! And where the environment already holds them, as Lambda's always does, credentials and region
//! are taken from it without building the default provider chains (profile files, IMDS, SSO, STS:
//! ~0.5 ms of init). The chains would resolve the environment's first anyway.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::Builder;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// The SDK configuration from the environment (region, credentials, `AWS_ENDPOINT_URL*`), with
/// [`https_client`]. Makes no AWS call: credentials resolve on first use.
pub async fn load() -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client());
    if let Some(region) = env_region() {
        loader = loader.region(region);
    }
    if env_has_credentials() {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    loader.load().await
}

/// A service client made when first used (or given ready-made, `From` a client). Clones share
/// it: the client is made once for all of them.
pub struct OnFirstUse<C> {
    client: Arc<OnceLock<C>>,
    make: Option<Arc<dyn Fn() -> C + Send + Sync>>,
}

impl<C: 'static> OnFirstUse<C> {
    /// `make` runs once, when [`OnFirstUse::get`] is first called.
    pub fn new(make: impl Fn() -> C + Send + Sync + 'static) -> Self {
        Self {
            client: Arc::new(OnceLock::new()),
            make: Some(Arc::new(make)),
        }
    }

    /// A client of `sdk`'s configuration (`aws_sdk_dynamodb::Client::new`, …).
    pub fn of(sdk: &SdkConfig, new: fn(&SdkConfig) -> C) -> Self {
        let sdk = sdk.clone();
        Self::new(move || new(&sdk))
    }

    pub fn get(&self) -> &C {
        self.client.get_or_init(|| match &self.make {
            Some(make) => make(),
            None => unreachable!("a ready-made client is set at construction"),
        })
    }
}

impl<C> From<C> for OnFirstUse<C> {
    fn from(client: C) -> Self {
        Self {
            client: Arc::new(OnceLock::from(client)),
            make: None,
        }
    }
}

impl<C> Clone for OnFirstUse<C> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            make: self.make.clone(),
        }
    }
}

impl<C> std::fmt::Debug for OnFirstUse<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnFirstUse")
            .field("made", &self.client.get().is_some())
            .finish()
    }
}

/// The region the default chain would take first: `AWS_REGION`, else `AWS_DEFAULT_REGION`.
fn env_region() -> Option<Region> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|v| !v.trim().is_empty())
        .map(Region::new)
}

/// Whether the environment holds credentials, the default chain's first source.
fn env_has_credentials() -> bool {
    let set = |name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY")
}

/// rustls on aws-lc (as the SDK's default client), trusting only the built-in roots, built on
/// first use.
pub fn https_client() -> SharedHttpClient {
    SharedHttpClient::new(OnFirstRequest(OnceLock::new()))
}

fn built_in_roots_client() -> SharedHttpClient {
    let context = TlsContext::builder()
        .with_trust_store(
            TrustStore::empty()
                .with_native_roots(false)
                .with_pem_certificate(root_bundle()),
        )
        .build()
        .expect("a TLS context with a trust store always builds");
    Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

/// An HTTP client built, with its TLS context, when a request first needs a connector (one per
/// timeout setting, cached by the inner client). It skips only the early check the SDK runs as
/// each service client is created (`validate_base_client_config`, which defaults to doing
/// nothing).
#[derive(Debug)]
struct OnFirstRequest(OnceLock<SharedHttpClient>);

impl HttpClient for OnFirstRequest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0
            .get_or_init(built_in_roots_client)
            .http_connector(settings, components)
    }

    /// What the inner (hyper 1) client reports, without building it.
    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        Some(ConnectorMetadata::new("hyper", Some(Cow::Borrowed("1.x"))))
    }
}

/// The built-in roots as one PEM bundle, the form the SDK's trust store takes.
fn root_bundle() -> String {
    let roots: Vec<pem::Pem> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| pem::Pem::new("CERTIFICATE", der.as_ref()))
        .collect();
    pem::encode_many(&roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_made_once_on_first_use() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let made = Arc::new(AtomicUsize::new(0));
        let counter = made.clone();
        let lazy = OnFirstUse::new(move || counter.fetch_add(1, Ordering::SeqCst) + 40);
        assert_eq!(made.load(Ordering::SeqCst), 0);
        assert_eq!(*lazy.get(), 40);
        assert_eq!(*lazy.get(), 40);
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert_eq!(*OnFirstUse::from(7).get(), 7);
    }

    #[test]
    fn the_lazy_client_reports_the_built_clients_metadata_without_building_it() {
        let lazy = OnFirstRequest(OnceLock::new());
        let built = built_in_roots_client()
            .connector_metadata()
            .expect("metadata");
        let reported = lazy.connector_metadata().expect("metadata");
        assert_eq!(reported.name(), built.name());
        assert_eq!(reported.version(), built.version());
        assert!(lazy.0.get().is_none(), "built to answer its metadata");
    }

    #[test]
    fn the_bundle_holds_every_built_in_root_and_parses_back() {
        let bundle = root_bundle();
        let parsed = pem::parse_many(&bundle).expect("PEM");
        assert!(parsed.len() > 100, "{} roots", parsed.len());
        assert_eq!(parsed.len(), webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        for (pem, der) in parsed.iter().zip(webpki_root_certs::TLS_SERVER_ROOT_CERTS) {
            assert_eq!(pem.tag(), "CERTIFICATE");
            assert_eq!(pem.contents(), der.as_ref());
        }
    }
}
