//! The live channel (CONTRACT §6): every event published for a conversation, pushed to the
//! WebSocket connections subscribed to it, and the console page that shows it.
//!
//! Ports: [`Subscriptions`] (DynamoDB adapter in [`dynamo`]) and [`Connections`] (the API
//! Gateway management API here; the local server's in-process registry in `local-server`).
//! [`on_message`] answers clients; [`deliver`] pushes events; both run unchanged in the Lambdas
//! and in the local server.

pub mod connections;
pub mod console;
pub mod deliver;
pub mod dynamo;
pub mod lambda;
pub mod message;
pub mod protocol;
pub mod socket;
pub mod subscriptions;

pub use connections::{ApiGatewayConnections, ConnectionError, Connections, Posted};
pub use deliver::{deliver, deliver_live, sweep_idle, Delivery};
pub use message::{from_detail, live_event, LiveEvent};
pub use protocol::{ClientMessage, ErrorCode, ServerMessage};
pub use socket::{on_message, LiveApp};
pub use subscriptions::{Subscription, Subscriptions, IDLE_SECS};

/// On a conversation head: a live subscription was made to it (`crate::store::items::WATCHED`).
pub use crate::store::items::WATCHED;

/// Path of the console page on the HTTP API and the local server.
pub const CONSOLE_PATH: &str = "/console";
/// Path of the WebSocket on the local server.
pub const LOCAL_LIVE_PATH: &str = "/live";
