//! The glue between API Gateway's payloads (through lambda_http) and the handlers, which work on
//! plain `http` requests and responses so the local server and tests can call them too.

use bytes::Bytes;
use lambda_http::Body;

/// A request body as bytes (API Gateway's base64 is already decoded by lambda_http).
pub fn request_body(body: Body) -> Bytes {
    match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => text.into(),
        Body::Binary(data) => data.into(),
        _ => Bytes::new(),
    }
}

/// A response body for API Gateway: text when it is UTF-8 (all JSON and XML answers), so it is
/// not base64-encoded on the way out.
pub fn response_body(bytes: Bytes) -> Body {
    if bytes.is_empty() {
        return Body::Empty;
    }
    match String::from_utf8(bytes.to_vec()) {
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    }
}
