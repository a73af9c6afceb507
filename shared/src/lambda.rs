//! The glue between Lambda invocations and the handlers, which work on plain `http` requests and
//! responses (so the local server and tests call them too). A function is invoked either by API
//! Gateway (HTTP API, payload 2.0) or directly by an Amazon Connect contact flow.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use bytes::Bytes;
use lambda_http::request::LambdaRequest;
use lambda_http::Body;
use serde_json::Value;

use crate::contact_flow::ContactFlow;

/// What a function was invoked with.
pub enum Invocation {
    Http(http::Request<Bytes>),
    ContactFlow(ContactFlow),
}

#[derive(Debug, thiserror::Error)]
#[error("the invocation is neither a contact flow event nor an API Gateway HTTP API event: {0}")]
pub struct UnknownInvocation(String);

impl Invocation {
    pub fn read(event: Value) -> Result<Self, UnknownInvocation> {
        if event.get("Name").and_then(Value::as_str) == Some(ContactFlow::EVENT_NAME) {
            return Ok(Self::ContactFlow(ContactFlow::read(&event)));
        }
        let request: ApiGatewayV2httpRequest =
            serde_json::from_value(event).map_err(|e| UnknownInvocation(e.to_string()))?;
        let request = http::Request::<Body>::from(LambdaRequest::ApiGatewayV2(request));
        Ok(Self::Http(request.map(request_body)))
    }
}

/// A request body as bytes (API Gateway's base64 is already decoded by lambda_http).
pub fn request_body(body: Body) -> Bytes {
    match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => text.into(),
        Body::Binary(data) => data.into(),
        _ => Bytes::new(),
    }
}

/// The API Gateway (payload 2.0) answer for a response: text bodies stay text (all our JSON
/// and XML), so nothing is base64-encoded on the way out.
pub fn http_response(response: http::Response<Bytes>) -> Value {
    let (parts, bytes) = response.into_parts();
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = parts.headers;
    if !bytes.is_empty() {
        out.body = Some(match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(e) => {
                out.is_base64_encoded = true;
                Body::Binary(e.into_bytes())
            }
        });
    }
    serde_json::to_value(out).expect("an API Gateway response serialises")
}
