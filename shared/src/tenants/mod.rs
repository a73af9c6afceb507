//! Tenants administered at run time (CONTRACT §7): the tenant record, its ports and adapters,
//! the cache every function reads it through ([`Tenants`]), and the admin API ([`admin`]).

pub mod admin;
mod directory;
pub mod dynamo;
pub mod import;
pub mod memory;
pub mod record;
pub mod settings;
pub mod store;
mod tenant;

#[cfg(test)]
mod tests;

/// Offboarding, an admin route (`admin::offboard`).
pub use admin::offboard;
pub use directory::{Admitted, Refusal, Tenants, CACHE_TTL};
pub use record::{Status, TenantRecord};
pub use tenant::Tenant;

use std::sync::Arc;

use crate::aws_sdk::OnFirstUse;

/// Where a function's tenants come from: the table named by `TENANTS_TABLE` (AWS), else the
/// documents of [`import::records_from_env`] held in memory (local runs and tests without a
/// table). Makes no AWS call; with a table, reads nothing until the first request.
pub fn source_from_env(
    sdk: &aws_config::SdkConfig,
) -> Result<Arc<dyn store::TenantSource>, import::ImportError> {
    match std::env::var("TENANTS_TABLE") {
        Ok(table) if !table.trim().is_empty() => Ok(Arc::new(dynamo::DynamoTenants::new(
            OnFirstUse::of(sdk, aws_sdk_dynamodb::Client::new),
            table.trim(),
        ))),
        _ => {
            let now = crate::clock::rfc3339(crate::clock::now_millis());
            let records = import::records_from_env(&now)?;
            tracing::info!(
                tenants = records.len(),
                "tenants from the environment's documents"
            );
            Ok(Arc::new(memory::MemoryTenants::with_records(records)))
        }
    }
}

/// The directory of [`source_from_env`], with `CONNECT_TENANT` as the contact flows' default.
pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Tenants, import::ImportError> {
    Ok(Tenants::new(
        source_from_env(sdk)?,
        crate::contact_flow::tenant_from_env(),
    ))
}

/// A directory held in memory of a registry document and a categories document (benchmarks,
/// the fuzz driver, unit tests).
pub fn of_documents(
    registry_doc: &str,
    categories_doc: &str,
    connect_default: Option<crate::model::OrgId>,
) -> Result<Tenants, import::ImportError> {
    let registry = crate::auth::KeyRegistry::from_json(registry_doc)?;
    let now = crate::clock::rfc3339(crate::clock::now_millis());
    let records = import::records(&registry, categories_doc, None, &now)?;
    Ok(Tenants::new(
        Arc::new(memory::MemoryTenants::with_records(records)),
        connect_default,
    ))
}
