//! Building HTTP answers: the Salesforce error body for every [`ApiError`], and plain answers in
//! the caller's format.

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE};
use http::{Response, StatusCode};
use serde_json::Value;

use crate::error::ApiError;
use crate::format::Format;

/// Root element of an XML object answer.
pub const XML_OBJECT_ROOT: &str = "Response";

pub fn object(format: Format, status: StatusCode, value: &Value) -> Response<Bytes> {
    build(format, status, format.render_object(XML_OBJECT_ROOT, value))
}

pub fn list(format: Format, status: StatusCode, items: &[Value]) -> Response<Bytes> {
    build(
        format,
        status,
        format.render_list("Results", "Result", items),
    )
}

/// The one mapping from an error to its answer. JSON keeps the Salesforce field order
/// (`message`, `errorCode`, `fields`).
pub fn error(format: Format, err: &ApiError) -> Response<Bytes> {
    let body = err.body();
    let bytes = match format {
        Format::Json => serde_json::to_vec(&body).expect("error bodies serialise"),
        Format::Xml => {
            let items: Vec<Value> = body
                .iter()
                .map(|e| serde_json::to_value(e).expect("error bodies serialise"))
                .collect();
            format.render_list("Errors", "Error", &items)
        }
    };
    let mut response = build(format, err.status(), bytes);
    if let ApiError::MethodNotAllowed { allow } = err {
        response
            .headers_mut()
            .insert(ALLOW, http::HeaderValue::from_static(allow));
    }
    if let ApiError::RequestLimit {
        retry_after_secs, ..
    } = err
    {
        response.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from(*retry_after_secs),
        );
    }
    response
}

fn build(format: Format, status: StatusCode, body: Vec<u8>) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, format.content_type())
        .body(Bytes::from(body))
        .expect("status and header are valid")
}
