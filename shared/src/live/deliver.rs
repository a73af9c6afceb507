//! Delivery: each published event to every connection subscribed to its conversation, with the
//! fewest calls: one Query per conversation, one post per (connection, event). Used by the
//! live-deliver function (fed by the bus) and by the local server (fed by its publisher).

use futures_util::future::join_all;
use serde::Serialize;

use super::connections::{Connections, Posted};
use super::message::{live_event, LiveEvent};
use super::subscriptions::{Subscriptions, IDLE_SECS};
use crate::bus::BusEvent;
use crate::store::StoreError;

/// What one delivery did, and the calls it made (the bench reports them per delivered event).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Events that named no tenant or conversation (logged, never retried: no retry cures them).
    pub skipped: usize,
    /// Messages that reached a connection.
    pub delivered: usize,
    /// Connections found gone and removed.
    pub gone: usize,
    /// Posts that failed otherwise (logged; the event stays stored and readable).
    pub failed: usize,
    /// Subscriber Queries.
    pub queries: usize,
    /// Posts to connections.
    pub posts: usize,
}

/// Delivers bus events as published by the service.
pub async fn deliver<S: Subscriptions, C: Connections>(
    subscriptions: &S,
    connections: &C,
    events: &[BusEvent],
) -> Result<Delivery, StoreError> {
    let mut skipped = 0;
    let live: Vec<LiveEvent> = events
        .iter()
        .filter_map(|e| match live_event(e) {
            Ok(live) => Some(live),
            Err(why) => {
                tracing::warn!(detail_type = e.detail_type, %why, "event not delivered live");
                skipped += 1;
                None
            }
        })
        .collect();
    let mut delivery = deliver_live(subscriptions, connections, live).await?;
    delivery.skipped += skipped;
    Ok(delivery)
}

/// Delivers live events, in order per connection. A subscriber Query that fails is an error
/// (nothing of that conversation was sent: a retry sends it once); a post that fails is not.
pub async fn deliver_live<S: Subscriptions, C: Connections>(
    subscriptions: &S,
    connections: &C,
    events: Vec<LiveEvent>,
) -> Result<Delivery, StoreError> {
    let mut delivery = Delivery::default();
    // Events grouped by conversation, in the order they came.
    let mut groups: Vec<(LiveEvent, Vec<String>)> = Vec::new();
    for event in events {
        match groups
            .iter_mut()
            .find(|(first, _)| first.org == event.org && first.conversation == event.conversation)
        {
            Some((first, messages)) => {
                first.erased |= event.erased;
                messages.push(event.message);
            }
            None => {
                let message = event.message.clone();
                groups.push((event, vec![message]));
            }
        }
    }
    for (event, messages) in &groups {
        let subscribers = subscriptions
            .subscribers(&event.org, &event.conversation)
            .await?;
        delivery.queries += 1;
        let results = join_all(subscribers.iter().map(|connection| async move {
            let mut outcome = (0, 0, false);
            for message in messages {
                outcome.1 += 1;
                match connections.post(connection, message).await {
                    Ok(Posted::Delivered) => outcome.0 += 1,
                    Ok(Posted::Gone) => {
                        outcome.2 = true;
                        break;
                    }
                    Err(_) => {}
                }
            }
            (connection, outcome)
        }))
        .await;
        let mut gone = Vec::new();
        for (connection, (delivered, posts, is_gone)) in results {
            delivery.delivered += delivered;
            delivery.posts += posts;
            delivery.failed += posts - delivered - usize::from(is_gone);
            if is_gone {
                gone.push(connection);
            }
        }
        delivery.gone += gone.len();
        for result in join_all(gone.iter().map(|c| subscriptions.disconnected(c))).await {
            // Left for the TTL (logged where it failed); the next delivery tries again.
            let _ = result;
        }
        if event.erased {
            // Told `{"type":"erased"}` above; nothing of the conversation is watched any more.
            subscriptions
                .drop_conversation(&event.org, &event.conversation)
                .await?;
        }
    }
    if delivery.failed > 0 {
        tracing::warn!(failed = delivery.failed, "live posts failed");
    }
    crate::metrics::live_deliveries(delivery.delivered, delivery.gone, delivery.failed);
    Ok(delivery)
}

/// Closes the connections that have not subscribed within [`IDLE_SECS`] of opening (API
/// Gateway then reports their `$disconnect`). Returns how many were closed.
pub async fn sweep_idle<S: Subscriptions, C: Connections>(
    subscriptions: &S,
    connections: &C,
    now: u64,
) -> Result<usize, StoreError> {
    let idle = subscriptions
        .idle_connections(now.saturating_sub(IDLE_SECS))
        .await?;
    for connection in &idle {
        if connections.close(connection).await.is_ok() {
            subscriptions.disconnected(connection).await?;
        }
    }
    Ok(idle.len())
}
