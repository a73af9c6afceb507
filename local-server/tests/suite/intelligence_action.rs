//! `/services/data/vNN.N/actions/standard/getConversationIntelligence` (CONTRACT §3, §5): describe
//! (`GET`, `HEAD`), invoke (`POST`, JSON and XML), versions, batches, tenancy, authentication,
//! parser errors, limits, methods, transfer legs, and conversations with signals only.

use serde_json::{json, Value};
use testkit::intelligence::{
    action_path, categories, inputs, insights_of, next_step_items, ACTION_NAME, ACTION_PATH,
    SESSION_INVALID_BODY,
};
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, events_path, fresh_key, sentiment, JSON};
use testkit::telephony::{inbound_call, messages_path, transfer_call, T0};
use testkit::{Answer, Fixture};

const XML: &str = "application/xml";

/// A never-issued voiceCallId: 18 characters, `0LQ`, a valid checksum.
const UNKNOWN_ID: &str = "0LQ000000000001GAA";

fn line(id: &str, start: u64, content: &str, speaker: &str) -> Value {
    let sender_type = if speaker == "agent-1" {
        "HUMAN_AGENT"
    } else {
        "END_USER"
    };
    json!({"messageId": id, "startTime": T0 + start, "endTime": T0 + start + 3_000, "content": content,
           "senderType": sender_type, "participantId": speaker})
}

/// A short call's transcript: a question, pricing, a next step.
fn short_transcript(prefix: &str) -> Vec<Value> {
    vec![
        line(
            &format!("{prefix}-1"),
            1_000,
            &format!("Thanks for calling, this is {prefix}."),
            "agent-1",
        ),
        line(
            &format!("{prefix}-2"),
            5_000,
            "Which plan fits a team like ours?",
            "caller",
        ),
        line(
            &format!("{prefix}-3"),
            9_000,
            "The premium plan is $55 per user.",
            "agent-1",
        ),
        line(
            &format!("{prefix}-4"),
            13_000,
            "Thanks, talk soon.",
            "caller",
        ),
    ]
}

/// Sends `messages` one by one to `key`'s conversation as `signer`.
async fn send_messages(fx: &Fixture, signer: Signer, key: &str, messages: &[Value]) {
    for message in messages {
        let answer = fx.post_json_as(signer, &messages_path(key), message).await;
        assert_eq!(answer.status, 202, "{}", answer.body);
    }
}

/// A recorded short call of `signer`'s org: (vendorCallKey, voiceCallId).
async fn recorded_call(fx: &Fixture, signer: Signer) -> (String, String) {
    let key = fresh_key();
    let id = fx.record_call(signer, &inbound_call(&key)).await;
    send_messages(fx, signer, &key, &short_transcript(&key)).await;
    (key, id)
}

async fn request(
    fx: &Fixture,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    accept: Option<&str>,
) -> Answer {
    let mut request = fx.http.request(method, format!("{}{path}", fx.base_url));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    fx.send(request).await
}

