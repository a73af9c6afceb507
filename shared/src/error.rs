//! The one error type every handler returns, and its one mapping to an HTTP answer with a
//! Salesforce-style error body.

use http::StatusCode;
use serde::Serialize;

use crate::format::{BodyError, Format};

/// What was wrong with one field of a request, named by its path (`events[2].value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub code: FieldErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorCode {
    /// The field is absent (or null) but required.
    Missing,
    /// The field is present but its value is not acceptable.
    Invalid,
}

impl FieldError {
    pub fn missing(path: impl Into<String>) -> Self {
        let path = path.into();
        let message = format!("Required field is missing: {path}");
        Self {
            path,
            code: FieldErrorCode::Missing,
            message,
        }
    }

    pub fn invalid(path: impl Into<String>, why: impl std::fmt::Display) -> Self {
        let path = path.into();
        let message = format!("{path}: {why}");
        Self {
            path,
            code: FieldErrorCode::Invalid,
            message,
        }
    }
}

/// Failures that mean something to a caller. Anything internal is logged where it happens and
/// surfaces here only as [`ApiError::Unavailable`].
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid request: {} field(s)", .0.len())]
    Validation(Vec<FieldError>),
    #[error("malformed {format:?} body: {message}")]
    Malformed { format: Format, message: String },
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The actions endpoint's 401, whose body Salesforce fixes word for word (CONTRACT §3).
    #[error("session expired or invalid")]
    SessionInvalid,
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge,
    /// The request was not received in time (the local server's read timeout; in AWS, API
    /// Gateway receives requests).
    #[error("request timeout")]
    RequestTimeout,
    #[error("service unavailable")]
    Unavailable,
    /// The request is valid but collides with the state of what it changes (`409`).
    #[error("conflict: {message}")]
    Conflict { code: &'static str, message: String },
    /// The tenant is over its request limits (CONTRACT §9): `429` on the telephony routes,
    /// `403` on the action (as Salesforce answers), with `Retry-After`.
    #[error("request limit exceeded")]
    RequestLimit {
        status: StatusCode,
        retry_after_secs: u64,
    },
}

impl ApiError {
    pub fn invalid(path: impl Into<String>, why: impl std::fmt::Display) -> Self {
        Self::Validation(vec![FieldError::invalid(path, why)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::Malformed { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) | Self::SessionInvalid => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::RequestLimit { status, .. } => *status,
        }
    }

    /// The `errorCode` of the answer (the first, for a validation error of several fields).
    pub fn error_code(&self) -> &'static str {
        self.body().first().map_or("UNKNOWN", |b| b.error_code)
    }

    /// The Salesforce REST error list: one element per problem, `fields` only where it applies.
    pub fn body(&self) -> Vec<ErrorBody> {
        let one = |code: &'static str, message: String| {
            vec![ErrorBody {
                message,
                error_code: code,
                fields: None,
            }]
        };
        match self {
            Self::Validation(errors) => errors
                .iter()
                .map(|e| ErrorBody {
                    message: e.message.clone(),
                    error_code: match e.code {
                        FieldErrorCode::Missing => "REQUIRED_FIELD_MISSING",
                        FieldErrorCode::Invalid => "INVALID_FIELD",
                    },
                    fields: Some(vec![e.path.clone()]),
                })
                .collect(),
            Self::Malformed { format, message } => one(
                match format {
                    Format::Json => "JSON_PARSER_ERROR",
                    Format::Xml => "XML_PARSER_ERROR",
                },
                message.clone(),
            ),
            Self::Unauthorized(why) => one(
                "INVALID_SESSION_ID",
                format!("Session expired or invalid: {why}"),
            ),
            Self::SessionInvalid => one(
                "INVALID_SESSION_ID",
                "Session expired or invalid".to_owned(),
            ),
            Self::NotFound(what) => one("NOT_FOUND", what.clone()),
            Self::MethodNotAllowed { allow } => one(
                "METHOD_NOT_ALLOWED",
                format!("HTTP method not allowed; allowed: {allow}"),
            ),
            Self::UnsupportedMediaType => one(
                "UNSUPPORTED_MEDIA_TYPE",
                "Content-Type must be application/json or application/xml".to_owned(),
            ),
            Self::PayloadTooLarge => one(
                "REQUEST_ENTITY_TOO_LARGE",
                "The request body exceeds 1 MiB".to_owned(),
            ),
            Self::RequestTimeout => one(
                "REQUEST_TIMEOUT",
                "The request was not received in time".to_owned(),
            ),
            Self::Unavailable => one(
                "SERVER_UNAVAILABLE",
                "The service is temporarily unavailable; retry the request".to_owned(),
            ),
            Self::Conflict { code, message } => one(code, message.clone()),
            Self::RequestLimit {
                retry_after_secs, ..
            } => one(
                "REQUEST_LIMIT_EXCEEDED",
                format!("The org's request limit is exceeded; retry after {retry_after_secs} s"),
            ),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErrorBody {
    pub message: String,
    #[serde(rename = "errorCode")]
    pub error_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::UnsupportedMediaType => Self::UnsupportedMediaType,
            BodyError::TooLarge => Self::PayloadTooLarge,
            BodyError::Malformed { format, message } => Self::Malformed { format, message },
        }
    }
}

/// The field paths of a validation error, for tests.
#[cfg(test)]
pub(crate) fn field_paths(err: ApiError) -> Vec<String> {
    match err {
        ApiError::Validation(fields) => fields.into_iter().map(|f| f.path).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_lists_every_field() {
        let err = ApiError::Validation(vec![
            FieldError::missing("service"),
            FieldError::invalid("events[2].value", "must be between -1000 and 1000"),
        ]);
        let body = serde_json::to_value(err.body()).unwrap();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert_eq!(body[0]["errorCode"], "REQUIRED_FIELD_MISSING");
        assert_eq!(body[0]["fields"][0], "service");
        assert_eq!(body[1]["fields"][0], "events[2].value");
        assert!(body[1]["message"].as_str().unwrap().contains("-1000"));
    }

    #[test]
    fn body_errors_answer_415_413_and_the_parser_code() {
        assert_eq!(
            ApiError::from(BodyError::UnsupportedMediaType).status(),
            415
        );
        assert_eq!(ApiError::from(BodyError::TooLarge).status(), 413);
        let xml = ApiError::from(BodyError::Malformed {
            format: Format::Xml,
            message: "not XML".into(),
        });
        assert_eq!(xml.status(), 400);
        let body = serde_json::to_value(xml.body()).unwrap();
        assert_eq!(body[0]["errorCode"], "XML_PARSER_ERROR");
    }

    #[test]
    fn non_field_errors_have_no_fields_key() {
        let body = serde_json::to_value(ApiError::Unavailable.body()).unwrap();
        assert!(body[0].get("fields").is_none());
        assert_eq!(body[0]["errorCode"], "SERVER_UNAVAILABLE");
    }
}
