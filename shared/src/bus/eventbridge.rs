//! The EventBridge adapter of the event-bus port.

use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;

use super::{BusEvent, EventPublisher, PublishError};
use crate::aws_sdk::OnFirstUse;
use crate::store::Backoff;

/// `PutEvents` takes at most 10 entries.
const PUT_EVENTS_LIMIT: usize = 10;

#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: OnFirstUse<Client>,
    bus_name: String,
    source: String,
    backoff: Backoff,
}

impl EventBridgeBus {
    /// `client`: a client, or [`OnFirstUse`] to make it on the first request.
    pub fn new(
        client: impl Into<OnFirstUse<Client>>,
        bus_name: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        Self {
            client: client.into(),
            bus_name: bus_name.into(),
            source: source.into(),
            backoff: Backoff::default(),
        }
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    fn entry(&self, event: BusEvent) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(&self.source)
            .detail_type(event.detail_type)
            .detail(event.detail)
            .build()
    }

    /// Puts one chunk, re-sending only the entries EventBridge reports as failed.
    async fn put_chunk(&self, mut entries: Vec<PutEventsRequestEntry>) -> Result<(), PublishError> {
        let mut retry = 0;
        loop {
            let output = self
                .client
                .get()
                .put_events()
                .set_entries(Some(entries.clone()))
                .send()
                .await
                .map_err(|e| {
                    tracing::error!(error = %DisplayErrorContext(&e), "PutEvents failed");
                    PublishError::Unavailable
                })?;
            if output.failed_entry_count() == 0 {
                return Ok(());
            }
            // Result entries line up with request entries; a failed one carries an error code.
            // Should they not line up, everything is sent again (consumers dedupe on eventKey).
            if output.entries().len() == entries.len() {
                entries = entries
                    .into_iter()
                    .zip(output.entries())
                    .filter(|(_, result)| result.error_code().is_some())
                    .map(|(entry, _)| entry)
                    .collect();
            }
            if retry == self.backoff.retries {
                tracing::error!(
                    failed = entries.len(),
                    "PutEvents kept failing entries after {retry} retries"
                );
                return Err(PublishError::Unavailable);
            }
            crate::metrics::bus_retries(entries.len());
            tokio::time::sleep(self.backoff.delay(retry)).await;
            retry += 1;
        }
    }
}

impl EventPublisher for EventBridgeBus {
    async fn publish(&self, events: Vec<BusEvent>) -> Result<(), PublishError> {
        let mut entries = events.into_iter().map(|e| self.entry(e)).peekable();
        while entries.peek().is_some() {
            let chunk: Vec<_> = entries.by_ref().take(PUT_EVENTS_LIMIT).collect();
            self.put_chunk(chunk).await?;
        }
        Ok(())
    }
}
