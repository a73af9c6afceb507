//! A stable, structure-aware fuzz driver (no nightly): the real request fixtures (`events/*.json`
//! and the recorded client requests) are mutated as trees and as bytes and sent through the real
//! parsers and handlers (`shared::telephony::handle`, `shared::actions::handle`) with in-memory
//! ports. Every input must be answered, without a panic, with a well-formed `2xx` or `4xx`; every
//! item an accepted write stores must be one DynamoDB can hold ([`limits`], on the `serde_dynamo`
//! mapping the DynamoDB adapter uses).

pub mod case;
pub mod libfuzzer;
pub mod limits;
pub mod mutate;
pub mod seeds;
pub mod store;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use shared::actions::ActionsApp;
use shared::app::App;
use shared::bus::memory::MemoryBus;
use shared::clock::now_secs;

use seeds::{Seed, Signer};
use store::CheckingStore;

/// What is fuzzed; each target mutates a different part of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Telephony JSON bodies (trees, then sometimes bytes).
    Json,
    /// Telephony XML bodies (trees written as XML, then sometimes bytes).
    Xml,
    /// The `Authorization` header: signed tokens with mutated headers and claims, and bytes.
    Token,
    /// Paths, methods and the format headers.
    Request,
    /// The action's `inputs`, against conversations the telephony side stored.
    Action,
}

impl Target {
    pub const ALL: [Target; 5] = [
        Self::Json,
        Self::Xml,
        Self::Token,
        Self::Request,
        Self::Action,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Xml => "xml",
            Self::Token => "token",
            Self::Request => "request",
            Self::Action => "action",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether the target starts from `seed`.
    pub fn takes(self, seed: &Seed) -> bool {
        match self {
            Self::Json => seed.is_telephony() && !seed.is_xml(),
            Self::Xml => seed.is_telephony() && seed.is_xml(),
            Self::Action => seed.is_action(),
            Self::Token | Self::Request => true,
        }
    }
}

/// What one run found.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: u64,
    pub accepted: u64,
    pub refused: u64,
    /// Real-time bodies the typed reading accepted, each checked against the tree reading.
    pub typed_readings: u64,
    /// Each distinct finding once (its first input kept, shortened), with how often it came.
    pub findings: Vec<(String, u64)>,
    /// A sample of accepted items, for a real DynamoDB-compatible server.
    pub sample: Vec<limits::Item>,
}

impl Report {
    fn finding(&mut self, kind: String) {
        // One entry per kind of finding: its text before the input, without the numbers in it.
        let class = |k: &str| -> String {
            let head = k.split(" | ").next().unwrap_or_default();
            head.chars().filter(|c| !c.is_ascii_digit()).collect()
        };
        let kind_class = class(&kind);
        match self
            .findings
            .iter_mut()
            .find(|(k, _)| class(k) == kind_class)
        {
            Some((_, n)) => *n += 1,
            None => self.findings.push((kind, 1)),
        }
    }
}

/// The handlers with in-memory ports, rebuilt every [`Harness::RESET_EVERY`] inputs so memory
/// stays bounded over millions of inputs.
pub struct Harness {
    keys: Arc<seeds::Keys>,
    telephony: App<CheckingStore, MemoryBus>,
    actions: ActionsApp<CheckingStore>,
    store: CheckingStore,
    seeds: Vec<Seed>,
    since_reset: u32,
    sample_size: usize,
}

impl Harness {
    pub const RESET_EVERY: u32 = 2000;

    pub fn new(sample_size: usize) -> Self {
        let keys = Arc::new(seeds::Keys::generate());
        let seeds = seeds::load(&keys);
        let store = CheckingStore::new(sample_size);
        let (telephony, actions) = apps(&keys, &store);
        let harness = Self {
            keys,
            telephony,
            actions,
            store,
            seeds,
            since_reset: 0,
            sample_size,
        };
        harness.prime();
        harness
    }

    fn reset(&mut self, report: &mut Report) {
        if report.sample.len() < self.sample_size {
            report.sample.extend(self.store.sample());
            report.sample.truncate(self.sample_size);
        }
        self.store = CheckingStore::new(self.sample_size.saturating_sub(report.sample.len()));
        (self.telephony, self.actions) = apps(&self.keys, &self.store);
        self.since_reset = 0;
        self.prime();
    }

