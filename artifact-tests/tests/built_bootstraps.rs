//! What `sam build` made, tested: each function's arm64 bootstrap (`.aws-sam/build/<LogicalId>/
//! bootstrap`) under the Lambda runtime interface emulator, run through qemu user mode, fed the
//! files of `events/` — what `sam local invoke -e events/<file>` runs inside its container. EVERY
//! function `sam build` made is tested here (`every_built_function_is_tested` fails otherwise):
//! a new function is one entry of [`TESTED`] and one test.
//!
//! The telephony functions' answers must be the reference's: the local server (the handlers' own
//! HTTP front) for API Gateway events, and the x86 dev build of the same function under the
//! emulator for contact-flow events, reading or writing the same data (fixtures on a moto
//! server). The live and post-call functions answer their WebSocket, EventBridge and DynamoDB
//! stream events with what the table, the bus and a management-API stand-in then hold.
//!
//! scripts/test.sh (`make test`) runs `sam build` and then these tests, with `SAM_BUILD_DIR` (the
//! `.aws-sam/build` directory), `QEMU_AARCH64` and `QEMU_LD_PREFIX` (from scripts/arm64.sh) set;
//! without them the tests fail. The x86 dev binaries come from `DEV_INGEST_BOOTSTRAP`/
//! `DEV_INTELLIGENCE_BOOTSTRAP`, by default `target/debug/<bin>` (built by `cargo test`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use shared::live::{Subscription, Subscriptions};
use shared::model::{ConversationKey, OrgId};
use testkit::compare::{assert_same_http, voice_call_id};
use testkit::events::{self, http_call, PARENT_PLACEHOLDER, TOKEN_PLACEHOLDER};
use testkit::keys::Signer;
use testkit::management_api::ManagementApi;
use testkit::realtime::SEED_KEY;
use testkit::rie::Rie;
use testkit::telephony::{
    inbound_call, message, messages_path, post_call_of, post_call_path, post_call_sentiment,
};
use testkit::{Fixture, ORG_A};

const KEY: &str = "5324881f-1e84-4367-8930-f69a74b30ca6";
const RECORD_PLACEHOLDER: &str = "{{RECORD_ID}}";
const CONNECTION_PLACEHOLDER: &str = "{{CONNECTION_ID}}";
const FIRST_LEG: &str = "voicecall-create-inbound";

/// ELF `e_machine` of AArch64.
const EM_AARCH64: u16 = 183;

/// The functions these tests cover, by logical id: every function `sam build` made must be one.
const TESTED: [&str; 8] = [
    "IngestEventsFunction",
    "GetIntelligenceFunction",
    "AnalyseConversationFunction",
    "LiveSocketFunction",
    "LiveDeliverFunction",
    "AdminApiFunction",
    "ContactLensStreamFunction",
    "ContactLensAnalysisFunction",
];

fn required(var: &str) -> PathBuf {
    let value = std::env::var_os(var).unwrap_or_else(|| {
        panic!(
            "{var} is not set: these tests run what `sam build` made, under qemu. Run `make test` \
             (scripts/test.sh builds the bootstraps, installs qemu and sets {var})"
        )
    });
    let path = PathBuf::from(value);
    assert!(
        path.exists(),
        "{var}={} does not exist; run `make test`",
        path.display()
    );
    path
}

/// `sam build`'s output directory (`.aws-sam/build`).
fn sam_build_dir() -> PathBuf {
    required("SAM_BUILD_DIR")
}

/// The logical ids of the functions `sam build` made: the directories of `SAM_BUILD_DIR` that
/// hold a `bootstrap`.
fn built_functions() -> Vec<String> {
    let dir = sam_build_dir();
    let mut ids: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.join("bootstrap").is_file())
        .map(|path| {
            path.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    ids.sort();
    ids
}

/// The built arm64 bootstrap of `logical_id`, checked to be one.
fn built(logical_id: &str) -> PathBuf {
    let path = sam_build_dir().join(logical_id).join("bootstrap");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (is {logical_id} in template.yaml? run `make test`)",
            path.display()
        )
    });
    assert!(
        bytes.len() > 20 && bytes.starts_with(b"\x7fELF"),
        "{} is not an ELF binary",
        path.display()
    );
    assert_eq!(
        u16::from_le_bytes([bytes[18], bytes[19]]),
        EM_AARCH64,
        "{} is not an arm64 binary (Architectures: [arm64] in template.yaml)",
        path.display()
    );
    path
}

