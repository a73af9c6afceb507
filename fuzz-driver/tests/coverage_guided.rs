//! The entry points of the coverage-guided targets (`fuzz/`, libFuzzer), on stable: every seed
//! a target's corpus is written with goes through `Harness::check_one` cleanly, the tokens the
//! token target signs are accepted, and the structure-aware mutator (`case::mutate_case`, with
//! the stable driver's byte mutations standing in for libFuzzer's) makes requests that the
//! oracles check without a finding.

use fuzz_driver::{case, mutate, Harness, Target};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn every_seed_of_every_target_is_answered_cleanly() {
    let mut harness = Harness::new(0);
    for target in Target::ALL {
        let corpus = harness.corpus(target);
        assert!(!corpus.is_empty(), "{}: no seeds", target.name());
        let mut accepted = 0;
        for data in &corpus {
            let status = harness.check_one(target, data).unwrap_or_else(|finding| {
                panic!(
                    "{}: {finding}\n{}",
                    target.name(),
                    String::from_utf8_lossy(data)
                )
            });
            accepted += usize::from(status.is_success());
        }
        println!(
            "{:8} {} seeds, {accepted} accepted",
            target.name(),
            corpus.len()
        );
        // The fixtures are valid requests: most are accepted as recorded (a few need a call
        // recorded first, or are answered 404 for a record the fixture names).
        assert!(
            accepted * 3 >= corpus.len() * 2,
            "{}: only {accepted} of {} seeds accepted",
            target.name(),
            corpus.len()
        );
    }
}

#[test]
fn mutated_cases_are_answered_and_checked() {
    let mut harness = Harness::new(0);
    let mut rng = StdRng::seed_from_u64(11);
    for target in Target::ALL {
        let mut pool = harness.corpus(target);
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..400 {
            let data = pool[rng.random_range(0..pool.len())].clone();
            let mut byte_rng = StdRng::seed_from_u64(rng.random());
            let mut bytes = |part: &mut Vec<u8>, max: usize| {
                mutate::bytes(part, &mut byte_rng);
                part.truncate(max);
            };
            let Some(mutated) = case::mutate_case(target, &data, rng.random(), 65536, &mut bytes)
            else {
                continue;
            };
            match harness.check_one(target, &mutated) {
                Ok(status) if status.is_success() => accepted += 1,
                Ok(_) => refused += 1,
                Err(finding) => panic!(
                    "{}: {finding}\n{}",
                    target.name(),
                    String::from_utf8_lossy(&mutated)
                ),
            }
            pool.push(mutated);
        }
        println!("{:8} {accepted} accepted, {refused} refused", target.name());
        assert!(accepted > 0 && refused > 0, "{}", target.name());
    }
}
