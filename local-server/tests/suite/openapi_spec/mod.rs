//! `docs/openapi.yaml`, loaded for the tests: its operations, path matching, schema validation
//! (JSON Schema 2020-12 with the document's `$ref`s resolved), and a record of which documented
//! answers the tests have seen.

pub mod requests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use testkit::{Answer, Fixture};

pub const JSON: &str = "application/json";
pub const XML: &str = "application/xml; charset=UTF-8";

const METHODS: [&str; 7] = ["get", "head", "post", "put", "patch", "delete", "options"];

/// One documented operation.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub id: String,
    responses: serde_json::Map<String, Value>,
    request_body: Option<Value>,
}

/// One request a test sends.
#[derive(Debug, Clone)]
pub struct Call {
    method: String,
    path: String,
    content_type: Option<String>,
    accept: Option<String>,
    body: String,
    token: Option<String>,
}

impl Call {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            content_type: None,
            accept: None,
            body: String::new(),
            token: None,
        }
    }

    pub fn json(self, body: &Value) -> Self {
        self.raw(JSON, &body.to_string())
    }

    /// `body` as the XML document CONTRACT §5 maps to it.
    pub fn xml(self, body: &Value) -> Self {
        self.raw(XML, &shared::xml::write_object("request", body))
    }

    pub fn raw(mut self, content_type: &str, body: &str) -> Self {
        self.content_type = Some(content_type.to_owned());
        self.body = body.to_owned();
        self
    }

    pub fn content_type(mut self, content_type: &str) -> Self {
        self.content_type = Some(content_type.to_owned());
        self
    }

    pub fn accept(mut self, accept: &str) -> Self {
        self.accept = Some(accept.to_owned());
        self
    }

    pub fn token(mut self, token: Option<String>) -> Self {
        self.token = token;
        self
    }
}

/// `application/json` or `application/xml` from a media type with parameters; `text/xml` is XML.
fn essence(media_type: &str) -> String {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "text/xml" {
        "application/xml".to_owned()
    } else {
        essence
    }
}

