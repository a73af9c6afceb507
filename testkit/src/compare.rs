//! Comparing a function's answer under the runtime emulator with the local server's.

use serde_json::Value;

use crate::fixture::Answer;

/// The answer body with the (random) voiceCallId blanked, for comparing two services.
pub fn comparable(body: &str) -> String {
    let parsed = if body.starts_with("<?xml") {
        shared::xml::parse(body.as_bytes()).map_err(|e| e.to_string())
    } else {
        serde_json::from_str::<Value>(body).map_err(|e| e.to_string())
    };
    match parsed {
        Ok(mut json) if json.get("voiceCallId").is_some() => {
            let id = json["voiceCallId"].as_str().unwrap_or_default();
            assert!(id.len() == 18 && id.starts_with("0LQ"), "voiceCallId {id}");
            json["voiceCallId"] = Value::Null;
            json.to_string()
        }
        _ => body.to_owned(),
    }
}

/// The `voiceCallId` of a JSON create answer.
pub fn voice_call_id(body: &str) -> String {
    let json: Value = serde_json::from_str(body).expect("JSON answer");
    json["voiceCallId"]
        .as_str()
        .expect("voiceCallId")
        .to_owned()
}

/// The emulator's API Gateway answer must be the local server's: status, content type, body
/// (and, for HEAD, the length a GET would have).
pub fn assert_same_http(name: &str, lambda: &Value, local: &Answer) {
    assert_eq!(lambda["statusCode"], local.status, "{name}: {lambda}");
    let header = |h: &str| lambda["headers"][h].as_str().map(str::to_owned);
    let local_header = |h: &str| {
        local
            .headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        header("content-type"),
        local_header("content-type"),
        "{name}"
    );
    let body = lambda["body"].as_str().unwrap_or_default();
    assert_eq!(comparable(body), comparable(&local.body), "{name}");
    if local.body.is_empty() {
        assert_eq!(
            header("content-length"),
            local_header("content-length"),
            "{name}"
        );
    }
}
