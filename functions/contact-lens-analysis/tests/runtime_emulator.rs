//! The contact-lens-analysis binary under the Lambda runtime interface emulator, against moto
//! (DynamoDB, EventBridge, S3), fed S3 `Object Created` events of the post-call analysis file
//! shaped as the administrator guide's example (`shared::contact_lens::samples`), raw and
//! redacted.

use std::path::Path;

use serde_json::{json, Value};
use shared::contact_lens::samples::{self, CONTACT_ID, INSTANCE_ID, TURNS};
use shared::contact_lens::{ContactLensApp, DynamoAnchors, StreamRecord};
use testkit::fixture::ADMIN_TOKEN;
use testkit::keys::Signer;
use testkit::rie::Rie;
use testkit::{Fixture, ORG_A};

const BUCKET: &str = "example-connect";

fn bootstrap() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_contact-lens-analysis"))
}

async fn put_tenant(fx: &Fixture, settings: Value) {
    let request = fx
        .http
        .put(format!("{}/admin/v1/tenants/{ORG_A}", fx.base_url))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(settings.to_string());
    let answer = fx.send(request).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

async fn map_instance(fx: &Fixture) {
    put_tenant(fx, json!({"connectInstances": [INSTANCE_ID]})).await;
}

fn s3(fx: &Fixture) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&fx.sdk)
            .force_path_style(true)
            .build(),
    )
}

/// Writes the sample file under its key, as Contact Lens does, and answers the EventBridge
/// event S3 then sends.
async fn write_file(fx: &Fixture, instance: &str, redacted: bool) -> Value {
    write_file_in(fx, BUCKET, instance, redacted).await
}

/// The tests run side by side on one moto: a file of another content (another instance) goes to
/// a bucket of its own, or a test reading the same key could read it.
async fn write_file_in(fx: &Fixture, bucket: &str, instance: &str, redacted: bool) -> Value {
    let client = s3(fx);
    let _ = client.create_bucket().bucket(bucket).send().await;
    let key = samples::analysis_key(CONTACT_ID, redacted);
    let body = serde_json::to_vec(&samples::analysis_file(instance, CONTACT_ID, redacted)).unwrap();
    client
        .put_object()
        .bucket(bucket)
        .key(&key)
        .body(body.into())
        .send()
        .await
        .expect("put the analysis file");
    json!({
        "version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created", "source": "aws.s3", "account": "123456789012",
        "time": "2026-11-29T17:01:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:s3:::{bucket}")],
        "detail": {"version": "0", "bucket": {"name": bucket},
                   "object": {"key": key, "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184", "sequencer": "00617F08299329D189"},
                   "request-id": "N4N7GDK58NMKJ12R", "requester": "connect.amazonaws.com",
                   "source-ip-address": "1.2.3.4", "reason": "PutObject"}
    })
}

fn env(fx: &Fixture) -> Vec<(String, String)> {
    let mut env = fx.function_env();
    env.push(("AWS_ENDPOINT_URL_S3".into(), fx.endpoint.clone()));
    env
}

fn insights_of<'a>(out: &'a Value, kind: &str) -> Vec<&'a Value> {
    out["conversationInsights"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["insightType"] == kind)
        .collect()
}

