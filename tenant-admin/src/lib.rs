//! `tenant-admin`: the operator's client of the admin API (CONTRACT §7).
//!
//! [`Client`] is an endpoint and an [`Auth`] (the local admin token, or SigV4 with the
//! operator's AWS credentials); [`commands`] are plain functions of an [`Api`] and their
//! arguments, so tests can run them against a recording double as well as the real server.

pub mod auth;
pub mod call;
pub mod cli;
pub mod client;
pub mod commands;
pub mod error;
pub mod sigv4;

pub use auth::{Auth, AuthChoice, Signer, TokenSources};
pub use call::{Call, Endpoint};
pub use client::{Answer, Api, Client};
pub use commands::Output;
pub use error::Error;

use cli::{Cli, Command, Connection};

/// The client `connection` describes: the endpoint, and the authorisation the rule of
/// [`auth`] picks (AWS configuration loaded only when signing).
pub async fn connect(connection: &Connection) -> Result<Client, Error> {
    let endpoint = connection
        .endpoint
        .as_deref()
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| {
            Error::usage(
            "no endpoint: pass --endpoint URL or set TENANT_ADMIN_ENDPOINT (the stack's API URL, \
             or http://127.0.0.1:PORT for make run)",
        )
        })?;
    let endpoint = Endpoint::parse(endpoint)?;
    let sources = TokenSources {
        token: connection.admin_token.clone(),
        token_file: connection.admin_token_file.clone(),
        default_file: auth::default_token_file(std::env::var("DEV_KEYS_DIR").ok().as_deref()),
    };
    let auth = match auth::choose(&sources, &endpoint)? {
        AuthChoice::Bearer(token) => Auth::Bearer(token),
        AuthChoice::SigV4 => Auth::SigV4(
            Signer::load(
                &endpoint,
                connection.region.as_deref(),
                connection.profile.as_deref(),
            )
            .await?,
        ),
    };
    Ok(Client::new(endpoint, auth))
}

/// Runs the command line: what to print, or why not.
pub async fn run(cli: &Cli) -> Result<Output, Error> {
    // A dry run makes no request: it needs no endpoint nor credentials.
    if let Command::Import(args) = &cli.command {
        if args.dry_run {
            let plan =
                commands::import::Plan::read(&args.trusted_keys, args.categories.as_deref())?;
            return Ok(Output::json(plan.describe()));
        }
    }
    let client = connect(&cli.connection).await?;
    commands::run(&client, &cli.command).await
}

/// The error as the operator reads it on stderr: what failed, then the API's answer as it came.
pub fn describe_error(error: &Error) -> String {
    match error {
        Error::Api { body, .. } if !body.is_empty() => format!("tenant-admin: {error}\n{body}"),
        Error::Usage(_) => format!("tenant-admin: {error}\n(see tenant-admin --help)"),
        _ => format!("tenant-admin: {error}"),
    }
}
