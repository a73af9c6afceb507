//! Updating a voice call record (CONTRACT §2.6) and routing requests (§2.7): JSON and XML,
//! every refused field named, another tenant's call answered as an unknown one, the answer
//! Salesforce documents, what is stored and published, and storage outages.

use serde_json::{json, Map, Value};
use testkit::fault_proxy::{Fault, FaultProxy};
use testkit::keys::Signer;
use testkit::process::{shared_moto, start_moto};
use testkit::realtime::{fresh_key, XML};
use testkit::telephony::{inbound_call, of_type, routing_path, transfer_call, update_path};
use testkit::{Answer, Fixture, ORG_A};

/// Creates a call for a fresh key; returns (key, voiceCallId).
async fn recorded(fx: &Fixture) -> (String, String) {
    let key = fresh_key();
    let id = fx.record_call(Signer::Writer, &inbound_call(&key)).await;
    (key, id)
}

fn voice_call_pk(id: &str) -> String {
    format!("{ORG_A}#VC#{id}")
}

async fn send_xml(fx: &Fixture, method: &str, path: &str, xml: &str) -> Answer {
    let token = fx.keys.token(Signer::Writer);
    let request = fx
        .http
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", fx.base_url),
        )
        .header("content-type", XML)
        .header("authorization", format!("Bearer {token}"))
        .body(xml.to_owned());
    fx.send(request).await
}

/// The `VoiceCallChanged` details published since the last drain.
async fn call_changes(fx: &Fixture) -> Vec<Value> {
    fx.published_events()
        .await
        .into_iter()
        .filter(|(t, _)| t == "VoiceCallChanged")
        .map(|(_, d)| d)
        .collect()
}

#[tokio::test]
async fn an_update_by_id_or_key_replaces_the_given_fields_and_an_end_time_ends_the_leg() {
    let fx = Fixture::new().await;
    let (key, id) = recorded(&fx).await;
    let created = call_changes(&fx).await;
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["change"], "created");
    assert_eq!(created[0]["voiceCallId"], json!(id));

    // What the demo connector sends, by voiceCallId.
    let body = json!({"recordingLocation": "https://example.com/rec.wav", "agentInteractionDuration": 50,
                      "totalHoldDuration": 3, "totalRecordingDuration": 61, "queue": "Support",
                      "disconnectReason": {"value": "CUSTOMER_DISCONNECT", "isError": false}});
    let answer = fx
        .patch_json_as(Signer::Writer, &update_path(&id), &body)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json(), json!({"status": "pending"}));
    let record = fx.item(&voice_call_pk(&id), "VC").await.unwrap();
    assert_eq!(record["recordingLocation"], "https://example.com/rec.wav");
    assert_eq!(record["totalHoldDuration"].as_f64(), Some(3.0));
    assert_eq!(record["queue"], "Support", "replaced");
    assert_eq!(record["callOrigin"], "Phone", "kept");
    assert_eq!(record["disconnectReason"]["value"], "CUSTOMER_DISCONNECT");
    let legs = fx.conversation_raw(ORG_A, &key).await;
    assert!(of_type(&legs, "LEG")[0].get("endedAt").is_none());
    let updated = call_changes(&fx).await;
    assert_eq!(updated[0]["change"], "updated");
    assert_eq!(updated[0]["fields"]["queue"], "Support");
    assert_eq!(updated[0]["conversationKey"], json!(key));

    // What the official Lambdas send, by vendorCallKey: epoch-millisecond text times.
    let body = json!({"startTime": "1795971246447", "endTime": "1795971306447", "isActiveCall": true,
                      "callCenterApiName": "scv4cc1"});
    let answer = fx
        .patch_json_as(Signer::Writer, &update_path(&key), &body)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let record = fx.item(&voice_call_pk(&id), "VC").await.unwrap();
    assert_eq!(record["endTime"], "2026-11-29T16:55:06.447Z");
    assert_eq!(record["endTimeMillis"], json!(1_795_971_306_447u64));
    let legs = fx.conversation_raw(ORG_A, &key).await;
    let ended_at = of_type(&legs, "LEG")[0]["endedAt"].clone();
    assert!(ended_at.is_u64(), "an endTime ends the leg: {legs:?}");
    assert_eq!(call_changes(&fx).await[0]["change"], "ended");

    // A retry keeps the first end.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    fx.patch_json_as(Signer::Writer, &update_path(&key), &body)
        .await;
    let legs = fx.conversation_raw(ORG_A, &key).await;
    assert_eq!(of_type(&legs, "LEG")[0]["endedAt"], ended_at);
}

