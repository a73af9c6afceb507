//! The CI slice of the fuzz driver (`make test`): every target with a fixed seed and with a
//! random one (printed, to replay a failure with `cargo run -p fuzz-driver -- --seed N`), a
//! bounded number of inputs each (about a minute in all, debug build). Any finding fails. A
//! sample of the accepted items is also written to moto, DynamoDB's stand-in here.

use fuzz_driver::{Harness, Report, Target};

const FIXED_SEED: u64 = 20_261_129;

/// Inputs per target and seed: debug-build speeds differ by target (signing, XML, ...).
fn budget(target: Target) -> u64 {
    match target {
        Target::Json => 4000,
        Target::Xml => 3000,
        Target::Token => 1200,
        Target::Request => 10_000,
        Target::Action => 3000,
    }
}

fn assert_clean(target: Target, seed: u64, report: &Report) {
    println!(
        "{:8} seed {seed}: {} inputs, {} accepted, {} refused, {} typed reading(s), {} finding(s)",
        target.name(),
        report.inputs,
        report.accepted,
        report.refused,
        report.typed_readings,
        report.findings.len()
    );
    assert!(
        report.findings.is_empty(),
        "{} (seed {seed}) found:\n{}",
        target.name(),
        report
            .findings
            .iter()
            .map(|(f, n)| format!("{n} × {}", f.chars().take(600).collect::<String>()))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        report.accepted > 0,
        "{}: nothing was accepted",
        target.name()
    );
    assert!(report.refused > 0, "{}: nothing was refused", target.name());
    if target == Target::Json {
        // The real-time bodies the typed reading accepted were compared with the tree reading.
        assert!(
            report.typed_readings > 0,
            "json: the typed reading accepted no body"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_target_with_a_fixed_and_a_random_seed() {
    let random_seed: u64 = rand::random();
    println!(
        "random seed {random_seed} (replay: cargo run -p fuzz-driver -- --seed {random_seed})"
    );
    let sample = tokio::task::spawn_blocking(move || {
        let mut harness = Harness::new(60);
        let mut sample = Vec::new();
        for target in Target::ALL {
            for seed in [FIXED_SEED, random_seed] {
                let report = harness.run(target, seed, budget(target));
                assert_clean(target, seed, &report);
                sample.extend(report.sample);
            }
        }
        sample
    })
    .await
    .expect("the driver ran");

    // What the oracle calls storable, a real DynamoDB-compatible server stores.
    assert!(sample.len() >= 20, "only {} items sampled", sample.len());
    let sdk = testkit::fixture::sdk_config(testkit::process::shared_moto()).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("fuzz-{}", uuid::Uuid::new_v4().simple());
    shared::provision::ensure_table(&client, &table)
        .await
        .expect("table created");
    for item in sample {
        let keys = (item.get("pk").cloned(), item.get("sk").cloned());
        client
            .put_item()
            .table_name(&table)
            .set_item(Some(item))
            .send()
            .await
            .unwrap_or_else(|e| panic!("moto refused an item the oracle passed ({keys:?}): {e:?}"));
    }
}
