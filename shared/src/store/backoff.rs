use std::time::Duration;

use rand::Rng;

/// Exponential backoff with full jitter, bounded in attempts.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// Retries after the first try; the total tries are `retries + 1`.
    pub retries: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(25),
            cap: Duration::from_millis(800),
            retries: 6,
        }
    }
}

impl Backoff {
    /// The pause before retry number `retry` (0-based): uniform in `0..=min(cap, base·2^retry)`.
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << retry.min(16))
            .min(self.cap);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_under_the_growing_ceiling() {
        let b = Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(100),
            retries: 5,
        };
        for retry in 0..20 {
            let ceiling = (10u64 << retry.min(16)).min(100);
            assert!(b.delay(retry) <= Duration::from_millis(ceiling));
        }
    }
}