fn vendor_moments(out: &Value) -> Vec<(String, usize)> {
    out["momentInsights"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["source"] == "AmazonConnectContactLens")
        .map(|m| {
            (
                m["category"].as_str().unwrap().to_owned(),
                m["momentTimes"].as_array().unwrap().len(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_raw_file_alone_gives_transcript_vendor_insights_and_moments_once() {
    let fx = Fixture::new().await;
    map_instance(&fx).await;
    let rie = Rie::start(bootstrap(), &env(&fx));
    let event = write_file(&fx, INSTANCE_ID, false).await;
    // Twice (S3 delivers at least once): the second time the transcript is there already.
    for expected in [TURNS.len(), 0] {
        let answer = rie.invoke(&event).await;
        assert_eq!(
            answer["files"][0]["stored"]["entries"],
            json!(expected),
            "{answer}"
        );
    }
    let transcript = fx.transcript(ORG_A, CONTACT_ID).await;
    assert_eq!(transcript.len(), TURNS.len());
    assert_eq!(transcript[0]["content"], TURNS[0].2);
    assert_eq!(transcript[1]["senderType"], "HUMAN_AGENT");

    let out = fx.intelligence_of(Signer::Reader, CONTACT_ID).await;
    let vendor = insights_of(&out, "VendorAnalysis");
    assert_eq!(vendor.len(), 1, "{out:#}");
    let c = &vendor[0]["characteristics"];
    assert_eq!(vendor[0]["source"], "AmazonConnectContactLens");
    assert_eq!(c["interruptions"], 1);
    assert_eq!(c["nonTalkMillis"], 4500);
    assert_eq!(c["wordsPerMinute"]["AGENT"].as_f64(), Some(165.0));
    let quarters: Vec<f64> = c["sentimentByQuarter"]["CUSTOMER"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert_eq!(quarters, [0.0, -5.0, -2.5, 0.0]);
    // Ours next to it.
    assert!(!insights_of(&out, "TalkTime").is_empty());
    assert!(!insights_of(&out, "NonTalkTime").is_empty());
    // The overall score, as the post-call forwarder would have sent it.
    let customer = insights_of(&out, "Sentiment")
        .into_iter()
        .find(|s| s["participant"] == "CUSTOMER")
        .cloned()
        .unwrap();
    assert_eq!(customer["overallScore"].as_f64(), Some(-1.4), "{customer}");
    let moments = vendor_moments(&out);
    for category in ["Issue", "Outcome", "Action Item", "Cancellation"] {
        assert!(
            moments.iter().any(|(c, n)| c == category && *n == 1),
            "{category} not in {moments:?}"
        );
    }
    assert_eq!(
        out["conversationIntelligence"]["vendorSummary"]["content"],
        samples::FILE_SUMMARY
    );
}

#[tokio::test]
async fn a_tenant_with_redaction_reads_the_redacted_file_only() {
    let fx = Fixture::new().await;
    put_tenant(
        &fx,
        json!({"connectInstances": [INSTANCE_ID], "redaction": {"entities": ["EMAIL"], "mode": "PII"}}),
    )
    .await;
    let rie = Rie::start(bootstrap(), &env(&fx));
    let raw = write_file(&fx, INSTANCE_ID, false).await;
    let answer = rie.invoke(&raw).await;
    assert_eq!(answer["files"][0], "otherVariant", "{answer}");
    assert!(fx.transcript(ORG_A, CONTACT_ID).await.is_empty());

    let redacted = write_file(&fx, INSTANCE_ID, true).await;
    let answer = rie.invoke(&redacted).await;
    assert_eq!(
        answer["files"][0]["stored"]["entries"],
        json!(TURNS.len()),
        "{answer}"
    );
    let transcript = fx.transcript(ORG_A, CONTACT_ID).await;
    assert!(transcript[4]["content"].as_str().unwrap().contains("[PII]"));
}

#[tokio::test]
async fn after_the_stream_the_file_adds_its_analysis_and_keeps_the_transcript() {
    let fx = Fixture::new().await;
    map_instance(&fx).await;
    // The stream first, through the same domain function its Lambda runs.
    let app = shared::app::AwsApp::new(&fx.sdk, &fx.settings, fx.tenants());
    let anchors = DynamoAnchors::new(app.store.clone(), 90);
    let cl = ContactLensApp { app, anchors };
    let batch = samples::numbered(&samples::call(INSTANCE_ID, CONTACT_ID));
    let records: Vec<StreamRecord<'_>> = batch
        .iter()
        .map(|(data, seq, arrival)| StreamRecord {
            sequence_number: seq,
            arrival_millis: *arrival,
            data,
        })
        .collect();
    let report = shared::contact_lens::ingest(&cl.app, &cl.anchors, &records).await;
    assert!(report.failed.is_empty());
    let streamed = fx.transcript(ORG_A, CONTACT_ID).await;

    let rie = Rie::start(bootstrap(), &env(&fx));
    let answer = rie.invoke(&write_file(&fx, INSTANCE_ID, false).await).await;
    assert_eq!(answer["files"][0]["stored"]["entries"], 0, "{answer}");
    assert_eq!(
        fx.transcript(ORG_A, CONTACT_ID).await,
        streamed,
        "the stream's transcript kept"
    );
    let out = fx.intelligence_of(Signer::Reader, CONTACT_ID).await;
    assert_eq!(insights_of(&out, "VendorAnalysis").len(), 1);
    let moments = vendor_moments(&out);
    // The file's detections find the stream's entries by time.
    assert!(moments.iter().any(|(c, _)| c == "Issue"), "{moments:?}");
    assert!(
        moments.iter().any(|(c, _)| c == "PricingQuestion"),
        "{moments:?}"
    );
}

#[tokio::test]
async fn an_unmapped_instance_stores_nothing() {
    let fx = Fixture::new().await;
    let rie = Rie::start(bootstrap(), &env(&fx));
    let event = write_file_in(
        &fx,
        "example-connect-unmapped",
        "99999999-0000-0000-0000-000000000000",
        false,
    )
    .await;
    let before = fx.item_count().await;
    let answer = rie.invoke(&event).await;
    assert_eq!(answer["files"][0], "unmapped", "{answer}");
    assert_eq!(fx.item_count().await, before);
    // Not an analysis file at all: skipped.
    let mut other = event.clone();
    other["detail"]["object"]["key"] = json!("connect/example/CallRecordings/2026/11/29/c.wav");
    assert_eq!(rie.invoke(&other).await["files"][0], "skipped");
}

#[tokio::test]
async fn the_event_files_are_answered() {
    let fx = Fixture::new().await;
    map_instance(&fx).await;
    write_file(&fx, INSTANCE_ID, false).await;
    let rie = Rie::start(bootstrap(), &env(&fx));
    let answer = rie
        .invoke(&testkit::events::load_with(
            "contact-lens-analysis-created",
            &[],
        ))
        .await;
    assert_eq!(
        answer["files"][0]["stored"]["entries"],
        json!(TURNS.len()),
        "{answer}"
    );
    // The cold-start bench's event: another object, answered with no AWS call.
    let before = fx.item_count().await;
    let answer = rie
        .invoke(&testkit::events::load_with(
            "contact-lens-analysis-other-object",
            &[],
        ))
        .await;
    assert_eq!(answer, json!({"files": ["skipped"]}));
    assert_eq!(fx.item_count().await, before);
}
