//! Where Contact Lens's post-call analysis files are read from: the port, its S3 adapter and an
//! in-memory one for tests.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::aws_sdk::OnFirstUse;
use crate::store::StoreError;

/// A file is read whole; Contact Lens's files of a two-hour call are a few MB.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

pub trait AnalysisFiles: Send + Sync {
    /// The object's bytes; `None` when it does not exist (any more).
    fn get(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;
}

#[derive(Debug, Clone)]
pub struct S3Files {
    client: OnFirstUse<aws_sdk_s3::Client>,
}

impl S3Files {
    /// A client of `sdk`; path-style addressing when an endpoint is configured (an emulator).
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        let sdk = sdk.clone();
        Self {
            client: OnFirstUse::new(move || {
                let config = aws_sdk_s3::config::Builder::from(&sdk)
                    .force_path_style(sdk.endpoint_url().is_some())
                    .build();
                aws_sdk_s3::Client::from_conf(config)
            }),
        }
    }
}

impl AnalysisFiles for S3Files {
    async fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let output = self
            .client
            .get()
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await;
        let output = match output {
            Ok(o) => o,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        };
        if output
            .content_length()
            .is_some_and(|n| n > MAX_FILE_BYTES as i64)
        {
            tracing::warn!(bucket, "Contact Lens analysis file too large; skipped");
            return Ok(None);
        }
        let bytes = output.body.collect().await.map_err(|e| {
            tracing::error!(error = %e, "S3 GetObject body failed");
            StoreError::Unavailable
        })?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }
}

fn unavailable<E: std::error::Error + 'static>(error: SdkError<E, HttpResponse>) -> StoreError {
    tracing::error!(
        error = %DisplayErrorContext(&error),
        "S3 GetObject failed"
    );
    StoreError::Unavailable
}

/// Files in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryFiles {
    files: Mutex<HashMap<(String, String), Vec<u8>>>,
}

impl MemoryFiles {
    pub fn put(&self, bucket: &str, key: &str, data: Vec<u8>) {
        self.files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((bucket.to_owned(), key.to_owned()), data);
    }
}

impl AnalysisFiles for MemoryFiles {
    async fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .files
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned())
    }
}
