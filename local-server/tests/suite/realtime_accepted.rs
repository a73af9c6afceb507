//! What an accepted real-time request stores and publishes: the seed's two examples and the
//! shape the official Amazon Connect client sends (CONTRACT §2.1, §2.5).

use serde_json::{json, Value};
use shared::clock::now_secs;
use shared::store::items::SignalItem;
use testkit::keys::Signer;
use testkit::realtime::{
    events_path, seed_categories, seed_sentiment, CATEGORY, JSON, SEED_KEY, SENTIMENT,
};
use testkit::{Fixture, ORG_A};

const NINETY_DAYS: u64 = 90 * 86_400;

/// `expiresAt` is the retention period after the request, `receivedAt` the request time.
fn assert_retention(item: &SignalItem, before: u64) {
    let after = now_secs();
    assert!(
        (before..=after).contains(&item.received_at),
        "receivedAt {} not in {before}..={after}",
        item.received_at
    );
    assert!(
        (before + NINETY_DAYS..=after + NINETY_DAYS).contains(&item.expires_at),
        "expiresAt {} is not now + 90 days",
        item.expires_at
    );
}

/// The published detail of type `kind`.
fn detail_of<'a>(published: &'a [Value], kind: &str) -> &'a Value {
    published
        .iter()
        .find(|d| d["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {published:?}"))
}

#[tokio::test]
async fn seed_categories_are_stored_and_published() {
    let fx = Fixture::new().await;
    let before = now_secs();
    let answer = fx
        .post_events(SEED_KEY, &seed_categories(), &fx.keys.token(Signer::Writer))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.json(), json!({"status": "202 Accepted"}));

    let items = fx.conversation_items(ORG_A, SEED_KEY).await;
    let stored: Vec<_> = items
        .iter()
        .map(|i| (i.signal_type.as_str(), i.value.as_str(), i.start_time))
        .collect();
    assert_eq!(
        stored,
        [
            (CATEGORY, "OrderStatusCheckingHelp", 1573503300),
            (CATEGORY, "CustomerAngry", 1573503450)
        ]
    );
    for item in &items {
        assert_eq!(item.org_id, ORG_A);
        assert_eq!(item.vendor_call_key, SEED_KEY);
        assert_eq!(item.conversation_key, SEED_KEY);
        assert_eq!(item.service, "AmazonConnectContactLens");
        assert_eq!(
            (item.participant.as_deref(), item.score, item.sentiment),
            (None, None, None)
        );
        assert_eq!(
            (item.provider.as_deref(), item.details.as_ref()),
            (None, None)
        );
        assert_retention(item, before);
    }

    let published = fx.published().await;
    assert_eq!(published.len(), 2, "{published:?}");
    for (detail, (value, start)) in published.iter().zip([
        ("OrderStatusCheckingHelp", 1573503300),
        ("CustomerAngry", 1573503450),
    ]) {
        assert_eq!(detail["tenant"], ORG_A);
        assert_eq!(detail["vendorCallKey"], SEED_KEY);
        assert_eq!(detail["conversationKey"], SEED_KEY);
        assert_eq!(detail["service"], "AmazonConnectContactLens");
        assert_eq!(detail["persist"], true);
        assert_eq!(detail["type"], CATEGORY);
        assert_eq!(detail["value"], value, "a category's value is a string");
        assert_eq!(detail["startTime"], start);
        assert!(
            detail["eventKey"].as_str().is_some_and(|k| !k.is_empty()),
            "{detail}"
        );
        for absent in ["score", "participant", "details", "provider"] {
            assert!(detail.get(absent).is_none(), "{absent} in {detail}");
        }
    }
}

#[tokio::test]
async fn seed_sentiment_without_persist_is_published_not_stored() {
    let fx = Fixture::new().await;
    let answer = fx
        .post_events(SEED_KEY, &seed_sentiment(), &fx.keys.token(Signer::Writer))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.json(), json!({"status": "202 Accepted"}));

    assert_eq!(
        fx.conversation_items(ORG_A, SEED_KEY).await,
        [],
        "persist:false stores nothing"
    );
    let published = fx.published().await;
    assert_eq!(published.len(), 1, "{published:?}");
    let detail = &published[0];
    assert_eq!(detail["tenant"], ORG_A);
    assert_eq!(detail["vendorCallKey"], SEED_KEY);
    assert_eq!(detail["conversationKey"], SEED_KEY);
    assert_eq!(detail["service"], "CxoneAgentAssistService");
    assert_eq!(detail["persist"], false);
    assert_eq!(detail["type"], SENTIMENT);
    assert!(
        detail["value"].is_number(),
        "a sentiment is published as a JSON number: {detail}"
    );
    assert_eq!(detail["value"].as_f64(), Some(400.13));
    assert_eq!(detail["startTime"], 16898867880000u64);
    assert_eq!(detail["score"].as_f64(), Some(10.0));
    assert_eq!(detail["participant"], "CUSTOMER");
    assert!(
        detail["eventKey"].as_str().is_some_and(|k| !k.is_empty()),
        "{detail}"
    );
    assert!(
        detail.get("details").is_none() && detail.get("provider").is_none(),
        "{detail}"
    );
}

