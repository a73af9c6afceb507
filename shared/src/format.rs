//! Body formats: JSON and XML in, the same format out.

use http::header::{ACCEPT, CONTENT_TYPE};
use http::HeaderMap;
use serde_json::Value;

use crate::xml;

/// Largest request body accepted (CONTRACT §2).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a request body could not be read; `crate::error` answers each (`415`, `413`, `400`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    TooLarge,
    #[error("malformed {format:?} body: {message}")]
    Malformed { format: Format, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json;charset=UTF-8",
            Self::Xml => "application/xml;charset=UTF-8",
        }
    }

    /// The format named by a `Content-Type` value; parameters such as `charset` are ignored.
    /// `None` for anything that is neither JSON nor XML.
    pub fn from_media_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("application/json") {
            Some(Self::Json)
        } else if essence.eq_ignore_ascii_case("application/xml")
            || essence.eq_ignore_ascii_case("text/xml")
        {
            Some(Self::Xml)
        } else {
            None
        }
    }

    /// The request body's format from `Content-Type`; `415` when absent or unsupported.
    pub fn of_request(headers: &HeaderMap) -> Result<Self, BodyError> {
        headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(Self::from_media_type)
            .ok_or(BodyError::UnsupportedMediaType)
    }

    /// The answer's format from `Accept`: XML when the client asks for XML (and not JSON first),
    /// JSON otherwise.
    pub fn of_accept(headers: &HeaderMap) -> Self {
        let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Self::Json;
        };
        accept
            .split(',')
            .find_map(Self::from_media_type)
            .unwrap_or(Self::Json)
    }

    /// Parse a request body into a JSON tree; XML documents are mapped as CONTRACT §5 describes.
    pub fn parse(self, body: &[u8]) -> Result<Value, BodyError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        match self {
            Self::Json => serde_json::from_slice(body).map_err(|e| BodyError::Malformed {
                format: self,
                message: format!("The request body is not valid JSON: {e}"),
            }),
            Self::Xml => xml::parse(body).map_err(|e| BodyError::Malformed {
                format: self,
                message: format!("The request body is not acceptable XML: {e}"),
            }),
        }
    }

    /// Render an object answer. XML wraps it in `<root>`.
    pub fn render_object(self, root: &str, value: &Value) -> Vec<u8> {
        match self {
            Self::Json => serde_json::to_vec(value).expect("a JSON value always serialises"),
            Self::Xml => xml::write_object(root, value).into_bytes(),
        }
    }

    /// Render a top-level array answer. XML wraps it in `<root>` with one `<item>` per element.
    pub fn render_list(self, root: &str, item: &str, items: &[Value]) -> Vec<u8> {
        match self {
            Self::Json => serde_json::to_vec(items).expect("a JSON value always serialises"),
            Self::Xml => xml::write_list(root, item, items).into_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn media_types_with_parameters() {
        assert_eq!(
            Format::from_media_type("application/json; charset=UTF-8"),
            Some(Format::Json)
        );
        assert_eq!(
            Format::from_media_type("Application/XML"),
            Some(Format::Xml)
        );
        assert_eq!(Format::from_media_type("text/plain"), None);
        assert_eq!(Format::from_media_type(""), None);
    }

    #[test]
    fn missing_content_type_is_unsupported() {
        assert_eq!(
            Format::of_request(&HeaderMap::new()),
            Err(BodyError::UnsupportedMediaType)
        );
    }

    #[test]
    fn accept_prefers_first_known_type() {
        let mut h = HeaderMap::new();
        h.insert(
            ACCEPT,
            HeaderValue::from_static("text/html, application/xml;q=0.9, */*"),
        );
        assert_eq!(Format::of_accept(&h), Format::Xml);
        h.insert(ACCEPT, HeaderValue::from_static("*/*"));
        assert_eq!(Format::of_accept(&h), Format::Json);
    }

    #[test]
    fn oversized_body_is_too_large() {
        let body = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(Format::Json.parse(&body), Err(BodyError::TooLarge));
    }
}