#[tokio::test]
async fn an_update_in_xml_is_answered_in_xml() {
    let fx = Fixture::new().await;
    let (key, id) = recorded(&fx).await;
    let xml = "<voiceCall><isActiveCall>false</isActiveCall><numberOfHolds>2</numberOfHolds>\
               <disconnectReason><value>TELECOM_PROBLEM</value><isError>true</isError></disconnectReason></voiceCall>";
    let answer = send_xml(&fx, "PATCH", &update_path(&key), xml).await;
    answer.assert_xml(200);
    assert!(
        answer.body.contains("<status>pending</status>"),
        "{}",
        answer.body
    );
    let record = fx.item(&voice_call_pk(&id), "VC").await.unwrap();
    assert_eq!(record["numberOfHolds"], json!(2));
    assert_eq!(record["isActiveCall"], json!(false));
    assert_eq!(record["disconnectReason"]["isError"], json!(true));
    let legs = fx.conversation_raw(ORG_A, &key).await;
    assert!(of_type(&legs, "LEG")[0]["endedAt"].is_u64());

    let bad = send_xml(
        &fx,
        "PATCH",
        &update_path(&key),
        "<voiceCall><endTime>soon</endTime></voiceCall>",
    )
    .await;
    bad.assert_xml(400);
    assert_eq!(bad.xml_error_fields(), ["endTime"]);
}

#[tokio::test]
async fn every_refused_field_is_named_and_nothing_changes() {
    let fx = Fixture::new().await;
    let (_, id) = recorded(&fx).await;
    let before = fx.stored_data().await;
    let body = json!({"startTime": "noon", "totalHoldDuration": -1, "numberOfHolds": "many",
                      "isActiveCall": "perhaps", "queue": ["a"], "callAttributes": "{not json",
                      "disconnectReason": {"isError": true}});
    let answer = fx
        .patch_json_as(Signer::Writer, &update_path(&id), &body)
        .await;
    answer.assert_refused(
        "bad update",
        &[
            "startTime",
            "totalHoldDuration",
            "numberOfHolds",
            "isActiveCall",
            "queue",
            "callAttributes",
            "disconnectReason",
        ],
    );
    assert_eq!(fx.stored_data().await, before);
}

#[tokio::test]
async fn an_unknown_call_or_another_tenants_is_404_alike() {
    let fx = Fixture::new().await;
    let b_key = fresh_key();
    let b_id = fx.record_call(Signer::TenantB, &inbound_call(&b_key)).await;
    let b_before = fx.stored_data().await;
    let update = json!({"queue": "Support"});
    let omni = json!({"dialedNumber": "+15550100"});
    let mut bodies = Vec::new();
    for (case, path, body) in [
        ("org B's voiceCallId", update_path(&b_id), &update),
        ("org B's vendorCallKey", update_path(&b_key), &update),
        ("an unknown key", update_path(&fresh_key()), &update),
        (
            "org B's call's omniFlow",
            routing_path(&b_id, "omniFlow"),
            &omni,
        ),
        (
            "an unknown call's omniFlow",
            routing_path(&fresh_key(), "omniFlow"),
            &omni,
        ),
    ] {
        let answer = fx.patch_json_as(Signer::Writer, &path, body).await;
        assert_eq!(answer.status, 404, "{case}: {}", answer.body);
        assert_eq!(answer.error_code(), "NOT_FOUND", "{case}");
        assert!(!answer.body.contains(&b_key) && !answer.body.contains(&b_id));
        bodies.push(answer.body);
    }
    bodies.dedup();
    assert_eq!(
        bodies.len(),
        1,
        "the same answer whatever the id: {bodies:?}"
    );
    assert_eq!(fx.stored_data().await, b_before, "nothing written");
}

