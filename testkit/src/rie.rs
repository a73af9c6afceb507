//! A function binary under the Lambda runtime interface emulator: the real runtime API, as
//! `sam local invoke` runs it inside its container.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::process::{free_port, rie_bin, start_on_free_port, Guarded};

pub struct Rie {
    process: Guarded,
    http: reqwest::Client,
}

impl Rie {
    /// Starts `bootstrap` under the emulator with `env` (plus this process's environment).
    pub fn start(bootstrap: &Path, env: &[(String, String)]) -> Self {
        Self::start_command(bootstrap, &[], env)
    }

    /// Starts `program args…` under the emulator as the function's process, e.g. an arm64
    /// bootstrap through qemu user mode (`qemu-aarch64-static bootstrap`), with `env` (plus this
    /// process's environment).
    pub fn start_command(program: &Path, args: &[&OsStr], env: &[(String, String)]) -> Self {
        let command = |port: u16| {
            let mut command = Command::new(rie_bin());
            command
                .arg("--runtime-interface-emulator-address")
                .arg(format!("127.0.0.1:{port}"))
                // Its internal runtime API defaults to port 9001; emulators side by side need
                // their own.
                .arg("--runtime-api-address")
                .arg(format!("127.0.0.1:{}", free_port()))
                .arg(program)
                .args(args)
                .envs(env.iter().map(|(k, v)| (k, v)));
            command
        };
        Self {
            process: start_on_free_port(command, "rie"),
            http: reqwest::Client::new(),
        }
    }

    /// What the function (and the emulator) printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.process.log).unwrap_or_default()
    }

    /// Invokes the function with `event` and returns what it answered.
    pub async fn invoke(&self, event: &Value) -> Value {
        let url = format!(
            "{}/2015-03-31/functions/function/invocations",
            self.process.url()
        );
        let response = self
            .http
            .post(url)
            .json(event)
            .send()
            .await
            .expect("the emulator answers");
        let text = response.text().await.expect("a body");
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("invocation answer is not JSON ({e}): {text}"))
    }
}