/// POSTs `body` to the action with `content_type` and `accept`, signed by a fresh reader token.
async fn post_as_reader(
    fx: &Fixture,
    path: &str,
    content_type: &str,
    accept: Option<&str>,
    body: &str,
) -> Answer {
    let mut request = fx
        .http
        .post(format!("{}{path}", fx.base_url))
        .header("content-type", content_type)
        .header(
            "authorization",
            format!("Bearer {}", fx.keys.token(Signer::Reader)),
        )
        .body(body.to_owned());
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    fx.send(request).await
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn xml(answer: &Answer) -> Value {
    shared::xml::parse(answer.body.as_bytes())
        .unwrap_or_else(|e| panic!("answer is not XML ({e}): {}", answer.body))
}

/// Asserts `result` is the failure of one input: NOT_FOUND (or `code`) naming `recordId`.
fn assert_failed(result: &Value, code: &str) {
    assert_eq!(result["actionName"], ACTION_NAME, "{result:#}");
    assert_eq!(result["isSuccess"], false, "{result:#}");
    assert_eq!(result["outputValues"], Value::Null, "{result:#}");
    let errors = result["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors is not a list: {result:#}"));
    assert_eq!(errors.len(), 1, "{result:#}");
    assert_eq!(errors[0]["statusCode"], code, "{result:#}");
    assert_eq!(errors[0]["fields"], json!(["recordId"]), "{result:#}");
    assert!(
        errors[0]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{result:#}"
    );
}

fn assert_succeeded(result: &Value) -> &Value {
    assert_eq!(result["actionName"], ACTION_NAME, "{result:#}");
    assert_eq!(result["isSuccess"], true, "{result:#}");
    assert_eq!(result["errors"], Value::Null, "{result:#}");
    &result["outputValues"]
}

/// `result` with `record_id` replaced by `<id>` in its text, to compare failures of different ids.
fn without_id(result: &Value, record_id: &str) -> Value {
    serde_json::from_str(&result.to_string().replace(record_id, "<id>")).expect("still JSON")
}

#[tokio::test]
async fn get_describes_the_action() {
    let fx = Fixture::new().await;
    let token = fx.keys.token(Signer::Reader);
    let answer = request(&fx, reqwest::Method::GET, ACTION_PATH, Some(&token), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.content_type().starts_with("application/json"),
        "{:?}",
        answer.headers
    );
    let described = answer.json();
    assert_eq!(described["name"], ACTION_NAME, "{described:#}");
    for field in ["label", "description"] {
        assert!(
            described[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}: {described:#}"
        );
    }
    let inputs = described["inputs"].as_array().expect("inputs is a list");
    assert_eq!(inputs.len(), 1, "{described:#}");
    assert_eq!(inputs[0]["name"], "recordId");
    assert_eq!(inputs[0]["required"], true);
    assert_eq!(inputs[0]["type"], "STRING");
    let outputs = described["outputs"].as_array().expect("outputs is a list");
    let mut names: Vec<&str> = outputs
        .iter()
        .map(|o| o["name"].as_str().expect("an output name"))
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "conversationInsights",
            "conversationIntelligence",
            "momentInsights"
        ]
    );
    for output in outputs {
        assert!(
            output["type"].as_str().is_some_and(|t| !t.is_empty()),
            "{output}"
        );
    }

    // The same description in XML.
    let token = fx.keys.token(Signer::Reader);
    let answer = request(
        &fx,
        reqwest::Method::GET,
        ACTION_PATH,
        Some(&token),
        Some(XML),
    )
    .await;
    answer.assert_xml(200);
    let described = xml(&answer);
    assert_eq!(described["name"], ACTION_NAME, "{}", answer.body);
    assert_eq!(described["inputs"]["name"], "recordId", "{}", answer.body);
    assert_eq!(described["inputs"]["required"], "true", "{}", answer.body);
    assert_eq!(
        described["outputs"].as_array().map(Vec::len),
        Some(3),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn head_answers_the_headers_of_get_without_a_body() {
    let fx = Fixture::new().await;
    for accept in [None, Some(XML)] {
        let get = request(
            &fx,
            reqwest::Method::GET,
            ACTION_PATH,
            Some(&fx.keys.token(Signer::Reader)),
            accept,
        )
        .await;
        let head = request(
            &fx,
            reqwest::Method::HEAD,
            ACTION_PATH,
            Some(&fx.keys.token(Signer::Reader)),
            accept,
        )
        .await;
        assert_eq!(get.status, 200, "{}", get.body);
        assert_eq!(head.status, 200, "{accept:?}");
        assert_eq!(head.body, "", "{accept:?}");
        assert_eq!(head.content_type(), get.content_type(), "{accept:?}");
        assert_eq!(
            header(&head, "content-length"),
            get.body.len().to_string(),
            "{accept:?}: {:?}",
            head.headers
        );
        assert_eq!(
            header(&head, "content-length"),
            header(&get, "content-length"),
            "{accept:?}"
        );
    }
}

#[tokio::test]
async fn xml_requests_and_xml_answers() {
    let fx = Fixture::new().await;
    let (key, id) = recorded_call(&fx, Signer::Writer).await;
    let expected = fx.intelligence_of(Signer::Reader, &id).await;

    // XML in, XML out: <Results><Result>…
    let body = format!("<request><inputs><recordId>{id}</recordId></inputs></request>");
    let answer = post_as_reader(&fx, ACTION_PATH, XML, Some(XML), &body).await;
    answer.assert_xml(200);
    assert!(
        answer.body.contains("<Results") && answer.body.contains("<Result>"),
        "{}",
        answer.body
    );
    let results = xml(&answer);
    let result = &results["Result"];
    assert_eq!(result["actionName"], ACTION_NAME, "{}", answer.body);
    assert_eq!(result["isSuccess"], "true", "{}", answer.body);
    assert_eq!(result["errors"], Value::Null, "{}", answer.body);
    let outputs = &result["outputValues"];
    let names: Vec<&Value> = outputs["momentInsights"]
        .as_array()
        .expect("several categories")
        .iter()
        .map(|m| &m["category"])
        .collect();
    assert_eq!(
        names,
        ["Question", "Pricing", "Next Step"],
        "{}",
        answer.body
    );
    assert_eq!(
        outputs["conversationIntelligence"]["callSummary"],
        expected["conversationIntelligence"]["callSummary"],
        "the summary's HTML survives the XML answer"
    );
    let question = &outputs["momentInsights"][0]["momentTimes"];
    assert_eq!(
        question["entries"], "Which plan fits a team like ours?",
        "{}",
        answer.body
    );
    assert_eq!(question["sequences"], "2", "{}", answer.body);
    assert_eq!(question["action"], Value::Null, "{}", answer.body);

    // Two inputs in XML, one unknown: two <Result>s, in order.
    let body = format!("<request><inputs><recordId>{key}</recordId></inputs><inputs><recordId>{UNKNOWN_ID}</recordId></inputs></request>");
    let answer = post_as_reader(
        &fx,
        ACTION_PATH,
        "application/xml; charset=UTF-8",
        Some(XML),
        &body,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let results = xml(&answer);
    let results = results["Result"]
        .as_array()
        .unwrap_or_else(|| panic!("two results: {}", answer.body));
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["isSuccess"], "true");
    assert_eq!(results[1]["isSuccess"], "false");
    assert_eq!(results[1]["outputValues"], Value::Null);
    assert_eq!(
        results[1]["errors"]["statusCode"], "NOT_FOUND",
        "{}",
        answer.body
    );
    assert_eq!(
        results[1]["errors"]["fields"], "recordId",
        "{}",
        answer.body
    );

    // The answer's format follows Accept, not the body's: XML in, JSON out, and JSON in, XML out.
    let body = format!("<request><inputs><recordId>{id}</recordId></inputs></request>");
    let answer = post_as_reader(&fx, ACTION_PATH, XML, None, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(assert_succeeded(&answer.json()[0]), &expected);
    let answer = post_as_reader(
        &fx,
        ACTION_PATH,
        JSON,
        Some(XML),
        &inputs(&[&id]).to_string(),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        xml(&answer)["Result"]["isSuccess"],
        "true",
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn versions_before_65_and_malformed_versions_are_not_found() {
    let fx = Fixture::new().await;
    let (_key, id) = recorded_call(&fx, Signer::Writer).await;
    let body = inputs(&[&id]).to_string();
    for version in [
        "v64.0", "v1.0", "vX", "vX.0", "v65", "65.0", "v65.x", "v.0", "V65.0",
    ] {
        let answer = post_as_reader(&fx, &action_path(version), JSON, None, &body).await;
        assert_eq!(answer.status, 404, "{version}: {}", answer.body);
        assert_eq!(
            answer.error_code(),
            "NOT_FOUND",
            "{version}: {}",
            answer.body
        );
        let token = fx.keys.token(Signer::Reader);
        let answer = request(
            &fx,
            reqwest::Method::GET,
            &action_path(version),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(answer.status, 404, "GET {version}: {}", answer.body);
    }
    for version in ["v65.0", "v66.0"] {
        let answer = post_as_reader(&fx, &action_path(version), JSON, None, &body).await;
        assert_eq!(answer.status, 200, "{version}: {}", answer.body);
        assert_succeeded(&answer.json()[0]);
    }
}

#[tokio::test]
async fn a_batch_answers_each_input_in_order_and_an_unknown_one_fails_alone() {
    let fx = Fixture::new().await;
    let (first_key, first_id) = recorded_call(&fx, Signer::Writer).await;
    // A conversation that never had a record: its vendorCallKey is the recordId.
    let keyless = fresh_key();
    send_messages(&fx, Signer::Writer, &keyless, &short_transcript("other")).await;
    let first = fx.intelligence_of(Signer::Reader, &first_id).await;
    let other = fx.intelligence_of(Signer::Reader, &keyless).await;
    assert_ne!(first, other);

    let unknown_key = fresh_key();
    let ids = [
        first_id.as_str(),
        unknown_key.as_str(),
        keyless.as_str(),
        UNKNOWN_ID,
        first_key.as_str(),
        first_id.as_str(),
    ];
    let results = fx.intelligence_results(Signer::Reader, &ids).await;
    assert_eq!(assert_succeeded(&results[0]), &first);
    assert_failed(&results[1], "NOT_FOUND");
    assert_eq!(assert_succeeded(&results[2]), &other);
    assert_failed(&results[3], "NOT_FOUND");
    assert_eq!(assert_succeeded(&results[4]), &first);
    assert_eq!(assert_succeeded(&results[5]), &first);
}

#[tokio::test]
async fn another_tenants_records_are_answered_exactly_like_missing_ones() {
    let fx = Fixture::new().await;
    let (a_key, a_id) = recorded_call(&fx, Signer::Writer).await;
    let (b_key, b_id) = recorded_call(&fx, Signer::TenantB).await;
    let missing_key = fresh_key();

    for (asker, own, foreign) in [
        (Signer::Reader, [&a_id, &a_key], [&b_id, &b_key]),
        (Signer::TenantB, [&b_id, &b_key], [&a_id, &a_key]),
    ] {
        let ids = [
            own[0].as_str(),
            foreign[0].as_str(),
            UNKNOWN_ID,
            foreign[1].as_str(),
            missing_key.as_str(),
            own[1].as_str(),
        ];
        let results = fx.intelligence_results(asker, &ids).await;
        let own_outputs = assert_succeeded(&results[0]).clone();
        assert_eq!(assert_succeeded(&results[5]), &own_outputs, "{asker:?}");
        // A foreign voiceCallId is answered as a never-issued one, a foreign key as an unknown key.
        assert_failed(&results[1], "NOT_FOUND");
        assert_eq!(
            without_id(&results[1], foreign[0]),
            without_id(&results[2], UNKNOWN_ID),
            "{asker:?}"
        );
        assert_failed(&results[3], "NOT_FOUND");
        assert_eq!(
            without_id(&results[3], foreign[1]),
            without_id(&results[4], &missing_key),
            "{asker:?}"
        );
    }
}

#[tokio::test]
async fn the_same_vendor_call_key_in_two_tenants_names_two_conversations() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    send_messages(
        &fx,
        Signer::Writer,
        &key,
        &[line("m1", 1_000, "Our office is in Lisbon.", "caller")],
    )
    .await;
    send_messages(
        &fx,
        Signer::TenantB,
        &key,
        &[line("m1", 2_000, "Which plan is cheapest?", "caller")],
    )
    .await;

    let a = fx.intelligence_of(Signer::Reader, &key).await;
    let b = fx.intelligence_of(Signer::TenantB, &key).await;
    assert_eq!(a["momentInsights"], json!([]), "{a:#}");
    assert_eq!(categories(&b), ["Question"], "{b:#}");
    assert_eq!(
        b["momentInsights"][0]["momentTimes"][0]["entries"],
        json!(["Which plan is cheapest?"])
    );
    let a_summary = a["conversationIntelligence"]["callSummary"]
        .as_str()
        .unwrap_or_default();
    assert!(!a_summary.contains("cheapest"), "{a_summary}");
}

#[tokio::test]
async fn no_token_or_a_token_without_intelligence_read_is_the_fixed_401() {
    let fx = Fixture::new().await;
    let (_key, id) = recorded_call(&fx, Signer::Writer).await;
    let body = inputs(&[&id]).to_string();
    let expired = fx.keys.token_with(
        Signer::Reader,
        json!({"iat": shared::clock::now_secs() - 7_200, "exp": shared::clock::now_secs() - 3_600})
            .as_object()
            .unwrap()
            .clone(),
    );
    let tokens: [(&str, Option<String>); 4] = [
        ("no token", None),
        ("events:write only", Some(fx.keys.token(Signer::Writer))),
        ("unregistered key", Some(fx.keys.token(Signer::Stranger))),
        ("expired", Some(expired)),
    ];
    for (case, token) in &tokens {
        let answer = fx
            .post(ACTION_PATH, Some(JSON), body.clone(), token.as_deref())
            .await;
        assert_eq!(answer.status, 401, "{case}: {}", answer.body);
        assert_eq!(answer.body, SESSION_INVALID_BODY, "{case}");
        assert!(
            answer.content_type().starts_with("application/json"),
            "{case}: {:?}",
            answer.headers
        );
    }
    for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
        let answer = request(&fx, method.clone(), ACTION_PATH, None, None).await;
        assert_eq!(
            answer.status, 401,
            "{method} without a token: {}",
            answer.body
        );
        if method == reqwest::Method::GET {
            assert_eq!(answer.body, SESSION_INVALID_BODY);
        }
        let token = fx.keys.token(Signer::Writer);
        let answer = request(&fx, method.clone(), ACTION_PATH, Some(&token), None).await;
        assert_eq!(
            answer.status, 401,
            "{method} with a writer token: {}",
            answer.body
        );
    }
    // In XML: the same error in <Errors><Error>.
    let answer = fx
        .send(
            fx.http
                .post(format!("{}{ACTION_PATH}", fx.base_url))
                .header("content-type", JSON)
                .header("accept", XML)
                .body(body.clone()),
        )
        .await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(answer.body.contains("<Errors"), "{}", answer.body);
    assert_eq!(
        xml(&answer)["Error"]["errorCode"],
        "INVALID_SESSION_ID",
        "{}",
        answer.body
    );
    assert_eq!(
        xml(&answer)["Error"]["message"],
        "Session expired or invalid",
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn bodies_that_do_not_parse_or_lack_inputs_are_parser_errors() {
    let fx = Fixture::new().await;
    let cases: [(&str, &str, &str); 10] = [
        (JSON, "{\"inputs\": [", "JSON_PARSER_ERROR"),
        (JSON, "not json", "JSON_PARSER_ERROR"),
        (JSON, "", "JSON_PARSER_ERROR"),
        (JSON, "{}", "JSON_PARSER_ERROR"),
        (JSON, "{\"inputs\": null}", "JSON_PARSER_ERROR"),
        (JSON, "[{\"recordId\": \"x\"}]", "JSON_PARSER_ERROR"),
        (XML, "<request><inputs><recordId>x</recordId></inputs>", "XML_PARSER_ERROR"),
        (XML, "<request><inputs></request>", "XML_PARSER_ERROR"),
        (XML, "<request/>", "XML_PARSER_ERROR"),
        (XML, "<!DOCTYPE r [<!ENTITY e \"x\">]><request><inputs><recordId>&e;</recordId></inputs></request>", "XML_PARSER_ERROR"),
    ];
    for (content_type, body, code) in cases {
        let answer = post_as_reader(&fx, ACTION_PATH, content_type, None, body).await;
        assert_eq!(answer.status, 400, "{body:?}: {}", answer.body);
        assert_eq!(answer.error_code(), code, "{body:?}: {}", answer.body);
    }
    // Asked for XML: the same error as <Errors><Error>.
    let answer = post_as_reader(&fx, ACTION_PATH, XML, Some(XML), "<request><inputs>").await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(
        xml(&answer)["Error"]["errorCode"],
        "XML_PARSER_ERROR",
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn zero_or_more_than_100_inputs_are_refused_and_100_are_answered() {
    let fx = Fixture::new().await;
    let (_key, id) = recorded_call(&fx, Signer::Writer).await;
    let answer = fx
        .ask_intelligence(Signer::Reader, &json!({"inputs": []}))
        .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let many: Vec<&str> = vec![id.as_str(); 101];
    let answer = fx.ask_intelligence(Signer::Reader, &inputs(&many)).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("inputs"), "{}", answer.body);

    let unknown: Vec<String> = (0..50).map(|i| format!("no-such-call-{i}")).collect();
    let mut hundred: Vec<&str> = vec![id.as_str(); 50];
    hundred.extend(unknown.iter().map(String::as_str));
    let results = fx.intelligence_results(Signer::Reader, &hundred).await;
    assert_eq!(results.len(), 100);
    for (i, result) in results.iter().enumerate() {
        if i < 50 {
            assert_succeeded(result);
        } else {
            assert_failed(result, "NOT_FOUND");
        }
    }
}

#[tokio::test]
async fn other_methods_are_405() {
    let fx = Fixture::new().await;
    for method in [
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let token = fx.keys.token(Signer::Reader);
        let answer = request(&fx, method.clone(), ACTION_PATH, Some(&token), None).await;
        assert_eq!(answer.status, 405, "{method}: {}", answer.body);
        let allow = header(&answer, "allow");
        for allowed in ["GET", "HEAD", "POST"] {
            assert!(allow.contains(allowed), "{method}: Allow {allow:?}");
        }
    }
}

#[tokio::test]
async fn a_transfer_legs_id_or_key_gives_the_whole_conversation_of_its_first_leg() {
    let fx = Fixture::new().await;
    let (first_key, second_key) = (fresh_key(), fresh_key());
    let first_id = fx
        .record_call(Signer::Writer, &inbound_call(&first_key))
        .await;
    send_messages(&fx, Signer::Writer, &first_key, &short_transcript("first")).await;
    // The transfer leg starts at 16:03:10, 190 s into the call.
    let second_id = fx
        .record_call(Signer::Writer, &transfer_call(&second_key, &first_id))
        .await;
    send_messages(
        &fx,
        Signer::Writer,
        &second_key,
        &[
            line("second-1", 195_000, "Hello, billing here.", "agent-2"),
            line(
                "second-2",
                200_000,
                "Could you check my last invoice?",
                "caller",
            ),
        ],
    )
    .await;

    let results = fx
        .intelligence_results(
            Signer::Reader,
            &[&second_key, &second_id, &first_key, &first_id],
        )
        .await;
    let whole = assert_succeeded(&results[0]).clone();
    for result in &results[1..] {
        assert_eq!(assert_succeeded(result), &whole);
    }
    // The transfer leg's question comes after the first leg's, numbered across both legs.
    let questions = &whole["momentInsights"][0];
    assert_eq!(questions["category"], "Question", "{whole:#}");
    let sequences: Vec<&Value> = questions["momentTimes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["sequences"])
        .collect();
    assert_eq!(sequences, [&json!([2]), &json!([6])], "{whole:#}");
    let second = &questions["momentTimes"][1];
    assert_eq!(
        second["entries"],
        json!(["Could you check my last invoice?"])
    );
    assert!(
        (second["momentOffset"].as_f64().unwrap() - 200.0).abs() < 0.01,
        "{second}"
    );
    let speakers: Vec<&Value> = insights_of(&whole, "TalkTime")
        .iter()
        .map(|t| &t["speakerId"])
        .collect();
    assert_eq!(speakers.len(), 3, "agent-1, caller, agent-2: {whole:#}");
}

#[tokio::test]
async fn a_conversation_with_signals_only_has_no_moments_but_a_summary() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let events = body_of(vec![
        category("CustomerAngry", T0 + 1_000),
        sentiment(json!(-650), T0 + 2_000, "CUSTOMER"),
        category("CustomerAngry", T0 + 9_000),
    ]);
    let answer = fx
        .post_json_as(Signer::Writer, &events_path(&key), &events)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);

    let outputs = fx.intelligence_of(Signer::Reader, &key).await;
    assert_eq!(outputs["momentInsights"], json!([]), "{outputs:#}");
    let summary = outputs["conversationIntelligence"]["callSummary"]
        .as_str()
        .unwrap_or_else(|| panic!("a summary: {outputs:#}"));
    for section in ["Customer Impression", "Call Summary", "Next Steps"] {
        assert!(summary.contains(section), "{section}: {summary}");
    }
    assert_eq!(
        next_step_items(summary).len(),
        1,
        "a placeholder item at most: {summary}"
    );
    assert!(insights_of(&outputs, "TalkTime").is_empty(), "{outputs:#}");
    let signals = insights_of(&outputs, "Signal");
    assert_eq!(signals.len(), 1, "{outputs:#}");
    assert_eq!(signals[0]["category"], "CustomerAngry");
    assert_eq!(signals[0]["count"], 2);
    let sentiments = insights_of(&outputs, "Sentiment");
    assert_eq!(sentiments.len(), 1, "{outputs:#}");
    assert_eq!(sentiments[0]["participant"], "CUSTOMER");
}

#[tokio::test]
async fn a_record_with_nothing_else_has_nothing_to_summarise() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let id = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    for record_id in [&id, &key] {
        let outputs = fx.intelligence_of(Signer::Reader, record_id).await;
        assert_eq!(outputs["momentInsights"], json!([]), "{outputs:#}");
        assert_eq!(outputs["conversationInsights"], json!([]), "{outputs:#}");
        assert_eq!(
            outputs["conversationIntelligence"],
            json!({"callSummary": null}),
            "{outputs:#}"
        );
    }
}

#[tokio::test]
async fn an_input_without_record_id_fails_alone_with_required_field_missing() {
    let fx = Fixture::new().await;
    let (key, id) = recorded_call(&fx, Signer::Writer).await;
    let body = json!({"inputs": [{}, {"recordId": id}, {"recordId": ""}, {"recordId": null}, {"recordId": key}]});
    let answer = fx.ask_intelligence(Signer::Reader, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let results = answer.json();
    let results = results.as_array().expect("a list");
    assert_eq!(results.len(), 5, "{results:#?}");
    for i in [0, 2, 3] {
        assert_failed(&results[i], "REQUIRED_FIELD_MISSING");
    }
    assert_eq!(assert_succeeded(&results[1]), assert_succeeded(&results[4]));
}

/// A vendorCallKey that happens to have the form of a voiceCallId, but that this service never
/// issued, is a valid key on the write side (CONTRACT §2.1 refuses only issued ids); the action
/// must find its conversation by it too (§3: `recordId` may be a vendorCallKey).
#[tokio::test]
async fn a_vendor_call_key_shaped_like_a_voice_call_id_finds_its_conversation() {
    let fx = Fixture::new().await;
    assert!(
        shared::model::VoiceCallId::parse(UNKNOWN_ID).is_some(),
        "the key has a voiceCallId's form"
    );
    send_messages(&fx, Signer::Writer, UNKNOWN_ID, &short_transcript("shaped")).await;
    let results = fx.intelligence_results(Signer::Reader, &[UNKNOWN_ID]).await;
    let outputs = assert_succeeded(&results[0]);
    assert_eq!(
        categories(outputs),
        ["Question", "Pricing", "Next Step"],
        "{outputs:#}"
    );
}

#[tokio::test]
async fn a_moment_in_the_first_five_seconds_opens_its_window_at_the_start_and_ties_keep_category_order(
) {
    let fx = Fixture::new().await;
    let key = fresh_key();
    fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    send_messages(
        &fx,
        Signer::Writer,
        &key,
        &[
            // Both a question and pricing, 2 s into the call.
            line("m1", 2_000, "How much is one seat per month?", "caller"),
            line("m2", 8_000, "Let me look that up.", "agent-1"),
        ],
    )
    .await;
    let outputs = fx.intelligence_of(Signer::Reader, &key).await;
    assert_eq!(categories(&outputs), ["Question", "Pricing"], "{outputs:#}");
    for insight in outputs["momentInsights"].as_array().unwrap() {
        let time = &insight["momentTimes"][0];
        assert_eq!(time["sequences"], json!([1]), "{time}");
        assert!(
            (time["momentOffset"].as_f64().unwrap() - 2.0).abs() < 0.01,
            "{time}"
        );
        assert_eq!(
            time["startOffset"].as_f64(),
            Some(0.0),
            "not below 0: {time}"
        );
        assert!(
            (time["endOffset"].as_f64().unwrap() - 5.0).abs() < 0.01,
            "{time}"
        );
    }
}

#[tokio::test]
async fn every_piece_of_transcript_and_vendor_text_in_the_summary_is_escaped() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    send_messages(
        &fx,
        Signer::Writer,
        &key,
        &[
            line(
                "m1",
                1_000,
                "Is there a <b>bold</b> plan & more?",
                "<i>caller</i>",
            ),
            line(
                "m2",
                5_000,
                "I'll send you \"the\" <script>alert(1)</script> link.",
                "agent-1",
            ),
        ],
    )
    .await;
    let events = body_of(vec![category("Angry<script>x</script>", T0 + 3_000)]);
    let answer = fx
        .post_json_as(Signer::Writer, &events_path(&key), &events)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);

    let outputs = fx.intelligence_of(Signer::Reader, &key).await;
    let summary = outputs["conversationIntelligence"]["callSummary"]
        .as_str()
        .expect("a summary");
    for raw in ["<b>", "<i>", "<script>", "& more", "\"the\""] {
        assert!(!summary.contains(raw), "{raw:?} is not escaped: {summary}");
    }
    let items = next_step_items(summary);
    assert_eq!(items.len(), 1, "{summary}");
    assert_eq!(
        testkit::intelligence::html_unescaped(&items[0]),
        "The agent will send the customer \"the\" <script>alert(1)</script> link.",
        "{summary}"
    );
    assert!(
        summary.contains("Angry&lt;script&gt;x&lt;/script&gt;"),
        "the vendor's category, escaped: {summary}"
    );
    // The moments themselves carry the text as sent: JSON needs no HTML escaping.
    let question = &outputs["momentInsights"][0]["momentTimes"][0];
    assert_eq!(
        question["entries"],
        json!(["Is there a <b>bold</b> plan & more?"]),
        "{outputs:#}"
    );
    assert_eq!(question["speakerId"], "<i>caller</i>");
}