/// What the official Amazon Connect Lambda sends: millisecond times, a Contact Lens point of
/// interest in `details`, its provider header, and a token without `aud`.
fn amazon_connect_body(persist: bool) -> Value {
    let details = json!({"BeginOffsetMillis": 11000, "EndOffsetMillis": 14250});
    json!({"service": "AmazonConnectContactLens", "persist": persist, "events": [
        {"type": SENTIMENT, "value": "-512.5", "startTime": 1795276812345u64, "participant": "CUSTOMER", "details": details},
        {"type": CATEGORY, "value": "CustomerAngry", "startTime": 1795276812345u64, "score": "980",
         "participant": "CUSTOMER", "details": details}]})
}

async fn post_as_amazon_connect(fx: &Fixture, body: &Value) -> testkit::Answer {
    let token = fx.keys.token(Signer::Writer);
    let mut claims: Vec<_> = testkit::TestKeys::claims(Signer::Writer)
        .keys()
        .cloned()
        .collect();
    claims.sort();
    assert_eq!(
        claims,
        ["exp", "iat", "iss", "jti", "sub"],
        "the default token is the Amazon Connect one"
    );
    let request = fx
        .http
        .post(format!("{}{}", fx.base_url, events_path(SEED_KEY)))
        .header("content-type", JSON)
        .header("authorization", format!("Bearer {token}"))
        .header("Telephony-Provider-Name", "amazon-connect")
        .body(body.to_string());
    fx.send(request).await
}

#[tokio::test]
async fn amazon_connect_shape_is_published_with_provider_and_details() {
    let fx = Fixture::new().await;
    let answer = post_as_amazon_connect(&fx, &amazon_connect_body(false)).await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.json(), json!({"status": "202 Accepted"}));

    assert_eq!(
        fx.conversation_items(ORG_A, SEED_KEY).await,
        [],
        "persist:false stores nothing"
    );
    let published = fx.published().await;
    assert_eq!(published.len(), 2, "{published:?}");
    for detail in &published {
        assert_eq!(detail["provider"], "amazon-connect");
        assert_eq!(detail["persist"], false);
        assert_eq!(detail["service"], "AmazonConnectContactLens");
        assert_eq!(
            detail["startTime"], 1795276812345u64,
            "milliseconds kept as given"
        );
        assert_eq!(detail["participant"], "CUSTOMER");
        assert_eq!(
            detail["details"],
            json!({"BeginOffsetMillis": 11000, "EndOffsetMillis": 14250})
        );
    }
    let sentiment = detail_of(&published, SENTIMENT);
    assert_eq!(sentiment["value"].as_f64(), Some(-512.5));
    assert!(sentiment.get("score").is_none(), "{sentiment}");
    let category = detail_of(&published, CATEGORY);
    assert_eq!(category["value"], "CustomerAngry");
    assert_eq!(
        category["score"].as_f64(),
        Some(980.0),
        "a score given as a string is published as a number"
    );
}

#[tokio::test]
async fn amazon_connect_shape_with_persist_stores_provider_and_details() {
    let fx = Fixture::new().await;
    let before = now_secs();
    let answer = post_as_amazon_connect(&fx, &amazon_connect_body(true)).await;
    assert_eq!(answer.status, 202, "{}", answer.body);

    let items = fx.conversation_items(ORG_A, SEED_KEY).await;
    assert_eq!(items.len(), 2, "{items:?}");
    for item in &items {
        assert_eq!(item.provider.as_deref(), Some("amazon-connect"));
        assert_eq!(
            item.details,
            Some(json!({"BeginOffsetMillis": 11000, "EndOffsetMillis": 14250}))
        );
        assert_eq!(item.start_time, 1795276812345);
        assert_eq!(item.participant.as_deref(), Some("CUSTOMER"));
        assert_retention(item, before);
    }
    let sentiment = items
        .iter()
        .find(|i| i.signal_type == SENTIMENT)
        .expect("the sentiment is stored");
    assert_eq!(
        (
            sentiment.value.as_str(),
            sentiment.sentiment,
            sentiment.score
        ),
        ("-512.50", Some(-512.5), None)
    );
    let category = items
        .iter()
        .find(|i| i.signal_type == CATEGORY)
        .expect("the category is stored");
    assert_eq!(
        (category.value.as_str(), category.sentiment, category.score),
        ("CustomerAngry", None, Some(980.0))
    );

    let published = fx.published().await;
    assert_eq!(
        published.len(),
        2,
        "persisted events are published too: {published:?}"
    );
    assert!(
        published
            .iter()
            .all(|d| d["persist"] == true && d["provider"] == "amazon-connect"),
        "{published:?}"
    );
}
