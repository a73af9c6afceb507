//! The cost model's counts (docs/cost.md): one typical 10-minute call through the local server
//! on moto, every AWS request counted at the fault proxy in front of moto, phase by phase, and
//! turned into AWS's billing units (DynamoDB read and write request units, EventBridge events,
//! Lambda invocations, API Gateway HTTP requests and WebSocket messages, Bedrock tokens). The
//! same call with half the utterances and with two consoles shows each grows linearly.
//!
//! `cargo test -p local-server --test suite cost_model -- --nocapture` prints the tables
//! docs/cost.md quotes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use shared::tenants::dynamo::DynamoTenants;
use shared::tenants::Tenants;
use testkit::fault_proxy::{Exchange, FaultProxy};
use testkit::keys::Signer;
use testkit::live::{LiveClient, Received};
use testkit::process::shared_moto;
use testkit::realtime::{body_of, category, events_path, fresh_key, sentiment};
use testkit::telephony::{
    inbound_call, message, messages_path, post_call_of, post_call_path, post_call_sentiment,
    transfer_call, update_path, T0,
};
use testkit::{Fixture, ORG_A};

/// What one phase cost, in AWS's units.
#[derive(Debug, Default, Clone, PartialEq)]
struct Units {
    /// DynamoDB requests by operation.
    operations: BTreeMap<String, u64>,
    write_units: f64,
    read_units: f64,
    /// EventBridge entries put (each ≤ 64 KB: one billed event).
    bus_events: u64,
    /// Of those, what the live-deliver rule passes (all but `watched: false`): one live-deliver
    /// invocation each in AWS.
    live_events: u64,
    /// Of those, `ConversationAnalysed`: one per analysis, and how many analyses one ended call
    /// gets depends on how the stream's batches fall (each leg's end moves the head; a record
    /// computed before the last one is stale, and analysed again).
    analyses: u64,
    /// HTTP API requests (each a Lambda invocation of ingest-events or get-intelligence).
    http_requests: u64,
    /// Messages pushed to consoles (WebSocket messages; each a management API post).
    pushed: u64,
}

impl Units {
    fn dynamodb_requests(&self) -> u64 {
        self.operations.values().sum()
    }

    fn add(&mut self, other: &Units) {
        for (op, n) in &other.operations {
            *self.operations.entry(op.clone()).or_default() += n;
        }
        self.write_units += other.write_units;
        self.read_units += other.read_units;
        self.bus_events += other.bus_events;
        self.live_events += other.live_events;
        self.analyses += other.analyses;
        self.http_requests += other.http_requests;
        self.pushed += other.pushed;
    }
}

/// Write units of one item of `bytes` (1 per KB, rounded up).
fn wru(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// Read units of an answer of `bytes` (per 4 KB, rounded up; half for eventually consistent).
fn rru(bytes: u64, consistent: bool) -> f64 {
    let chunks = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        chunks
    } else {
        chunks / 2.0
    }
}

