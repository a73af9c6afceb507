//! One request of the admin API, and the endpoint it goes to.
//!
//! Path segments and query values are percent-encoded here, once: an org id, a key id or a
//! cursor is data, never path syntax.

use http::{Method, Uri};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use crate::error::Error;

/// The admin API's base path, under the endpoint's own (a stage, if any).
pub const BASE_PATH: &str = "/admin/v1";

/// Everything but RFC 3986's unreserved characters is encoded, in segments and in queries
/// alike (`/`, `?`, `&`, `=`, `+` and `%` included).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn encode(component: &str) -> String {
    utf8_percent_encode(component, COMPONENT).to_string()
}

/// A request: method, the path segments after [`BASE_PATH`] (unencoded), the query and the
/// JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: Method,
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Call {
    fn new(method: Method, segments: &[&str]) -> Self {
        Call {
            method,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: None,
        }
    }

    pub fn get(segments: &[&str]) -> Self {
        Self::new(Method::GET, segments)
    }

    pub fn put(segments: &[&str], body: Value) -> Self {
        Self::new(Method::PUT, segments).with_body(body)
    }

    pub fn post(segments: &[&str], body: Value) -> Self {
        Self::new(Method::POST, segments).with_body(body)
    }

    pub fn delete(segments: &[&str]) -> Self {
        Self::new(Method::DELETE, segments)
    }

    pub fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn with_query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_owned(), value.into()));
        self
    }

    /// The encoded path and query under the endpoint, e.g. `/admin/v1/tenants/00D…/keys`.
    pub fn path_and_query(&self) -> String {
        let mut path = String::from(BASE_PATH);
        for segment in &self.segments {
            path.push('/');
            path.push_str(&encode(segment));
        }
        for (n, (name, value)) in self.query.iter().enumerate() {
            path.push(if n == 0 { '?' } else { '&' });
            path.push_str(&encode(name));
            path.push('=');
            path.push_str(&encode(value));
        }
        path
    }

    /// `METHOD /path`, for messages (no body: it may hold key material).
    pub fn describe(&self) -> String {
        format!("{} {}", self.method, self.path_and_query())
    }
}

/// Where the admin API is: scheme, host (and port) and an optional base path, e.g.
/// `https://abc.execute-api.eu-west-1.amazonaws.com` or `http://127.0.0.1:3000`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: String,
    authority: String,
    host: String,
    base_path: String,
}

impl Endpoint {
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::usage(format!("endpoint {text:?}: {why}"));
        let uri: Uri = text
            .trim()
            .parse()
            .map_err(|_| bad("not a URL (e.g. https://abc.execute-api.eu-west-1.amazonaws.com)"))?;
        let scheme = match uri.scheme_str() {
            Some(s @ ("http" | "https")) => s.to_owned(),
            _ => {
                return Err(bad(
                    "must start with https:// (or http:// for a local server)",
                ))
            }
        };
        let authority = uri.authority().ok_or_else(|| bad("has no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("must not hold credentials"));
        }
        if uri.query().is_some() {
            return Err(bad("must not have a query"));
        }
        Ok(Endpoint {
            scheme,
            authority: authority.as_str().to_owned(),
            host: authority.host().to_owned(),
            base_path: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// The full URL of `call` at this endpoint.
    pub fn url(&self, call: &Call) -> String {
        format!(
            "{}://{}{}{}",
            self.scheme,
            self.authority,
            self.base_path,
            call.path_and_query()
        )
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// A server on this machine (`make run`): only then is the default admin-token file used.
    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The region of an API Gateway default host, `{api}.execute-api.{region}.amazonaws.com`
    /// (or `.amazonaws.com.cn`); `None` for any other host (a custom domain).
    pub fn execute_api_region(&self) -> Option<String> {
        let labels: Vec<&str> = self.host.split('.').collect();
        let at = labels.iter().position(|l| *l == "execute-api")?;
        match labels.get(at + 1..) {
            Some([region, "amazonaws", "com", ..]) if at >= 1 && !region.is_empty() => {
                Some((*region).to_owned())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_segments_are_percent_encoded() {
        let call = Call::delete(&["tenants", "00D000000000001", "keys", "a/b ?c%d&e"]);
        assert_eq!(
            call.path_and_query(),
            "/admin/v1/tenants/00D000000000001/keys/a%2Fb%20%3Fc%25d%26e"
        );
        let unicode = Call::get(&["tenants", "é"]);
        assert_eq!(unicode.path_and_query(), "/admin/v1/tenants/%C3%A9");
        let unreserved = Call::get(&["tenants", "a-b.c_d~e"]);
        assert_eq!(unreserved.path_and_query(), "/admin/v1/tenants/a-b.c_d~e");
    }

    #[test]
    fn query_names_and_values_are_percent_encoded() {
        let call = Call::get(&["tenants"])
            .with_query("limit", "10")
            .with_query("cursor", "a+b=c&d e");
        assert_eq!(
            call.path_and_query(),
            "/admin/v1/tenants?limit=10&cursor=a%2Bb%3Dc%26d%20e"
        );
    }

    #[test]
    fn describe_never_shows_the_body() {
        let call = Call::post(
            &["tenants", "X", "keys"],
            json!({"publicKey": "-----BEGIN"}),
        );
        assert_eq!(call.describe(), "POST /admin/v1/tenants/X/keys");
    }

    #[test]
    fn endpoint_keeps_a_base_path_and_drops_a_trailing_slash() {
        let call = Call::get(&["tenants"]);
        let plain = Endpoint::parse("https://abc.execute-api.eu-west-1.amazonaws.com/").unwrap();
        assert_eq!(
            plain.url(&call),
            "https://abc.execute-api.eu-west-1.amazonaws.com/admin/v1/tenants"
        );
        let staged = Endpoint::parse("https://api.example.com/prod/").unwrap();
        assert_eq!(
            staged.url(&call),
            "https://api.example.com/prod/admin/v1/tenants"
        );
        let local = Endpoint::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!(local.url(&call), "http://127.0.0.1:3000/admin/v1/tenants");
    }

    #[test]
    fn endpoint_refuses_what_is_not_an_http_url() {
        for bad in [
            "",
            "abc.execute-api.eu-west-1.amazonaws.com",
            "ftp://x",
            "https://u:p@x",
            "https://x/?a=1",
        ] {
            assert!(
                matches!(Endpoint::parse(bad), Err(Error::Usage(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn region_comes_from_an_execute_api_host() {
        let region = |url: &str| Endpoint::parse(url).unwrap().execute_api_region();
        assert_eq!(
            region("https://abc123.execute-api.eu-west-1.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region("https://abc.execute-api.cn-north-1.amazonaws.com.cn/x").as_deref(),
            Some("cn-north-1")
        );
        assert_eq!(region("https://admin.example.com"), None);
        assert_eq!(region("https://execute-api.eu-west-1.amazonaws.com"), None);
        assert_eq!(region("http://127.0.0.1:3000"), None);
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        let loopback = |url: &str| Endpoint::parse(url).unwrap().is_loopback();
        assert!(loopback("http://127.0.0.1:3000"));
        assert!(loopback("http://localhost:3000"));
        assert!(loopback("http://[::1]:3000"));
        assert!(!loopback("https://abc.execute-api.eu-west-1.amazonaws.com"));
        assert!(!loopback("http://10.0.0.1:3000"));
    }
}
