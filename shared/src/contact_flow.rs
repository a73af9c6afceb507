//! Direct invocations from an Amazon Connect contact flow's "Invoke AWS Lambda function" block
//! (CONTRACT §4). No JWT: Connect is authorised by the function's resource policy, and the tenant
//! is the one whose `connectInstances` hold the invoking instance (`ContactData.InstanceARN`),
//! else the deployment's default (`CONNECT_TENANT`). The answer is always a flat map of strings under
//! 32 KB; a bad `Parameters` map is answered with an error code for the flow to branch on, and
//! only an outage fails the invocation (so Connect retries).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{OrgId, VendorCallKey};

/// Connect refuses answers over 32 KB; values are kept well below.
pub const MAX_VALUE_CHARS: usize = 1024;

/// A flat map of strings, as Connect takes it back.
pub type FlatMap = BTreeMap<String, String>;

/// What a contact flow sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFlow {
    /// `ContactData.InstanceARN`: which Connect instance, so which tenant (CONTRACT §7).
    pub instance_arn: Option<String>,
    pub contact_id: Option<String>,
    pub initial_contact_id: Option<String>,
    /// Every parameter, scalars as text; objects and arrays are listed in `invalid`.
    pub parameters: BTreeMap<String, String>,
    pub invalid: Vec<String>,
}

impl ContactFlow {
    pub const EVENT_NAME: &'static str = "ContactFlowEvent";

