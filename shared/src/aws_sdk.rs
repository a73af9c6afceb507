//! The AWS SDK configuration every function and the local server load, with its HTTPS client.
//!
//! The SDK's default HTTPS client trusts the system's root certificates, which it reads at start-up
//! (rustls-native-certs): on Debian that is every file of `/etc/ssl/certs`, measured at ~2.7 ms of
//! a ~6 ms cold start. Here the client trusts Mozilla's root set compiled into the binary
//! (`webpki-root-certs`, the set the system stores derive from): no file is read, and the roots
//! move with the binary, not with the image it runs on.
//!
//! Nor is the trust store built at start-up: the SDK builds a connector (and parses its roots,
//! ~0.5 ms each time) as each service client is created, to fail early on a bad system store.
//! A built-in store cannot be bad, so [`OnFirstRequest`] leaves that to the first request.

use aws_config::{BehaviorVersion, SdkConfig};
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
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// rustls on aws-lc (as the SDK's default client), trusting only the built-in roots, with its
/// connectors made on first use.
pub fn https_client() -> SharedHttpClient {
    SharedHttpClient::new(OnFirstRequest(built_in_roots_client()))
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

/// An HTTP client whose connectors (one per timeout setting, cached by the inner client) are
/// made when a request first needs one: it skips only the early check the SDK runs as each service
/// client is created (`validate_base_client_config`, which defaults to doing nothing).
#[derive(Debug)]
struct OnFirstRequest(SharedHttpClient);

impl HttpClient for OnFirstRequest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
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
