//! `make run`'s Contact Lens (CONTRACT §10): records put on the emulator's Kinesis stream and an
//! analysis file written to its bucket (both `voicecall-intelligence-contact-lens`) reach the
//! same handlers as in AWS, within seconds.

use std::sync::Arc;
use std::time::Duration;

use crate::openapi_spec::{Call, Spec, JSON, XML};
use serde_json::{json, Value};
use shared::contact_lens::samples::{self, CONTACT_ID, INSTANCE_ID};
use shared::contact_lens::{ContactLensApp, DynamoAnchors};
use testkit::fixture::ADMIN_TOKEN;
use testkit::intelligence::ACTION_PATH;
use testkit::keys::Signer;
use testkit::{Fixture, ORG_A};

async fn eventually<T>(mut check: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not within 10 s");
}

#[tokio::test]
async fn the_stream_and_the_bucket_feed_the_handlers() {
    let fx = Fixture::new().await;
    let answer = fx
        .send(
            fx.http
                .put(format!("{}/admin/v1/tenants/{ORG_A}", fx.base_url))
                .bearer_auth(ADMIN_TOKEN)
                .header("content-type", "application/json")
                .body(json!({"connectInstances": [INSTANCE_ID]}).to_string()),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let app = shared::app::AwsApp::new(&fx.sdk, &fx.settings, fx.tenants());
    let anchors = DynamoAnchors::new(app.store.clone(), 90);
    local_server::contact_lens::spawn(&fx.sdk, Arc::new(ContactLensApp { app, anchors }))
        .await
        .expect("stream and bucket set up");

    // The call's records, as Contact Lens puts them (partition key: the contact).
    let kinesis = aws_sdk_kinesis::Client::new(&fx.sdk);
    for record in samples::call(INSTANCE_ID, CONTACT_ID) {
        kinesis
            .put_record()
            .stream_name(local_server::contact_lens::NAME)
            .partition_key(CONTACT_ID)
            .data(serde_json::to_vec(&record).unwrap().into())
            .send()
            .await
            .expect("PutRecord");
    }
    let transcript = eventually(async || {
        let t = fx.transcript(ORG_A, CONTACT_ID).await;
        (t.len() == samples::TURNS.len()).then_some(t)
    })
    .await;
    assert_eq!(transcript[0]["content"], samples::TURNS[0].2);

    // Then the post-call file.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&fx.sdk)
            .force_path_style(true)
            .build(),
    );
    s3.put_object()
        .bucket(local_server::contact_lens::NAME)
        .key(samples::analysis_key(CONTACT_ID, false))
        .body(
            serde_json::to_vec(&samples::analysis_file(INSTANCE_ID, CONTACT_ID, false))
                .unwrap()
                .into(),
        )
        .send()
        .await
        .expect("PutObject");
    let out: Value = eventually(async || {
        let out = fx.intelligence_of(Signer::Reader, CONTACT_ID).await;
        out["conversationInsights"]
            .as_array()?
            .iter()
            .any(|i| i["insightType"] == "VendorAnalysis")
            .then_some(out)
    })
    .await;
    assert_eq!(
        out["conversationIntelligence"]["vendorSummary"]["content"],
        samples::FILE_SUMMARY
    );
    // That answer, with its vendor summary, is the documented one in JSON and in XML.
    let spec = Spec::load();
    for accept in [JSON, XML] {
        let call = Call::new("POST", ACTION_PATH)
            .json(&json!({"inputs": [{"recordId": CONTACT_ID}]}))
            .token(Some(fx.keys.token(Signer::Reader)))
            .accept(accept);
        let answer = spec.exchange(&fx, &call).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert!(answer.body.contains("vendorSummary"), "{}", answer.body);
    }

    // Erasing the contact's conversation takes its start anchor too (CONTRACT §8).
    let anchor =
        shared::contact_lens::anchors::anchor_pk(&shared::model::OrgId::new(ORG_A), CONTACT_ID);
    let anchors_stored = async || {
        aws_sdk_dynamodb::Client::new(&fx.sdk)
            .query()
            .table_name(&fx.settings.table_name)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(
                ":pk",
                aws_sdk_dynamodb::types::AttributeValue::S(anchor.clone()),
            )
            .send()
            .await
            .expect("Query")
            .count()
    };
    assert_eq!(anchors_stored().await, 1, "the anchor is stored");
    let erased = fx
        .send(
            fx.http
                .delete(format!(
                    "{}/admin/v1/tenants/{ORG_A}/conversations/{CONTACT_ID}",
                    fx.base_url
                ))
                .bearer_auth(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert_eq!(anchors_stored().await, 0, "the anchor is erased");
}
