//! An in-process event bus, for the benchmark and handler unit tests.

use std::sync::Mutex;

use super::{BusEvent, EventPublisher, PublishError};

#[derive(Debug, Default)]
pub struct MemoryBus {
    published: Mutex<Vec<BusEvent>>,
}

impl MemoryBus {
    /// Every event published so far, oldest first.
    pub fn published(&self) -> Vec<BusEvent> {
        self.published.lock().expect("lock").clone()
    }
}

impl EventPublisher for MemoryBus {
    async fn publish(&self, events: Vec<BusEvent>) -> Result<(), PublishError> {
        self.published.lock().expect("lock").extend(events);
        Ok(())
    }
}
