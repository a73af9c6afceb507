//! The local server's tests against moto, in one test binary: each file a module, as it would be
//! as a `tests/*.rs` target of its own. One binary links the SDK once and starts one moto for all
//! of them, where 35 binaries linked it 35 times (the cold `make test` build is CPU-bound).
//! `cargo test -p local-server --test suite erasure::` runs one module.
//!
//! Kept as binaries of their own (beside this directory): the tests that assert on latency or
//! rates (`limits`, `live_protocol`, `hardening_server`), the browser test (`live_console`) and
//! `redaction`, which installs the process's tracing subscriber to read every log line.

mod openapi_spec;

mod analysis;
mod call_updates;
mod contact_lens;
mod conversations;
mod cost_model;
mod erasure;
mod full_call;
mod hardening_action;
mod hardening_auth;
mod hardening_values;
mod intelligence_action;
mod intelligence_attention;
mod intelligence_seed_call;
mod intelligence_smoke;
mod offboarding;
mod openapi;
mod participant_erasure;
mod post_call;
mod realtime_accepted;
mod realtime_auth;
mod realtime_format;
mod realtime_storage;
mod realtime_validation;
mod realtime_xml;
mod recorded_clients;
mod retention;
mod smoke;
mod storage_failures;
mod telephony_requests;
mod telephony_storage_failures;
mod template;
mod tenants;
mod transcripts;
mod transfer_race;
mod voice_calls;