    /// Replays every telephony seed as recorded, so the action has conversations to read.
    fn prime(&self) {
        for seed in self.seeds.iter().filter(|s| s.is_telephony()) {
            let mut call = seed.clone();
            call.authorize(&self.keys, Signer::Writer);
            run_ready(shared::telephony::handle(&self.telephony, call.request()));
        }
        self.store.take_violations();
    }

    /// Runs `count` inputs of `target` from `seed`.
    pub fn run(&mut self, target: Target, seed: u64, count: u64) -> Report {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut report = Report::default();
        for _ in 0..count {
            if self.since_reset >= Self::RESET_EVERY {
                self.reset(&mut report);
            }
            self.since_reset += 1;
            let request = self.input(target, &mut rng);
            self.one(request, &mut report);
        }
        self.reset(&mut report);
        report
    }

    /// Checks one input of a coverage-guided target (`fuzz/`): `data` read as a request
    /// ([`case::decode`], any bytes are one), signed as [`case::authorize`] says, through the
    /// same handlers and oracles as [`Harness::run`]: the answer's status, or the findings. The libFuzzer
    /// targets panic with it, so that libFuzzer keeps the input as a crash.
    pub fn check_one(&mut self, target: Target, data: &[u8]) -> Result<StatusCode, String> {
        let mut report = Report::default();
        if self.since_reset >= Self::RESET_EVERY {
            self.reset(&mut report);
        }
        self.since_reset += 1;
        let mut call = case::decode(data);
        let has_claims = |call: &Seed| {
            call.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(case::JWT_CLAIMS))
        };
        if target == Target::Token && call.authorization.is_none() && !has_claims(&call) {
            // The token target's cases carry the token to sign; one without (its header line
            // mutated away) gets an empty claim set rather than a valid token.
            call.headers
                .push((case::JWT_CLAIMS.to_owned(), "{}".to_owned()));
        }
        case::authorize(&mut call, &self.keys);
        let status = self.one(call.request(), &mut report);
        if let (true, Some(status)) = (report.findings.is_empty(), status) {
            return Ok(status);
        }
        Err(report
            .findings
            .iter()
            .map(|(finding, _)| finding.as_str())
            .collect::<Vec<_>>()
            .join("\n"))
    }

    /// The seed corpus of a coverage-guided target: its real fixtures, encoded as
    /// [`Harness::check_one`] reads them.
    pub fn corpus(&self, target: Target) -> Vec<Vec<u8>> {
        case::corpus(target, &self.seeds)
    }

    fn input(&self, target: Target, rng: &mut StdRng) -> Request<Bytes> {
        let seeds: Vec<&Seed> = self.seeds.iter().filter(|s| target.takes(s)).collect();
        let seed = seeds[rng.random_range(0..seeds.len())];
        let mut call = seed.clone();
        match target {
            Target::Json | Target::Xml | Target::Action => {
                if let Some(mut tree) = call.tree() {
                    mutate::tree(&mut tree, rng);
                    call.set_tree(&tree);
                }
                if rng.random_bool(0.2) {
                    mutate::bytes(&mut call.body, rng);
                }
                call.authorize(
                    &self.keys,
                    if target == Target::Action {
                        Signer::Reader
                    } else {
                        Signer::Writer
                    },
                );
            }
            Target::Token => {
                let signer = if seed.is_action() {
                    Signer::Reader
                } else {
                    Signer::Writer
                };
                call.authorization = Some(seeds::mutated_token(&self.keys, signer, rng));
            }
            Target::Request => {
                call.authorize(
                    &self.keys,
                    if seed.is_action() {
                        Signer::Reader
                    } else {
                        Signer::Writer
                    },
                );
                seeds::mutate_request(&mut call, rng);
            }
        }
        call.request()
    }

    /// One request through its handler and the oracles; the answer's status if it was answered.
    fn one(&self, request: Request<Bytes>, report: &mut Report) -> Option<StatusCode> {
        report.inputs += 1;
        let described = format!("{} {}", request.method(), request.uri());
        let body_text = String::from_utf8_lossy(request.body())
            .chars()
            .take(300)
            .collect::<String>();
        let is_action = request.uri().path().starts_with(shared::actions::BASE_PATH);
        match readings_agree(&request) {
            Ok(true) => report.typed_readings += 1,
            Ok(false) => {}
            Err(why) => report.finding(format!("{why} | {described} {body_text}")),
        }
        let answered = catch_unwind(AssertUnwindSafe(|| {
            if is_action {
                run_ready(shared::actions::handle(&self.actions, request))
            } else {
                run_ready(shared::telephony::handle(&self.telephony, request))
            }
        }));
        let response = match answered {
            Ok(Some(response)) => response,
            Ok(None) => {
                report.finding(format!("handler waited on a ready port | {described}"));
                return None;
            }
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                report.finding(format!("panic: {why} | {described} {body_text}"));
                return None;
            }
        };
        if let Err(why) = well_formed(&response) {
            report.finding(format!("{why} | {described} {body_text}"));
        }
        if response.status().is_success() {
            report.accepted += 1;
        } else {
            report.refused += 1;
        }
        for violation in self.store.take_violations() {
            report.finding(format!("unstorable {violation} | {described} {body_text}"));
        }
        Some(response.status())
    }
}

