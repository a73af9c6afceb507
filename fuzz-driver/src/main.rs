//! `make fuzz`: runs the driver over every target (or those named) and prints counts and
//! findings. `fuzz-driver [--inputs N] [--seed S] [target...]`; exits non-zero on any finding.

use std::time::Instant;

use fuzz_driver::{Harness, Target};

fn main() {
    let mut inputs: u64 = 10_000_000;
    let mut seed: u64 = rand::random();
    let mut targets = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--inputs" => {
                inputs = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--inputs N")
            }
            "--seed" => seed = args.next().and_then(|v| v.parse().ok()).expect("--seed S"),
            name => {
                targets.push(Target::parse(name).unwrap_or_else(|| panic!("unknown target {name}")))
            }
        }
    }
    if targets.is_empty() {
        targets = Target::ALL.to_vec();
    }
    // Panics are findings, reported once each; keep the default hook from printing each one.
    std::panic::set_hook(Box::new(|_| {}));
    let mut harness = Harness::new(0);
    let mut found = false;
    println!("seed {seed}, {inputs} inputs per target");
    for target in targets {
        let started = Instant::now();
        let report = harness.run(target, seed, inputs);
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{:8} {:>10} inputs ({} accepted, {} refused, {} typed reading(s)) in {secs:.0} s, {:.0}/s, {} finding(s)",
            target.name(),
            report.inputs,
            report.accepted,
            report.refused,
            report.typed_readings,
            report.inputs as f64 / secs,
            report.findings.len()
        );
        for (finding, count) in &report.findings {
            found = true;
            let shown: String = finding.chars().take(400).collect();
            println!("  {count} × {shown}");
        }
    }
    if found {
        std::process::exit(1);
    }
}