#[test]
fn every_built_function_is_tested() {
    let mut tested: Vec<String> = TESTED.iter().map(|s| (*s).to_owned()).collect();
    tested.sort();
    assert_eq!(
        built_functions(),
        tested,
        "the functions `sam build` made ({}) and the ones tested here (TESTED) differ: a new \
         function needs its test in artifact-tests/tests/built_bootstraps.rs",
        sam_build_dir().display()
    );
}

/// The x86 dev build of `bin`, the reference for contact-flow events.
fn dev(var: &str, bin: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| testkit::workspace_root().join("target/debug").join(bin));
    assert!(
        path.exists(),
        "{} not found (set {var}); run `make test`, which builds it",
        path.display()
    );
    path
}

/// The fixture's function environment, with contact flows accepted for `ORG_A` (the tenant the
/// test tokens are signed for).
fn function_env(fx: &Fixture) -> Vec<(String, String)> {
    let mut env = fx.function_env();
    if !env.iter().any(|(k, _)| k == "CONNECT_TENANT") {
        env.push(("CONNECT_TENANT".to_owned(), ORG_A.to_owned()));
    }
    env
}

/// `bootstrap` (arm64) under the emulator, through qemu user mode, with the fixture's function
/// environment.
fn start_arm64(bootstrap: &Path, fx: &Fixture) -> Rie {
    start_arm64_with(bootstrap, function_env(fx))
}

/// `bootstrap` (arm64) under the emulator, through qemu user mode, with `env`.
fn start_arm64_with(bootstrap: &Path, mut env: Vec<(String, String)>) -> Rie {
    let qemu = required("QEMU_AARCH64");
    let sysroot = required("QEMU_LD_PREFIX");
    env.push((
        "QEMU_LD_PREFIX".to_owned(),
        sysroot.to_string_lossy().into_owned(),
    ));
    Rie::start_command(&qemu, &[bootstrap.as_os_str()], &env)
}

fn start_dev(binary: &Path, fx: &Fixture) -> Rie {
    Rie::start(binary, &function_env(fx))
}

/// A contact flow's answer: a flat map of strings with one of `statuses` (`error` being the
/// answer to bad parameters), the same as the reference's; returns the status. Without
/// `Parameters.startTime` a signal is stamped with the invocation's time, and so is its
/// `eventKey`: then only its presence is compared.
fn assert_same_flat_map(
    name: &str,
    event: &Value,
    built: &Value,
    reference: &Value,
    statuses: &[&str],
) -> String {
    let flat = |answer: &Value, who: &str| -> BTreeMap<String, String> {
        assert!(
            answer.get("errorType").is_none(),
            "{name}: the {who} function failed: {answer}"
        );
        serde_json::from_value(answer.clone()).unwrap_or_else(|e| {
            panic!("{name}: the {who} answer is not a flat map ({e}): {answer}")
        })
    };
    let (mut built, mut reference) = (flat(built, "built"), flat(reference, "reference"));
    let status = built.get("status").cloned().unwrap_or_default();
    assert!(
        statuses.contains(&status.as_str()),
        "{name}: status {status:?}, expected one of {statuses:?}: {built:?}"
    );
    if event["Details"]["Parameters"].get("startTime").is_none() {
        for answer in [&mut built, &mut reference] {
            if let Some(key) = answer.get_mut("eventKey") {
                assert!(!key.is_empty(), "{name}: empty eventKey");
                key.clear();
            }
        }
    }
    // Each fixture issued its own voiceCallIds: both must be one, they cannot be the same.
    for answer in [&mut built, &mut reference] {
        if let Some(id) = answer.get_mut("voiceCallId") {
            assert!(
                shared::model::VoiceCallId::parse(id).is_some(),
                "{name}: not a voiceCallId: {id}"
            );
            id.clear();
        }
    }
    assert_eq!(built, reference, "{name}");
    status
}

