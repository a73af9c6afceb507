//! The AWS SDK configuration every function and the local server load, with its HTTPS client.
//!
//! The SDK's default HTTPS client trusts the system's root certificates, which it reads at start-up
//! (rustls-native-certs): on Debian that is every file of `/etc/ssl/certs`, measured at ~2.7 ms of
//! a ~6 ms cold start. Here the client trusts Mozilla's root set compiled into the binary
//! (`webpki-root-certs`, the set the system stores derive from): no file is read, and the roots
//! move with the binary, not with the image it runs on.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::Builder;

/// The SDK configuration from the environment (region, credentials, `AWS_ENDPOINT_URL*`), with
/// [`https_client`]. Makes no AWS call: credentials resolve on first use.
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// rustls on aws-lc (as the SDK's default client), trusting only the built-in roots.
pub fn https_client() -> SharedHttpClient {
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
