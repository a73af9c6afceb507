//! The connections port: sending to one open WebSocket connection by its id. Adapters: the API
//! Gateway management API ([`ApiGatewayConnections`]) and the local server's registry.

use std::future::Future;

use crate::aws_sdk::OnFirstUse;
use aws_sdk_apigatewaymanagement::error::DisplayErrorContext;
use aws_sdk_apigatewaymanagement::primitives::Blob;

/// What became of one post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    Delivered,
    /// The connection no longer exists (API Gateway's `GoneException`, HTTP 410).
    Gone,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The connections endpoint failed (logged where it happened).
    #[error("connections endpoint unavailable")]
    Unavailable,
}

pub trait Connections: Send + Sync {
    fn post(
        &self,
        connection: &str,
        message: &str,
    ) -> impl Future<Output = Result<Posted, ConnectionError>> + Send;

    /// Closes a connection (an idle one); a connection already gone is closed.
    fn close(&self, connection: &str) -> impl Future<Output = Result<(), ConnectionError>> + Send;
}

/// `PostToConnection` and `DeleteConnection` on a WebSocket API's stage
/// (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`).
#[derive(Debug, Clone)]
pub struct ApiGatewayConnections {
    client: OnFirstUse<aws_sdk_apigatewaymanagement::Client>,
}

impl ApiGatewayConnections {
    /// A client of the management API at `endpoint` (the stage's https URL), made on first use.
    pub fn new(sdk: &aws_config::SdkConfig, endpoint: &str) -> Self {
        let (sdk, endpoint) = (sdk.clone(), endpoint.to_owned());
        Self {
            client: OnFirstUse::new(move || {
                let config = aws_sdk_apigatewaymanagement::config::Builder::from(&sdk)
                    .endpoint_url(&endpoint)
                    .build();
                aws_sdk_apigatewaymanagement::Client::from_conf(config)
            }),
        }
    }
}

impl Connections for ApiGatewayConnections {
    async fn post(&self, connection: &str, message: &str) -> Result<Posted, ConnectionError> {
        let result = self
            .client
            .get()
            .post_to_connection()
            .connection_id(connection)
            .data(Blob::new(message.as_bytes()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Posted::Delivered),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_gone_exception()) => {
                Ok(Posted::Gone)
            }
            Err(e) => {
                tracing::error!(error = %DisplayErrorContext(&e), "PostToConnection failed");
                Err(ConnectionError::Unavailable)
            }
        }
    }

    async fn close(&self, connection: &str) -> Result<(), ConnectionError> {
        match self
            .client
            .get()
            .delete_connection()
            .connection_id(connection)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_gone_exception()) => Ok(()),
            Err(e) => {
                tracing::error!(error = %DisplayErrorContext(&e), "DeleteConnection failed");
                Err(ConnectionError::Unavailable)
            }
        }
    }
}