/// The API Gateway events of every telephony route, the first leg first (the transfer leg names
/// it as its parent).
fn telephony_events() -> Vec<String> {
    let mut names: Vec<String> = ["realtime-", "voicecall-", "messages-", "post-call-"]
        .iter()
        .flat_map(|prefix| events::names(prefix))
        .collect();
    names.sort_by_key(|n| (n != FIRST_LEG, n.clone()));
    assert!(names.len() >= 12, "event files: {names:?}");
    names
}

/// The contact-flow events of one function (`contact-flow-ingest*`, `contact-flow-intelligence*`).
fn contact_flow_events(prefix: &str) -> Vec<String> {
    let names = events::names(prefix);
    assert!(
        !names.is_empty(),
        "no events/{prefix}*.json: every function has at least one contact-flow event"
    );
    names
}

#[tokio::test]
async fn built_ingest_answers_every_telephony_and_contact_flow_event() {
    let built = built("IngestEventsFunction");
    let dev = dev("DEV_INGEST_BOOTSTRAP", "ingest-events");
    let (lambda_fx, reference_fx) = (Fixture::new().await, Fixture::new().await);
    let lambda = start_arm64(&built, &lambda_fx);
    let reference = start_dev(&dev, &reference_fx);

    let telephony = telephony_events();
    let (mut lambda_parent, mut reference_parent) = (String::new(), String::new());
    for name in &telephony {
        let load = |fx: &Fixture, parent: &str| {
            let token = fx.keys.token(Signer::Writer);
            events::load_with(
                name,
                &[(TOKEN_PLACEHOLDER, &token), (PARENT_PLACEHOLDER, parent)],
            )
        };
        let answer = lambda.invoke(&load(&lambda_fx, &lambda_parent)).await;
        let local = reference_fx
            .replay(&http_call(&load(&reference_fx, &reference_parent)))
            .await;
        assert!(
            local.status == 200 || local.status == 202,
            "{name}: {} {}",
            local.status,
            local.body
        );
        assert_same_http(name, &answer, &local);
        if name == FIRST_LEG {
            lambda_parent = voice_call_id(answer["body"].as_str().unwrap_or_default());
            reference_parent = voice_call_id(&local.body);
        }
    }

    let mut statuses = Vec::new();
    for name in &contact_flow_events("contact-flow-ingest") {
        let event = events::load_with(name, &[]);
        let answer = lambda.invoke(&event).await;
        let expected = reference.invoke(&event).await;
        let allowed = ["accepted", "ended", "error"];
        statuses.push(assert_same_flat_map(
            name, &event, &answer, &expected, &allowed,
        ));
    }
    assert!(statuses.iter().any(|s| s == "accepted"), "{statuses:?}");

    // Both stored and published the same.
    let kinds = |items: Vec<Value>| {
        let mut kinds = BTreeMap::<String, usize>::new();
        for item in items {
            *kinds
                .entry(item["itemType"].as_str().unwrap_or_default().to_owned())
                .or_default() += 1;
        }
        kinds
    };
    let stored = kinds(lambda_fx.conversation_raw(ORG_A, KEY).await);
    assert_eq!(
        stored,
        kinds(reference_fx.conversation_raw(ORG_A, KEY).await)
    );
    assert_eq!(stored.get("LEG"), Some(&2), "{stored:?}");
    assert_eq!(
        lambda_fx.item_count().await,
        reference_fx.item_count().await
    );
    assert_eq!(
        lambda_fx.published().await.len(),
        reference_fx.published().await.len()
    );

    // A bad token is refused before any AWS call, as by the dev build.
    let event = events::load("realtime-seed-categories", "not-a-jwt");
    let answer = lambda.invoke(&event).await;
    assert_eq!(answer["statusCode"], 401, "{answer}");
    assert_eq!(answer, reference.invoke(&event).await);
}

