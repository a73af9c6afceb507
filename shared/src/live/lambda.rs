//! The glue between Lambda invocations and the live channel: API Gateway WebSocket route events
//! (live-socket) and EventBridge events (live-deliver).

use serde_json::{json, Value};

use super::connections::Connections;
use super::deliver::{deliver_live, sweep_idle, Delivery};
use super::message::from_detail;
use super::socket::{on_message, LiveApp};
use super::subscriptions::Subscriptions;
use crate::store::{ConversationReader, StoreError};

/// `detail-type` of the EventBridge schedule that sweeps idle connections.
pub const SCHEDULED_DETAIL_TYPE: &str = "Scheduled Event";

/// Answers one API Gateway WebSocket event (`$connect`, `$disconnect`, `subscribe`,
/// `unsubscribe`, `$default`). A message's answer is the response body, which the route's
/// route response sends back to the client. `Err` only when `$connect` cannot be recorded
/// (API Gateway then refuses the connection).
pub async fn on_socket_event<R: ConversationReader, S: Subscriptions>(
    app: &LiveApp<R, S>,
    event: &Value,
    now: u64,
) -> Result<Value, StoreError> {
    let context = &event["requestContext"];
    let connection = context["connectionId"].as_str().unwrap_or_default();
    let route = context["routeKey"].as_str().unwrap_or_default();
    let span = tracing::info_span!("live", route, tenant = tracing::field::Empty);
    let _guard = span.enter();
    match route {
        "$connect" => {
            app.subscriptions.connected(connection, now).await?;
            Ok(json!({"statusCode": 200}))
        }
        "$disconnect" => {
            // The connection is gone either way; what stays is left for the TTL.
            let _ = app.subscriptions.disconnected(connection).await;
            Ok(json!({"statusCode": 200}))
        }
        _ => {
            let body = event["body"].as_str().unwrap_or_default();
            let answer = on_message(app, connection, body, now).await;
            Ok(json!({"statusCode": 200, "body": answer.to_json()}))
        }
    }
}

/// Delivers one EventBridge event to its subscribers, or sweeps idle connections when it is
/// the schedule's. An event the live channel cannot route is answered, not retried.
pub async fn on_bus_event<S: Subscriptions, C: Connections>(
    subscriptions: &S,
    connections: &C,
    event: Value,
    now: u64,
) -> Result<Value, StoreError> {
    let detail_type = event["detail-type"].as_str().unwrap_or_default().to_owned();
    if detail_type == SCHEDULED_DETAIL_TYPE {
        let closed = sweep_idle(subscriptions, connections, now).await?;
        return Ok(json!({"closedIdle": closed}));
    }
    // EventBridge's `time`: when the event was put on the bus (whole seconds).
    let published = event["time"]
        .as_str()
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
    let mut detail = event;
    let detail = detail["detail"].take();
    let live = match from_detail(&detail_type, detail) {
        Ok(live) => live,
        Err(why) => {
            tracing::warn!(detail_type, %why, "event not delivered live");
            return Ok(serde_json::to_value(Delivery {
                skipped: 1,
                ..Delivery::default()
            })
            .expect("a delivery serialises"));
        }
    };
    let delivery = deliver_live(subscriptions, connections, vec![live]).await?;
    if let (Some(published), true) = (published, delivery.delivered > 0) {
        let delay = crate::clock::now_millis() as i64 - published;
        crate::metrics::push_delay(delay.max(0) as f64);
    }
    tracing::info!(
        delivered = delivery.delivered,
        gone = delivery.gone,
        failed = delivery.failed,
        "live delivery"
    );
    Ok(serde_json::to_value(delivery).expect("a delivery serialises"))
}
