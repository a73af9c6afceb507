//! One customer call from start to end, as a telephony partner sends it (CONTRACT §0, §2): the
//! first leg's record, a transfer leg, transcript messages (single and bulk) and real-time
//! signals on both legs' keys, post-call sentiment on both — and one conversation holding it all,
//! once, in order.

use serde_json::{json, Value};
use testkit::keys::Signer;
use testkit::realtime::{body_of, category, events_path, fresh_key, sentiment};
use testkit::telephony::{
    bulk_entry, bulk_of, inbound_call, message, messages_path, of_type, post_call_of,
    post_call_path, post_call_sentiment, texts, transfer_call, BULK_MESSAGES_PATH, T0,
};
use testkit::{Fixture, ORG_A};

async fn send(fx: &Fixture, path: &str, body: &Value) {
    let answer = fx.post_json_as(Signer::Writer, path, body).await;
    assert_eq!(answer.status, 202, "{path}: {}", answer.body);
}

#[tokio::test]
async fn a_transferred_call_ends_up_in_one_conversation_once_and_in_order() {
    let fx = Fixture::new().await;
    let (first_key, second_key) = (fresh_key(), fresh_key());

    // The call arrives, and the partner records it.
    let first = fx
        .record_call(Signer::Writer, &inbound_call(&first_key))
        .await;
    send(
        &fx,
        &messages_path(&first_key),
        &message(
            "m1",
            0,
            2_000,
            "Thanks for calling, this is Ann",
            "HUMAN_AGENT",
        ),
    )
    .await;
    send(
        &fx,
        &events_path(&first_key),
        &body_of(vec![
            category("OrderStatusCheckingHelp", T0 + 2_500),
            sentiment(json!("-120.555"), T0 + 3_000, "CUSTOMER"),
        ]),
    )
    .await;
    // Bulk delivery catches up with the first leg's transcript, out of order.
    send(
        &fx,
        BULK_MESSAGES_PATH,
        &bulk_of(vec![bulk_entry(
            &first_key,
            vec![
                message(
                    "m3",
                    5_000,
                    7_000,
                    "Let me transfer you to billing",
                    "HUMAN_AGENT",
                ),
                message("m2", 2_500, 4_500, "My order never arrived", "END_USER"),
            ],
        )]),
    )
    .await;

    // Ann transfers the call: a second leg with a key of its own.
    let second = fx
        .record_call(Signer::Writer, &transfer_call(&second_key, &first))
        .await;
    assert_ne!(second, first);
    send(
        &fx,
        &messages_path(&second_key),
        &message(
            "m5",
            12_000,
            14_000,
            "I can refund that today",
            "HUMAN_AGENT",
        ),
    )
    .await;
    send(
        &fx,
        BULK_MESSAGES_PATH,
        &bulk_of(vec![
            bulk_entry(
                &second_key,
                vec![message(
                    "m6",
                    15_000,
                    16_000,
                    "Great, thank you",
                    "END_USER",
                )],
            ),
            bulk_entry(
                &second_key,
                vec![message(
                    "m4",
                    8_000,
                    11_000,
                    "Hi, billing here",
                    "HUMAN_AGENT",
                )],
            ),
        ]),
    )
    .await;
    send(
        &fx,
        &events_path(&second_key),
        &body_of(vec![
            category("CustomerAngry", T0 + 8_500),
            sentiment(json!(410), T0 + 15_500, "CUSTOMER"),
        ]),
    )
    .await;

    // After the call, sentiment per turn, for each leg.
    send(
        &fx,
        &post_call_path(&first_key),
        &post_call_of(vec![
            post_call_sentiment(json!(-300), 2_500, 4_500, "CUSTOMER"),
            post_call_sentiment(json!(150.125), 0, 2_000, "AGENT"),
        ]),
    )
    .await;
    send(
        &fx,
        &post_call_path(&second_key),
        &post_call_of(vec![post_call_sentiment(
            json!("600"),
            15_000,
            16_000,
            "CUSTOMER",
        )]),
    )
    .await;

    // The partner retries a few requests: nothing doubles.
    send(
        &fx,
        &messages_path(&second_key),
        &message(
            "m5",
            12_000,
            14_000,
            "I can refund that today",
            "HUMAN_AGENT",
        ),
    )
    .await;
    send(
        &fx,
        &events_path(&first_key),
        &body_of(vec![category("OrderStatusCheckingHelp", T0 + 2_500)]),
    )
    .await;
    send(
        &fx,
        &post_call_path(&second_key),
        &post_call_of(vec![post_call_sentiment(
            json!(600),
            15_000,
            16_000,
            "CUSTOMER",
        )]),
    )
    .await;
    assert_eq!(
        fx.record_call(Signer::Writer, &transfer_call(&second_key, &first))
            .await,
        second
    );

    // One conversation, under the first leg's key, holds it all once.
    assert!(
        fx.conversation_raw(ORG_A, &second_key).await.is_empty(),
        "the transfer key's partition is empty"
    );
    let conversation = fx.conversation_raw(ORG_A, &first_key).await;
    let count = |t: &str| of_type(&conversation, t).len();
    assert_eq!(
        (
            count("LEG"),
            count("MESSAGE"),
            count("SIGNAL"),
            count("POST_CALL_SENTIMENT"),
            conversation.len()
        ),
        (2, 6, 4, 3, 15),
        "{conversation:#?}"
    );
    let mut legs = texts(&of_type(&conversation, "LEG"), "voiceCallId");
    legs.sort();
    let mut ids = vec![first.clone(), second.clone()];
    ids.sort();
    assert_eq!(legs, ids);

    let transcript = fx.transcript(ORG_A, &first_key).await;
    let transcript: Vec<&Value> = transcript.iter().collect();
    assert_eq!(
        texts(&transcript, "messageId"),
        ["m1", "m2", "m3", "m4", "m5", "m6"],
        "the transcript in time order"
    );
    assert_eq!(
        texts(&transcript, "vendorCallKey"),
        [
            first_key.as_str(),
            &first_key,
            &first_key,
            &second_key,
            &second_key,
            &second_key
        ],
        "each message keeps the key it was sent with"
    );
    let signals = fx.conversation_items(ORG_A, &first_key).await;
    let signals: Vec<_> = signals
        .iter()
        .map(|s| (s.start_time - T0, s.value.as_str()))
        .collect();
    assert_eq!(
        signals,
        [
            (2_500, "OrderStatusCheckingHelp"),
            (3_000, "-120.56"),
            (8_500, "CustomerAngry"),
            (15_500, "410.00")
        ],
        "signals in time order"
    );
    let post_call = of_type(&conversation, "POST_CALL_SENTIMENT");
    assert_eq!(
        texts(&post_call, "value"),
        ["150.13", "-300.00", "600.00"],
        "post-call sentiment in time order"
    );
    assert!(conversation
        .iter()
        .filter(|i| i["itemType"] != "LEG")
        .all(|i| i["conversationKey"] == json!(first_key)));

    // Both records and their vendor keys point at the one conversation.
    for (id, key) in [(&first, &first_key), (&second, &second_key)] {
        let record = fx
            .item(&format!("{ORG_A}#VC#{id}"), "VC")
            .await
            .expect("the record");
        assert_eq!(record["conversationKey"], json!(first_key), "{record}");
        let vendor_key = fx
            .item(&format!("{ORG_A}#VCK#{key}"), "VCK")
            .await
            .expect("the vendor key");
        assert_eq!(
            (&vendor_key["voiceCallId"], &vendor_key["conversationKey"]),
            (&json!(id), &json!(first_key))
        );
    }
    assert_eq!(
        fx.stored_data().await.len(),
        15 + 4,
        "the conversation, two records and two vendor keys"
    );

    // Every real-time signal was announced with the conversation it belongs to.
    let published = fx.published().await;
    assert_eq!(
        published.len(),
        5,
        "four signals and one retried: {published:?}"
    );
    assert!(
        published
            .iter()
            .all(|d| d["conversationKey"] == json!(first_key)),
        "{published:?}"
    );
}
