//! The generic cell rate algorithm (a token bucket kept as one number): a tenant's bucket is its
//! *theoretical arrival time* `tat`, in microseconds. Taking `n` requests at `now` moves it to
//! `max(tat, now) + n·T`, allowed while that stays within `τ` of `now` (`T` = 1/rate, `τ` =
//! burst·T). Both adapters apply exactly this; the DynamoDB one as conditional updates.

use super::Limits;

/// A limit in the algorithm's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// `T`: microseconds per request.
    pub interval_us: u64,
    /// `τ`: how far ahead of now the bucket may run (burst × `T`).
    pub tolerance_us: u64,
    /// The burst: the most taken at once.
    pub burst: u32,
}

impl Rate {
    pub fn of(limits: &Limits) -> Self {
        let interval_us = (1_000_000.0 / limits.requests_per_second).ceil().max(1.0) as u64;
        let burst = limits.burst.max(1);
        Self {
            interval_us,
            tolerance_us: interval_us * u64::from(burst),
            burst,
        }
    }
}

/// What a take came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// This many requests (1 ≤ n ≤ wanted) may be admitted.
    Granted(u32),
    /// None may be until this many microseconds have passed.
    Wait(u64),
}

/// The outcome of taking up to `want` requests from a bucket at `tat` (`None`: never used), and
/// the bucket's new `tat` when something was granted. Grants fewer than `want` when only fewer
/// fit.
pub fn take(tat: Option<u64>, now: u64, want: u32, rate: Rate) -> (Take, Option<u64>) {
    let base = tat.map_or(now, |t| t.max(now));
    let room = (now + rate.tolerance_us).saturating_sub(base) / rate.interval_us;
    let granted = room.min(u64::from(want.max(1))) as u32;
    if granted == 0 {
        let wait = (base + rate.interval_us).saturating_sub(now + rate.tolerance_us);
        return (Take::Wait(wait.max(1)), None);
    }
    (
        Take::Granted(granted),
        Some(base + u64::from(granted) * rate.interval_us),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(rps: f64, burst: u32) -> Rate {
        Rate::of(&Limits {
            requests_per_second: rps,
            burst,
        })
    }

    #[test]
    fn a_full_bucket_grants_its_burst_then_the_rate() {
        let r = rate(10.0, 5);
        let (first, tat) = take(None, 0, 5, r);
        assert_eq!(first, Take::Granted(5));
        let (none, _) = take(tat, 0, 1, r);
        assert_eq!(none, Take::Wait(100_000));
        let (one, _) = take(tat, 100_000, 3, r);
        assert_eq!(one, Take::Granted(1));
    }

    #[test]
    fn at_most_burst_plus_rate_over_any_span() {
        let r = rate(100.0, 20);
        let (mut tat, mut admitted) = (None, 0u64);
        // Asking every millisecond for 10 s.
        for ms in 0..10_000u64 {
            if let (Take::Granted(n), t) = take(tat, ms * 1000, 1, r) {
                admitted += u64::from(n);
                tat = t;
            }
        }
        assert!((1000..=1020).contains(&admitted), "{admitted}");
    }

    #[test]
    fn an_idle_bucket_refills_to_its_burst_only() {
        let r = rate(1.0, 3);
        let (_, tat) = take(None, 0, 3, r);
        let (later, _) = take(tat, 3_600_000_000, 10, r);
        assert_eq!(later, Take::Granted(3));
    }
}