#[tokio::test]
async fn built_intelligence_answers_every_action_and_contact_flow_event() {
    let built = built("GetIntelligenceFunction");
    let dev = dev("DEV_INTELLIGENCE_BOOTSTRAP", "get-intelligence");
    // One fixture: the call is recorded through the local server (every telephony event), then
    // read by the built function, the local server and the dev build alike.
    let fx = Fixture::new().await;
    let telephony = telephony_events();
    let mut record_id = String::new();
    for name in &telephony {
        let token = fx.keys.token(Signer::Writer);
        let event = events::load_with(
            name,
            &[
                (TOKEN_PLACEHOLDER, &token),
                (PARENT_PLACEHOLDER, &record_id),
            ],
        );
        let answer = fx.replay(&http_call(&event)).await;
        assert!(
            answer.status < 300,
            "{name}: {} {}",
            answer.status,
            answer.body
        );
        if name == FIRST_LEG {
            record_id = voice_call_id(&answer.body);
        }
    }
    let lambda = start_arm64(&built, &fx);
    let reference = start_dev(&dev, &fx);

    let names = events::names("intelligence-");
    assert!(names.len() >= 4, "{names:?}");
    for name in &names {
        let load = || {
            let token = fx.keys.token(Signer::Reader);
            events::load_with(
                name,
                &[
                    (TOKEN_PLACEHOLDER, &token),
                    (RECORD_PLACEHOLDER, &record_id),
                ],
            )
        };
        let answer = lambda.invoke(&load()).await;
        let local = fx.replay(&http_call(&load())).await;
        assert_eq!(local.status, 200, "{name}: {}", local.body);
        assert_same_http(name, &answer, &local);
        if name == "intelligence-invoke" {
            let results: Value = serde_json::from_str(&local.body).expect("JSON");
            assert_eq!(results[0]["isSuccess"], true, "{results}");
            let moments = &results[0]["outputValues"]["momentInsights"];
            assert!(
                moments.as_array().is_some_and(|m| !m.is_empty()),
                "{results}"
            );
            assert_eq!(results[1]["errors"][0]["statusCode"], "NOT_FOUND");
        }
    }

    let mut statuses = Vec::new();
    for name in &contact_flow_events("contact-flow-intelligence") {
        let event = events::load_with(name, &[]);
        let answer = lambda.invoke(&event).await;
        let expected = reference.invoke(&event).await;
        let allowed = ["ok", "not_found", "error"];
        statuses.push(assert_same_flat_map(
            name, &event, &answer, &expected, &allowed,
        ));
    }
    // The events' contacts are the recorded call's.
    assert!(statuses.iter().any(|s| s == "ok"), "{statuses:?}");

    // A writer token is refused, as by the dev build.
    let event = events::load_with(
        "intelligence-describe",
        &[(TOKEN_PLACEHOLDER, &fx.keys.token(Signer::Writer))],
    );
    let answer = lambda.invoke(&event).await;
    assert_eq!(answer["statusCode"], 401, "{answer}");
    assert_eq!(answer, reference.invoke(&event).await);
}

/// A WebSocket event of `events/live-socket-*` for `connection`, with `token` in its body.
fn socket_event(name: &str, token: &str, connection: &str) -> Value {
    events::load_with(
        name,
        &[
            (TOKEN_PLACEHOLDER, token),
            (CONNECTION_PLACEHOLDER, connection),
        ],
    )
}

/// The message a route response of live-socket carries back to the client.
async fn socket_message(rie: &Rie, name: &str, token: &str, connection: &str) -> Value {
    let answer = rie.invoke(&socket_event(name, token, connection)).await;
    assert_eq!(answer["statusCode"], 200, "{name}: {answer}");
    serde_json::from_str(answer["body"].as_str().expect("a body"))
        .unwrap_or_else(|e| panic!("{name}: the body is not JSON ({e}): {answer}"))
}

