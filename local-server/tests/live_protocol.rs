//! The live channel's protocol (CONTRACT §6) against the local server: subscribe errors, every
//! kind of write pushed to subscribers, legs of one conversation, unsubscribe, the idle close,
//! many connections on one conversation, and dead connections removed.

use std::time::Duration;

use serde_json::{json, Value};
use shared::bus::{BusEvent, EventPublisher, ANALYSED_DETAIL_TYPE};
use shared::live::{Subscription, Subscriptions};
use shared::model::{ConversationKey, OrgId};
use testkit::keys::Signer;
use testkit::live::{LiveClient, Received};
use testkit::realtime::{body_of, category, events_path, fresh_key, sentiment, JSON};
use testkit::telephony::{
    inbound_call, message, messages_path, post_call_of, post_call_path, post_call_sentiment,
    transfer_call, T0,
};
use testkit::{Fixture, ORG_A};

/// A recorded call of org A and a console token that may read it.
async fn recorded_call(fx: &Fixture) -> (String, String) {
    let key = fresh_key();
    let id = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    (key, id)
}

fn reader(fx: &Fixture) -> String {
    fx.keys.token(Signer::Reader)
}

async fn expect_error(client: &mut LiveClient, token: &str, record_id: &str, code: &str) {
    let answer = client.subscribe(token, record_id).await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(answer["errorCode"], code, "{answer}");
    assert!(
        !answer.to_string().contains(token),
        "the token is never echoed"
    );
}

#[tokio::test]
async fn subscribe_errors_leave_the_connection_open() {
    let fx = Fixture::new().await;
    let (key, id) = recorded_call(&fx).await;
    let mut client = LiveClient::connect(&fx).await;

    expect_error(&mut client, "not-a-jwt", &key, "INVALID_SESSION_ID").await;
    // The writer's key has events:write only.
    let writer = fx.keys.token(Signer::Writer);
    expect_error(&mut client, &writer, &key, "INVALID_SESSION_ID").await;
    let stranger = fx.keys.token(Signer::Stranger);
    expect_error(&mut client, &stranger, &key, "INVALID_SESSION_ID").await;
    // Org B sees org A's call exactly as a call that does not exist.
    let tenant_b = fx.keys.token(Signer::TenantB);
    expect_error(&mut client, &tenant_b, &key, "NOT_FOUND").await;
    expect_error(&mut client, &tenant_b, &id, "NOT_FOUND").await;
    expect_error(&mut client, &reader(&fx), &fresh_key(), "NOT_FOUND").await;
    expect_error(&mut client, &reader(&fx), "0LQ000000000001AAA", "NOT_FOUND").await;

    client
        .send(json!({"action": "subscribe", "token": reader(&fx)}))
        .await;
    let answer = client.recv().await;
    assert_eq!(answer["errorCode"], "INVALID_FIELD", "{answer}");
    client.send(json!({"action": "dance"})).await;
    assert_eq!(client.recv().await["errorCode"], "INVALID_FIELD");
    client.send(json!("not an object")).await;
    assert_eq!(client.recv().await["errorCode"], "INVALID_FIELD");

    // Still open: the right token subscribes, by vendorCallKey and by voiceCallId.
    let answer = client.subscribed(&reader(&fx), &key).await;
    assert_eq!(answer["recordId"], key.as_str());
    assert_eq!(answer["conversationKey"], key.as_str());
    assert_eq!(answer["alertCategories"], json!(["Competitor"]));
    let answer = client.subscribed(&reader(&fx), &id).await;
    assert_eq!(answer["conversationKey"], key.as_str());
    // Org B subscribes to its own calls.
    let b_key = fresh_key();
    fx.record_call(Signer::TenantB, &inbound_call(&b_key)).await;
    let answer = client.subscribed(&tenant_b, &b_key).await;
    assert_eq!(answer["alertCategories"], json!([]));
}

/// Receives until a message of `kind` arrives (skipping others); panics after the wait.
async fn until(client: &mut LiveClient, kind: &str) -> Value {
    loop {
        let m = client.recv().await;
        if m["type"] == kind {
            return m;
        }
    }
}