fn apps(
    keys: &seeds::Keys,
    store: &CheckingStore,
) -> (App<CheckingStore, MemoryBus>, ActionsApp<CheckingStore>) {
    let tenants = || {
        shared::tenants::of_documents(&keys.registry, r#"{"categories":[]}"#, None)
            .expect("the registry loads")
    };
    let telephony = App::with_ports(tenants(), store.clone(), MemoryBus::default());
    let actions = ActionsApp {
        tenants: tenants(),
        store: store.clone(),
    };
    (telephony, actions)
}

/// A real-time events body read straight into typed events (`realtime::read_typed`) is read
/// exactly as the tree reading reads it, whatever the body: the typed reading may only give up.
/// `Ok(true)` when the typed reading accepted the body (and agreed).
fn readings_agree(request: &Request<Bytes>) -> Result<bool, String> {
    use shared::telephony::realtime;
    if !request
        .uri()
        .path()
        .ends_with("/realtimeConversationEvents")
    {
        return Ok(false);
    }
    let Some(typed) = realtime::read_typed(request.body()) else {
        return Ok(false);
    };
    let tree = serde_json::from_slice(request.body())
        .map_err(|e| format!("typed reading accepted what is not JSON ({e})"))?;
    match realtime::parse(tree, shared::format::Format::Json) {
        Ok(tree) if tree == typed => Ok(true),
        Ok(tree) => Err(format!(
            "typed reading {typed:?} differs from tree reading {tree:?}"
        )),
        Err(e) => Err(format!(
            "typed reading accepted what the tree reading refuses: {e}"
        )),
    }
}

/// A `2xx` or `4xx` whose body is in the answer's format and, for an error, the Salesforce
/// error list.
fn well_formed(response: &Response<Bytes>) -> Result<(), String> {
    let status = response.status();
    if !(status.is_success() || status.is_client_error()) {
        return Err(format!("status {status}"));
    }
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let body = response.body();
    if body.is_empty() {
        // HEAD answers carry no body.
        return Ok(());
    }
    if content_type.starts_with("application/xml") {
        let tree = shared::xml::parse(body).map_err(|e| format!("answer is not XML: {e}"))?;
        if status.is_client_error() && tree.get("Error").is_none() {
            return Err("XML error answer without <Error>".into());
        }
        return Ok(());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("answer is not JSON: {e}"))?;
    if status.is_client_error() {
        let first = value.get(0).ok_or("error answer is not a list")?;
        if !first["errorCode"].is_string() || !first["message"].is_string() {
            return Err(format!("error answer without errorCode/message: {value}"));
        }
    }
    Ok(())
}

/// Polls a future whose ports never wait (in-memory) to completion; `None` if it waits.
fn run_ready<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Some(out);
        }
    }
    None
}

/// Now, for tokens.
pub fn now() -> u64 {
    now_secs()
}

/// A JSON value for hand-made claims.
pub fn claims(iss: &str, sub: &str) -> Value {
    let now = now();
    json!({"iss": iss, "sub": sub, "iat": now, "exp": now + 600})
}
