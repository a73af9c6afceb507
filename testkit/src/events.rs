//! The API Gateway (HTTP API, payload 2.0) events of `events/`, as `sam local invoke -e` takes
//! them. Their `Authorization` header holds `{{TOKEN}}`: tokens are short-lived and signed by keys
//! that never enter git, so a fresh one is put in at use.

use std::path::PathBuf;

use serde_json::Value;

pub const TOKEN_PLACEHOLDER: &str = "{{TOKEN}}";

/// Names (without `.json`) of the event files starting with `prefix`, sorted.
pub fn names(prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("events/ exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix) && n.ends_with(".json"))
        .map(|n| n.trim_end_matches(".json").to_owned())
        .collect();
    names.sort();
    names
}

pub fn dir() -> PathBuf {
    crate::workspace_root().join("events")
}

/// Placeholder of `voicecall-create-transfer`'s parent: an id only known once the first leg is
/// recorded.
pub const PARENT_PLACEHOLDER: &str = "{{PARENT_VOICE_CALL_ID}}";

/// The event `name` with `token` in its Authorization header.
pub fn load(name: &str, token: &str) -> Value {
    load_with(name, &[(TOKEN_PLACEHOLDER, token)])
}

/// The event `name` with each placeholder replaced.
pub fn load_with(name: &str, values: &[(&str, &str)]) -> Value {
    let mut text = std::fs::read_to_string(dir().join(format!("{name}.json"))).expect("event file");
    for (placeholder, value) in values {
        text = text.replace(placeholder, value);
    }
    serde_json::from_str(&text).expect("event file is JSON")
}

/// What an API Gateway event asks for: method, raw path, headers and body.
pub struct HttpCall {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

pub fn http_call(event: &Value) -> HttpCall {
    HttpCall {
        method: event["requestContext"]["http"]["method"]
            .as_str()
            .expect("method")
            .to_owned(),
        path: event["rawPath"].as_str().expect("rawPath").to_owned(),
        headers: event["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .filter(|(k, _)| *k != "host")
            .map(|(k, v)| (k.clone(), v.as_str().expect("header text").to_owned()))
            .collect(),
        body: event["body"].as_str().unwrap_or_default().to_owned(),
    }
}