#[tokio::test]
async fn built_live_socket_answers_every_websocket_route() {
    let built = built("LiveSocketFunction");
    let names = events::names("live-socket-");
    assert!(names.len() >= 5, "{names:?}");
    let fx = Fixture::new().await;
    fx.record_call(Signer::Writer, &inbound_call(SEED_KEY))
        .await;
    let lambda = start_arm64(&built, &fx);
    let connection = "L0SM9cOFvHcCIhw=";
    let reader = fx.keys.token(Signer::Reader);
    let (sub_pk, sub_sk) = (
        format!("{ORG_A}#LIVE#{SEED_KEY}"),
        format!("CONN#{connection}"),
    );

    let connected = lambda
        .invoke(&socket_event("live-socket-connect", "", connection))
        .await;
    assert_eq!(connected["statusCode"], 200, "{connected}");
    assert!(
        fx.item("LIVE#IDLE", connection).await.is_some(),
        "a new connection is idle until it subscribes"
    );
    let refused = socket_message(&lambda, "live-socket-subscribe", "not-a-jwt", connection).await;
    assert_eq!(refused["errorCode"], "INVALID_SESSION_ID", "{refused}");
    let unknown = socket_message(&lambda, "live-socket-default", "", connection).await;
    assert_eq!(unknown["errorCode"], "INVALID_FIELD", "{unknown}");

    let subscribed = socket_message(&lambda, "live-socket-subscribe", &reader, connection).await;
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
    assert_eq!(subscribed["conversationKey"], SEED_KEY);
    assert!(fx.item(&sub_pk, &sub_sk).await.is_some());
    assert!(fx.item("LIVE#IDLE", connection).await.is_none());

    let unsubscribed = socket_message(&lambda, "live-socket-unsubscribe", "", connection).await;
    assert_eq!(unsubscribed["type"], "unsubscribed", "{unsubscribed}");
    assert!(fx.item(&sub_pk, &sub_sk).await.is_none());

    socket_message(&lambda, "live-socket-subscribe", &reader, connection).await;
    let gone = lambda
        .invoke(&socket_event("live-socket-disconnect", "", connection))
        .await;
    assert_eq!(gone["statusCode"], 200, "{gone}");
    assert!(fx.item(&sub_pk, &sub_sk).await.is_none());
    assert!(fx
        .item(
            &format!("LIVECONN#{connection}"),
            &format!("SUB#{SEED_KEY}")
        )
        .await
        .is_none());
}

#[tokio::test]
async fn built_live_deliver_pushes_bus_events_and_sweeps_idle_connections() {
    let built = built("LiveDeliverFunction");
    let names = events::names("live-deliver-");
    assert!(names.len() >= 4, "{names:?}");
    let fx = Fixture::new().await;
    let api = ManagementApi::start().await;
    let mut env = function_env(&fx);
    env.push(("LIVE_CONNECTIONS_URL".to_owned(), api.url.clone()));
    let lambda = start_arm64_with(&built, env);

    let store = &fx.app.live.app.subscriptions;
    let (org, conversation) = (
        OrgId::new(ORG_A),
        ConversationKey::stored(SEED_KEY.to_owned()),
    );
    let now = shared::clock::now_secs();
    for connection in ["alive-1", "alive-2", "gone-1"] {
        store
            .subscribe(Subscription {
                org: &org,
                conversation: &conversation,
                record_id: SEED_KEY,
                connection,
                now,
            })
            .await
            .expect("subscribed");
    }
    api.make_gone("gone-1");

    let answer = lambda
        .invoke(&events::load("live-deliver-signal", ""))
        .await;
    assert_eq!(
        answer,
        json!({"skipped": 0, "delivered": 2, "gone": 1, "failed": 0, "queries": 1, "posts": 3})
    );
    for connection in ["alive-1", "alive-2"] {
        let posted = api.posted_to(connection);
        assert_eq!(posted.len(), 1, "{connection}: {posted:?}");
        let message: Value = serde_json::from_str(&posted[0]).expect("a JSON message");
        assert_eq!(message["type"], "IntelligenceSignal", "{message}");
        assert_eq!(message["value"], -620.0, "{message}");
        assert_eq!(message["conversationKey"], SEED_KEY, "{message}");
    }
    let mut left = store
        .subscribers(&org, &conversation)
        .await
        .expect("a Query");
    left.sort();
    assert_eq!(
        left,
        ["alive-1", "alive-2"],
        "the gone connection is removed"
    );

    let answer = lambda
        .invoke(&events::load("live-deliver-transcript", ""))
        .await;
    assert_eq!(answer["delivered"], 2, "{answer}");
    assert_eq!(answer["posts"], 2, "{answer}");
    let message: Value =
        serde_json::from_str(&api.posted_to("alive-1")[1]).expect("a JSON message");
    assert_eq!(message["type"], "TranscriptEntry", "{message}");
    assert_eq!(message["content"], "I want to cancel my order", "{message}");

    // A detail type the live channel does not carry: answered skipped, no AWS call.
    let calls = api.calls().len();
    let answer = lambda
        .invoke(&events::load("live-deliver-unroutable", ""))
        .await;
    assert_eq!(answer["skipped"], 1, "{answer}");
    assert_eq!(api.calls().len(), calls);

    // The schedule closes connections that stayed idle 30 s, and only those.
    store.connected("idle-old", now - 31).await.expect("stored");
    store.connected("idle-new", now).await.expect("stored");
    let answer = lambda.invoke(&events::load("live-deliver-sweep", "")).await;
    assert_eq!(answer, json!({"closedIdle": 1}));
    let closed: Vec<_> = api.calls()[calls..]
        .iter()
        .map(|c| (c.method.clone(), c.connection.clone()))
        .collect();
    assert_eq!(closed, [("DELETE".to_owned(), "idle-old".to_owned())]);
    assert!(fx.item("LIVE#IDLE", "idle-old").await.is_none());
    assert!(fx.item("LIVE#IDLE", "idle-new").await.is_some());
}

