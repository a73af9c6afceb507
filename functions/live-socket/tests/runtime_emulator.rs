//! The live-socket binary under the Lambda runtime interface emulator, fed the API Gateway
//! WebSocket events of `events/` (`$connect`, `subscribe`, `unsubscribe`, `$default`,
//! `$disconnect`): the answers the route responses send back, and what the table keeps.

use std::path::Path;

use serde_json::Value;
use testkit::events::{self, TOKEN_PLACEHOLDER};
use testkit::keys::Signer;
use testkit::realtime::SEED_KEY;
use testkit::rie::Rie;
use testkit::telephony::inbound_call;
use testkit::Fixture;

const CONNECTION: &str = "L0SM9cOFvHcCIhw=";

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_live-socket"))
}

fn event(name: &str, token: &str) -> Value {
    events::load_with(
        name,
        &[
            (TOKEN_PLACEHOLDER, token),
            ("{{CONNECTION_ID}}", CONNECTION),
        ],
    )
}

/// The message a route response carries back to the client.
async fn answer(rie: &Rie, name: &str, token: &str) -> Value {
    let answer = rie.invoke(&event(name, token)).await;
    assert_eq!(answer["statusCode"], 200, "{name}: {answer}");
    serde_json::from_str(answer["body"].as_str().expect("a body")).expect("JSON body")
}

#[tokio::test]
async fn a_connection_subscribes_unsubscribes_and_leaves_nothing_behind() {
    let fx = Fixture::new().await;
    fx.record_call(Signer::Writer, &inbound_call(SEED_KEY))
        .await;
    let rie = Rie::start(bootstrap(), &fx.function_env());
    let reader = fx.keys.token(Signer::Reader);
    let sub_pk = format!("00DHs00000Kmpyr#LIVE#{SEED_KEY}");
    let sub_sk = format!("CONN#{CONNECTION}");

    let connected = rie.invoke(&event("live-socket-connect", "")).await;
    assert_eq!(connected["statusCode"], 200, "{connected}");
    assert!(
        fx.item("LIVE#IDLE", CONNECTION).await.is_some(),
        "idle until it subscribes"
    );

    let refused = answer(&rie, "live-socket-subscribe", "not-a-jwt").await;
    assert_eq!(refused["errorCode"], "INVALID_SESSION_ID");
    let other_tenant = answer(
        &rie,
        "live-socket-subscribe",
        &fx.keys.token(Signer::TenantB),
    )
    .await;
    assert_eq!(other_tenant["errorCode"], "NOT_FOUND");
    assert_eq!(
        answer(&rie, "live-socket-default", "").await["errorCode"],
        "INVALID_FIELD"
    );

    let subscribed = answer(&rie, "live-socket-subscribe", &reader).await;
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");
    assert_eq!(subscribed["conversationKey"], SEED_KEY);
    assert!(fx.item(&sub_pk, &sub_sk).await.is_some());
    assert!(fx.item("LIVE#IDLE", CONNECTION).await.is_none());

    let unsubscribed = answer(&rie, "live-socket-unsubscribe", "").await;
    assert_eq!(unsubscribed["type"], "unsubscribed");
    assert!(fx.item(&sub_pk, &sub_sk).await.is_none());

    answer(&rie, "live-socket-subscribe", &reader).await;
    let gone = rie.invoke(&event("live-socket-disconnect", "")).await;
    assert_eq!(gone["statusCode"], 200);
    assert!(fx.item(&sub_pk, &sub_sk).await.is_none());
    assert!(fx
        .item(
            &format!("LIVECONN#{CONNECTION}"),
            &format!("SUB#{SEED_KEY}")
        )
        .await
        .is_none());
}
