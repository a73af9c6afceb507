//! What can go wrong, and the exit code each failure means to a script.

/// A failed command. `Usage` is the operator's input (arguments, files, configuration);
/// everything else happened on the way to or at the admin API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments, an unreadable or malformed input file, no endpoint: exit 2, as clap's
    /// own usage errors.
    #[error("{0}")]
    Usage(String),
    /// The admin API answered an error status; `body` is its answer (a Salesforce-style error
    /// list), printed as it came.
    #[error("{call} answered {status}")]
    Api {
        call: String,
        status: u16,
        body: String,
    },
    /// The request never got an answer (connection, TLS, timeout).
    #[error("{call} failed: {reason}")]
    Transport { call: String, reason: String },
    /// No AWS credentials to sign with, or signing failed.
    #[error("{0}")]
    Signing(String),
    /// The API answered, but the answer says the command cannot go on (a tenant that already
    /// exists for `create`, an answer that is not the JSON the API promises).
    #[error("{0}")]
    Refused(String),
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// 2 for usage, 1 for everything the API (or the way to it) did.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_exits_2_and_api_errors_exit_1() {
        assert_eq!(Error::usage("x").exit_code(), 2);
        let api = Error::Api {
            call: "GET /admin/v1/tenants".into(),
            status: 404,
            body: "[]".into(),
        };
        assert_eq!(api.exit_code(), 1);
        assert_eq!(api.to_string(), "GET /admin/v1/tenants answered 404");
    }
}