#[tokio::test]
async fn built_analyse_conversation_stores_an_ended_conversation_once() {
    let built = built("AnalyseConversationFunction");
    let fx = Fixture::new().await;
    let lambda = start_arm64(&built, &fx);
    let conversation_pk = format!("{ORG_A}#CONV#{KEY}");
    let record = || fx.item(&conversation_pk, "ANALYSIS");
    let analysed = || async {
        fx.published_events()
            .await
            .into_iter()
            .filter(|(t, _)| t == shared::bus::ANALYSED_DETAIL_TYPE)
            .map(|(_, d)| d)
            .collect::<Vec<_>>()
    };
    for m in [
        message(
            "m1",
            1_000,
            4_000,
            "How much is the premium plan?",
            "END_USER",
        ),
        message("m2", 5_000, 9_000, "It is $40 a month.", "HUMAN_AGENT"),
    ] {
        let answer = fx
            .post_json_as(Signer::Writer, &messages_path(KEY), &m)
            .await;
        assert_eq!(answer.status, 202, "{}", answer.body);
    }
    let stream = events::load_with("analysis-stream", &[]);
    let not_ended = events::load_with("analysis-stream-not-ended", &[]);

    // A live conversation: nothing to store.
    assert_eq!(
        lambda.invoke(&stream).await,
        json!({"batchItemFailures": []})
    );
    assert_eq!(record().await, None, "a record of a live conversation");

    // Post-call events end it; a HEAD image that has not ended is still no trigger.
    let body = post_call_of(vec![post_call_sentiment(json!(-1.5), 0, 9_000, "CUSTOMER")]);
    let answer = fx
        .post_json_as(Signer::Writer, &post_call_path(KEY), &body)
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    fx.published_events().await;
    assert_eq!(
        lambda.invoke(&not_ended).await,
        json!({"batchItemFailures": []})
    );
    assert_eq!(
        record().await,
        None,
        "analysed on a HEAD that had not ended"
    );

    // The ended HEAD stores its record, once, however often the batch comes.
    for _ in 0..2 {
        assert_eq!(
            lambda.invoke(&stream).await,
            json!({"batchItemFailures": []})
        );
    }
    let stored = record().await.expect("the analysis record");
    assert_eq!(stored["summariser"], "built-in", "{stored}");
    assert_eq!(stored["published"], true, "{stored}");
    let published = analysed().await;
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0]["conversationKey"], KEY);
    let outputs = fx.intelligence_of(Signer::Reader, KEY).await;
    assert!(
        outputs["conversationIntelligence"]["callSummary"].is_string(),
        "{outputs}"
    );
}

