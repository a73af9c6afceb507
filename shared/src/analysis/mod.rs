//! Post-call analysis (CONTRACT §3.2): who writes a finished conversation's summary. The
//! built-in summariser ([`crate::intelligence::summary`]) always can; a generative one
//! (Amazon Bedrock's Converse API, [`bedrock`]) may be configured, and whatever it fails to do
//! in time falls back to the built-in summary. The result says which summariser wrote it.

pub mod bedrock;
pub mod sanitise;
pub mod summariser;

pub use summariser::{
    summarise, GenerativeError, GenerativeSummariser, Summariser, SummaryConfig, SummaryPrompts,
    WrittenSummary,
};
