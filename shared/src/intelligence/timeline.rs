//! Placing what was stored on one time axis: epoch milliseconds, and seconds from the start.

use crate::store::items::SignalItem;
use crate::store::ConversationRecord;

/// Below this, a real-time `startTime` is taken as seconds: the contract says milliseconds, the
/// seed's own examples send seconds, and 10^11 ms is 1973 while 10^11 s is the year 5138.
const SECONDS_BELOW: u64 = 100_000_000_000;

pub fn signal_millis(signal: &SignalItem) -> u64 {
    if signal.start_time < SECONDS_BELOW {
        signal.start_time.saturating_mul(1000)
    } else {
        signal.start_time
    }
}

/// The conversation's start and end, in epoch milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    pub start: u64,
    pub end: u64,
}

impl Timeline {
    /// Starts at the first leg's start or the first transcript entry, whichever is earlier
    /// (signals alone: the first signal); ends at the last thing that happened.
    pub fn new(record: &ConversationRecord) -> Self {
        let legs = record
            .legs
            .iter()
            .filter_map(|l| u64::try_from(l.start_time_millis).ok());
        let first_entry = record.messages.iter().map(|m| m.start_time).min();
        let start = legs
            .chain(first_entry)
            .min()
            .or_else(|| record.signals.iter().map(signal_millis).min())
            .or_else(|| record.post_call.iter().map(|p| p.start_time).min())
            .unwrap_or(0);
        let end = record
            .messages
            .iter()
            .map(|m| m.end_time)
            .chain(record.signals.iter().map(signal_millis))
            .chain(record.post_call.iter().map(|p| p.end_time))
            .max()
            .unwrap_or(start)
            .max(start);
        Self { start, end }
    }

    /// Seconds from the start (never negative).
    pub fn offset(&self, millis: u64) -> f64 {
        millis.saturating_sub(self.start) as f64 / 1000.0
    }

    /// Which quarter of the call (0..=3) `millis` falls in.
    pub fn quarter(&self, millis: u64) -> usize {
        let length = self.end.saturating_sub(self.start).max(1);
        let into = millis.saturating_sub(self.start).min(length - 1);
        usize::try_from(into.saturating_mul(4) / length)
            .unwrap_or(3)
            .min(3)
    }
}
