//! Test support shared by the workspace's integration tests. Everything here talks to real
//! processes: a moto server (DynamoDB, EventBridge, SQS) and the Lambda runtime interface
//! emulator. A missing tool is a test failure with the command that installs it, never a skip.

pub mod admin;
pub mod bedrock;
pub mod browser;
pub mod calls;
pub mod compare;
pub mod emf;
pub mod events;
pub mod fault_proxy;
pub mod fixture;
pub mod intelligence;
pub mod keys;
pub mod live;
pub mod management_api;
pub mod process;
pub mod realtime;
pub mod rie;
pub mod rouge;
pub mod telephony;

pub use fixture::{Answer, Fixture};
pub use keys::{TestKeys, ORG_A, ORG_B};

/// The workspace root, for finding `events/` and the installed tools.
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit sits in the workspace")
        .to_owned()
}