/// The billing units of what passed the proxy. The wire's DynamoDB JSON is a little larger than
/// the stored item, so write units are counted high, never low.
fn units_of(exchanges: &[Exchange]) -> Units {
    let mut units = Units::default();
    for e in exchanges {
        let (service, op) = e.target.split_once('.').unwrap_or(("", &e.target));
        let body: Value = serde_json::from_slice(&e.request).unwrap_or(Value::Null);
        if service.starts_with("DynamoDBStreams") {
            // Lambda's stream polling is not billed.
            continue;
        }
        if service == "AWSEvents" && op == "PutEvents" {
            for entry in body["Entries"].as_array().into_iter().flatten() {
                units.bus_events += 1;
                units.analyses +=
                    u64::from(entry["DetailType"] == shared::bus::ANALYSED_DETAIL_TYPE);
                let detail = entry["Detail"].as_str().unwrap_or_default();
                if !detail.ends_with("\"watched\":false}") {
                    units.live_events += 1;
                }
            }
            continue;
        }
        if !service.starts_with("DynamoDB") {
            continue;
        }
        *units.operations.entry(op.to_owned()).or_default() += 1;
        let size = |v: &Value| v.to_string().len();
        let consistent = body["ConsistentRead"] == true;
        match op {
            "PutItem" => units.write_units += wru(size(&body["Item"])),
            "UpdateItem" | "DeleteItem" => units.write_units += 1.0,
            "BatchWriteItem" => {
                for requests in body["RequestItems"]
                    .as_object()
                    .into_iter()
                    .flat_map(|m| m.values())
                {
                    for request in requests.as_array().into_iter().flatten() {
                        units.write_units += match request.get("PutRequest") {
                            Some(put) => wru(size(&put["Item"])),
                            None => 1.0,
                        };
                    }
                }
            }
            "TransactWriteItems" => {
                for item in body["TransactItems"].as_array().into_iter().flatten() {
                    let one = match item.get("Put") {
                        Some(put) => wru(size(&put["Item"])),
                        None => 1.0,
                    };
                    units.write_units += 2.0 * one;
                }
            }
            "GetItem" | "Query" => units.read_units += rru(e.response_bytes, consistent),
            "TransactGetItems" => units.read_units += 2.0 * rru(e.response_bytes, true),
            "BatchGetItem" => units.read_units += rru(e.response_bytes, consistent),
            _ => {}
        }
    }
    units
}

struct Call<'a> {
    fx: &'a Fixture,
    proxy: &'a FaultProxy,
    phases: Vec<(&'static str, Units)>,
}

impl Call<'_> {
    /// Ends a phase: what passed the proxy since the last, with `http` requests and `pushed`.
    fn phase(&mut self, name: &'static str, http: u64) {
        let mut units = units_of(&self.proxy.take_exchanges());
        units.http_requests = http;
        self.phases.push((name, units));
    }

    async fn post(&self, path: &str, body: &Value) {
        let answer = self.fx.post_json_as(Signer::Writer, path, body).await;
        assert!(
            answer.status == 202 || answer.status == 200,
            "{path}: {}",
            answer.body
        );
    }

    async fn patch(&self, path: &str, body: &Value) {
        let answer = self.fx.patch_json_as(Signer::Writer, path, body).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    }
}

const SENTENCES: [&str; 6] = [
    "Thanks for calling, this is Ann, how can I help you today?",
    "My order from last week never arrived and I was charged twice.",
    "I am sorry to hear that, let me look up the order for you right now.",
    "The tracking page has said out for delivery since Monday.",
    "I can see the second charge, I will refund it to your card today.",
    "Great, and can you send me a quote for the premium plan as well?",
];