#[tokio::test]
async fn built_admin_api_administers_tenants_for_iam_callers_only() {
    let built = built("AdminApiFunction");
    let fx = Fixture::new().await;
    let lambda = start_arm64(&built, &fx);
    testkit::admin::check_admin_function(&lambda, &fx).await;
    testkit::admin::check_erasure_function(&lambda, &fx).await;
}

#[tokio::test]
async fn built_contact_lens_stream_stores_the_segment_records_once() {
    const CONTACT: &str = "73bdece1-3ac5-4eab-a589-1efa94ab5f2b";
    let built = built("ContactLensStreamFunction");
    let fx = Fixture::new().await;
    // The event's instance, mapped to ORG_A as `tenant-admin connect map` does.
    let answer = fx
        .send(
            fx.http
                .put(format!("{}/admin/v1/tenants/{ORG_A}", fx.base_url))
                .bearer_auth(testkit::fixture::ADMIN_TOKEN)
                .header("content-type", "application/json")
                .body(r#"{"connectInstances":["11111111-2222-3333-4444-555555555555"]}"#),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let lambda = start_arm64(&built, &fx);
    let event = events::load_with("contact-lens-stream", &[]);
    // Twice (a retry): the same two entries; the record that does not parse is skipped.
    for _ in 0..2 {
        assert_eq!(
            lambda.invoke(&event).await,
            json!({"batchItemFailures": []})
        );
    }
    let transcript = fx.transcript(ORG_A, CONTACT).await;
    let contents: Vec<&str> = transcript
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        [
            "Hi, how much is the premium plan?",
            "It is $55 per user per month."
        ]
    );
    assert_eq!(transcript[1]["senderType"], "HUMAN_AGENT");
    let signals = fx.conversation_items(ORG_A, CONTACT).await;
    assert!(
        signals.iter().any(|s| s.value == "PricingQuestion"),
        "{signals:?}"
    );
}

#[tokio::test]
async fn built_contact_lens_analysis_reads_the_post_call_file() {
    use shared::contact_lens::samples;
    let built = built("ContactLensAnalysisFunction");
    let fx = Fixture::new().await;
    let answer = fx
        .send(
            fx.http
                .put(format!("{}/admin/v1/tenants/{ORG_A}", fx.base_url))
                .bearer_auth(testkit::fixture::ADMIN_TOKEN)
                .header("content-type", "application/json")
                .body(format!(
                    r#"{{"connectInstances":["{}"]}}"#,
                    samples::INSTANCE_ID
                )),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // The file the event names, as Contact Lens writes it.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&fx.sdk)
            .force_path_style(true)
            .build(),
    );
    let _ = s3.create_bucket().bucket("example-connect").send().await;
    let body = serde_json::to_vec(&samples::analysis_file(
        samples::INSTANCE_ID,
        samples::CONTACT_ID,
        false,
    ))
    .unwrap();
    s3.put_object()
        .bucket("example-connect")
        .key(samples::analysis_key(samples::CONTACT_ID, false))
        .body(body.into())
        .send()
        .await
        .expect("put the analysis file");
    let mut env = function_env(&fx);
    env.push(("AWS_ENDPOINT_URL_S3".to_owned(), fx.endpoint.clone()));
    let lambda = start_arm64_with(&built, env);
    let answer = lambda
        .invoke(&events::load_with("contact-lens-analysis-created", &[]))
        .await;
    assert_eq!(
        answer["files"][0]["stored"]["entries"],
        json!(samples::TURNS.len()),
        "{answer}"
    );
    let answer = lambda
        .invoke(&events::load_with(
            "contact-lens-analysis-other-object",
            &[],
        ))
        .await;
    assert_eq!(answer, json!({"files": ["skipped"]}));
    let out = fx
        .intelligence_of(Signer::Reader, samples::CONTACT_ID)
        .await;
    assert!(
        out["conversationInsights"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["insightType"] == "VendorAnalysis"),
        "{out}"
    );
}
