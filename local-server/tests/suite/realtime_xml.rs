//! The real-time route spoken in XML (CONTRACT §2, §5): the same events as JSON give the same
//! result, answers and errors come back in XML, and no DOCTYPE is ever read.

use serde_json::Value;
use shared::store::items::SignalItem;
use testkit::keys::Signer;
use testkit::realtime::{events_path, fresh_key, seed_categories, seed_sentiment, SEED_KEY, XML};
use testkit::{Answer, Fixture, ORG_A};

const SEED_CATEGORIES_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<request>
  <service>AmazonConnectContactLens</service>
  <events><type>IntelligenceSignal__Category</type><value>OrderStatusCheckingHelp</value><startTime>1573503300</startTime></events>
  <events><type>IntelligenceSignal__Category</type><value>CustomerAngry</value><startTime>1573503450</startTime></events>
</request>"#;

const SEED_SENTIMENT_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<request>
  <service>CxoneAgentAssistService</service>
  <persist>false</persist>
  <events>
    <type>IntelligenceSignal__Sentiment</type>
    <value>400.13</value>
    <startTime>16898867880000</startTime>
    <score>10</score>
    <participant>CUSTOMER</participant>
  </events>
</request>"#;

async fn post_xml(fx: &Fixture, key: &str, body: &str) -> Answer {
    fx.post(
        &events_path(key),
        Some(XML),
        body,
        Some(&fx.keys.token(Signer::Writer)),
    )
    .await
}

/// A stored item with what depends on the conversation and the moment cleared.
fn comparable(mut item: SignalItem) -> SignalItem {
    item.pk.clear();
    // The identity in the sort key is unique per conversation.
    item.sk.truncate("SIG#".len() + 20);
    item.vendor_call_key.clear();
    item.conversation_key.clear();
    item.received_at = 0;
    item.expires_at = 0;
    item
}

/// A published detail with what depends on the conversation cleared.
fn comparable_detail(mut detail: Value) -> Value {
    detail["eventKey"] = Value::Null;
    detail["vendorCallKey"] = Value::Null;
    detail["conversationKey"] = Value::Null;
    detail
}

fn assert_xml_accepted(answer: &Answer) {
    answer.assert_xml(202);
    assert!(
        answer.body.contains("<status>202 Accepted</status>"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn xml_seed_categories_are_stored_and_published_as_json_ones_are() {
    let fx = Fixture::new().await;
    let json_key = fresh_key();
    let answer = fx
        .post_events(
            &json_key,
            &seed_categories(),
            &fx.keys.token(Signer::Writer),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let json_published = fx.published().await;

    assert_xml_accepted(&post_xml(&fx, SEED_KEY, SEED_CATEGORIES_XML).await);
    let xml_items = fx.conversation_items(ORG_A, SEED_KEY).await;
    assert_eq!(xml_items.len(), 2, "{xml_items:?}");
    assert!(xml_items.iter().all(|i| i.vendor_call_key == SEED_KEY));
    let json_items = fx.conversation_items(ORG_A, &json_key).await;
    assert_eq!(
        xml_items.into_iter().map(comparable).collect::<Vec<_>>(),
        json_items.into_iter().map(comparable).collect::<Vec<_>>()
    );
    let xml_published = fx.published().await;
    assert_eq!(xml_published.len(), 2, "{xml_published:?}");
    assert!(xml_published.iter().all(|d| d["vendorCallKey"] == SEED_KEY));
    assert_eq!(
        xml_published
            .into_iter()
            .map(comparable_detail)
            .collect::<Vec<_>>(),
        json_published
            .into_iter()
            .map(comparable_detail)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn xml_seed_sentiment_without_persist_is_published_as_json_is() {
    let fx = Fixture::new().await;
    let json_key = fresh_key();
    let answer = fx
        .post_events(&json_key, &seed_sentiment(), &fx.keys.token(Signer::Writer))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let json_published = fx.published().await;
    assert_eq!(json_published.len(), 1);

    assert_xml_accepted(&post_xml(&fx, SEED_KEY, SEED_SENTIMENT_XML).await);
    assert_eq!(
        fx.conversation_items(ORG_A, SEED_KEY).await,
        [],
        "persist false (as XML text) stores nothing"
    );
    let xml_published = fx.published().await;
    assert_eq!(xml_published.len(), 1, "{xml_published:?}");
    assert_eq!(xml_published[0]["persist"], false);
    assert_eq!(
        xml_published[0]["value"].as_f64(),
        Some(400.13),
        "{}",
        xml_published[0]
    );
    assert_eq!(
        comparable_detail(xml_published[0].clone()),
        comparable_detail(json_published[0].clone())
    );
}

#[tokio::test]
async fn xml_validation_errors_are_xml_and_name_every_field() {
    let fx = Fixture::new().await;
    let key = fresh_key();
    let body = "<request><service></service>\
        <events><type>Bogus</type><value>x</value><startTime>-1</startTime></events></request>";
    let answer = post_xml(&fx, &key, body).await;
    answer.assert_xml(400);
    assert!(
        answer.body.contains("<Errors") && answer.body.contains("<Error>"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("<errorCode>") && answer.body.contains("<message>"),
        "{}",
        answer.body
    );
    let mut fields = answer.xml_error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["events[0].startTime", "events[0].type", "service"],
        "{}",
        answer.body
    );
    fx.assert_untouched("xml validation", &key).await;
}

#[tokio::test]
async fn xml_with_a_doctype_is_refused_without_reading_it() {
    let fx = Fixture::new().await;
    let events = "<events><type>IntelligenceSignal__Category</type><value>A</value><startTime>1</startTime></events>";
    let cases = [
        ("plain doctype", format!("<?xml version=\"1.0\"?><!DOCTYPE request><request><service>s</service>{events}</request>")),
        (
            "external entity",
            format!(
                "<?xml version=\"1.0\"?><!DOCTYPE request [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\
                 <request><service>&xxe;</service>{events}</request>"
            ),
        ),
        (
            "entity expansion",
            format!(
                "<?xml version=\"1.0\"?><!DOCTYPE request [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>\
                 <request><service>&b;</service>{events}</request>"
            ),
        ),
    ];
    for (case, body) in cases {
        let key = fresh_key();
        let answer = post_xml(&fx, &key, &body).await;
        assert_eq!(answer.status, 400, "{case}: {}", answer.body);
        assert!(
            answer
                .body
                .contains("<errorCode>XML_PARSER_ERROR</errorCode>"),
            "{case}: {}",
            answer.body
        );
        assert!(
            !answer.body.contains("root:"),
            "{case}: an entity was read: {}",
            answer.body
        );
        fx.assert_untouched(case, &key).await;
    }
}

#[tokio::test]
async fn malformed_xml_is_400() {
    let fx = Fixture::new().await;
    let cases = [
        ("unclosed root", "<request><service>s</service>"),
        (
            "mismatched end tag",
            "<request><service>s</servce></request>",
        ),
        ("two roots", "<request/><request/>"),
        ("text outside the root", "hello <request/>"),
        (
            "unknown entity",
            "<request><service>&nope;</service></request>",
        ),
        ("empty body", ""),
    ];
    for (case, body) in cases {
        let key = fresh_key();
        let answer = post_xml(&fx, &key, body).await;
        assert_eq!(answer.status, 400, "{case}: {}", answer.body);
        assert!(
            answer
                .body
                .contains("<errorCode>XML_PARSER_ERROR</errorCode>"),
            "{case}: {}",
            answer.body
        );
        fx.assert_untouched(case, &key).await;
    }
}
