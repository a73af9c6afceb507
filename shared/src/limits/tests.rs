use std::sync::Arc;
use std::time::Duration;

use super::memory::MemoryBuckets;
use super::*;
use crate::clock::ManualClock;

/// A tenant as the limiter sees it: its org and its own limits.
fn tenant(org: &str, limits: Option<Limits>) -> (OrgId, Option<Limits>) {
    (OrgId::new(org), limits)
}

fn limits(rps: f64, burst: u32) -> Limits {
    Limits {
        requests_per_second: rps,
        burst,
    }
}

#[tokio::test]
async fn over_its_limit_a_tenant_is_refused_and_another_is_not() {
    let clock = Arc::new(ManualClock::at(1_000_000));
    let limiter = Limiter::with_clock(Arc::new(MemoryBuckets::new()), None, clock.clone());
    let busy = tenant("00DHs00000Kmpyr", Some(limits(10.0, 5)));
    let quiet = tenant("00DHs00000Kmpyz", Some(limits(10.0, 5)));
    let mut admitted = 0;
    let mut refused = None;
    for _ in 0..20 {
        match limiter.admit(&busy.0, busy.1).await {
            Ok(()) => admitted += 1,
            Err(e) => refused = Some(e),
        }
    }
    assert_eq!(admitted, 5, "the burst, at one moment");
    assert_eq!(refused.unwrap().retry_after_secs, 1);
    assert!(limiter.admit(&quiet.0, quiet.1).await.is_ok());
    clock.advance(Duration::from_millis(1_000));
    assert!(
        limiter.admit(&busy.0, busy.1).await.is_ok(),
        "refilled after Retry-After"
    );
}

#[tokio::test]
async fn no_limits_and_no_default_cost_nothing() {
    let buckets = Arc::new(MemoryBuckets::new());
    let limiter = Limiter::new(buckets.clone(), None);
    for _ in 0..100 {
        let (org, own) = tenant("00DHs00000Kmpyr", None);
        limiter.admit(&org, own).await.unwrap();
    }
    assert_eq!(buckets.requests(), 0);
    let defaulted = Limiter::new(buckets.clone(), Some(limits(1.0, 1)));
    let t = tenant("00DHs00000Kmpyr", None);
    assert!(defaulted.admit(&t.0, t.1).await.is_ok());
    assert!(
        defaulted.admit(&t.0, t.1).await.is_err(),
        "the stack's default applies"
    );
}

#[tokio::test]
async fn leases_cost_at_most_a_tenth_of_a_request_at_steady_load() {
    let clock = Arc::new(ManualClock::at(1_000_000));
    let buckets = Arc::new(MemoryBuckets::new());
    let limiter = Limiter::with_clock(buckets.clone(), None, clock.clone());
    let t = tenant("00DHs00000Kmpyr", Some(limits(400.0, 400)));
    // 300 requests/s for 20 s, one every 3⅓ ms.
    let mut admitted = 0u64;
    for i in 0..6_000u64 {
        if i % 3 == 0 {
            clock.advance(Duration::from_millis(4));
        } else {
            clock.advance(Duration::from_millis(3));
        }
        if limiter.admit(&t.0, t.1).await.is_ok() {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 6_000, "under its limit, nothing is refused");
    let per_request = buckets.requests() as f64 / admitted as f64;
    assert!(per_request <= 0.1, "{per_request}");
}

#[tokio::test]
async fn several_instances_hold_one_limit_together() {
    let clock = Arc::new(ManualClock::at(1_000_000));
    let buckets: Arc<MemoryBuckets> = Arc::new(MemoryBuckets::new());
    let instances: Vec<Limiter> = (0..5)
        .map(|_| Limiter::with_clock(buckets.clone(), None, clock.clone()))
        .collect();
    let t = tenant("00DHs00000Kmpyr", Some(limits(100.0, 50)));
    let mut admitted = 0u64;
    // Each instance asks every millisecond for 10 s: 50,000 requests a second in all.
    for _ in 0..10_000 {
        clock.advance(Duration::from_millis(1));
        for instance in &instances {
            if instance.admit(&t.0, t.1).await.is_ok() {
                admitted += 1;
            }
        }
    }
    let allowed = 100 * 10 + 50;
    assert!(
        admitted <= allowed * 11 / 10,
        "{admitted} > {allowed} + 10 %"
    );
    assert!(
        admitted >= allowed * 8 / 10,
        "{admitted}: far under the limit"
    );
}
