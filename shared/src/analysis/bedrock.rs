//! The generative summariser on Amazon Bedrock's Converse API. The endpoint comes from the SDK
//! configuration (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME` overrides it); throttling and timeouts are
//! classified by kind, never stringified.

use std::time::Duration;

use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::operation::converse::ConverseError;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseOutput, InferenceConfiguration, Message,
};
use aws_sdk_bedrockruntime::Client;

use crate::aws_sdk::OnFirstUse;

use super::summariser::{GenerativeError, GenerativeSummariser, SummaryConfig, SummaryPrompts};

/// The most tokens a summary may take.
const MAX_TOKENS: i32 = 1_200;

pub struct BedrockSummariser {
    client: OnFirstUse<Client>,
    model_id: String,
    prompts: SummaryPrompts,
    time_limit: Duration,
}

impl BedrockSummariser {
    /// `None` when no model is configured (the generative summariser is off).
    pub fn new(sdk: &aws_config::SdkConfig, config: &SummaryConfig) -> Option<Self> {
        let model_id = config.model_id.clone()?;
        // One retry at most: the time limit is for the whole summary, and a throttled model
        // is better answered by the built-in summary now than by a retry storm.
        let (sdk, time_limit) = (sdk.clone(), config.time_limit);
        let client = OnFirstUse::new(move || {
            let client_config = aws_sdk_bedrockruntime::config::Builder::from(&sdk)
                .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2))
                .timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .operation_timeout(time_limit)
                        .build(),
                )
                .build();
            Client::from_conf(client_config)
        });
        Some(Self {
            client,
            model_id,
            prompts: config.prompts.clone(),
            time_limit: config.time_limit,
        })
    }
}

impl GenerativeSummariser for BedrockSummariser {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn prompt_for(&self, org: &str) -> &str {
        self.prompts.for_org(org)
    }

    fn time_limit(&self) -> Duration {
        self.time_limit
    }

    async fn generate(&self, prompt: &str) -> Result<String, GenerativeError> {
        let message = Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text(prompt.to_owned()))
            .build()
            .map_err(|_| GenerativeError::Unusable)?;
        let answer = self
            .client
            .get()
            .converse()
            .model_id(&self.model_id)
            .messages(message)
            .inference_config(
                InferenceConfiguration::builder()
                    .max_tokens(MAX_TOKENS)
                    .temperature(0.0)
                    .build(),
            )
            .send()
            .await
            .map_err(classify)?;
        let Some(ConverseOutput::Message(message)) = answer.output else {
            return Err(GenerativeError::Unusable);
        };
        let text: String = message
            .content
            .iter()
            .filter_map(|block| block.as_text().ok())
            .map(String::as_str)
            .collect();
        if text.trim().is_empty() {
            Err(GenerativeError::Unusable)
        } else {
            Ok(text)
        }
    }
}

fn classify(error: SdkError<ConverseError>) -> GenerativeError {
    let kind = match &error {
        SdkError::TimeoutError(_) => GenerativeError::TimedOut,
        SdkError::ServiceError(e) if e.err().is_throttling_exception() => {
            GenerativeError::Throttled
        }
        SdkError::ServiceError(e) if e.err().is_model_timeout_exception() => {
            GenerativeError::TimedOut
        }
        SdkError::ResponseError(_) => GenerativeError::Unusable,
        _ => GenerativeError::Unavailable,
    };
    tracing::warn!(error = %aws_sdk_bedrockruntime::error::DisplayErrorContext(&error), "Bedrock Converse failed");
    kind
}