#[tokio::test]
async fn each_routing_operation_is_recorded_published_and_answered_as_salesforce_documents() {
    let fx = Fixture::new().await;
    let (key, id) = recorded(&fx).await;
    fx.published_events().await;
    let cases = [
        (
            "PATCH",
            "omniFlow",
            json!({"dialedNumber": "+15550100", "flowInputParameters": {}}),
            json!({"agent": null, "queue": null}),
        ),
        (
            "PATCH",
            "omniFlow",
            json!({"flowName": "RouteToQueue", "dialedNumber": "4150000000", "fallbackQueue": "Support"}),
            json!({"agent": null, "queue": "Support"}),
        ),
        (
            "POST",
            "routeVoiceCall",
            json!({"routingTarget": "300SG000015iJ38YAE"}),
            json!({"status": "Success"}),
        ),
        (
            "PATCH",
            "route",
            json!({"routingTarget": "00G111222333444", "fallbackQueue": "q"}),
            json!({"status": "Success"}),
        ),
        ("PATCH", "reroute", json!({}), json!({"status": "Success"})),
        (
            "PATCH",
            "clearRouting",
            Value::Null,
            json!({"status": "Success"}),
        ),
    ];
    for (method, operation, body, expected) in &cases {
        let answer = fx
            .send_json_as(Signer::Writer, method, &routing_path(&id, operation), body)
            .await;
        assert_eq!(answer.status, 200, "{operation}: {}", answer.body);
        assert_eq!(&answer.json(), expected, "{operation}");
    }
    let callback = fx
        .send_json_as(
            Signer::Writer,
            "POST",
            &routing_path(&key, "requestCallback"),
            &json!({"callbackNumber": "+15550199", "isPreviewCallback": true}),
        )
        .await;
    assert_eq!(callback.status, 200, "{}", callback.body);
    let record_id = callback.json()["recordId"].as_str().unwrap().to_owned();
    assert_eq!(record_id.len(), 18);
    // A retry is the same request: the same recordId, one item.
    let again = fx
        .send_json_as(
            Signer::Writer,
            "POST",
            &routing_path(&key, "requestCallback"),
            &json!({"callbackNumber": "+15550199", "isPreviewCallback": true}),
        )
        .await;
    assert_eq!(again.json()["recordId"], json!(record_id));

    let stored = fx.conversation_raw(ORG_A, &key).await;
    let routing = of_type(&stored, "ROUTING");
    let mut operations: Vec<&str> = routing
        .iter()
        .map(|r| r["operation"].as_str().unwrap())
        .collect();
    operations.sort();
    assert_eq!(
        operations,
        [
            "clearRouting",
            "omniFlow",
            "omniFlow",
            "requestCallback",
            "reroute",
            "routeVoiceCall",
            "routeVoiceCall"
        ]
    );
    assert!(routing.iter().all(|r| r["voiceCallId"] == json!(id)));
    let published: Vec<Value> = fx
        .published_events()
        .await
        .into_iter()
        .filter(|(t, _)| t == "RoutingRequest")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(
        published.len(),
        cases.len() + 2,
        "every request, the retry too"
    );
    let omni = published
        .iter()
        .find(|d| d["request"]["flowName"] == "RouteToQueue")
        .unwrap();
    assert_eq!(omni["operation"], "omniFlow");
    assert_eq!(omni["tenant"], ORG_A);
    assert_eq!(omni["conversationKey"], json!(key));
    assert_eq!(omni["voiceCallId"], json!(id));
}

#[tokio::test]
async fn routing_requests_are_validated_in_json_and_xml() {
    let fx = Fixture::new().await;
    let (key, id) = recorded(&fx).await;
    let before = fx.stored_data().await;
    let answer = fx
        .send_json_as(
            Signer::Writer,
            "POST",
            &routing_path(&id, "routeVoiceCall"),
            &json!({"fallbackQueue": 5}),
        )
        .await;
    answer.assert_refused("route without target", &["routingTarget", "fallbackQueue"]);
    let answer = fx
        .patch_json_as(
            Signer::Writer,
            &routing_path(&id, "omniFlow"),
            &json!({"flowInputParameters": [1]}),
        )
        .await;
    answer.assert_refused(
        "omniFlow naming nothing",
        &["dialedNumber", "flowInputParameters"],
    );
    let answer = send_xml(
        &fx,
        "POST",
        &routing_path(&key, "requestCallback"),
        "<callback><isPreviewCallback>perhaps</isPreviewCallback></callback>",
    )
    .await;
    answer.assert_xml(400);
    let mut fields = answer.xml_error_fields();
    fields.sort();
    assert_eq!(fields, ["callbackNumber", "isPreviewCallback"]);
    assert_eq!(fx.stored_data().await, before, "nothing stored");

    let answer = send_xml(
        &fx,
        "POST",
        &routing_path(&key, "requestCallback"),
        "<callback><callbackNumber>+15550199</callbackNumber></callback>",
    )
    .await;
    answer.assert_xml(200);
    assert!(answer.body.contains("<recordId>0SR"), "{}", answer.body);

    let wrong = fx
        .send_json_as(
            Signer::Writer,
            "POST",
            &routing_path(&id, "omniFlow"),
            &json!({"dialedNumber": "1"}),
        )
        .await;
    assert_eq!(wrong.status, 405, "{}", wrong.body);
    assert_eq!(wrong.headers["allow"], "PATCH");
}

