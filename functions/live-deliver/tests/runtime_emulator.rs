//! The live-deliver binary under the Lambda runtime interface emulator, fed the bus events of
//! `events/`, posting through a stand-in of the API Gateway management API (testkit) that
//! answers `410 GoneException` for a gone connection.

use std::path::Path;

use serde_json::{json, Value};
use shared::live::{Subscription, Subscriptions};
use shared::model::{ConversationKey, OrgId};
use testkit::events;
use testkit::management_api::ManagementApi;
use testkit::realtime::SEED_KEY;
use testkit::rie::Rie;
use testkit::{Fixture, ORG_A};

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_live-deliver"))
}

async fn start(fx: &Fixture, api: &ManagementApi) -> Rie {
    let mut env = fx.function_env();
    env.push(("LIVE_CONNECTIONS_URL".into(), api.url.clone()));
    Rie::start(bootstrap(), &env)
}

async fn subscribe(fx: &Fixture, connection: &str) {
    let org = OrgId::new(ORG_A);
    let conversation = ConversationKey::stored(SEED_KEY.to_owned());
    fx.app
        .live
        .app
        .subscriptions
        .subscribe(Subscription {
            org: &org,
            conversation: &conversation,
            record_id: SEED_KEY,
            connection,
            now: shared::clock::now_secs(),
        })
        .await
        .expect("subscribed");
}

async fn subscribers(fx: &Fixture) -> Vec<String> {
    let mut all = fx
        .app
        .live
        .app
        .subscriptions
        .subscribers(
            &OrgId::new(ORG_A),
            &ConversationKey::stored(SEED_KEY.to_owned()),
        )
        .await
        .expect("query");
    all.sort();
    all
}

#[tokio::test]
async fn bus_events_reach_every_subscriber_and_gone_connections_are_removed() {
    let fx = Fixture::new().await;
    let api = ManagementApi::start().await;
    let rie = start(&fx, &api).await;
    for connection in ["alive-1", "alive-2", "gone-1"] {
        subscribe(&fx, connection).await;
    }
    api.make_gone("gone-1");

    let answer = rie.invoke(&events::load("live-deliver-signal", "")).await;
    assert_eq!(
        answer,
        json!({"skipped": 0, "delivered": 2, "gone": 1, "failed": 0, "queries": 1, "posts": 3}),
        "one Query for the subscribers, one post per connection"
    );
    for connection in ["alive-1", "alive-2"] {
        let posted = api.posted_to(connection);
        assert_eq!(posted.len(), 1, "{connection}: {posted:?}");
        let message: Value = serde_json::from_str(&posted[0]).expect("JSON message");
        assert_eq!(message["type"], "IntelligenceSignal");
        assert_eq!(message["signalType"], "IntelligenceSignal__Sentiment");
        assert_eq!(message["value"], -620.0);
        assert_eq!(message["conversationKey"], SEED_KEY);
    }
    assert_eq!(subscribers(&fx).await, ["alive-1", "alive-2"]);
    assert!(fx
        .item("LIVECONN#gone-1", &format!("SUB#{SEED_KEY}"))
        .await
        .is_none());

    let answer = rie
        .invoke(&events::load("live-deliver-transcript", ""))
        .await;
    assert_eq!(answer["delivered"], 2, "{answer}");
    assert_eq!(answer["posts"], 2, "the gone connection is not tried again");
    let message: Value = serde_json::from_str(&api.posted_to("alive-1")[1]).expect("JSON message");
    assert_eq!(message["type"], "TranscriptEntry");
    assert_eq!(message["content"], "I want to cancel my order");
    // Exactly 2 + 1 + 2 PostToConnection calls reached the API.
    assert_eq!(api.calls().len(), 5);
}

#[tokio::test]
async fn events_it_cannot_route_are_answered_not_retried() {
    let fx = Fixture::new().await;
    let api = ManagementApi::start().await;
    let rie = start(&fx, &api).await;
    subscribe(&fx, "alive-1").await;
    let mut event = events::load("live-deliver-signal", "");
    event["detail"]
        .as_object_mut()
        .expect("detail")
        .remove("tenant");
    let answer = rie.invoke(&event).await;
    assert_eq!(answer["skipped"], 1, "{answer}");
    event["detail-type"] = json!("SomethingElse");
    assert_eq!(rie.invoke(&event).await["skipped"], 1);
    assert!(api.calls().is_empty());
}

#[tokio::test]
async fn the_schedule_closes_connections_idle_for_30_seconds() {
    let fx = Fixture::new().await;
    let api = ManagementApi::start().await;
    let rie = start(&fx, &api).await;
    let store = &fx.app.live.app.subscriptions;
    let now = shared::clock::now_secs();
    store.connected("idle-old", now - 31).await.unwrap();
    store.connected("idle-new", now).await.unwrap();
    store.connected("subscribed-old", now - 120).await.unwrap();
    subscribe(&fx, "subscribed-old").await;

    let answer = rie.invoke(&events::load("live-deliver-sweep", "")).await;
    assert_eq!(answer, json!({"closedIdle": 1}));
    let calls = api.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        (calls[0].method.as_str(), calls[0].connection.as_str()),
        ("DELETE", "idle-old")
    );
    assert!(fx.item("LIVE#IDLE", "idle-old").await.is_none());
    assert!(fx.item("LIVE#IDLE", "idle-new").await.is_some());
}
