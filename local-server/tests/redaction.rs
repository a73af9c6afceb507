//! Redaction per tenant (CONTRACT §8) end to end through the local server against moto: with
//! org A's redaction on, the card numbers (spaced, dashed, spoken), the SSN, the email and the
//! phone number its real-time events and transcripts carry appear nowhere — not in a scan of
//! the table, not on the bus, not in live messages, not in the action's answer, not in the
//! server's logs — while an order number that fails the Luhn check is kept; org B, with
//! redaction off, stores the same texts unchanged.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};
use testkit::fixture::ADMIN_TOKEN;
use testkit::keys::Signer;
use testkit::live::LiveClient;
use testkit::realtime::{category, events_path, fresh_key};
use testkit::telephony::{
    bulk_entry, bulk_of, inbound_call, message, messages_path, BULK_MESSAGES_PATH,
};
use testkit::{Fixture, ORG_A, ORG_B};

/// What the caller says, and what must never be kept of it.
const SPACED_CARD: &str = "4111 1111 1111 1111";
const DASHED_CARD: &str = "5500-0000-0000-0004";
/// 378282246310005, an American Express test number, said digit by digit.
const SPOKEN_CARD: &str =
    "three seven eight two eight two two four six three one zero zero zero five";
const SSN: &str = "123-45-6789";
const EMAIL: &str = "jane.doe@example.com";
const PHONE: &str = "555-201-7788";
/// Fails the Luhn check: an order number, kept.
const ORDER: &str = "1234 5678 9012 3456";

/// Every raw value, and the digits of each number without separators.
fn raw_values() -> Vec<&'static str> {
    vec![
        SPACED_CARD,
        DASHED_CARD,
        SPOKEN_CARD,
        SSN,
        EMAIL,
        PHONE,
        "4111111111111111",
        "5500000000000004",
        "378282246310005",
        "123456789",
        "jane.doe",
        "5552017788",
        "seven eight two eight two",
    ]
}

/// The server's log lines, captured by a subscriber of this test binary (the server runs in
/// this process), at every level of the service's own crates.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,shared=trace,local_server=trace,hyper=info,h2=info,rustls=info",
            ))
            .with_writer(move || Capture(sink.clone()))
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        buffer
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A text with every entity in it.
fn spoken_line() -> String {
    format!(
        "my card is {SPACED_CARD}, the other one {DASHED_CARD}, or {SPOKEN_CARD}; social \
         {SSN}, mail {EMAIL}, call me on {PHONE}, about order {ORDER}"
    )
}

