//! The template's operations part (CONTRACT §11), read from template.yaml: the alarms the
//! contract lists, each named by the stack and sent to the one SNS topic (an output), a
//! dashboard that shows them, and a runbook entry in docs/operations.md for every alarm.

use serde_yaml_ng::Value;

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).expect("template.yaml")).expect("YAML")
}

/// `!Tag value` → (`Tag`, value); anything else → ("", itself).
fn tagged(value: &Value) -> (String, &Value) {
    match value {
        Value::Tagged(t) => (
            t.tag.to_string().trim_start_matches('!').to_owned(),
            &t.value,
        ),
        other => (String::new(), other),
    }
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(String, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(k, r)| (k.as_str().unwrap().to_owned(), r))
        .collect()
}

/// Every metric name an alarm watches (one metric, or each of its metric math's).
fn watched(alarm: &Value) -> Vec<(String, String)> {
    let p = &alarm["Properties"];
    let namespace = |v: &Value| {
        let (tag, inner) = tagged(v);
        match tag.as_str() {
            "" => inner.as_str().unwrap_or_default().to_owned(),
            _ => format!("!{tag} {}", inner.as_str().unwrap_or_default()),
        }
    };
    if let Some(name) = p["MetricName"].as_str() {
        return vec![(namespace(&p["Namespace"]), name.to_owned())];
    }
    p["Metrics"]
        .as_sequence()
        .expect("a metric or metric math")
        .iter()
        .filter_map(|m| {
            let metric = &m["MetricStat"]["Metric"];
            Some((
                namespace(&metric["Namespace"]),
                metric["MetricName"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

#[test]
fn the_contracts_alarms_go_to_one_topic_with_the_stacks_names_and_a_runbook() {
    let template = template();
    let topics = resources_of_type(&template, "AWS::SNS::Topic");
    assert_eq!(topics.len(), 1, "one topic for the alarms");
    let (topic, topic_resource) = &topics[0];
    let (tag, name) = tagged(&topic_resource["Properties"]["TopicName"]);
    assert_eq!(tag, "Sub");
    assert!(name.as_str().unwrap().contains("${AWS::StackName}"));
    let (tag, output) = tagged(&template["Outputs"]["AlarmTopicArn"]["Value"]);
    assert_eq!(
        (tag.as_str(), output.as_str()),
        ("Ref", Some(topic.as_str()))
    );

    let alarms = resources_of_type(&template, "AWS::CloudWatch::Alarm");
    let runbook = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/operations.md"
    ))
    .expect("docs/operations.md");
    let mut all_watched = Vec::new();
    for (logical, alarm) in &alarms {
        let p = &alarm["Properties"];
        let (tag, name) = tagged(&p["AlarmName"]);
        let name = name.as_str().unwrap();
        assert_eq!(tag, "Sub", "{logical}");
        let short = name
            .strip_prefix("${AWS::StackName}-")
            .unwrap_or_else(|| panic!("{logical}: {name} is not named by the stack"));
        for actions in ["AlarmActions", "OKActions"] {
            let refs: Vec<_> = p[actions]
                .as_sequence()
                .unwrap_or_else(|| panic!("{logical}: no {actions}"))
                .iter()
                .map(|a| tagged(a).1.as_str().unwrap_or_default().to_owned())
                .collect();
            assert_eq!(refs, vec![topic.clone()], "{logical} {actions}");
        }
        assert!(
            p["AlarmDescription"]
                .as_str()
                .unwrap()
                .contains(&format!("docs/operations.md#{short}")),
            "{logical}"
        );
        assert!(
            runbook.contains(&format!("### {short}")),
            "docs/operations.md has no runbook section `### {short}`"
        );
        all_watched.extend(watched(alarm));
    }
    // CONTRACT §11's list.
    for (namespace, metric) in [
        ("AWS/ApiGateway", "5xx"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/DynamoDB", "WriteThrottleEvents"),
        ("AWS/DynamoDB", "ReadThrottleEvents"),
        ("AWS/Lambda", "IteratorAge"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("!Ref AWS::StackName", "LiveDeliveries"),
        ("!Ref AWS::StackName", "ContactLensRecords"),
    ] {
        assert!(
            all_watched
                .iter()
                .any(|(n, m)| n == namespace && m == metric),
            "no alarm watches {namespace} {metric}: {all_watched:?}"
        );
    }
    // Every function's errors and throttles are watched.
    let functions = resources_of_type(&template, "AWS::Serverless::Function");
    assert!(functions.len() >= 6);
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    let errors_alarm = &text[text.find("  FunctionErrorsAlarm:").unwrap()..];
    let errors_alarm = &errors_alarm[..errors_alarm.find("\n\n").unwrap()];
    for (function, _) in &functions {
        assert!(
            errors_alarm.contains(&format!("!Ref {function}")),
            "{function}"
        );
    }

    // The dashboard: named by the stack, showing every alarm.
    let dashboards = resources_of_type(&template, "AWS::CloudWatch::Dashboard");
    assert_eq!(dashboards.len(), 1);
    let p = &dashboards[0].1["Properties"];
    let (_, name) = tagged(&p["DashboardName"]);
    assert!(name.as_str().unwrap().contains("${AWS::StackName}"));
    let (tag, body) = tagged(&p["DashboardBody"]);
    assert_eq!(tag, "Sub");
    let body = body.as_str().unwrap();
    let plain = regex_free_substitute(body);
    let parsed: serde_json::Value = serde_json::from_str(&plain).expect("the body is JSON");
    assert!(parsed["widgets"].as_array().unwrap().len() >= 8);
    for (logical, _) in &alarms {
        assert!(
            body.contains(&format!("${{{logical}.Arn}}")),
            "{logical} not on the dashboard"
        );
    }
    for metric in [
        "Requests",
        "Refusals",
        "Latency",
        "EventsAccepted",
        "AnalysesRun",
        "LiveDeliveries",
        "PushDelay",
    ] {
        assert!(body.contains(metric), "{metric} not on the dashboard");
    }
}

/// The body with every `${…}` replaced by a plain word, as CloudFormation would substitute.
fn regex_free_substitute(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closed") + start;
        out.push_str("value");
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The live-deliver rule: every detail type the service publishes, but not the writes of
/// conversations nobody watches (`watched: false`, docs/cost.md). Its `detail` pattern, read as
/// EventBridge reads it (`$or` of `watched: [true]` and `watched: [{exists: false}]`), passes
/// exactly the events the local server's live channel takes (`BusEvent::is_for_live`).
#[test]
fn live_delivery_takes_every_detail_type_but_not_unwatched_writes() {
    let t = template();
    let pattern = &t["Resources"]["LiveDeliverFunction"]["Properties"]["Events"]["BusEvents"]
        ["Properties"]["Pattern"];
    let types: Vec<&str> = pattern["detail-type"]
        .as_sequence()
        .expect("detail-type")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(types, shared::bus::DETAIL_TYPES);
    let alternatives = pattern["detail"]["$or"].as_sequence().expect("$or");
    let passes = |detail: &serde_json::Value| {
        alternatives.iter().any(|alternative| {
            let values = alternative["watched"].as_sequence().expect("watched");
            values.iter().any(|v| match v {
                Value::Bool(b) => detail.get("watched") == Some(&serde_json::json!(b)),
                Value::Mapping(_) if v["exists"] == Value::Bool(false) => {
                    detail.get("watched").is_none()
                }
                other => panic!("an unexpected pattern value {other:?}"),
            })
        })
    };
    let plain = shared::bus::BusEvent::new(
        shared::bus::TRANSCRIPT_DETAIL_TYPE,
        &serde_json::json!({"tenant": "00D000000000001", "content": "hi"}),
    )
    .unwrap();
    for watched in [None, Some(true), Some(false)] {
        let event = match watched {
            None => plain.clone(),
            Some(w) => plain.clone().watched(shared::store::Watched(w)),
        };
        let detail: serde_json::Value = serde_json::from_str(&event.detail).unwrap();
        assert_eq!(passes(&detail), event.is_for_live(), "{watched:?}");
        assert_eq!(event.is_for_live(), watched != Some(false));
    }
}

/// A customer managed key for Contact Lens (`ContactLensKmsKeyArn`): each Contact Lens function
/// may decrypt with it only when it is given, and only through the service it reads.
#[test]
fn the_contact_lens_key_grant_is_conditional_and_through_the_service_read() {
    let t = template();
    let (tag, condition) = tagged(&t["Conditions"]["HasContactLensKey"]);
    assert_eq!(tag, "Not");
    assert_eq!(
        serde_yaml_ng::to_string(condition).unwrap().trim(),
        "- !Equals\n  - !Ref ContactLensKmsKeyArn\n  - ''"
    );
    for (function, service) in [
        ("ContactLensStreamFunction", "kinesis"),
        ("ContactLensAnalysisFunction", "s3"),
    ] {
        let policies = t["Resources"][function]["Properties"]["Policies"]
            .as_sequence()
            .expect("Policies");
        let grants: Vec<&Value> = policies
            .iter()
            .filter_map(|p| p["Statement"].as_sequence())
            .flatten()
            .filter_map(|s| match tagged(s) {
                (tag, Value::Sequence(branches)) if tag == "If" => Some(branches),
                _ => None,
            })
            .filter(|branches| branches[0].as_str() == Some("HasContactLensKey"))
            .map(|branches| {
                let (tag, otherwise) = tagged(&branches[2]);
                assert_eq!(
                    (tag.as_str(), otherwise.as_str()),
                    ("Ref", Some("AWS::NoValue"))
                );
                &branches[1]
            })
            .collect();
        assert_eq!(grants.len(), 1, "{function}: one conditional key grant");
        let grant = grants[0];
        assert_eq!(grant["Action"].as_str(), Some("kms:Decrypt"), "{function}");
        assert_eq!(
            tagged(&grant["Resource"]),
            (
                "Ref".to_owned(),
                &Value::String("ContactLensKmsKeyArn".into())
            )
        );
        let (tag, via) = tagged(&grant["Condition"]["StringEquals"]["kms:ViaService"]);
        assert_eq!(tag, "Sub", "{function}");
        assert_eq!(
            via.as_str(),
            Some(format!("{service}.${{AWS::Region}}.amazonaws.com").as_str()),
            "{function}"
        );
    }
    // No other statement grants a KMS action.
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    assert_eq!(text.matches("Action: kms:").count(), 2);
    assert_eq!(text.matches("- kms:").count(), 0);
}

/// Every template parameter has a row in docs/operations.md's parameter table, and the table
/// names no parameter the template does not have.
#[test]
fn every_template_parameter_is_documented_for_the_operator() {
    let t = template();
    let parameters: std::collections::BTreeSet<String> = t["Parameters"]
        .as_mapping()
        .expect("Parameters")
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    assert!(parameters.len() >= 10, "{parameters:?}");
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/operations.md"
    ))
    .unwrap();
    // `| `Name` | meaning | default |`: the first code span of each row names the parameter.
    let documented: std::collections::BTreeSet<String> = docs
        .lines()
        .skip_while(|l| !l.starts_with("| parameter | meaning | default |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.split('`').nth(1))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        documented, parameters,
        "docs/operations.md's parameter table against the template's parameters"
    );
}
