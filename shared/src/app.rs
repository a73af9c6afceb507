//! The state every handler shares, built once at start-up from the environment.

use crate::actions::ActionsApp;
use crate::aws_sdk::OnFirstUse;
use crate::bus::eventbridge::EventBridgeBus;
use crate::bus::EventPublisher;
use crate::store::dynamo::DynamoStore;
use crate::store::{ReplayGuard, TelephonyStore};
use crate::tenants::Tenants;

pub use crate::config::{ConfigError, Settings, DEFAULT_EVENT_SOURCE, DEFAULT_RETENTION_DAYS};

/// Handler state: the tenants (their keys and settings) and the ports. Generic so that the
/// benchmark and unit tests can use in-process ports; production uses [`AwsApp`].
pub struct App<S, B> {
    pub tenants: Tenants,
    pub store: S,
    pub bus: B,
}

pub type AwsApp = App<DynamoStore, EventBridgeBus>;

/// Everything a storage backend must offer the handlers.
pub trait Store: TelephonyStore + ReplayGuard {}
impl<T: TelephonyStore + ReplayGuard> Store for T {}

impl AwsApp {
    /// Reads settings and builds the AWS clients and the tenant directory. Makes no AWS call:
    /// credentials and endpoints (`AWS_ENDPOINT_URL*` for emulators) resolve lazily on first
    /// use, and tenants are read when a request first names them.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let settings = Settings::from_env()?;
        let sdk = crate::aws_sdk::load().await;
        let tenants = crate::tenants::from_env(&sdk)?
            .limited_by(crate::limits::from_env(&sdk, &settings.table_name)?);
        Ok(Self::new(&sdk, &settings, tenants))
    }

    pub fn new(sdk: &aws_config::SdkConfig, settings: &Settings, tenants: Tenants) -> Self {
        let store = DynamoStore::new(
            OnFirstUse::of(sdk, aws_sdk_dynamodb::Client::new),
            &settings.table_name,
            settings.retention_days,
        )
        .with_tenant_retention(tenants.clone());
        let bus = EventBridgeBus::new(
            OnFirstUse::of(sdk, aws_sdk_eventbridge::Client::new),
            &settings.event_bus_name,
            &settings.event_source,
        );
        Self {
            tenants,
            store,
            bus,
        }
    }
}

impl<S: Store, B: EventPublisher> App<S, B> {
    pub fn with_ports(tenants: Tenants, store: S, bus: B) -> Self {
        Self {
            tenants,
            store,
            bus,
        }
    }
}

/// What the read-side functions (the action, the live channel) load from the environment.
struct ReadSide {
    table_name: String,
    tenants: Tenants,
    sdk: aws_config::SdkConfig,
}

impl ReadSide {
    /// Table, tenant directory and the SDK configuration. Makes no AWS call.
    async fn from_env() -> Result<Self, ConfigError> {
        let table_name =
            std::env::var("TABLE_NAME").map_err(|_| ConfigError::Missing("TABLE_NAME"))?;
        let sdk = crate::aws_sdk::load().await;
        Ok(Self {
            table_name,
            tenants: crate::tenants::from_env(&sdk)?,
            sdk,
        })
    }
}

/// The store of a side that never writes conversation data, so retention plays no part.
fn reader_store(sdk: &aws_config::SdkConfig, table_name: &str) -> DynamoStore {
    DynamoStore::new(
        OnFirstUse::of(sdk, aws_sdk_dynamodb::Client::new),
        table_name,
        DEFAULT_RETENTION_DAYS,
    )
}

pub type AwsActionsApp = ActionsApp<DynamoStore>;

impl AwsActionsApp {
    /// The read side: table and tenants; no event bus. Makes no AWS call.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let ReadSide {
            table_name,
            tenants,
            sdk,
        } = ReadSide::from_env().await?;
        let tenants = tenants.limited_by(crate::limits::from_env(&sdk, &table_name)?);
        Ok(Self::new(&sdk, &table_name, tenants))
    }

    pub fn new(sdk: &aws_config::SdkConfig, table_name: &str, tenants: Tenants) -> Self {
        let store = reader_store(sdk, table_name);
        Self { tenants, store }
    }
}

pub type AwsLiveApp = crate::live::LiveApp<DynamoStore, DynamoStore>;

impl AwsLiveApp {
    /// The live channel's side: table (conversations and subscriptions) and tenants. Makes no
    /// AWS call.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let ReadSide {
            table_name,
            tenants,
            sdk,
        } = ReadSide::from_env().await?;
        Ok(Self::new(&sdk, &table_name, tenants))
    }

    pub fn new(sdk: &aws_config::SdkConfig, table_name: &str, tenants: Tenants) -> Self {
        // Subscriptions expire by their own TTL.
        let store = reader_store(sdk, table_name);
        Self {
            tenants,
            reader: store.clone(),
            subscriptions: store,
        }
    }
}
