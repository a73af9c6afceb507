//! A tenant's settings as the PUT body: the `--file` object, overridden field by field by the
//! flags.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::cli::{RedactionMode, SettingsArgs};
use crate::error::Error;

pub(crate) fn read_text(path: &Path, what: &str) -> Result<String, Error> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read {what} {}: {e}", path.display())))
}

pub(crate) fn read_json(path: &Path, what: &str) -> Result<Value, Error> {
    serde_json::from_str(&read_text(path, what)?)
        .map_err(|e| Error::usage(format!("{what} {} is not JSON: {e}", path.display())))
}

/// The PUT body for `org` that `settings` describe.
pub fn body(org: &str, settings: &SettingsArgs) -> Result<Value, Error> {
    let mut body = match &settings.file {
        Some(path) => match read_json(path, "the settings file")? {
            Value::Object(fields) => fields,
            _ => {
                return Err(Error::usage(format!(
                    "the settings file {} must hold a JSON object",
                    path.display()
                )))
            }
        },
        None => Map::new(),
    };
    if body.contains_key("keys") {
        return Err(Error::usage(
            "keys are not settings: add them with `tenant-admin keys add`",
        ));
    }
    if let Some(status) = settings.status {
        body.insert("status".into(), json!(status.as_str()));
    }
    if !settings.audiences.is_empty() {
        body.insert("audiences".into(), json!(settings.audiences));
    }
    if let Some(path) = &settings.categories_file {
        body.insert("categories".into(), categories(org, path)?);
    }
    if let Some(path) = &settings.summary_prompt_file {
        let prompt = read_text(path, "the summary prompt file")?;
        body.insert("summaryPrompt".into(), json!(prompt.trim_end()));
    }
    if let Some(days) = settings.retention_days {
        body.insert("retentionDays".into(), json!(days));
    }
    if !settings.redaction_entities.is_empty() {
        let mode = settings.redaction_mode.unwrap_or(RedactionMode::Pii);
        body.insert(
            "redaction".into(),
            json!({"entities": settings.redaction_entities, "mode": mode.as_str()}),
        );
    }
    if let (Some(rate), Some(burst)) = (settings.requests_per_second, settings.burst) {
        body.insert(
            "limits".into(),
            json!({"requestsPerSecond": rate, "burst": burst}),
        );
    }
    if !settings.connect_instances.is_empty() {
        body.insert("connectInstances".into(), json!(settings.connect_instances));
    }
    Ok(Value::Object(body))
}

