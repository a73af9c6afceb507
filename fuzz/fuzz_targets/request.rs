//! `cargo fuzz run request`: the `request` target of fuzz-driver (see its `Target::Request`), coverage-guided.
#![no_main]

use fuzz_driver::libfuzzer;
use fuzz_driver::Target::Request as TARGET;
use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(init: libfuzzer::init(TARGET), |data: &[u8]| libfuzzer::check(TARGET, data));

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    libfuzzer::mutate(TARGET, data, size, max_size, seed, fuzzer_mutate)
});