/// A write that cannot be stored is `503` with nothing half-written; the retry with the same
/// token goes through once storage is back.
#[tokio::test]
async fn updates_and_routing_answer_503_when_storage_fails_and_nothing_is_half_written() {
    let proxy = FaultProxy::start(shared_moto()).await;
    let fx = Fixture::behind(shared_moto(), &proxy.url).await;
    let (key, id) = recorded(&fx).await;
    let before = fx.stored_data().await;
    proxy.set(Fault::ThrottleItemWrites);
    // No `jti`: the token claim (a conditional put) would be throttled first.
    let mut no_jti = Map::new();
    no_jti.insert("jti".into(), Value::Null);
    let token = fx.keys.token_with(Signer::Writer, no_jti);
    let send = |method: &'static str, path: String, body: Value| {
        let request = fx
            .http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", fx.base_url),
            )
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(body.to_string());
        fx.send(request)
    };
    let ending = json!({"endTime": "2026-11-23T16:20:00Z", "queue": "Support"});
    let omni = json!({"dialedNumber": "+15550100"});
    for (case, method, path, body) in [
        (
            "an update ending the leg",
            "PATCH",
            update_path(&id),
            ending.clone(),
        ),
        (
            "omniFlow",
            "PATCH",
            routing_path(&key, "omniFlow"),
            omni.clone(),
        ),
    ] {
        let answer = send(method, path, body).await;
        assert_eq!(answer.status, 503, "{case}: {}", answer.body);
        assert_eq!(answer.error_code(), "SERVER_UNAVAILABLE");
    }
    assert_eq!(
        fx.stored_data().await,
        before,
        "neither the record nor the leg changed"
    );

    proxy.set(Fault::None);
    assert_eq!(send("PATCH", update_path(&id), ending).await.status, 200);
    assert_eq!(
        send("PATCH", routing_path(&key, "omniFlow"), omni)
            .await
            .status,
        200
    );
    let stored = fx.conversation_raw(ORG_A, &key).await;
    assert!(of_type(&stored, "LEG")[0]["endedAt"].is_u64());
    assert_eq!(of_type(&stored, "ROUTING").len(), 1);

    let moto = start_moto();
    let down = Fixture::on(&moto.url()).await;
    let (key, id) = recorded(&down).await;
    drop(moto);
    let answer = down
        .patch_json_as(Signer::Writer, &update_path(&id), &json!({"queue": "x"}))
        .await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    let answer = down
        .send_json_as(
            Signer::Writer,
            "PATCH",
            &routing_path(&key, "clearRouting"),
            &Value::Null,
        )
        .await;
    assert_eq!(answer.status, 503, "{}", answer.body);
}

/// A transfer leg named by its parent's vendorCallKey (as both public clients send it) joins
/// the parent's conversation; updating the leg ends only the leg.
#[tokio::test]
async fn a_transfer_by_parent_key_joins_and_ends_separately() {
    let fx = Fixture::new().await;
    let (parent_key, _) = recorded(&fx).await;
    let leg_key = fresh_key();
    let leg_id = fx
        .record_call(Signer::Writer, &transfer_call(&leg_key, &parent_key))
        .await;
    let legs = of_type(&fx.conversation_raw(ORG_A, &parent_key).await, "LEG")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(legs.len(), 2, "{legs:?}");
    let answer = fx
        .patch_json_as(
            Signer::Writer,
            &update_path(&leg_id),
            &json!({"isActiveCall": false}),
        )
        .await;
    assert_eq!(answer.status, 200);
    let stored = fx.conversation_raw(ORG_A, &parent_key).await;
    let ended: Vec<bool> = of_type(&stored, "LEG")
        .iter()
        .map(|l| l.get("endedAt").is_some())
        .collect();
    assert_eq!(
        ended.iter().filter(|e| **e).count(),
        1,
        "only the leg ended: {stored:?}"
    );
}
