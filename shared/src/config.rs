//! Deployment settings read from the environment (docs/operations.md, "Configuration") and
//! what is wrong when they cannot be read: read once at start-up by every function, before any
//! AWS call.

use crate::auth::RegistryError;
use crate::intelligence::categories::CategoriesError;
use crate::tenants::import::ImportError;

pub const DEFAULT_EVENT_SOURCE: &str = "voicecall-intelligence";
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {why}")]
    Invalid { name: &'static str, why: String },
    #[error("trusted keys: {0}")]
    Keys(#[from] RegistryError),
    #[error("insight categories: {0}")]
    Categories(#[from] CategoriesError),
    #[error("tenants: {0}")]
    Tenants(#[from] ImportError),
}

impl From<crate::limits::EnvError> for ConfigError {
    fn from(e: crate::limits::EnvError) -> Self {
        Self::Invalid {
            name: e.name,
            why: e.why,
        }
    }
}

/// Deployment settings read from the environment (docs/operations.md, "Configuration").
#[derive(Debug, Clone)]
pub struct Settings {
    pub table_name: String,
    pub event_bus_name: String,
    pub event_source: String,
    pub retention_days: u32,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let required =
            |name: &'static str| std::env::var(name).map_err(|_| ConfigError::Missing(name));
        let retention_days = match std::env::var("RETENTION_DAYS") {
            Err(_) => DEFAULT_RETENTION_DAYS,
            Ok(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| *d > 0)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "RETENTION_DAYS",
                    why: "must be a whole number of days ≥ 1".into(),
                })?,
        };
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            event_bus_name: required("EVENT_BUS_NAME")?,
            event_source: std::env::var("EVENT_SOURCE")
                .unwrap_or_else(|_| DEFAULT_EVENT_SOURCE.to_owned()),
            retention_days,
        })
    }
}
