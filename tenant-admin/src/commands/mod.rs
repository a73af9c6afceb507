//! The commands, each a function of the admin API and its arguments to what is printed.

pub mod connect;
pub mod import;
pub mod keys;
pub mod settings;
pub mod tenants;

use serde_json::Value;

use crate::cli::{Command, ConnectCommand, KeysCommand, TenantsCommand};
use crate::client::Api;
use crate::error::Error;

/// What a command prints: JSON on stdout, a note for the operator on stderr.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Output {
    pub json: Option<Value>,
    pub note: Option<String>,
}

impl Output {
    pub fn json(json: Value) -> Self {
        Output {
            json: Some(json),
            note: None,
        }
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// Runs `command` against `api`.
pub async fn run(api: &impl Api, command: &Command) -> Result<Output, Error> {
    match command {
        Command::Tenants(command) => match command {
            TenantsCommand::List { limit, cursor, all } => {
                tenants::list(api, *limit, cursor.as_deref(), *all).await
            }
            TenantsCommand::Get { org } => tenants::get(api, org).await,
            TenantsCommand::Create { org, settings } => {
                tenants::create(api, org, settings::body(org, settings)?).await
            }
            TenantsCommand::Put { org, settings } => {
                tenants::put(api, org, settings::body(org, settings)?).await
            }
            TenantsCommand::Suspend { org } => tenants::set_status(api, org, "suspended").await,
            TenantsCommand::Activate { org } => tenants::set_status(api, org, "active").await,
            TenantsCommand::Offboard { org, yes, wait } => {
                let poll = wait.then_some(tenants::POLL);
                tenants::offboard(api, org, *yes, poll).await
            }
        },
        Command::Keys(command) => match command {
            KeysCommand::Add {
                org,
                subject,
                material,
                permissions,
                allow_token_reuse,
            } => {
                let key = keys::NewKey::read(subject, material, permissions, *allow_token_reuse)?;
                keys::add(api, org, &key).await
            }
            KeysCommand::List { org } => keys::list(api, org).await,
            KeysCommand::Revoke { org, key_id } => keys::revoke(api, org, key_id).await,
        },
        Command::Connect(command) => match command {
            ConnectCommand::Map { org, instance } => connect::map(api, org, instance).await,
            ConnectCommand::Unmap { org, instance } => connect::unmap(api, org, instance).await,
        },
        Command::Import(args) => {
            let plan = import::Plan::read(&args.trusted_keys, args.categories.as_deref())?;
            if args.dry_run {
                Ok(Output::json(plan.describe()))
            } else {
                import::run(api, &plan).await
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! A recording admin API: answers queued in order, calls kept for the test to read.

    use std::collections::VecDeque;
    use std::sync::Mutex;

    use serde_json::Value;

    use crate::call::Call;
    use crate::client::{Answer, Api};
    use crate::error::Error;

    #[derive(Default)]
    pub struct FakeApi {
        answers: Mutex<VecDeque<Answer>>,
        pub calls: Mutex<Vec<Call>>,
    }

    impl FakeApi {
        pub fn answering(answers: impl IntoIterator<Item = (u16, Value)>) -> Self {
            FakeApi {
                answers: Mutex::new(
                    answers
                        .into_iter()
                        .map(|(status, body)| Answer { status, body })
                        .collect(),
                ),
                calls: Mutex::default(),
            }
        }

        pub fn calls(&self) -> Vec<Call> {
            self.calls.lock().unwrap().clone()
        }

        /// `METHOD /path` of every call, in order.
        pub fn described(&self) -> Vec<String> {
            self.calls().iter().map(Call::describe).collect()
        }
    }

    impl Api for FakeApi {
        async fn send(&self, call: &Call) -> Result<Answer, Error> {
            self.calls.lock().unwrap().push(call.clone());
            let answer = self.answers.lock().unwrap().pop_front();
            Ok(answer.unwrap_or_else(|| panic!("no answer queued for {}", call.describe())))
        }
    }
}