async fn set_redaction(fx: &Fixture, org: &str) {
    let answer = fx
        .send(
            fx.http
                .put(format!("{}/admin/v1/tenants/{org}", fx.base_url))
                .bearer_auth(ADMIN_TOKEN)
                .json(&json!({"redaction": {
                    "entities": ["CREDIT_DEBIT_NUMBER", "SSN", "EMAIL", "PHONE"],
                    "mode": "ENTITY_TYPE"
                }})),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// Sends one real-time request (details with the entities), one message and one bulk
/// request to `key`'s conversation as `signer`; each `202`.
async fn send_everything(fx: &Fixture, signer: Signer, key: &str) {
    let mut event = category("CustomerAngry", 1_795_449_601);
    event["details"] = json!({
        "note": spoken_line(),
        "points": [{"text": format!("card {SPACED_CARD}")}, {"text": format!("email {EMAIL}")}],
        "offset": 1200
    });
    let body = json!({"service": "AmazonConnectContactLens", "events": [event]});
    let answer = fx.post_json_as(signer, &events_path(key), &body).await;
    assert_eq!(answer.status, 202, "{}", answer.body);

    let one = message("m-1", 0, 3000, &spoken_line(), "END_USER");
    let answer = fx.post_json_as(signer, &messages_path(key), &one).await;
    assert_eq!(answer.status, 202, "{}", answer.body);

    let bulk = bulk_of(vec![bulk_entry(
        key,
        vec![
            message(
                "m-2",
                4000,
                6000,
                &format!("it is {SPOKEN_CARD}"),
                "END_USER",
            ),
            message(
                "m-3",
                7000,
                9000,
                &format!("and the ssn is {SSN}"),
                "END_USER",
            ),
            message(
                "m-4",
                10000,
                12000,
                &format!("send it to {EMAIL} or {PHONE}"),
                "END_USER",
            ),
            message(
                "m-5",
                13000,
                15000,
                &format!("your order {ORDER} shipped"),
                "HUMAN_AGENT",
            ),
        ],
    )]);
    let answer = fx.post_json_as(signer, BULK_MESSAGES_PATH, &bulk).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
}

/// Every item of the table, as JSON text (a test-only Scan).
async fn table_text(fx: &Fixture) -> String {
    Value::Array(fx.items().await).to_string()
}

fn assert_none_in(what: &str, text: &str) {
    for raw in raw_values() {
        assert!(!text.contains(raw), "{what} holds {raw:?}: {text}");
    }
}

/// The contents of `org`'s conversation `key`, in message order.
async fn contents(fx: &Fixture, org: &str, key: &str) -> Vec<String> {
    let mut items: Vec<Value> = fx
        .transcript(org, key)
        .await
        .into_iter()
        .filter(|i| i["itemType"] == "MESSAGE")
        .collect();
    items.sort_by_key(|i| i["startTime"].as_u64());
    items
        .iter()
        .map(|i| i["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Ends the call (`isActiveCall: false`): what starts its post-call analysis.
async fn end_call(fx: &Fixture, voice_call_id: &str) {
    let answer = fx
        .send(
            fx.http
                .patch(format!(
                    "{}/telephony/v1/voiceCalls/{voice_call_id}",
                    fx.base_url
                ))
                .header("content-type", "application/json")
                .bearer_auth(fx.keys.token(Signer::Writer))
                .body(
                    json!({"isActiveCall": false, "endTime": "2026-11-23T16:10:00Z"}).to_string(),
                ),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// The `ConversationAnalysed` events of `key`, once one is published (up to 30 s).
async fn analysed_events(fx: &Fixture, key: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for _ in 0..150 {
        seen.extend(
            fx.published_events()
                .await
                .into_iter()
                .filter(|(t, d)| {
                    t == shared::bus::ANALYSED_DETAIL_TYPE && d["conversationKey"] == key
                })
                .map(|(_, d)| d),
        );
        if !seen.is_empty() {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("no ConversationAnalysed for {key}");
}

#[tokio::test]
async fn a_redacting_tenant_keeps_no_raw_value_anywhere_and_another_keeps_them_all() {
    let logs = logs();
    let fx = Fixture::new().await;
    fx.analyse_in_background().await;
    // Before any request: the server's tenant caches read the setting when first asked.
    set_redaction(&fx, ORG_A).await;

    let key = fresh_key();
    let voice_call_id = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    let mut live = LiveClient::connect(&fx).await;
    live.subscribed(&fx.keys.token(Signer::Reader), &key).await;
    send_everything(&fx, Signer::Writer, &key).await;

    // Live: the signal and five transcript entries, every one redacted.
    let mut pushed = Vec::new();
    while pushed.len() < 6 {
        let m = live.recv().await;
        if matches!(
            m["type"].as_str(),
            Some("IntelligenceSignal" | "TranscriptEntry")
        ) {
            pushed.push(m);
        }
    }
    let pushed = Value::Array(pushed).to_string();
    assert_none_in("a live message", &pushed);
    assert!(pushed.contains("[CREDIT_DEBIT_NUMBER]"), "{pushed}");

    // The table: what is stored is redacted, the order number kept.
    let stored = contents(&fx, ORG_A, &key).await;
    let masked_line = format!(
        "my card is [CREDIT_DEBIT_NUMBER], the other one [CREDIT_DEBIT_NUMBER], or \
         [CREDIT_DEBIT_NUMBER]; social [SSN], mail [EMAIL], call me on [PHONE], about order {ORDER}"
    );
    assert_eq!(
        stored,
        [
            masked_line.clone(),
            "it is [CREDIT_DEBIT_NUMBER]".to_owned(),
            "and the ssn is [SSN]".to_owned(),
            "send it to [EMAIL] or [PHONE]".to_owned(),
            format!("your order {ORDER} shipped"),
        ]
    );
    let signals = fx.conversation_items(ORG_A, &key).await;
    assert_eq!(signals.len(), 1);
    let table = table_text(&fx).await;
    assert_none_in("the table", &table);
    assert!(
        table.contains(&masked_line),
        "the details are redacted: {table}"
    );

    // The bus.
    let published = fx.published_events().await;
    let on_bus: Vec<&Value> = published
        .iter()
        .filter(|(t, _)| t == "IntelligenceSignal" || t == "TranscriptEntry")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(on_bus.len(), 6, "{published:?}");
    assert_none_in("the bus", &serde_json::to_string(&published).unwrap());
    assert_eq!(on_bus[0]["details"]["note"], masked_line.as_str());

    // The action's answer (its summary is made of the stored transcript).
    let answer = fx
        .ask_intelligence(Signer::Reader, &json!({"inputs": [{"recordId": key}]}))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_none_in("the action's answer", &answer.body);
    // A mask is no word of the call's: not a topic ("credit", "debit"), not a name ("SSN").
    for said in [
        "about credit",
        "debit",
        "Also mentioned: SSN",
        "Also mentioned: EMAIL",
    ] {
        assert!(!answer.body.contains(said), "{said}: {}", answer.body);
    }

    // Post-call analysis (the summariser reads what was stored): its bus event and the action's
    // answer from its record.
    end_call(&fx, &voice_call_id).await;
    let analysed = analysed_events(&fx, &key).await;
    assert_none_in("the analysis event", &Value::Array(analysed).to_string());
    let answer = fx
        .ask_intelligence(Signer::Reader, &json!({"inputs": [{"recordId": key}]}))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_none_in("the action's answer from the analysis record", &answer.body);

    // The logs of all of it: captured (the accepted requests are there), none of the values.
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logged.contains("real-time events accepted"),
        "logs are captured"
    );
    assert_none_in("the logs", &logged);

    // Org B has no redaction: the same texts are stored as sent.
    let b_key = fresh_key();
    fx.record_call(Signer::TenantB, &inbound_call(&b_key)).await;
    send_everything(&fx, Signer::TenantB, &b_key).await;
    assert_eq!(
        contents(&fx, ORG_B, &b_key).await,
        [
            spoken_line(),
            format!("it is {SPOKEN_CARD}"),
            format!("and the ssn is {SSN}"),
            format!("send it to {EMAIL} or {PHONE}"),
            format!("your order {ORDER} shipped"),
        ]
    );
    let b_signal = &fx.conversation_raw(ORG_B, &b_key).await;
    let b_text = Value::Array(b_signal.clone()).to_string();
    assert!(
        b_text.contains(SPACED_CARD) && b_text.contains(EMAIL),
        "{b_text}"
    );
}