/// `org`'s categories from a file holding a list of `{name, keywords, alert}`, or an
/// `INSIGHT_CATEGORIES` document whose entries name their org.
fn categories(org: &str, path: &Path) -> Result<Value, Error> {
    let bad = |why: &str| Error::usage(format!("the categories file {}: {why}", path.display()));
    let list = match read_json(path, "the categories file")? {
        Value::Array(list) => list,
        Value::Object(mut doc) => match doc.remove("categories") {
            Some(Value::Array(list)) => list,
            _ => return Err(bad("must be a list, or an object with a categories list")),
        },
        _ => return Err(bad("must be a list, or an object with a categories list")),
    };
    let named_orgs = list.iter().any(|c| c.get("orgId").is_some());
    let mut own = Vec::new();
    for entry in list {
        let Value::Object(mut fields) = entry else {
            return Err(bad("every category must be an object"));
        };
        match fields.remove("orgId") {
            Some(Value::String(of)) if of == org => own.push(Value::Object(fields)),
            Some(Value::String(_)) => {}
            Some(_) => return Err(bad("orgId must be a string")),
            None if named_orgs => {
                return Err(bad("either every category names its orgId or none does"))
            }
            None => own.push(Value::Object(fields)),
        }
    }
    if named_orgs && own.is_empty() {
        return Err(bad(&format!("no category of {org}")));
    }
    Ok(Value::Array(own))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Status;
    use std::path::PathBuf;

    const ORG: &str = "00D000000000001";

    struct Files(PathBuf);

    impl Files {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "tenant-admin-settings-{name}-{}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Files(dir)
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, text).unwrap();
            path
        }
    }

    impl Drop for Files {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn no_settings_is_an_empty_object() {
        assert_eq!(body(ORG, &SettingsArgs::default()).unwrap(), json!({}));
    }

    #[test]
    fn flags_become_the_apis_fields() {
        let files = Files::new("flags");
        let settings = SettingsArgs {
            status: Some(Status::Active),
            audiences: vec!["https://scrt.salesforce.com".into()],
            summary_prompt_file: Some(files.write("prompt.txt", "Summarise: {transcript}\n")),
            retention_days: Some(30),
            redaction_entities: vec!["SSN".into(), "EMAIL".into()],
            requests_per_second: Some(0.5),
            burst: Some(20),
            connect_instances: vec!["arn:aws:connect:eu-west-1:111122223333:instance/abc".into()],
            ..Default::default()
        };
        assert_eq!(
            body(ORG, &settings).unwrap(),
            json!({
                "status": "active",
                "audiences": ["https://scrt.salesforce.com"],
                "summaryPrompt": "Summarise: {transcript}",
                "retentionDays": 30,
                "redaction": {"entities": ["SSN", "EMAIL"], "mode": "PII"},
                "limits": {"requestsPerSecond": 0.5, "burst": 20},
                "connectInstances": ["arn:aws:connect:eu-west-1:111122223333:instance/abc"],
            })
        );
    }

    #[test]
    fn flags_override_the_files_fields() {
        let files = Files::new("override");
        let settings = SettingsArgs {
            file: Some(files.write("s.json", r#"{"retentionDays": 90, "status": "suspended"}"#)),
            retention_days: Some(7),
            ..Default::default()
        };
        assert_eq!(
            body(ORG, &settings).unwrap(),
            json!({"retentionDays": 7, "status": "suspended"})
        );
    }

    #[test]
    fn a_settings_file_must_be_an_object_without_keys() {
        let files = Files::new("file");
        for text in ["[1]", "not json", r#"{"keys": []}"#] {
            let settings = SettingsArgs {
                file: Some(files.write("s.json", text)),
                ..Default::default()
            };
            assert!(
                matches!(body(ORG, &settings), Err(Error::Usage(_))),
                "{text}"
            );
        }
        let missing = SettingsArgs {
            file: Some(files.0.join("missing.json")),
            ..Default::default()
        };
        assert!(matches!(body(ORG, &missing), Err(Error::Usage(_))));
    }

    #[test]
    fn categories_come_from_a_list_or_this_orgs_entries_of_a_document() {
        let files = Files::new("categories");
        let category = json!({"name": "Competitor", "keywords": ["Acme"], "alert": true});
        let list = files.write("list.json", &json!([category]).to_string());
        let document = files.write(
            "doc.json",
            &json!({"categories": [
                {"orgId": ORG, "name": "Competitor", "keywords": ["Acme"], "alert": true},
                {"orgId": "00D000000000002", "name": "Other", "keywords": ["x"]},
            ]})
            .to_string(),
        );
        for path in [list, document] {
            let settings = SettingsArgs {
                categories_file: Some(path),
                ..Default::default()
            };
            assert_eq!(
                body(ORG, &settings).unwrap(),
                json!({"categories": [category]})
            );
        }
        let other_org = SettingsArgs {
            categories_file: Some(files.write(
                "other.json",
                r#"{"categories": [{"orgId": "00D000000000002", "name": "n", "keywords": ["k"]}]}"#,
            )),
            ..Default::default()
        };
        assert!(matches!(body(ORG, &other_org), Err(Error::Usage(_))));
        let empty = SettingsArgs {
            categories_file: Some(files.write("empty.json", "[]")),
            ..Default::default()
        };
        assert_eq!(
            body(ORG, &empty).unwrap(),
            json!({"categories": []}),
            "clears them"
        );
    }
}
