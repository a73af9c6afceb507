//! What the coverage-guided targets (`fuzz/fuzz_targets/*.rs`, libFuzzer through cargo-fuzz)
//! call, so that each target is three lines and nothing of the harness, its mutations or its
//! oracles is written twice. This module does not depend on libfuzzer-sys: its byte mutator
//! (`LLVMFuzzerMutate`) is passed in.

use std::cell::RefCell;
use std::path::Path;

use crate::{case, Harness, Target};

thread_local! {
    /// One harness per fuzzing process (libFuzzer runs inputs on one thread), rebuilt every
    /// [`Harness::RESET_EVERY`] inputs as in the stable driver.
    static HARNESS: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

fn with_harness<T>(f: impl FnOnce(&mut Harness) -> T) -> T {
    HARNESS.with(|cell| {
        let mut harness = cell.borrow_mut();
        f(harness.get_or_insert_with(|| Harness::new(0)))
    })
}

/// Builds the harness (keys, fixtures, the primed conversations) before the first input, and,
/// with `FUZZ_SEED_CORPUS=dir` in the environment, writes the target's seed corpus from the
/// real fixtures into `dir` (libFuzzer reads its corpus directories after this runs).
pub fn init(target: Target) {
    with_harness(|harness| {
        if let Some(dir) = std::env::var_os("FUZZ_SEED_CORPUS") {
            write_corpus(harness, target, Path::new(&dir));
        }
    });
}

fn write_corpus(harness: &Harness, target: Target, dir: &Path) {
    std::fs::create_dir_all(dir).expect("the seed corpus directory");
    for (i, seed) in harness.corpus(target).iter().enumerate() {
        let path = dir.join(format!("seed-{}-{i:03}", target.name()));
        std::fs::write(&path, seed).expect("a seed written");
    }
}

/// One input: any finding panics, which libFuzzer records as a crash (with the input).
pub fn check(target: Target, data: &[u8]) {
    if let Err(findings) = with_harness(|harness| harness.check_one(target, data)) {
        panic!("fuzz finding ({}): {findings}", target.name());
    }
}

/// libFuzzer's `LLVMFuzzerMutate`: mutates `data[..size]` in place, within `max_size`.
pub type ByteMutator = fn(&mut [u8], usize, usize) -> usize;

/// The custom mutator: [`case::mutate_case`] on the target's part of the request (as a tree, or
/// as bytes with the stable driver's or libFuzzer's byte mutations), and one time in ten
/// libFuzzer's mutation of the whole encoded case (method, path and header lines included).
pub fn mutate(
    target: Target,
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    byte_mutator: ByteMutator,
) -> usize {
    if seed.is_multiple_of(10) {
        return byte_mutator(data, size, max_size);
    }
    let mut part = |bytes: &mut Vec<u8>, max: usize| {
        let len = bytes.len();
        let max = max.max(len).max(1);
        bytes.resize(max, 0);
        let new_len = byte_mutator(bytes, len, max);
        bytes.truncate(new_len);
    };
    match case::mutate_case(target, &data[..size], seed, max_size, &mut part) {
        Some(out) => {
            data[..out.len()].copy_from_slice(&out);
            out.len()
        }
        None => byte_mutator(data, size, max_size),
    }
}
