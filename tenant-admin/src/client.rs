//! The admin API over HTTP(S): an endpoint, an authorisation, one connection pool.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::auth::Auth;
use crate::call::{Call, Endpoint};
use crate::error::Error;

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An answer of the admin API: its status and its JSON body (`Null` when empty; a body that is
/// not JSON is kept as a string).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    fn from_bytes(status: u16, bytes: &[u8]) -> Self {
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
        };
        Answer { status, body }
    }

    /// The body when the status is one of `expected`, else the API's error.
    pub fn expect(self, call: &Call, expected: &[u16]) -> Result<Value, Error> {
        if expected.contains(&self.status) {
            return Ok(self.body);
        }
        let body = match &self.body {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            json => serde_json::to_string_pretty(json).unwrap_or_default(),
        };
        Err(Error::Api {
            call: call.describe(),
            status: self.status,
            body,
        })
    }
}

/// What the commands need of the admin API: one call, one answer. [`Client`] is the real one;
/// tests put a recording double in its place.
pub trait Api {
    fn send(&self, call: &Call) -> impl Future<Output = Result<Answer, Error>> + Send;
}

type Https = HttpsConnector<HttpConnector>;

/// The admin API at one endpoint, every request authorised by `auth`.
pub struct Client {
    endpoint: Endpoint,
    auth: Auth,
    http: hyper_util::client::legacy::Client<Https, Full<Bytes>>,
}

impl Client {
    pub fn new(endpoint: Endpoint, auth: Auth) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Client {
            endpoint,
            auth,
            http: hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(https),
        }
    }

    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    fn request(&self, call: &Call) -> Result<http::Request<Bytes>, Error> {
        let mut builder = http::Request::builder()
            .method(call.method.clone())
            .uri(self.endpoint.url(call))
            .header(ACCEPT, "application/json")
            .header(
                USER_AGENT,
                concat!("tenant-admin/", env!("CARGO_PKG_VERSION")),
            );
        let body = match &call.body {
            Some(json) => {
                builder = builder.header(CONTENT_TYPE, "application/json");
                Bytes::from(serde_json::to_vec(json).expect("a JSON value serialises"))
            }
            None => Bytes::new(),
        };
        builder
            .body(body)
            .map_err(|e| Error::usage(format!("{}: not a valid request: {e}", call.describe())))
    }
}

impl Api for Client {
    async fn send(&self, call: &Call) -> Result<Answer, Error> {
        let mut request = self.request(call)?;
        self.auth.authorize(&mut request).await?;
        let failed = |reason: String| Error::Transport {
            call: call.describe(),
            reason,
        };
        let exchange = async {
            let response = self
                .http
                .request(request.map(Full::new))
                .await
                .map_err(|e| failed(describe_error(&e)))?;
            let status = response.status().as_u16();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| failed(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok(Answer::from_bytes(status, &bytes))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| failed(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())))?
    }
}

/// The error and its causes, one line (hyper's own message alone is "client error (Connect)").
fn describe_error(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// TLS on aws-lc (the SDK's provider), trusting Mozilla's root set compiled in
/// (`webpki-root-certs`), as the functions' SDK client does. ALPN is the connector's to set.
fn tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("aws-lc supports the default TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_read_as_json_text_or_nothing() {
        assert_eq!(Answer::from_bytes(204, b"").body, Value::Null);
        assert_eq!(Answer::from_bytes(200, b"{\"a\":1}").body, json!({"a": 1}));
        assert_eq!(
            Answer::from_bytes(502, b"Bad Gateway").body,
            json!("Bad Gateway")
        );
    }

    #[test]
    fn an_unexpected_status_is_the_apis_error_with_its_body() {
        let call = Call::get(&["tenants", "00D000000000001"]);
        let body = json!([{"message": "No tenant", "errorCode": "NOT_FOUND"}]);
        let answer = Answer {
            status: 404,
            body: body.clone(),
        };
        match answer.expect(&call, &[200]) {
            Err(Error::Api {
                call,
                status,
                body: text,
            }) => {
                assert_eq!(call, "GET /admin/v1/tenants/00D000000000001");
                assert_eq!(status, 404);
                assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), body);
            }
            other => panic!("{other:?}"),
        }
        let ok = Answer {
            status: 201,
            body: json!({"keyId": "k"}),
        };
        assert_eq!(
            ok.expect(&call, &[200, 201]).unwrap(),
            json!({"keyId": "k"})
        );
    }

    #[test]
    fn requests_carry_json_and_no_content_type_without_a_body() {
        let client = Client::new(
            Endpoint::parse("http://127.0.0.1:9").unwrap(),
            Auth::Bearer(crate::auth::AdminToken::new("t").unwrap()),
        );
        let put = client
            .request(&Call::put(
                &["tenants", "00D000000000001"],
                json!({"retentionDays": 30}),
            ))
            .unwrap();
        assert_eq!(put.method(), http::Method::PUT);
        assert_eq!(
            put.uri(),
            "http://127.0.0.1:9/admin/v1/tenants/00D000000000001"
        );
        assert_eq!(put.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(put.body().as_ref(), br#"{"retentionDays":30}"#);
        let get = client.request(&Call::get(&["tenants"])).unwrap();
        assert!(get.headers().get(CONTENT_TYPE).is_none());
        assert!(get.body().is_empty());
    }

    #[tokio::test]
    async fn a_server_that_is_not_there_is_a_transport_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = Client::new(
            Endpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
            Auth::Bearer(crate::auth::AdminToken::new("t").unwrap()),
        );
        let error = client.send(&Call::get(&["tenants"])).await.unwrap_err();
        assert!(matches!(error, Error::Transport { .. }), "{error:?}");
        assert_eq!(error.exit_code(), 1);
    }
}