/// The name of an XML document's root element.
fn root_element(xml: &str) -> String {
    let mut rest = xml;
    loop {
        let start = rest.find('<').expect("an XML element");
        rest = &rest[start + 1..];
        if !rest.starts_with('?') && !rest.starts_with('!') {
            break;
        }
    }
    rest.split(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub struct Spec {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
    /// Operation id (or `components/responses/…`) → (status, answer media type) seen.
    seen: Mutex<BTreeMap<String, BTreeSet<(u16, String)>>>,
}

impl Spec {
    pub fn load() -> Self {
        let path = testkit::workspace_root().join("docs/openapi.yaml");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: Value = serde_yaml_ng::from_str(&text).expect("docs/openapi.yaml is YAML");
        assert_eq!(doc["openapi"], "3.1.0");
        Self {
            doc,
            validators: Mutex::default(),
            seen: Mutex::default(),
        }
    }

    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// Follows a `$ref` into the document (one level at a time, until there is none).
    fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        while let Some(pointer) = value.get("$ref").and_then(Value::as_str) {
            let pointer = pointer.strip_prefix('#').expect("a local $ref");
            value = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("unresolved $ref {pointer}"));
        }
        value
    }

    pub fn operations(&self) -> Vec<Operation> {
        let mut out = Vec::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                out.push(Operation {
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    id: op["operationId"]
                        .as_str()
                        .expect("every operation has an id")
                        .to_owned(),
                    responses: op["responses"].as_object().expect("responses").clone(),
                    request_body: op.get("requestBody").cloned(),
                });
            }
        }
        out
    }

    /// Every documented (method, path template).
    pub fn routes(&self) -> BTreeSet<(String, String)> {
        self.operations()
            .into_iter()
            .map(|op| (op.method, op.path))
            .collect()
    }

    /// Whether `template` matches the concrete `path`; `Some(number of parameters)` if so.
    fn matches(template: &str, path: &str) -> Option<usize> {
        let (t, p): (Vec<&str>, Vec<&str>) =
            (template.split('/').collect(), path.split('/').collect());
        if t.len() != p.len() {
            return None;
        }
        let mut params = 0;
        for (t, p) in t.iter().zip(&p) {
            if t.starts_with('{') {
                params += 1;
            } else if t != p {
                return None;
            }
        }
        Some(params)
    }

    /// The operation that documents `method` on the concrete `path` (a literal segment wins
    /// over a parameter, as in OpenAPI).
    pub fn operation(&self, method: &str, path: &str) -> Option<Operation> {
        self.operations()
            .into_iter()
            .filter(|op| op.method == method)
            .filter_map(|op| Self::matches(&op.path, path).map(|n| (n, op)))
            .min_by_key(|(n, _)| *n)
            .map(|(_, op)| op)
    }

    /// The methods documented for the concrete `path`.
    pub fn methods_of(&self, path: &str) -> BTreeSet<String> {
        self.operations()
            .into_iter()
            .filter(|op| Self::matches(&op.path, path).is_some())
            .map(|op| op.method)
            .collect()
    }

    pub fn documents(&self, op: &Operation, status: u16) -> bool {
        op.responses.contains_key(&status.to_string())
    }

    fn validator(&self, schema: &Value) -> Arc<jsonschema::Validator> {
        let key = schema.to_string();
        let mut cache = self.validators.lock().unwrap();
        cache
            .entry(key)
            .or_insert_with(|| {
                // The schema inside a root that holds the document's components, so that every
                // `#/components/…` reference resolves as it does in the document.
                let root = json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "components": self.doc["components"],
                    "allOf": [schema],
                });
                Arc::new(
                    jsonschema::draft202012::options()
                        .should_validate_formats(true)
                        .build(&root)
                        .unwrap_or_else(|e| panic!("schema {schema} compiles: {e}")),
                )
            })
            .clone()
    }

    fn errors(&self, schema: &Value, instance: &Value) -> Vec<String> {
        self.validator(schema)
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    /// The schema of `media_type` in a `content` map, if documented.
    fn media_schema<'a>(&'a self, content: &'a Value, media_type: &str) -> Option<&'a Value> {
        content.get(media_type).map(|media| &media["schema"])
    }

    /// A request body as the tree its schema describes: JSON parsed, XML mapped (CONTRACT §5).
    fn tree(media_type: &str, body: &str) -> Option<Value> {
        match media_type {
            "application/json" => serde_json::from_str(body).ok(),
            "application/xml" => shared::xml::parse(body.as_bytes()).ok(),
            _ => None,
        }
    }

    /// Why `body` (of `content_type`) does not validate against `op`'s request schema; empty
    /// when it does.
    pub fn request_errors(&self, op: &Operation, content_type: &str, body: &str) -> String {
        let Some(request_body) = &op.request_body else {
            return format!("{} documents no request body", op.id);
        };
        let request_body = self.resolve(request_body);
        let media_type = essence(content_type);
        let Some(schema) = self.media_schema(&request_body["content"], &media_type) else {
            return format!("{}: {media_type} is not documented", op.id);
        };
        let Some(tree) = Self::tree(&media_type, body) else {
            return format!("{}: the body does not parse as {media_type}", op.id);
        };
        self.errors(schema, &tree).join("; ")
    }

    pub fn request_is_valid(&self, op: &Operation, content_type: &str, body: &str) -> bool {
        self.request_errors(op, content_type, body).is_empty()
    }

    /// Sends `call` to the local server.
    pub async fn send(&self, fx: &Fixture, call: &Call) -> Answer {
        let method = reqwest::Method::from_bytes(call.method.as_bytes()).expect("a method");
        let mut request = fx
            .http
            .request(method, format!("{}{}", fx.base_url, call.path))
            .body(call.body.clone());
        if let Some(ct) = &call.content_type {
            request = request.header("content-type", ct);
        }
        if let Some(accept) = &call.accept {
            request = request.header("accept", accept);
        }
        if let Some(token) = &call.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        fx.send(request).await
    }

    /// Sends `call` and checks its answer against the document.
    pub async fn exchange(&self, fx: &Fixture, call: &Call) -> Answer {
        let answer = self.send(fx, call).await;
        self.check(call, &answer);
        answer
    }

    /// The answer's status is documented for the call's operation and its body validates; an
    /// accepted request's body validates against the documented request schema.
    #[track_caller]
    pub fn check(&self, call: &Call, answer: &Answer) {
        let op = self
            .operation(&call.method, &call.path)
            .unwrap_or_else(|| panic!("{} {} is not documented", call.method, call.path));
        let response = op
            .responses
            .get(&answer.status.to_string())
            .unwrap_or_else(|| {
                panic!(
                    "{}: status {} is not documented: {}",
                    op.id, answer.status, answer.body
                )
            });
        let media_type = self.check_response(call, answer, response);
        self.record(&op.id, answer.status, media_type);
        if (200..300).contains(&answer.status)
            && !call.body.trim().is_empty()
            && op.request_body.is_some()
        {
            let ct = call.content_type.as_deref().unwrap_or(JSON);
            let errors = self.request_errors(&op, ct, &call.body);
            assert!(
                errors.is_empty(),
                "{}: an accepted request body does not validate: {errors}\n{}",
                op.id,
                call.body
            );
        }
    }

    /// The answer is the shared response `components/responses/{name}`.
    #[track_caller]
    pub fn check_shared(&self, call: &Call, answer: &Answer, name: &str) {
        let response = &self.doc["components"]["responses"][name];
        assert!(
            response.is_object(),
            "components/responses/{name} is documented"
        );
        let media_type = self.check_response(call, answer, response);
        self.record(
            &format!("components/responses/{name}"),
            answer.status,
            media_type,
        );
    }

    /// Checks `answer` against a documented response; returns the answer's media type ("" for
    /// no body).
    #[track_caller]
    fn check_response(&self, call: &Call, answer: &Answer, response: &Value) -> String {
        let response = self.resolve(response);
        let what = format!("{} {} → {}", call.method, call.path, answer.status);
        if call.method == "HEAD" {
            assert!(answer.body.is_empty(), "{what}: HEAD answers no body");
            return String::new();
        }
        let Some(content) = response.get("content") else {
            assert!(
                answer.body.is_empty(),
                "{what}: no body is documented: {}",
                answer.body
            );
            return String::new();
        };
        let media_type = essence(answer.content_type());
        let schema = self
            .media_schema(content, &media_type)
            .unwrap_or_else(|| panic!("{what}: {media_type} is not documented: {}", answer.body));
        let tree = if media_type == "application/xml" {
            let expected = self.resolve(schema)["xml"]["name"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: the XML schema names its root (xml.name)"));
            assert_eq!(
                root_element(&answer.body),
                expected,
                "{what}: {}",
                answer.body
            );
            shared::xml::parse(answer.body.as_bytes())
                .unwrap_or_else(|e| panic!("{what}: the answer is XML ({e}): {}", answer.body))
        } else {
            answer.json()
        };
        let errors = self.errors(schema, &tree);
        assert!(
            errors.is_empty(),
            "{what}: the answer does not validate: {}\n{}",
            errors.join("; "),
            answer.body
        );
        media_type
    }

    fn record(&self, what: &str, status: u16, media_type: String) {
        self.seen
            .lock()
            .unwrap()
            .entry(what.to_owned())
            .or_default()
            .insert((status, media_type));
    }

    /// Every documented status of every operation was answered at least once; every success
    /// with a body was answered in both JSON and XML; the shared 404 and 405 were seen.
    pub fn assert_everything_exercised(&self) {
        let seen = self.seen.lock().unwrap();
        let mut missing = Vec::new();
        for op in self.operations() {
            let statuses = seen.get(&op.id).cloned().unwrap_or_default();
            for status in op.responses.keys() {
                let status: u16 = status.parse().expect("numeric statuses");
                if !statuses.iter().any(|(s, _)| *s == status) {
                    missing.push(format!("{} {status}", op.id));
                }
                if (200..300).contains(&status) && op.method != "HEAD" {
                    for media_type in ["application/json", "application/xml"] {
                        if !statuses.contains(&(status, media_type.to_owned())) {
                            missing.push(format!("{} {status} {media_type}", op.id));
                        }
                    }
                }
            }
        }
        for shared in ["NotFound", "MethodNotAllowed"] {
            if !seen.contains_key(&format!("components/responses/{shared}")) {
                missing.push(format!("components/responses/{shared}"));
            }
        }
        assert!(
            missing.is_empty(),
            "documented but never answered: {missing:?}"
        );
    }

    /// The validator really refuses what a schema excludes (so a pass means something).
    pub fn assert_validator_is_strict(&self) {
        let schema = json!({"$ref": "#/components/schemas/VoiceCallCreated"});
        assert!(self
            .errors(
                &schema,
                &json!({"voiceCallId": "0LQabcdefghijklmno", "errors": []})
            )
            .is_empty());
        for wrong in [
            json!({"voiceCallId": "nope", "errors": []}),
            json!({"voiceCallId": "0LQabcdefghijklmno"}),
            json!({"voiceCallId": "0LQabcdefghijklmno", "errors": [], "extra": 1}),
        ] {
            assert!(
                !self.errors(&schema, &wrong).is_empty(),
                "{wrong} is refused"
            );
        }
        let insight = json!({"$ref": "#/components/schemas/Insight"});
        let talk = json!({"insightType": "TalkTime", "speakerId": "a", "speakerRole": "END_USER",
                          "entries": 1, "seconds": 2.5, "share": 0.5, "listenShare": 0.5,
                          "longestMonologueSeconds": 2.5, "interruptions": 0, "wordsPerMinute": 120.0});
        assert!(self.errors(&insight, &talk).is_empty());
        let mut wrong = talk.clone();
        wrong["insightType"] = json!("Signal");
        assert!(
            !self.errors(&insight, &wrong).is_empty(),
            "the union is tagged"
        );
        let xml = json!({"$ref": "#/components/schemas/XmlErrors"});
        assert!(self
            .errors(
                &xml,
                &json!({"Error": {"message": "m", "errorCode": "NOT_FOUND"}})
            )
            .is_empty());
        assert!(!self
            .errors(
                &xml,
                &json!({"Error": {"message": "m", "errorCode": "NOPE"}})
            )
            .is_empty());
        let when = json!({"$ref": "#/components/schemas/NewVoiceCall"});
        let mut call = testkit::telephony::inbound_call("k");
        assert!(self.errors(&when, &call).is_empty());
        call["startTime"] = json!("yesterday");
        assert!(
            !self.errors(&when, &call).is_empty(),
            "formats are asserted"
        );
    }
}
