//! The domain crate shared by every Lambda of the service and by the local server: wire codecs
//! (JSON and XML), validation into domain types, the error type and its one mapping to
//! Salesforce error bodies, JWT verification, and the storage and event-bus ports with their
//! AWS adapters.

pub mod actions;
pub mod analysis;
pub mod app;
pub mod audit;
pub mod auth;
pub mod aws_sdk;
pub mod bus;
pub mod clock;
pub mod config;
pub mod contact_flow;
pub mod contact_lens;
pub mod erasure;
pub mod error;
pub mod format;
pub mod intelligence;
pub mod lambda;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod model;
pub mod prompts;
pub mod provision;
pub mod redaction;
pub mod respond;
pub mod store;
pub mod telephony;
pub mod tenants;
pub mod validate;
pub mod xml;

/// Opens the span every request is logged under; handlers fill in `tenant` and
/// `vendor_call_key` once they know them. Tokens and keys are never recorded.
pub fn request_span(request_id: &str, method: &http::Method, path: &str) -> tracing::Span {
    tracing::info_span!(
        "request",
        request_id,
        %method,
        path,
        tenant = tracing::field::Empty,
        vendor_call_key = tracing::field::Empty,
    )
}
