//! An in-process event bus, for the benchmark and handler unit tests.

use std::sync::Mutex;

use super::{EventPublisher, PublishError};

#[derive(Debug, Default)]
pub struct MemoryBus {
    published: Mutex<Vec<String>>,
}

impl MemoryBus {
    pub fn published(&self) -> Vec<String> {
        self.published.lock().expect("lock").clone()
    }
}

impl EventPublisher for MemoryBus {
    async fn publish(&self, details: Vec<String>) -> Result<(), PublishError> {
        self.published.lock().expect("lock").extend(details);
        Ok(())
    }
}
