//! `docs/openapi.yaml` against real answers: every documented operation is driven through the
//! local server with a success and its error cases, in JSON and XML; each answer's status must
//! be documented for its operation and its body must validate against the documented schema
//! (JSON Schema 2020-12, `$ref`s resolved in the document; XML answers mapped to their tree as
//! CONTRACT §5 describes, root element checked). Request bodies that were accepted must validate
//! against the documented request schemas. Coverage runs both ways: every (method, path) the
//! router answers is documented (and `405`'s `Allow` lists exactly the documented methods), and
//! every documented (operation, status) was seen.

use crate::openapi_spec;

use openapi_spec::requests::{concrete, invalid_body, valid_body, ROUTER};
use openapi_spec::{Call, Spec, JSON, XML};
use serde_json::{json, Value};
use testkit::intelligence::{action_path, ACTION_PATH};
use testkit::keys::Signer;
use testkit::process::start_moto;
use testkit::realtime::fresh_key;
use testkit::telephony::{inbound_call, message, transfer_call, VOICE_CALLS_PATH};
use testkit::{Answer, Fixture};

const ALL_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

#[tokio::test]
async fn every_answer_of_every_route_is_documented() {
    let spec = Spec::load();
    spec.assert_validator_is_strict();
    assert_eq!(
        spec.routes(),
        ROUTER
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect(),
        "the document's operations are the router's routes"
    );

    let fx = Fixture::new().await;
    let writer = || Some(fx.keys.token(Signer::Writer));
    let reader = || Some(fx.keys.token(Signer::Reader));

    // A conversation with every kind of data, so that the action's answer has every output:
    // a first leg, a transfer leg, transcript, signals, post-call sentiment.
    let key = fresh_key();
    let id = {
        let call = Call::new("POST", VOICE_CALLS_PATH)
            .json(&inbound_call(&key))
            .token(writer());
        spec.exchange(&fx, &call).await.json()["voiceCallId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let leg = fresh_key();
    let transfer = Call::new("POST", VOICE_CALLS_PATH)
        .xml(&transfer_call(&leg, &key))
        .token(writer());
    spec.exchange(&fx, &transfer).await.assert_xml(200);
    let lines = [
        ("Thank you for calling, how can I help?", "HUMAN_AGENT"),
        ("How much is the premium plan?", "END_USER"),
        ("It is $55 per user per month.", "HUMAN_AGENT"),
        ("I will send you the quote tomorrow.", "HUMAN_AGENT"),
    ];
    for (i, (text, sender)) in lines.iter().enumerate() {
        let start = i as u64 * 5_000;
        let body = message(&format!("seed-{i}"), start, start + 4_000, text, sender);
        let path = format!("/telephony/v1/voiceCalls/{key}/messages");
        let call = if i % 2 == 0 {
            Call::new("POST", &path).json(&body)
        } else {
            Call::new("POST", &path).xml(&body)
        };
        assert_eq!(spec.exchange(&fx, &call.token(writer())).await.status, 202);
    }

    // Every documented operation: success in JSON and in XML, then its error cases.
    for op in spec.operations() {
        let path = concrete(
            &op.path,
            if op.path.contains("{vendorCallKey}") {
                &key
            } else {
                &id
            },
        );
        let action = op.path.starts_with("/services");
        let token = || if action { reader() } else { writer() };
        let body = valid_body(
            &op.id,
            if op.id == "getConversationIntelligence" {
                &id
            } else {
                &key
            },
        );
        for xml in [false, true] {
            let mut call = Call::new(&op.method, &path).token(token());
            call = match (&body, xml, action) {
                (Some(b), false, _) => call.json(b),
                (Some(b), true, _) => call.xml(b),
                (None, true, true) => call,
                (None, true, false) => call.content_type(XML),
                (None, false, _) => call,
            };
            if action {
                call = call.accept(if xml { XML } else { JSON });
            }
            let answer = spec.exchange(&fx, &call).await;
            assert!(
                (200..300).contains(&answer.status),
                "{} ({}): {}",
                op.id,
                if xml { "XML" } else { "JSON" },
                answer.body
            );
            if op.method != "HEAD" {
                let format = if xml {
                    "application/xml"
                } else {
                    "application/json"
                };
                assert!(
                    answer.content_type().starts_with(format),
                    "{}: answered in the caller's format",
                    op.id
                );
            }
        }

        // 401: no token, and a token without the permission.
        let other = if action {
            Signer::Writer
        } else {
            Signer::Reader
        };
        for token in [None, Some(fx.keys.token(other))] {
            let mut call = Call::new(&op.method, &path).token(token);
            if let Some(b) = &body {
                call = call.json(b);
            }
            assert_eq!(spec.exchange(&fx, &call).await.status, 401, "{}", op.id);
        }
        if op.method == "HEAD" || op.method == "GET" {
            // 404: a version before the action existed.
            let call = Call::new(&op.method, &action_path("v64.0")).token(reader());
            assert_eq!(spec.exchange(&fx, &call).await.status, 404);
            let call = Call::new(&op.method, &action_path("v64.0"))
                .token(reader())
                .accept(XML);
            assert_eq!(spec.exchange(&fx, &call).await.status, 404);
            continue;
        }
        if path.contains(&id) {
            // 404: a call this tenant never recorded, and another tenant's.
            let unknown = concrete(&op.path, &fresh_key());
            let mut call = Call::new(&op.method, &unknown).token(writer());
            if let Some(b) = &body {
                call = call.json(b);
            }
            spec.exchange(&fx, &call)
                .await
                .assert_refused_with(404, "NOT_FOUND");
            let mut call = Call::new(&op.method, &path).token(Some(fx.keys.token(Signer::TenantB)));
            call = match &body {
                Some(b) => call.xml(b),
                None => call.content_type(XML),
            };
            spec.exchange(&fx, &call).await.assert_xml(404);
        }
        if action {
            let call = Call::new("POST", &action_path("v64.0"))
                .json(body.as_ref().unwrap())
                .token(reader());
            assert_eq!(spec.exchange(&fx, &call).await.status, 404);
        }
        let Some(body) = body else {
            // No body is read: a malformed one, of any type, changes nothing.
            let call = Call::new(&op.method, &path)
                .raw("text/plain", "{not read")
                .token(writer());
            assert_eq!(spec.exchange(&fx, &call).await.status, 200, "{}", op.id);
            // 400: the path's key itself is refused.
            let call = Call::new(&op.method, &concrete(&op.path, "a%0Ab")).token(writer());
            spec.exchange(&fx, &call)
                .await
                .assert_refused_with(400, "INVALID_FIELD");
            continue;
        };
        // 400: fields refused, in JSON and XML; malformed JSON and XML; an XML DOCTYPE.
        let invalid = invalid_body(&op.id).expect("an invalid body for every operation with one");
        let refused = spec
            .exchange(
                &fx,
                &Call::new(&op.method, &path).json(&invalid).token(token()),
            )
            .await;
        assert_eq!(refused.status, 400, "{}: {}", op.id, refused.body);
        assert!(
            !spec.request_is_valid(&op, JSON, &invalid.to_string()),
            "{}: the schema refuses {invalid}",
            op.id
        );
        let refused = spec
            .exchange(
                &fx,
                &Call::new(&op.method, &path)
                    .xml(&invalid)
                    .token(token())
                    .accept(XML),
            )
            .await;
        refused.assert_xml(400);
        for (ct, text, code) in [
            (JSON, "{\"inputs\": [", "JSON_PARSER_ERROR"),
            (XML, "<r><unclosed></r>", "XML_PARSER_ERROR"),
            (
                XML,
                "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x \"y\">]><r>&x;</r>",
                "XML_PARSER_ERROR",
            ),
        ] {
            let call = Call::new(&op.method, &path)
                .raw(ct, text)
                .token(token())
                .accept(ct);
            let answer = spec.exchange(&fx, &call).await;
            assert_eq!(answer.status, 400, "{}: {}", op.id, answer.body);
            assert!(answer.body.contains(code), "{}: {}", op.id, answer.body);
        }
        // 413 and 415.
        let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(1024 * 1024));
        let call = Call::new(&op.method, &path).raw(JSON, &big).token(token());
        spec.exchange(&fx, &call)
            .await
            .assert_refused_with(413, "REQUEST_ENTITY_TOO_LARGE");
        let call = Call::new(&op.method, &path)
            .raw("text/plain", &body.to_string())
            .token(token());
        spec.exchange(&fx, &call)
            .await
            .assert_refused_with(415, "UNSUPPORTED_MEDIA_TYPE");
    }

    // The action's answer with every output, and failures alone, in both formats.
    let inputs =
        json!({"inputs": [{"recordId": id}, {"recordId": leg}, {"recordId": "no-such-call"}, {}]});
    for accept in [JSON, XML] {
        let call = Call::new("POST", ACTION_PATH)
            .json(&inputs)
            .token(reader())
            .accept(accept);
        let answer = spec.exchange(&fx, &call).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        if accept == JSON {
            let results = answer.json();
            let outputs = &results[0]["outputValues"];
            for kind in ["Sentiment", "Signal", "TalkTime"] {
                let found = outputs["conversationInsights"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["insightType"] == kind);
                assert!(found, "the conversation has a {kind} insight: {outputs}");
            }
            assert!(
                !outputs["momentInsights"].as_array().unwrap().is_empty(),
                "{outputs}"
            );
            assert_eq!(results[2]["errors"][0]["statusCode"], "NOT_FOUND");
            assert_eq!(
                results[3]["errors"][0]["statusCode"],
                "REQUIRED_FIELD_MISSING"
            );
        }
    }

    // Every (method, path) the router answers is documented, with the methods it documents.
    probe_router(&spec, &fx, &id).await;

    // 503: storage gone.
    storage_gone(&spec).await;

    spec.assert_everything_exercised();
}

/// Every method on every documented path, and on paths next to them: a route the router
/// answers (anything but its route-miss `404`) must be documented; a method it refuses with
/// `405` must not be, and `Allow` must list exactly the documented ones.
async fn probe_router(spec: &Spec, fx: &Fixture, id: &str) {
    let mut paths: Vec<String> = spec
        .operations()
        .iter()
        .map(|op| concrete(&op.path, id))
        .collect();
    for segment in [
        "messages",
        "unknown",
        "events",
        "transcripts",
        "status",
        "callback",
        "omniflow",
    ] {
        paths.push(format!("/telephony/v1/voiceCalls/{id}/{segment}"));
        paths.push(format!("/telephony/v1/voiceCalls/{segment}"));
    }
    paths.extend(
        [
            "/telephony/v1",
            "/telephony/v1/",
            "/telephony/v1/voiceCalls/a/b/messages",
            "/telephony/v2/voiceCalls",
            "/services/data/v65.0/actions/standard/other",
            "/services/data/v65.0/actions/standard/getConversationIntelligence/x",
            "/services/data",
            "/console-not-here",
        ]
        .map(str::to_owned),
    );
    paths.sort();
    paths.dedup();
    for path in &paths {
        let documented = spec.methods_of(path);
        for method in ALL_METHODS {
            let action = path.starts_with("/services");
            let token = fx.keys.token(if action {
                Signer::Reader
            } else {
                Signer::Writer
            });
            let call = Call::new(method, path).token(Some(token)).raw(JSON, "{}");
            let answer = spec.send(fx, &call).await;
            let route_miss = answer.status == 404
                && answer
                    .body
                    .contains("The requested resource does not exist");
            if documented.contains(method) {
                assert!(
                    !route_miss && answer.status != 405,
                    "{method} {path} is documented but not routed: {}",
                    answer.status
                );
                spec.check(&call, &answer);
            } else if route_miss
                || (method == "HEAD"
                    && answer.status == 404
                    && answer.body.is_empty()
                    && documented.is_empty())
            {
                spec.check_shared(&call, &answer, "NotFound");
            } else {
                assert_eq!(
                    answer.status, 405,
                    "{method} {path} is answered ({}) but not documented: {}",
                    answer.status, answer.body
                );
                spec.check_shared(&call, &answer, "MethodNotAllowed");
                let allow = answer
                    .headers
                    .get("allow")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let mut allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
                allowed.sort_unstable();
                let mut expected: Vec<&str> = documented.iter().map(String::as_str).collect();
                expected.sort_unstable();
                assert_eq!(
                    allowed, expected,
                    "{method} {path}: Allow lists the documented methods"
                );
            }
        }
    }
}

/// Every operation that reads or writes storage, with the storage gone: `503`.
async fn storage_gone(spec: &Spec) {
    let moto = start_moto();
    let fx = Fixture::on(&moto.url()).await;
    let key = fresh_key();
    let id = {
        let call = Call::new("POST", VOICE_CALLS_PATH)
            .json(&inbound_call(&key))
            .token(Some(fx.keys.token(Signer::Writer)));
        spec.exchange(&fx, &call).await.json()["voiceCallId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    drop(moto);
    // Every operation but the action's description reads or writes storage: each must answer
    // (and document) 503, whatever the document says.
    let storage_free = [
        "describeConversationIntelligence",
        "describeConversationIntelligenceHead",
    ];
    for (n, op) in spec.operations().into_iter().enumerate() {
        if storage_free.contains(&op.id.as_str()) {
            assert!(!spec.documents(&op, 503), "{} never reads storage", op.id);
            continue;
        }
        let action = op.path.starts_with("/services");
        let path = concrete(
            &op.path,
            if op.path.contains("{vendorCallKey}") {
                &key
            } else {
                &id
            },
        );
        let token = fx.keys.token(if action {
            Signer::Reader
        } else {
            Signer::Writer
        });
        let mut call = Call::new(&op.method, &path).token(Some(token));
        if let Some(body) = valid_body(&op.id, &fresh_key()) {
            call = if n % 2 == 0 {
                call.json(&body)
            } else {
                call.xml(&body).accept(XML)
            };
        }
        let answer = spec.exchange(&fx, &call).await;
        answer.assert_refused_with(503, "SERVER_UNAVAILABLE");
    }
}

/// Every request body the four public clients sent (`shared/clients/recorded-requests.jsonl`)
/// that the contract accepts validates against the documented request schema of its route.
#[test]
fn recorded_client_requests_validate_against_the_request_schemas() {
    let spec = Spec::load();
    let path = testkit::workspace_root().join("../shared/clients/recorded-requests.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} must be beside the checkout: {e}", path.display()));
    let mut checked = 0;
    for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let line: Value = serde_json::from_str(line).expect("a JSON line");
        let method = line["method"].as_str().unwrap();
        let path = line["path"].as_str().unwrap();
        let op = spec
            .operation(method, path)
            .unwrap_or_else(|| panic!("line {n}: {method} {path} is not documented"));
        if line["expect"] != "2xx" || line["body"].is_null() {
            continue;
        }
        assert!(
            spec.request_is_valid(&op, JSON, &line["body"].to_string()),
            "line {n} ({method} {path}): {}",
            spec.request_errors(&op, JSON, &line["body"].to_string())
        );
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} bodies checked");
}

trait Refused {
    fn assert_refused_with(&self, status: u16, code: &str);
}

impl Refused for Answer {
    #[track_caller]
    fn assert_refused_with(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(self.body.contains(code), "{code}: {}", self.body);
    }
}

/// The document is OpenAPI 3.1 (checked against the OpenAPI Initiative's schema for 3.1
/// documents, kept beside it), every component schema is a valid JSON Schema 2020-12, every
/// `$ref` resolves and every operation id is unique.
#[test]
fn the_document_is_valid_openapi_3_1() {
    let spec = Spec::load();
    let doc = spec.doc();
    let path = testkit::workspace_root().join("docs/openapi-3.1-schema.json");
    let text = std::fs::read_to_string(&path).expect("the OpenAPI 3.1 schema is in docs/");
    let oas: Value = serde_json::from_str(&text).expect("JSON");
    let validator = jsonschema::draft202012::options()
        .build(&oas)
        .expect("the OpenAPI 3.1 schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not OpenAPI 3.1: {errors:?}");

    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let mut schema = schema.clone();
        schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        assert!(
            jsonschema::meta::validate(&schema).is_ok(),
            "{name} is a JSON Schema 2020-12: {:?}",
            jsonschema::meta::validate(&schema)
                .err()
                .map(|e| e.to_string())
        );
    }
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let pointer = reference.split('"').next().unwrap();
        let pointer = pointer.strip_prefix('#').expect("local references only");
        assert!(doc.pointer(pointer).is_some(), "{pointer} resolves");
    }
    let ids: Vec<String> = spec.operations().into_iter().map(|op| op.id).collect();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "operation ids are unique");
}
