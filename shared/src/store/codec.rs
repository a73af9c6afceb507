//! Items to and from DynamoDB attribute maps (serde_dynamo), failures logged, never answered.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_item};

use super::StoreError;

/// An item's attributes, to write.
pub(crate) fn attributes<T: Serialize>(
    item: T,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    to_item(item).map_err(|e| {
        tracing::error!(error = %e, "item did not serialise");
        StoreError::Unavailable
    })
}

/// Reads an item of a known type, logging (never answering) what did not fit.
pub(crate) fn decode<T: DeserializeOwned>(
    item: HashMap<String, AttributeValue>,
) -> Result<T, StoreError> {
    from_item(item).map_err(|e| {
        tracing::error!(error = %e, "stored item did not deserialise");
        StoreError::Unavailable
    })
}
