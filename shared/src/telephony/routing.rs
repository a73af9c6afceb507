//! Routing requests (CONTRACT §2.7): `omniFlow`, `routeVoiceCall`/`route`, `requestCallback`,
//! `reroute`, `clearRouting`. There is no Omni-Channel here: each request is validated, recorded
//! on the conversation and published as `RoutingRequest`, and answered with the body the
//! Salesforce page documents for the operation.

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::model::Instant;
pub use crate::model::{RoutingOperation, RoutingRequest};
use crate::validate::{self, Problems, Refusal};

const MAX_TEXT: usize = 255;
/// `flowInputParameters`, kept as given within a bound that keeps the item small.
pub const MAX_FLOW_INPUT_BYTES: usize = 32 * 1024;

/// Reads the body of `operation`; a body-less operation ignores whatever was sent.
pub fn parse(operation: RoutingOperation, body: Option<Value>) -> Result<RoutingRequest, ApiError> {
    let mut problems = Problems::default();
    let mut fields = Map::new();
    if !operation.takes_body() {
        return Ok(RoutingRequest { operation, fields });
    }
    let obj = match body {
        None | Some(Value::Null) => Map::new(),
        Some(body) => match validate::object(body, &mut problems) {
            Some(obj) => obj,
            None => return Err(problems.finish(()).unwrap_err()),
        },
    };
    let mut text = |name: &'static str, required: bool, problems: &mut Problems| {
        let check = if required {
            validate::required_text(&obj, name, MAX_TEXT).map(Some)
        } else {
            validate::optional_text(&obj, name, MAX_TEXT)
        };
        if let Some(Some(value)) = problems.take(check, || name.into()) {
            fields.insert(name.to_owned(), Value::String(value));
        }
    };
    match operation {
        RoutingOperation::OmniFlow => {
            // Salesforce requires `dialedNumber`, except for a transfer to a flow, where
            // `flowDevName` is required instead: one of them must name what to run.
            for name in ["dialedNumber", "flowDevName", "flowName", "fallbackQueue"] {
                text(name, false, &mut problems);
            }
            let named = ["dialedNumber", "flowDevName", "flowName"]
                .iter()
                .any(|n| validate::field(&obj, n).is_some());
            if !named {
                problems.missing("dialedNumber");
            }
        }
        RoutingOperation::RouteVoiceCall => {
            text("routingTarget", true, &mut problems);
            text("fallbackQueue", false, &mut problems);
        }
        RoutingOperation::RequestCallback => {
            text("callbackNumber", true, &mut problems);
            if let Some(v) = validate::field(&obj, "isPreviewCallback") {
                if let Some(b) = problems.take(validate::boolean(v), || "isPreviewCallback".into())
                {
                    fields.insert("isPreviewCallback".into(), Value::Bool(b));
                }
            }
            if let Some(v) = validate::field(&obj, "scheduledRoutingDateTime") {
                let at = v.as_str().and_then(Instant::parse).ok_or(Refusal::Invalid(
                    "must be an ISO-8601 date-time, e.g. 2026-11-23T16:00:00Z".into(),
                ));
                if let Some(at) = problems.take(at, || "scheduledRoutingDateTime".into()) {
                    fields.insert("scheduledRoutingDateTime".into(), Value::String(at.text));
                }
            }
        }
        RoutingOperation::Reroute | RoutingOperation::ClearRouting => {}
    }
    if matches!(
        operation,
        RoutingOperation::OmniFlow | RoutingOperation::RouteVoiceCall
    ) {
        if let Some(v) = validate::field(&obj, "flowInputParameters") {
            if let Some(params) = problems.take(flow_inputs(v), || "flowInputParameters".into()) {
                fields.insert("flowInputParameters".into(), params);
            }
        }
    }
    problems.finish(RoutingRequest { operation, fields })
}

/// Flow inputs: an object (as both examples send) or a JSON object given as a string; kept as
/// an object, within a size bound.
fn flow_inputs(value: &Value) -> Result<Value, Refusal> {
    let must = || Refusal::Invalid("must be an object of flow input values".into());
    let object = match value {
        Value::Object(_) => value.clone(),
        Value::String(s) if s.trim().is_empty() => Value::Object(Map::new()),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => v,
            _ => return Err(must()),
        },
        _ => return Err(must()),
    };
    if object.to_string().len() > MAX_FLOW_INPUT_BYTES {
        return Err(Refusal::Invalid("must be at most 32 KiB".into()));
    }
    // Stored inside the routing item's `request` map: one level deeper than vendor details.
    validate::storable_tree(&object, validate::MAX_DETAILS_DEPTH - 1)?;
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::field_paths as fields;
    use serde_json::json;

    #[test]
    fn operations_by_path_segment() {
        assert_eq!(
            RoutingOperation::from_segment("route"),
            Some(RoutingOperation::RouteVoiceCall)
        );
        assert_eq!(RoutingOperation::from_segment("messages"), None);
    }

    #[test]
    fn omni_flow_as_the_clients_send_it() {
        let itia = parse(
            RoutingOperation::OmniFlow,
            Some(json!({"dialedNumber": "+15550100", "flowInputParameters": {}})),
        )
        .unwrap();
        assert_eq!(itia.answer("x"), json!({"agent": null, "queue": null}));
        let demo = parse(
            RoutingOperation::OmniFlow,
            Some(json!({"flowName": "RouteToQueue", "dialedNumber": "4150000000", "fallbackQueue": "Support"})),
        )
        .unwrap();
        assert_eq!(demo.fields["flowName"], "RouteToQueue");
        assert_eq!(demo.answer("x")["queue"], "Support");
        let unstorable = parse(
            RoutingOperation::OmniFlow,
            Some(json!({"dialedNumber": "1", "flowInputParameters": {"a": 1e300, "b": 5e-170}})),
        )
        .unwrap_err();
        assert_eq!(fields(unstorable), ["flowInputParameters"]);
        let err = parse(
            RoutingOperation::OmniFlow,
            Some(json!({"fallbackQueue": 5, "flowInputParameters": "[1]"})),
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            ["fallbackQueue", "dialedNumber", "flowInputParameters"]
        );
    }

    #[test]
    fn required_fields_per_operation() {
        let err = parse(RoutingOperation::RouteVoiceCall, None).unwrap_err();
        assert_eq!(fields(err), ["routingTarget"]);
        let err = parse(
            RoutingOperation::RequestCallback,
            Some(json!({"isPreviewCallback": "maybe", "scheduledRoutingDateTime": "soon"})),
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            [
                "callbackNumber",
                "isPreviewCallback",
                "scheduledRoutingDateTime"
            ]
        );
        let ok = parse(
            RoutingOperation::RequestCallback,
            Some(json!({"callbackNumber": "+15550100", "isPreviewCallback": "true"})),
        )
        .unwrap();
        assert_eq!(ok.fields["isPreviewCallback"], true);
        assert_eq!(ok.answer("0Cb1"), json!({"recordId": "0Cb1"}));
        // No body is read for these two.
        let cleared = parse(RoutingOperation::ClearRouting, Some(json!("anything"))).unwrap();
        assert!(cleared.fields.is_empty());
        assert_eq!(cleared.answer(""), json!({"status": "Success"}));
    }
}