    /// Reads the event leniently: a missing or odd field is judged by the handler, never a
    /// failed invocation.
    pub fn read(event: &Value) -> Self {
        let details = &event["Details"];
        let contact = &details["ContactData"];
        let text = |v: &Value| {
            v.as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let mut flow = Self {
            instance_arn: text(&contact["InstanceARN"]),
            contact_id: text(&contact["ContactId"]),
            initial_contact_id: text(&contact["InitialContactId"]),
            ..Self::default()
        };
        if let Some(parameters) = details["Parameters"].as_object() {
            for (name, value) in parameters {
                match value {
                    Value::String(s) => {
                        flow.parameters.insert(name.clone(), s.clone());
                    }
                    Value::Number(_) | Value::Bool(_) => {
                        flow.parameters.insert(name.clone(), value.to_string());
                    }
                    Value::Null => {}
                    _ => flow.invalid.push(format!("Parameters.{name}")),
                }
            }
        }
        flow
    }

    /// A parameter, trimmed; blank counts as absent.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// The conversation's key: `Parameters.vendorCallKey`, else the first contact of a transfer
    /// (`InitialContactId`), else `ContactId`.
    pub fn vendor_call_key(&self) -> Result<VendorCallKey, FlatMap> {
        self.key([
            ("ContactData.InitialContactId", &self.initial_contact_id),
            ("ContactData.ContactId", &self.contact_id),
        ])
    }

    /// The key of this contact's own leg: `Parameters.vendorCallKey`, else `ContactId` (a
    /// transfer's own contact), else `InitialContactId`.
    pub fn leg_key(&self) -> Result<VendorCallKey, FlatMap> {
        self.key([
            ("ContactData.ContactId", &self.contact_id),
            ("ContactData.InitialContactId", &self.initial_contact_id),
        ])
    }

    /// Whether the flow says the contact ended (`Parameters.event` = `ended`, CONTRACT §4).
    pub fn is_ended(&self) -> bool {
        self.parameter("event")
            .is_some_and(|e| e.eq_ignore_ascii_case("ended"))
    }

    fn key(&self, contact: [(&'static str, &Option<String>); 2]) -> Result<VendorCallKey, FlatMap> {
        let (field, raw) = if let Some(key) = self.parameter("vendorCallKey") {
            ("Parameters.vendorCallKey", key)
        } else if let Some((field, Some(key))) = contact.iter().find(|(_, k)| k.is_some()) {
            (*field, key.as_str())
        } else {
            return Err(error(
                "REQUIRED_FIELD_MISSING",
                "Parameters.vendorCallKey",
                "No vendorCallKey, InitialContactId or ContactId",
            ));
        };
        VendorCallKey::parse(raw).map_err(|why| error("INVALID_FIELD", field, why))
    }
}

impl ContactFlow {
    /// The deployment's tenant (`configured`) and the conversation's key (the contact's own leg
    /// for `ended`), or the flat error a flow branches on.
    pub fn target<'a>(
        &self,
        configured: Option<&'a OrgId>,
    ) -> Result<(&'a OrgId, VendorCallKey), FlatMap> {
        let org = configured.ok_or_else(|| {
            error(
                "NOT_CONFIGURED",
                "",
                "No tenant is mapped to this Amazon Connect instance (connectInstances) and the \
                 deployment has no CONNECT_TENANT: contact flows are not accepted",
            )
        })?;
        let key = if self.is_ended() {
            self.leg_key()?
        } else {
            self.vendor_call_key()?
        };
        Ok((org, key))
    }
}

/// The flat answer of an invocation over its tenant's request limits (CONTRACT §9).
pub fn limit_exceeded(e: crate::limits::Exceeded) -> FlatMap {
    let mut map = error(
        "REQUEST_LIMIT_EXCEEDED",
        "",
        &format!(
            "The org's request limit is exceeded; retry after {} s",
            e.retry_after_secs
        ),
    );
    map.insert("retryAfter".into(), e.retry_after_secs.to_string());
    map
}

/// The flat answer of a refused invocation.
pub fn error(code: &str, field: &str, message: &str) -> FlatMap {
    let mut map = FlatMap::new();
    map.insert("status".into(), "error".into());
    map.insert("errorCode".into(), code.into());
    if !field.is_empty() {
        map.insert("errorField".into(), field.into());
    }
    map.insert("errorMessage".into(), clip(message));
    map
}

/// `value` cut to [`MAX_VALUE_CHARS`] characters.
pub fn clip(value: &str) -> String {
    value.chars().take(MAX_VALUE_CHARS).collect()
}

/// `CONNECT_TENANT` from the environment.
pub fn tenant_from_env() -> Option<OrgId> {
    std::env::var("CONNECT_TENANT")
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .map(OrgId::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(parameters: Value, contact: Value) -> ContactFlow {
        ContactFlow::read(
            &json!({"Name": "ContactFlowEvent", "Details": {"ContactData": contact, "Parameters": parameters}}),
        )
    }

    #[test]
    fn key_comes_from_parameters_then_initial_then_contact() {
        let contact = json!({"ContactId": "c2", "InitialContactId": "c1"});
        assert_eq!(
            event(json!({"vendorCallKey": "k"}), contact.clone())
                .vendor_call_key()
                .unwrap()
                .as_str(),
            "k"
        );
        assert_eq!(
            event(json!({}), contact)
                .vendor_call_key()
                .unwrap()
                .as_str(),
            "c1"
        );
        assert_eq!(
            event(json!({}), json!({"ContactId": "c2"}))
                .vendor_call_key()
                .unwrap()
                .as_str(),
            "c2"
        );
        let ended = event(
            json!({"event": "ended"}),
            json!({"ContactId": "c2", "InitialContactId": "c1"}),
        );
        assert!(ended.is_ended());
        assert_eq!(ended.leg_key().unwrap().as_str(), "c2");
        let missing = event(json!({}), json!({})).vendor_call_key().unwrap_err();
        assert_eq!(missing["errorCode"], "REQUIRED_FIELD_MISSING");
    }

    #[test]
    fn parameters_are_read_leniently() {
        let flow = event(
            json!({"value": "CustomerAngry", "score": 900, "persist": false, "odd": {"a": 1}, "gone": null}),
            json!({}),
        );
        assert_eq!(flow.parameter("score"), Some("900"));
        assert_eq!(flow.parameter("persist"), Some("false"));
        assert_eq!(flow.invalid, ["Parameters.odd"]);
        assert_eq!(flow.parameter("gone"), None);
    }
}
