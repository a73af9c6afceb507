//! The live channel's wire protocol (CONTRACT §6): what a client sends, what the server answers.
//! Pushed events are built in [`super::message`].

use serde::Serialize;
use serde_json::Value;

/// Longest `recordId` accepted (ids and vendorCallKeys are far shorter).
const MAX_RECORD_ID: usize = 255;

/// A client's message, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    /// `{"action":"subscribe","token":…,"recordId":…}`
    Subscribe { token: String, record_id: String },
    /// `{"action":"unsubscribe","recordId":…}`
    Unsubscribe { record_id: String },
}

/// Error codes of the protocol, as the REST API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorCode {
    #[serde(rename = "INVALID_SESSION_ID")]
    InvalidSession,
    #[serde(rename = "NOT_FOUND")]
    NotFound,
    #[serde(rename = "INVALID_FIELD")]
    InvalidField,
    /// The subscription store could not be reached; the client may retry.
    #[serde(rename = "SERVER_UNAVAILABLE")]
    Unavailable,
}

/// What the server answers a client's message with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerMessage {
    #[serde(rename_all = "camelCase")]
    Subscribed {
        record_id: String,
        /// The conversation the id named: every pushed event of it carries this
        /// `conversationKey`.
        conversation_key: String,
        /// The tenant's alert categories (INSIGHT_CATEGORIES), for the console to highlight.
        alert_categories: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    Unsubscribed { record_id: String },
    #[serde(rename_all = "camelCase")]
    Error {
        error_code: ErrorCode,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        record_id: Option<String>,
    },
}

impl ServerMessage {
    pub fn error(error_code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Error {
            error_code,
            message: message.into(),
            record_id: None,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages serialise")
    }
}

/// Parses one client message. The error answer names the field at fault; it never echoes the
/// token.
pub fn parse(text: &str) -> Result<ClientMessage, ServerMessage> {
    let invalid = |message: &str| ServerMessage::error(ErrorCode::InvalidField, message);
    let Ok(Value::Object(mut body)) = serde_json::from_str::<Value>(text) else {
        return Err(invalid("The message must be a JSON object with an action"));
    };
    let mut text_field = |name: &str| match body.remove(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    };
    let record_id = |id: Option<String>| {
        id.filter(|id| id.len() <= MAX_RECORD_ID).ok_or_else(|| {
            invalid("recordId must be a voiceCallId or vendorCallKey of at most 255 characters")
        })
    };
    match text_field("action").as_deref() {
        Some("subscribe") => {
            let token = text_field("token").ok_or_else(|| {
                ServerMessage::error(
                    ErrorCode::InvalidSession,
                    "The subscribe message must carry a token with intelligence:read",
                )
            })?;
            Ok(ClientMessage::Subscribe {
                record_id: record_id(text_field("recordId"))?,
                token,
            })
        }
        Some("unsubscribe") => Ok(ClientMessage::Unsubscribe {
            record_id: record_id(text_field("recordId"))?,
        }),
        _ => Err(invalid("action must be subscribe or unsubscribe")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_and_unsubscribe_parse() {
        assert_eq!(
            parse(r#"{"action":"subscribe","token":"t","recordId":" k1 "}"#),
            Ok(ClientMessage::Subscribe {
                token: "t".into(),
                record_id: "k1".into()
            })
        );
        assert_eq!(
            parse(r#"{"action":"unsubscribe","recordId":"k1"}"#),
            Ok(ClientMessage::Unsubscribe {
                record_id: "k1".into()
            })
        );
    }

    fn code(text: &str) -> ErrorCode {
        match parse(text) {
            Err(ServerMessage::Error { error_code, .. }) => error_code,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn bad_messages_name_the_field() {
        assert_eq!(code("not json"), ErrorCode::InvalidField);
        assert_eq!(code("[]"), ErrorCode::InvalidField);
        assert_eq!(code(r#"{"action":"dance"}"#), ErrorCode::InvalidField);
        assert_eq!(
            code(r#"{"action":"subscribe","recordId":"k"}"#),
            ErrorCode::InvalidSession
        );
        assert_eq!(
            code(r#"{"action":"subscribe","token":"t"}"#),
            ErrorCode::InvalidField
        );
        let long = "k".repeat(256);
        assert_eq!(
            code(&format!(
                r#"{{"action":"unsubscribe","recordId":"{long}"}}"#
            )),
            ErrorCode::InvalidField
        );
    }

    #[test]
    fn the_token_is_never_echoed() {
        let answer = parse(r#"{"action":"subscribe","token":"secret-token"}"#).unwrap_err();
        assert!(!answer.to_json().contains("secret-token"));
    }

    #[test]
    fn server_messages_have_their_type() {
        let json: Value = serde_json::from_str(
            &ServerMessage::error(ErrorCode::NotFound, "no such call").to_json(),
        )
        .unwrap();
        assert_eq!(json["type"], "error");
        assert_eq!(json["errorCode"], "NOT_FOUND");
    }
}