#[tokio::test]
async fn every_kind_of_write_is_pushed_with_its_type() {
    let fx = Fixture::new().await;
    let (key, id) = recorded_call(&fx).await;
    let mut client = LiveClient::connect(&fx).await;
    client.subscribed(&reader(&fx), &key).await;
    let writer = |fx: &Fixture| fx.keys.token(Signer::Writer);

    // Real-time signals, persisted and not.
    let answer = fx
        .post(
            &events_path(&key),
            Some(JSON),
            body_of(vec![
                category("CustomerAngry", 1_795_449_601),
                sentiment(json!(-620), 1_795_449_602, "CUSTOMER"),
            ])
            .to_string(),
            Some(&writer(&fx)),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let m = client.recv().await;
    assert_eq!(m["type"], "IntelligenceSignal");
    assert_eq!(m["signalType"], "IntelligenceSignal__Category");
    assert_eq!(m["value"], "CustomerAngry");
    assert_eq!(m["tenant"], ORG_A);
    assert_eq!(m["conversationKey"], key.as_str());
    assert_eq!(m["persist"], true);
    let m = client.recv().await;
    assert_eq!(m["signalType"], "IntelligenceSignal__Sentiment");
    assert_eq!(m["value"], -620.0);
    assert_eq!(m["participant"], "CUSTOMER");

    let mut not_persisted = body_of(vec![sentiment(json!(120), 1_795_449_603, "AGENT")]);
    not_persisted["persist"] = json!(false);
    let answer = fx
        .post(
            &events_path(&key),
            Some(JSON),
            not_persisted.to_string(),
            Some(&writer(&fx)),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let m = client.recv().await;
    assert_eq!(
        (m["type"].as_str(), m["persist"].as_bool()),
        (Some("IntelligenceSignal"), Some(false))
    );

    // A transcript entry.
    let answer = fx
        .post_json_as(
            Signer::Writer,
            &messages_path(&key),
            &message("m1", 1000, 4000, "I am calling about my order", "END_USER"),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    let m = client.recv().await;
    assert_eq!(m["type"], "TranscriptEntry");
    assert_eq!(m["messageId"], "m1");
    assert_eq!(m["content"], "I am calling about my order");
    assert_eq!(m["senderType"], "END_USER");
    assert_eq!(m["startTime"], T0 + 1000);

    // A call update, a routing request, post-call sentiment, the end of the call.
    let answer = fx
        .send(
            fx.http
                .patch(format!("{}/telephony/v1/voiceCalls/{id}", fx.base_url))
                .header("authorization", format!("Bearer {}", writer(&fx)))
                .header("content-type", JSON)
                .body(json!({"queue": "Billing"}).to_string()),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let m = client.recv().await;
    assert_eq!(m["type"], "VoiceCallChanged");
    assert_eq!(m["change"], "updated");
    assert_eq!(m["voiceCallId"], id.as_str());

    let answer = fx
        .post_json_as(
            Signer::Writer,
            &format!("/telephony/v1/voiceCalls/{key}/routeVoiceCall"),
            &json!({"routingTarget": "Sales"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let m = client.recv().await;
    assert_eq!(m["type"], "RoutingRequest");
    assert_eq!(m["operation"], "routeVoiceCall");

    let answer = fx
        .post_json_as(
            Signer::Writer,
            &post_call_path(&key),
            &post_call_of(vec![post_call_sentiment(
                json!(-300),
                0,
                60_000,
                "CUSTOMER",
            )]),
        )
        .await;
    assert!(answer.status < 300, "{}", answer.body);
    let m = until(&mut client, "PostCallSentiment").await;
    assert_eq!(m["participant"], "CUSTOMER");
    assert!(m.get("signalType").is_some(), "{m}");

    let answer = fx
        .send(
            fx.http
                .patch(format!("{}/telephony/v1/voiceCalls/{key}", fx.base_url))
                .header("authorization", format!("Bearer {}", writer(&fx)))
                .header("content-type", JSON)
                .body(json!({"endTime": "2026-11-23T16:10:00Z"}).to_string()),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        until(&mut client, "VoiceCallChanged").await["change"],
        "ended"
    );

    // A stored analysis, published on the same bus by the analysis.
    let detail = json!({"tenant": ORG_A, "conversationKey": key, "vendorCallKey": key});
    fx.app
        .telephony
        .bus
        .publish(vec![BusEvent::new(ANALYSED_DETAIL_TYPE, &detail).unwrap()])
        .await
        .unwrap();
    let m = client.recv().await;
    assert_eq!(m["type"], "ConversationAnalysed");
    assert_eq!(m["conversationKey"], key.as_str());

    // Every message was also on the bus, once.
    let published = fx.published_events().await;
    assert_eq!(published.len(), 10, "{published:?}");
}

#[tokio::test]
async fn every_leg_of_a_conversation_reaches_its_subscribers() {
    let fx = Fixture::new().await;
    let (first_key, first_id) = recorded_call(&fx).await;
    let second_key = fresh_key();
    let second_id = fx
        .record_call(Signer::Writer, &transfer_call(&second_key, &first_id))
        .await;
    // Subscribed by the transfer leg's id, and by the first leg's key.
    let mut by_leg = LiveClient::connect(&fx).await;
    let answer = by_leg.subscribed(&reader(&fx), &second_id).await;
    assert_eq!(answer["conversationKey"], first_key.as_str());
    let mut by_first = LiveClient::connect(&fx).await;
    by_first.subscribed(&reader(&fx), &first_key).await;

    for (key, text) in [
        (&second_key, "after the transfer"),
        (&first_key, "first leg"),
    ] {
        let answer = fx
            .post_json_as(
                Signer::Writer,
                &messages_path(key),
                &message(&fresh_key(), 1000, 2000, text, "HUMAN_AGENT"),
            )
            .await;
        assert_eq!(answer.status, 202, "{}", answer.body);
        for client in [&mut by_leg, &mut by_first] {
            let m = client.recv().await;
            assert_eq!(m["content"], text);
            assert_eq!(m["conversationKey"], first_key.as_str());
            assert_eq!(m["vendorCallKey"], key.as_str());
        }
    }
}

async fn post_signal(fx: &Fixture, key: &str, value: &str) {
    let answer = fx
        .post(
            &events_path(key),
            Some(JSON),
            body_of(vec![category(value, 1_795_449_601)]).to_string(),
            Some(&fx.keys.token(Signer::Writer)),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
}

#[tokio::test]
async fn one_connection_holds_several_subscriptions_and_unsubscribes_one() {
    let fx = Fixture::new().await;
    let (a, a_id) = recorded_call(&fx).await;
    let (b, _) = recorded_call(&fx).await;
    let mut client = LiveClient::connect(&fx).await;
    client.subscribed(&reader(&fx), &a).await;
    client.subscribed(&reader(&fx), &a_id).await;
    client.subscribed(&reader(&fx), &b).await;

    post_signal(&fx, &a, "OnA").await;
    assert_eq!(client.recv().await["value"], "OnA");
    post_signal(&fx, &b, "OnB").await;
    assert_eq!(client.recv().await["value"], "OnB");

    // Two ids of call A: it stays subscribed until both are unsubscribed.
    client
        .send(json!({"action": "unsubscribe", "recordId": a}))
        .await;
    assert_eq!(
        client.recv().await,
        json!({"type": "unsubscribed", "recordId": a})
    );
    post_signal(&fx, &a, "StillA").await;
    assert_eq!(client.recv().await["value"], "StillA");
    client
        .send(json!({"action": "unsubscribe", "recordId": a_id}))
        .await;
    assert_eq!(client.recv().await["type"], "unsubscribed");
    post_signal(&fx, &a, "NotDelivered").await;
    post_signal(&fx, &b, "OnlyB").await;
    assert_eq!(client.recv().await["value"], "OnlyB");
    client.assert_quiet(Duration::from_millis(300)).await;
    // Unsubscribing what was never subscribed is answered the same.
    client
        .send(json!({"action": "unsubscribe", "recordId": "nothing"}))
        .await;
    assert_eq!(client.recv().await["type"], "unsubscribed");
}

#[tokio::test]
async fn connections_that_do_not_subscribe_are_closed() {
    assert_eq!(
        Fixture::new().await.app.live.idle,
        Duration::from_secs(30),
        "the contract's 30 s"
    );
    let fx = Fixture::with_live_idle(Duration::from_millis(800)).await;
    let (key, _) = recorded_call(&fx).await;
    let mut idle = LiveClient::connect(&fx).await;
    let mut refused = LiveClient::connect(&fx).await;
    let mut subscribed = LiveClient::connect(&fx).await;
    expect_error(&mut refused, "not-a-jwt", &key, "INVALID_SESSION_ID").await;
    subscribed.subscribed(&reader(&fx), &key).await;

    let started = std::time::Instant::now();
    assert!(matches!(
        idle.next(Duration::from_secs(5)).await,
        Received::Closed
    ));
    assert!(started.elapsed() < Duration::from_secs(2));
    // A refused subscription is no subscription.
    assert!(matches!(
        refused.next(Duration::from_secs(5)).await,
        Received::Closed
    ));
    // The subscribed one stays open and keeps receiving.
    subscribed.assert_quiet(Duration::from_millis(500)).await;
    post_signal(&fx, &key, "StillOpen").await;
    assert_eq!(subscribed.recv().await["value"], "StillOpen");
    assert_eq!(fx.app.live.connections.len(), 1);
}

#[tokio::test]
async fn many_connections_on_one_conversation_each_get_every_event() {
    let fx = Fixture::new().await;
    let (key, _) = recorded_call(&fx).await;
    let mut clients = Vec::new();
    for _ in 0..25 {
        let mut client = LiveClient::connect(&fx).await;
        client.subscribed(&reader(&fx), &key).await;
        clients.push(client);
    }
    post_signal(&fx, &key, "First").await;
    post_signal(&fx, &key, "Second").await;
    for client in &mut clients {
        assert_eq!(client.recv().await["value"], "First");
        assert_eq!(client.recv().await["value"], "Second");
    }
}

/// The subscription items of a conversation, read from the table.
async fn subscription_items(fx: &Fixture, key: &str) -> Vec<Value> {
    let store = &fx.app.live.app.subscriptions;
    store
        .subscribers(&OrgId::new(ORG_A), &ConversationKey::stored(key.to_owned()))
        .await
        .unwrap()
        .into_iter()
        .map(Value::String)
        .collect()
}

async fn eventually_subscribers(fx: &Fixture, key: &str, expected: usize) {
    for _ in 0..100 {
        if subscription_items(fx, key).await.len() == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "subscribers of {key}: {:?}, expected {expected}",
        subscription_items(fx, key).await
    );
}

#[tokio::test]
async fn dead_connections_are_removed() {
    let fx = Fixture::new().await;
    let (key, _) = recorded_call(&fx).await;
    let mut alive = LiveClient::connect(&fx).await;
    alive.subscribed(&reader(&fx), &key).await;
    let mut crashed = LiveClient::connect(&fx).await;
    crashed.subscribed(&reader(&fx), &key).await;
    eventually_subscribers(&fx, &key, 2).await;

    // A browser that vanished without a close frame: its subscription goes with it.
    crashed.abort();
    eventually_subscribers(&fx, &key, 1).await;

    // A subscription whose connection no longer exists anywhere (a server that died): found
    // gone at the first delivery, and removed with everything of that connection.
    let org = OrgId::new(ORG_A);
    let conversation = ConversationKey::stored(key.clone());
    let store = &fx.app.live.app.subscriptions;
    store
        .subscribe(Subscription {
            org: &org,
            conversation: &conversation,
            record_id: &key,
            connection: "ghost",
            now: shared::clock::now_secs(),
        })
        .await
        .unwrap();
    eventually_subscribers(&fx, &key, 2).await;
    post_signal(&fx, &key, "ToTheLiving").await;
    assert_eq!(alive.recv().await["value"], "ToTheLiving");
    eventually_subscribers(&fx, &key, 1).await;
    assert!(
        fx.item("LIVECONN#ghost", &format!("SUB#{key}"))
            .await
            .is_none(),
        "the ghost's index is gone too"
    );

    // Org B's subscriptions are apart: nothing of org A reaches them.
    let b_key = fresh_key();
    fx.record_call(Signer::TenantB, &inbound_call(&b_key)).await;
    let mut b = LiveClient::connect(&fx).await;
    b.subscribed(&fx.keys.token(Signer::TenantB), &b_key).await;
    post_signal(&fx, &key, "OrgAOnly").await;
    assert_eq!(alive.recv().await["value"], "OrgAOnly");
    b.assert_quiet(Duration::from_millis(300)).await;
}