/// One call: `utterances` transcript messages (half on each leg, one request each, as partners
/// send them), `signals` real-time requests of two events, a transfer, post-call sentiment, both
/// legs ended, the analysis, one action read, `watchers` consoles subscribed throughout.
async fn a_call(
    utterances: u64,
    signals: u64,
    watchers: usize,
) -> (Vec<(&'static str, Units)>, u64) {
    let proxy = FaultProxy::start(shared_moto()).await;
    let fx = Fixture::behind(shared_moto(), &proxy.url).await;
    // The analysis as its function runs it: the table's stream, requests through the proxy.
    let proxy_sdk = testkit::fixture::sdk_config(&proxy.url).await;
    let tenants = Tenants::new(
        Arc::new(DynamoTenants::new(
            aws_sdk_dynamodb::Client::new(&proxy_sdk),
            &fx.tenants_table,
        )),
        None,
    );
    let analyser = shared::analysis::AwsAnalyser::new(&proxy_sdk, &fx.settings, tenants);
    shared::analysis::stream::spawn(&proxy_sdk, &fx.settings.table_name, Arc::new(analyser))
        .await
        .unwrap();
    let mut call = Call {
        fx: &fx,
        proxy: &proxy,
        phases: Vec::new(),
    };
    let (first_key, second_key) = (fresh_key(), fresh_key());
    proxy.take_exchanges();

    let first = fx
        .record_call(Signer::Writer, &inbound_call(&first_key))
        .await;
    call.phase("create the call", 1);
    let mut consoles = Vec::new();
    for _ in 0..watchers {
        let mut console = LiveClient::connect(&fx).await;
        console
            .subscribed(&fx.keys.token(Signer::Reader), &first)
            .await;
        consoles.push(console);
    }
    call.phase("consoles subscribe", 0);

    let half = utterances / 2;
    let mut second = String::new();
    let say = |i: u64| {
        message(
            &format!("m{i}"),
            i * 5_000,
            i * 5_000 + 4_000,
            SENTENCES[i as usize % SENTENCES.len()],
            if i.is_multiple_of(2) {
                "HUMAN_AGENT"
            } else {
                "END_USER"
            },
        )
    };
    for i in 0..half {
        call.post(&messages_path(&first_key), &say(i)).await;
    }
    call.phase("utterances, first leg", half);
    for i in 0..signals {
        call.post(
            &events_path(if i < signals / 2 {
                &first_key
            } else {
                &second_key
            }),
            &body_of(vec![
                category("CustomerAngry", T0 + i * 30_000),
                sentiment(json!(-120 + i as i64), T0 + i * 30_000 + 1, "CUSTOMER"),
            ]),
        )
        .await;
        if i + 1 == signals / 2 {
            // The transfer, half-way.
            second = fx
                .record_call(Signer::Writer, &transfer_call(&second_key, &first))
                .await;
            assert_ne!(second, first);
        }
    }
    call.phase("real-time signals and the transfer", signals + 1);
    for i in half..utterances {
        call.post(&messages_path(&second_key), &say(i)).await;
    }
    call.phase("utterances, second leg", utterances - half);
    call.post(
        &post_call_path(&first_key),
        &post_call_of(
            (0..10)
                .map(|i| {
                    post_call_sentiment(
                        json!(100 - 20 * i as i64),
                        i * 5_000,
                        i * 5_000 + 4_000,
                        "CUSTOMER",
                    )
                })
                .collect(),
        ),
    )
    .await;
    call.phase("post-call sentiment", 1);

    // Both legs end: the analysis runs on the stream; wait for its record, published.
    for id in [&first, &second] {
        call.patch(
            &update_path(id),
            &json!({"isActiveCall": false, "endTime": "2026-11-23T16:10:00Z"}),
        )
        .await;
    }
    let pk = format!("{ORG_A}#CONV#{first_key}");
    let mut published = false;
    for _ in 0..300 {
        if fx
            .item(&pk, "ANALYSIS")
            .await
            .is_some_and(|r| r["published"] == true)
        {
            published = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(published, "the analysis ran");
    // Let the stream's later records (the record's own writes) pass.
    tokio::time::sleep(Duration::from_secs(3)).await;
    call.phase("call ends, the analysis", 2);

    fx.intelligence_of(Signer::Reader, &first).await;
    call.phase("the agent reads the action once", 1);

    // What reached the consoles.
    let mut pushed = 0;
    for console in &mut consoles {
        while let Received::Message(_) = console.next(Duration::from_millis(500)).await {
            pushed += 1;
        }
    }
    let phases = call.phases;
    (phases, pushed)
}

/// List prices, us-east-1, December 2026 (docs/cost.md says where each comes from).
mod price {
    pub const DYNAMODB_WRU: f64 = 0.625 / 1e6;
    pub const DYNAMODB_RRU: f64 = 0.125 / 1e6;
    pub const EVENTBRIDGE_EVENT: f64 = 1.0 / 1e6;
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
    /// arm64, per GB-second.
    pub const LAMBDA_GB_SECOND: f64 = 0.0000133334;
    pub const HTTP_API_REQUEST: f64 = 1.0 / 1e6;
    pub const WEBSOCKET_MESSAGE: f64 = 1.0 / 1e6;
    pub const WEBSOCKET_CONNECTION_MINUTE: f64 = 0.25 / 1e6;
    /// Anthropic Claude 3 Haiku on Bedrock, per token.
    pub const BEDROCK_INPUT_TOKEN: f64 = 0.25 / 1e6;
    pub const BEDROCK_OUTPUT_TOKEN: f64 = 1.25 / 1e6;
}

/// Assumed billed durations (ms) at 256 MB: a handler's own time is well under a millisecond
/// (make bench); the rest is waiting on DynamoDB and EventBridge, ~5 ms a round trip in-region.
const MS_PER_ROUND_TRIP: f64 = 5.0;

fn print_table(title: &str, phases: &[(&'static str, Units)], pushed: u64) -> Units {
    println!("\n{title}");
    println!(
        "{:<38} {:>6} {:>8} {:>8} {:>8} {:>6}  operations",
        "phase", "HTTP", "DDB req", "WRU", "RRU", "bus"
    );
    let mut total = Units::default();
    for (name, u) in phases {
        println!(
            "{name:<38} {:>6} {:>8} {:>8.1} {:>8.1} {:>6}  {:?}",
            u.http_requests,
            u.dynamodb_requests(),
            u.write_units,
            u.read_units,
            u.bus_events,
            u.operations
        );
        total.add(u);
    }
    total.pushed = pushed;
    println!(
        "{:<38} {:>6} {:>8} {:>8.1} {:>8.1} {:>6}  pushed to consoles: {pushed}",
        "total",
        total.http_requests,
        total.dynamodb_requests(),
        total.write_units,
        total.read_units,
        total.bus_events
    );
    total
}

/// Dollars of one call, by service, and the Lambda invocations it takes.
fn dollars(total: &Units, watchers: u64, transcript_chars: u64) -> BTreeMap<&'static str, f64> {
    // Invocations: every HTTP request; live-deliver once per event its rule passes (all but
    // those of unwatched conversations' writes), each with one subscriber Query (0.5 RRU) and a
    // post per watcher; the analysis once per ended conversation (its filter passes only ended
    // heads); live-socket three per console (connect, subscribe, disconnect).
    let live_invocations = total.live_events as f64;
    let invocations = total.http_requests as f64 + live_invocations + 1.0 + 3.0 * watchers as f64;
    let round_trips = total.dynamodb_requests() as f64 + total.http_requests as f64;
    let billed_ms = invocations * 2.0
        + (round_trips + live_invocations * (1.0 + watchers as f64)) * MS_PER_ROUND_TRIP;
    let input_tokens = transcript_chars as f64 / 4.0 + 400.0;
    let mut d = BTreeMap::new();
    d.insert(
        "DynamoDB",
        total.write_units * price::DYNAMODB_WRU
            // The subscriber Queries are among the counted reads (the local server's live
            // delivery makes them as live-deliver does).
            + total.read_units * price::DYNAMODB_RRU,
    );
    d.insert(
        "EventBridge",
        total.bus_events as f64 * price::EVENTBRIDGE_EVENT,
    );
    d.insert(
        "Lambda",
        invocations * price::LAMBDA_REQUEST + billed_ms / 1000.0 * 0.25 * price::LAMBDA_GB_SECOND,
    );
    d.insert(
        "API Gateway HTTP",
        total.http_requests as f64 * price::HTTP_API_REQUEST,
    );
    d.insert(
        "API Gateway WebSocket",
        live_invocations * watchers as f64 * price::WEBSOCKET_MESSAGE
            + 10.0 * watchers as f64 * price::WEBSOCKET_CONNECTION_MINUTE
            + 2.0 * watchers as f64 * price::WEBSOCKET_MESSAGE,
    );
    d.insert(
        "Bedrock (generative summary)",
        input_tokens * price::BEDROCK_INPUT_TOKEN + 400.0 * price::BEDROCK_OUTPUT_TOKEN,
    );
    d
}

/// (DynamoDB requests, write units, bus events) per unit of the phase `name`.
fn per_phase(phases: &[(&'static str, Units)], name: &str, n: u64) -> (f64, f64, f64) {
    let u = &phases.iter().find(|(p, _)| *p == name).expect("phase").1;
    let n = n as f64;
    (
        u.dynamodb_requests() as f64 / n,
        u.write_units / n,
        u.bus_events as f64 / n,
    )
}

/// The call's figures at Salesforce Service Cloud Voice's org limits: 25,000 concurrent
/// 10-minute calls are 41.7 new calls a second (within the 50/s limit) and, at 120 utterances a
/// call, 5,000 utterances a second.
fn at_org_limits(total: &Units, call_dollars: f64) {
    let calls_per_second = 25_000.0 / 600.0;
    let rate = |n: f64| n * calls_per_second;
    println!("\nat the org limits (25,000 concurrent calls, {calls_per_second:.1} new calls/s):");
    println!(
        "  HTTP requests/s        {:>10.0}",
        rate(total.http_requests as f64)
    );
    println!(
        "  DynamoDB requests/s    {:>10.0}",
        rate(total.dynamodb_requests() as f64)
    );
    println!("  DynamoDB WRU/s         {:>10.0}", rate(total.write_units));
    println!("  DynamoDB RRU/s         {:>10.0}", rate(total.read_units));
    println!(
        "  EventBridge events/s   {:>10.0}",
        rate(total.bus_events as f64)
    );
    println!(
        "  console pushes/s       {:>10.0}  (one console per call)",
        rate(total.pushed as f64)
    );
    println!(
        "  dollars per day        {:>10.0}  (36 M call-minutes)",
        call_dollars * calls_per_second * 86_400.0
    );
}

#[tokio::test]
async fn a_ten_minute_call_costs_what_docs_cost_md_says_and_grows_linearly() {
    const UTTERANCES: u64 = 120;
    const SIGNALS: u64 = 20;
    let (phases, pushed) = a_call(UTTERANCES, SIGNALS, 1).await;
    let total = print_table(
        &format!("A 10-minute call: {UTTERANCES} utterances, {SIGNALS} signal requests (2 events each), a transfer, post-call, one console"),
        &phases,
        pushed,
    );
    let chars: u64 = (0..UTTERANCES)
        .map(|i| SENTENCES[i as usize % SENTENCES.len()].len() as u64)
        .sum();
    let cost = dollars(&total, 1, chars);
    let call_dollars: f64 = cost.values().sum();
    println!("\nper call (10 minutes), per 1,000 call-minutes (×100):");
    for (service, d) in &cost {
        println!(
            "{service:<30} ${d:.6} per call   ${:.4} per 1,000 call-minutes",
            d * 100.0
        );
    }
    println!(
        "{:<30} ${call_dollars:.6} per call   ${:.4} per 1,000 call-minutes",
        "total",
        call_dollars * 100.0
    );
    at_org_limits(&total, call_dollars);

    // Every utterance costs the same: write units and bus events per utterance agree exactly
    // on both legs and in a call of half the length, requests within 2 % (the local server's
    // live delivery reads subscribers once per batch of queued events, AWS's once per event).
    let first = per_phase(&phases, "utterances, first leg", UTTERANCES / 2);
    let second = per_phase(&phases, "utterances, second leg", UTTERANCES / 2);
    println!(
        "\nper utterance (requests, WRU, bus events): first leg {first:?}, second leg {second:?}"
    );
    // Half the utterances, two consoles.
    let (half, pushed_two) = a_call(UTTERANCES / 2, SIGNALS, 2).await;
    let half_total = print_table(
        "The same call with half the utterances and two consoles",
        &half,
        pushed_two,
    );
    let per_half = per_phase(&half, "utterances, first leg", UTTERANCES / 4);
    println!("per utterance with half of them: {per_half:?}");
    for (case, other) in [("second leg", second), ("half the utterances", per_half)] {
        assert_eq!((other.1, other.2), (first.1, first.2), "{case}");
        assert!(
            (other.0 - first.0).abs() / first.0 < 0.02,
            "{case}: {other:?} vs {first:?}"
        );
    }
    // Each console receives the call's events: pushes are watchers × events.
    let one = pushed as f64 / total.bus_events as f64;
    let two = pushed_two as f64 / half_total.bus_events as f64;
    println!("pushes per bus event: one console {one:.3}, two consoles {two:.3}");
    assert!(
        (one - 1.0).abs() < 0.05 && (two - 2.0).abs() < 0.1,
        "{one} {two}"
    );
    println!(
        "pushes: one console {pushed} for {} events; two consoles {pushed_two} for {} events",
        total.bus_events, half_total.bus_events
    );
    // A watched call's every event goes live.
    assert_eq!(total.live_events, total.bus_events);

    // Nobody watching: the writes' events are marked `watched: false` and skip live delivery
    // (no live-deliver invocation, no subscriber Query); the bus still carries every event.
    let (unwatched, none) = a_call(UTTERANCES, SIGNALS, 0).await;
    let unwatched_total = print_table("The same call, nobody watching", &unwatched, none);
    assert_eq!(none, 0);
    let alone = per_phase(&unwatched, "utterances, first leg", UTTERANCES / 2);
    let live_per_utterance = |phases: &[(&'static str, Units)]| {
        let u = &phases
            .iter()
            .find(|(p, _)| *p == "utterances, first leg")
            .expect("phase")
            .1;
        u.live_events as f64 / (UTTERANCES / 2) as f64
    };
    println!(
        "per utterance watched {first:?} ({} live), unwatched {alone:?} ({} live)",
        live_per_utterance(&phases),
        live_per_utterance(&unwatched)
    );
    assert_eq!(live_per_utterance(&unwatched), 0.0);
    assert_eq!(live_per_utterance(&phases), 1.0);
    assert_eq!(
        (alone.1, alone.2),
        (first.1, first.2),
        "same writes, same events"
    );
    assert!(
        (first.0 - alone.0 - 1.0).abs() < 0.05,
        "one request fewer per utterance (the subscriber Query): {first:?} vs {alone:?}"
    );
    assert_eq!(
        unwatched_total.bus_events - unwatched_total.analyses,
        total.bus_events - total.analyses,
        "the same events, but for the analyses' number"
    );
    assert!(unwatched_total.analyses >= 1 && total.analyses >= 1);
    let skipped = unwatched_total.bus_events - unwatched_total.live_events;
    let before = Units {
        live_events: unwatched_total.bus_events,
        ..unwatched_total.clone()
    };
    let (after_d, before_d): (f64, f64) = (
        dollars(&unwatched_total, 0, chars).values().sum(),
        dollars(&before, 0, chars).values().sum(),
    );
    let bedrock = dollars(&unwatched_total, 0, chars)["Bedrock (generative summary)"];
    println!(
        "nobody watching: {} of {} events skip live delivery ({} go live); per 1,000 \
         call-minutes ${:.4} (${:.4} without Bedrock) against ${:.4} (${:.4}) when every \
         event invoked live-deliver",
        skipped,
        unwatched_total.bus_events,
        unwatched_total.live_events,
        after_d * 100.0,
        (after_d - bedrock) * 100.0,
        (before_d + skipped as f64 * 0.5 * price::DYNAMODB_RRU) * 100.0,
        (before_d + skipped as f64 * 0.5 * price::DYNAMODB_RRU - bedrock) * 100.0,
    );
}
