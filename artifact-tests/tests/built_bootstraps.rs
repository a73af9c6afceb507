//! What `sam build` made, tested: each function's arm64 bootstrap (`.aws-sam/build/<Function>/
//! bootstrap`) under the Lambda runtime interface emulator, run through qemu user mode, fed every
//! file of `events/` — what `sam local invoke -e events/<file>` runs inside its container.
//!
//! Every answer must be the reference's: the local server (the handlers' own HTTP front) for
//! API Gateway events, and the x86 dev build of the same function under the emulator for
//! contact-flow events, reading or writing the same data (fixtures on a moto server).
//!
//! scripts/test.sh (`make test`) runs `sam build` and then these tests, with
//! `BUILT_INGEST_BOOTSTRAP`, `BUILT_INTELLIGENCE_BOOTSTRAP` (the built bootstraps), `QEMU_AARCH64`
//! and `QEMU_LD_PREFIX` (from scripts/arm64.sh) set; without them the tests fail. The x86 dev
//! binaries come from `DEV_INGEST_BOOTSTRAP`/`DEV_INTELLIGENCE_BOOTSTRAP`, by default
//! `target/debug/<bin>`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use testkit::compare::{assert_same_http, voice_call_id};
use testkit::events::{self, http_call, PARENT_PLACEHOLDER, TOKEN_PLACEHOLDER};
use testkit::keys::Signer;
use testkit::rie::Rie;
use testkit::{Fixture, ORG_A};

const KEY: &str = "5324881f-1e84-4367-8930-f69a74b30ca6";
const RECORD_PLACEHOLDER: &str = "{{RECORD_ID}}";
const FIRST_LEG: &str = "voicecall-create-inbound";

/// ELF `e_machine` of AArch64.
const EM_AARCH64: u16 = 183;

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

/// A built arm64 bootstrap, checked to be one.
fn built(var: &str) -> PathBuf {
    let path = required(var);
    let bytes = std::fs::read(&path).expect("the bootstrap is readable");
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

/// `bootstrap` (arm64) under the emulator, through qemu user mode.
fn start_arm64(bootstrap: &Path, fx: &Fixture) -> Rie {
    let qemu = required("QEMU_AARCH64");
    let sysroot = required("QEMU_LD_PREFIX");
    let mut env = function_env(fx);
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
    let built = built("BUILT_INGEST_BOOTSTRAP");
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
    let built = built("BUILT_INTELLIGENCE_BOOTSTRAP");
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
