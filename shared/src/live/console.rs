//! `GET /console`: the console page (one HTML document, no external resource). In AWS the
//! get-intelligence function serves it with the stack's WebSocket URL (`LIVE_URL`); locally
//! the page derives `ws://<host>/live` itself.

use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};

/// The environment variable holding the WebSocket URL the page connects to.
pub const LIVE_URL_ENV: &str = "LIVE_URL";

const PAGE: &str = include_str!("console.html");

/// The page, with `live_url` (when given) as the WebSocket to connect to.
pub fn page(live_url: Option<&str>) -> String {
    PAGE.replace(
        "{{LIVE_URL}}",
        &escape_attribute(live_url.unwrap_or_default()),
    )
}

fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Answers a request for the console: `GET` and `HEAD`; `405` otherwise.
pub fn handle<B>(request: &Request<B>, live_url: Option<&str>) -> Response<Bytes> {
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        return Response::builder()
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .header(ALLOW, "GET, HEAD")
            .body(Bytes::new())
            .expect("a valid response");
    }
    let body = Bytes::from(page(live_url));
    let connect = match live_url {
        Some(url) if !url.is_empty() => format!("'self' {url}"),
        _ => "'self' ws: wss:".to_owned(),
    };
    // The page may talk to this service and its WebSocket only; it loads nothing.
    let policy = format!(
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
         connect-src {connect}; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    let length = body.len();
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "text/html; charset=utf-8")
        .header(CACHE_CONTROL, "no-store")
        .header("content-security-policy", policy)
        .header("referrer-policy", "no-referrer")
        .header("x-content-type-options", "nosniff")
        .header(CONTENT_LENGTH, HeaderValue::from(length))
        .body(if method == Method::HEAD {
            Bytes::new()
        } else {
            body
        })
        .expect("a valid response")
}

/// `LIVE_URL` from the environment, when set.
pub fn live_url_from_env() -> Option<String> {
    std::env::var(LIVE_URL_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_nothing_from_outside() {
        let page = page(None);
        for outside in ["src=", "href=", "url(", "@import", "https://"] {
            assert!(!page.contains(outside), "{outside}");
        }
        // The one absolute URL is the SVG namespace, a name that is never fetched.
        assert_eq!(page.matches("http://").count(), 1);
        assert!(page.contains(r#"const SVG = "http://www.w3.org/2000/svg";"#));
    }

    #[test]
    fn the_live_url_is_injected_escaped() {
        let page = page(Some("wss://x.example/live?a=1&b=\"2\""));
        assert!(page.contains(r#"content="wss://x.example/live?a=1&amp;b=&quot;2&quot;""#));
        let request = Request::post("/console").body(()).unwrap();
        assert_eq!(handle(&request, None).status(), 405);
        let request = Request::get("/console").body(()).unwrap();
        let response = handle(&request, Some("wss://x.example/live"));
        assert_eq!(response.status(), 200);
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("connect-src 'self' wss://x.example/live"),
            "{csp}"
        );
    }
}
