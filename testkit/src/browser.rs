//! A real headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`,
//! which `scripts/tools.sh` installs), for the console page's test.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

use crate::process::{start_on_free_port, tool, Guarded};

pub struct Browser {
    pub client: Client,
    profile: PathBuf,
    _driver: Guarded,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session with a fresh profile, kept off the
    /// network (no background requests, no component updates).
    pub async fn start() -> Self {
        let driver_bin = tool("CHROMEDRIVER", PathBuf::from("/usr/bin/chromedriver"));
        let chromium = tool("CHROMIUM", PathBuf::from("/usr/bin/chromium"));
        let driver = start_on_free_port(
            |port| {
                let mut command = Command::new(&driver_bin);
                command.arg(format!("--port={port}"));
                command
            },
            "chromedriver",
        );
        let profile = std::env::temp_dir().join(format!(
            "testkit-chromium-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1280,1400".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("an object")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .expect("chromedriver starts a headless Chromium session");
        Self {
            client,
            profile,
            _driver: driver,
        }
    }

    /// Evaluates `expression` (JavaScript) in the page.
    pub async fn eval(&self, expression: &str) -> Value {
        self.client
            .execute(&format!("return ({expression});"), vec![])
            .await
            .unwrap_or_else(|e| panic!("script {expression}: {e}"))
    }

    /// Polls `condition` (JavaScript, truthy when met) every 10 ms until it holds; returns how
    /// long it took, or panics after `within`.
    pub async fn wait_until(&self, condition: &str, within: Duration) -> Duration {
        let started = Instant::now();
        loop {
            if self.eval(condition).await.as_bool() == Some(true) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < within,
                "the page did not show `{condition}` within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Saves a PNG of the window.
    pub async fn screenshot(&self, path: &std::path::Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(path, png).expect("screenshot written");
    }

    /// Ends the session (Chromium exits) and removes the profile.
    pub async fn close(self) {
        let _ = self.client.close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
