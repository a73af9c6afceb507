//! The real `tenant-admin` binary against the real local server (testkit's fixture: the local
//! server's app on a moto server, its admin API opened by `ADMIN_TOKEN`): onboarding an org,
//! its keys, suspension, Connect instances, an import, and the authentication choices.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use testkit::fixture::ADMIN_TOKEN;
use testkit::{Fixture, ORG_A};

const ORG: &str = "00DE00000000001";
const ARN: &str =
    "arn:aws:connect:eu-west-1:111122223333:instance/0a1b2c3d-aaaa-bbbb-cccc-000000000001";
const INSTANCE_ID: &str = "0a1b2c3d-aaaa-bbbb-cccc-000000000001";

/// One run of the binary.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    fn failed(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A scratch directory, the binary's working directory (so no `.dev-keys` of the checkout is
/// found) and home of the test's files.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "tenant-admin-e2e-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary with a clean environment: no token, endpoint or AWS settings of the caller's.
fn command(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tenant-admin"));
    command.current_dir(cwd);
    for name in [
        "ADMIN_TOKEN",
        "TENANT_ADMIN_ENDPOINT",
        "DEV_KEYS_DIR",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ] {
        command.env_remove(name);
    }
    // Nothing of this machine's AWS configuration: no profile files, no instance metadata.
    command
        .env("AWS_CONFIG_FILE", cwd.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            cwd.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// Runs `command` off the runtime's thread, which serves the fixture's local server.
async fn run(mut command: Command, args: &[&str]) -> Run {
    command.args(args);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the run's thread")
        .expect("tenant-admin runs");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// The binary at the fixture's server with the admin token in `ADMIN_TOKEN`.
async fn admin(fx: &Fixture, scratch: &Scratch, args: &[&str]) -> Run {
    let mut command = command(&scratch.0);
    command
        .env("TENANT_ADMIN_ENDPOINT", &fx.base_url)
        .env("ADMIN_TOKEN", ADMIN_TOKEN);
    run(command, args).await
}

/// A P-256 key pair's public PEM and a self-signed certificate of another, as files.
fn key_files(scratch: &Scratch) -> (PathBuf, PathBuf, Vec<String>) {
    let public = rcgen::KeyPair::generate().expect("a P-256 key");
    let public_pem = public.public_key_pem();
    let signer = rcgen::KeyPair::generate().expect("a P-256 key");
    let certificate = rcgen::CertificateParams::new(vec!["cc.example".to_owned()])
        .expect("params")
        .self_signed(&signer)
        .expect("a certificate")
        .pem();
    // Lines of key material that no output may hold.
    let material: Vec<String> = [&public_pem, &certificate]
        .iter()
        .flat_map(|pem| {
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|l| l.len() > 16)
        .collect();
    (
        scratch.write("cc-public.pem", &public_pem),
        scratch.write("console.crt", &certificate),
        material,
    )
}

#[track_caller]
fn assert_no_material(run: &Run, material: &[String]) {
    for line in material {
        assert!(
            !run.stdout.contains(line.as_str()),
            "key material on stdout: {}",
            run.stdout
        );
        assert!(
            !run.stderr.contains(line.as_str()),
            "key material on stderr: {}",
            run.stderr
        );
    }
    assert!(
        !run.stdout.contains(ADMIN_TOKEN) && !run.stderr.contains(ADMIN_TOKEN),
        "the token printed"
    );
}

fn key_ids(keys: &Value) -> Vec<String> {
    keys.as_array()
        .expect("a key list")
        .iter()
        .map(|k| k["keyId"].as_str().expect("a keyId").to_owned())
        .collect()
}

#[tokio::test]
async fn an_org_is_onboarded_and_administered_through_the_cli() {
    let fx = Fixture::new().await;
    let scratch = Scratch::new();
    let (public_key, certificate, material) = key_files(&scratch);
    let categories = scratch.write(
        "categories.json",
        r#"[{"name": "Cancellation", "keywords": ["cancel my plan"], "alert": true}]"#,
    );
    let prompt = scratch.write(
        "prompt.txt",
        "Summarise this call for the agent:\n{transcript}\n",
    );

    // Create, with settings from flags and files.
    let created = admin(
        &fx,
        &scratch,
        &[
            "tenants",
            "create",
            ORG,
            "--retention-days",
            "30",
            "--audience",
            "https://scrt.salesforce.com",
            "--categories-file",
            categories.to_str().unwrap(),
            "--summary-prompt-file",
            prompt.to_str().unwrap(),
        ],
    )
    .await
    .ok()
    .json();
    assert_eq!(created["orgId"], ORG);
    assert_eq!(created["retentionDays"], 30);
    assert_eq!(created["audiences"], json!(["https://scrt.salesforce.com"]));
    assert_eq!(created["categories"][0]["name"], "Cancellation");
    assert_eq!(
        created["summaryPrompt"],
        "Summarise this call for the agent:\n{transcript}"
    );
    let again = admin(&fx, &scratch, &["tenants", "create", ORG])
        .await
        .failed(1);
    assert!(again.stderr.contains("exists already"), "{}", again.stderr);

    // Keys: a public key and a certificate; adding one again answers its id.
    let added = admin(
        &fx,
        &scratch,
        &[
            "keys",
            "add",
            ORG,
            "--subject",
            "scv4cc1",
            "--public-key",
            public_key.to_str().unwrap(),
            "--permission",
            "events:write",
        ],
    )
    .await
    .ok();
    assert_no_material(&added, &material);
    let writer = added.json();
    let writer_id = writer["keyId"].as_str().expect("a keyId").to_owned();
    assert!(writer["fingerprint"].is_string(), "{writer}");
    let re_added = admin(
        &fx,
        &scratch,
        &[
            "keys",
            "add",
            ORG,
            "--subject",
            "scv4cc1",
            "--public-key",
            public_key.to_str().unwrap(),
            "--permission",
            "events:write",
        ],
    )
    .await
    .ok();
    assert_eq!(
        re_added.json()["keyId"],
        writer_id.as_str(),
        "the existing id"
    );
    assert!(
        re_added.stderr.contains("registered already"),
        "{}",
        re_added.stderr
    );
    let reader = admin(
        &fx,
        &scratch,
        &[
            "keys",
            "add",
            ORG,
            "--subject",
            "insights-console",
            "--certificate",
            certificate.to_str().unwrap(),
            "--permission",
            "intelligence:read",
            "--allow-token-reuse",
        ],
    )
    .await
    .ok();
    assert_no_material(&reader, &material);
    let reader_id = reader.json()["keyId"].as_str().unwrap().to_owned();

    let listed = admin(&fx, &scratch, &["keys", "list", ORG]).await.ok();
    assert_no_material(&listed, &material);
    let keys = listed.json()["keys"].clone();
    assert_eq!(key_ids(&keys), [writer_id.clone(), reader_id.clone()]);
    assert_eq!(keys[1]["subject"], "insights-console");
    assert_eq!(keys[1]["permissions"], json!(["intelligence:read"]));
    assert_eq!(keys[1]["allowTokenReuse"], true);

    let got = admin(&fx, &scratch, &["tenants", "get", ORG]).await.ok();
    assert_no_material(&got, &material);
    assert_eq!(key_ids(&got.json()["keys"]).len(), 2);

    // Listing: one page with a cursor, and every page.
    let page = admin(&fx, &scratch, &["tenants", "list", "--limit", "1"])
        .await
        .ok()
        .json();
    assert_eq!(page["tenants"].as_array().unwrap().len(), 1);
    assert!(page["nextCursor"].is_string(), "{page}");
    let all = admin(&fx, &scratch, &["tenants", "list", "--all", "--limit", "1"])
        .await
        .ok()
        .json();
    let orgs: Vec<&str> = all["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["orgId"].as_str().unwrap())
        .collect();
    assert!(orgs.contains(&ORG) && orgs.contains(&ORG_A), "{orgs:?}");
    assert!(all.get("nextCursor").is_none());

    // Revoke: gone from the list; a second revoke is the API's 404.
    let revoked = admin(&fx, &scratch, &["keys", "revoke", ORG, &writer_id])
        .await
        .ok();
    assert!(revoked.stdout.is_empty(), "{}", revoked.stdout);
    let keys = admin(&fx, &scratch, &["keys", "list", ORG])
        .await
        .ok()
        .json();
    assert_eq!(key_ids(&keys["keys"]), [reader_id]);
    let twice = admin(&fx, &scratch, &["keys", "revoke", ORG, &writer_id])
        .await
        .failed(1);
    assert!(
        twice.stderr.contains("404") && twice.stderr.contains("NOT_FOUND"),
        "{}",
        twice.stderr
    );

    // Suspend and activate.
    let suspended = admin(&fx, &scratch, &["tenants", "suspend", ORG])
        .await
        .ok()
        .json();
    assert_eq!(suspended["status"], "suspended");
    let active = admin(&fx, &scratch, &["tenants", "activate", ORG])
        .await
        .ok()
        .json();
    assert_eq!(active["status"], "active");

    // Connect instances: mapped once, owned by one tenant, unmapped by id.
    let mapped = admin(&fx, &scratch, &["connect", "map", ORG, ARN])
        .await
        .ok()
        .json();
    assert_eq!(mapped["connectInstances"], json!([ARN]));
    let remapped = admin(&fx, &scratch, &["connect", "map", ORG, INSTANCE_ID])
        .await
        .ok();
    assert_eq!(
        remapped.json()["connectInstances"],
        json!([ARN]),
        "the same instance"
    );
    assert!(
        remapped.stderr.contains("nothing changed"),
        "{}",
        remapped.stderr
    );
    let taken = admin(&fx, &scratch, &["connect", "map", ORG_A, ARN])
        .await
        .failed(1);
    assert!(
        taken.stderr.contains("409") || taken.stderr.contains("DUPLICATE_VALUE"),
        "{}",
        taken.stderr
    );
    let unmapped = admin(&fx, &scratch, &["connect", "unmap", ORG, INSTANCE_ID])
        .await
        .ok()
        .json();
    assert_eq!(unmapped["connectInstances"], json!([]));

    // Put: settings from a file, flags over it; other settings kept.
    let settings = scratch.write(
        "settings.json",
        r#"{"retentionDays": 60, "limits": {"requestsPerSecond": 5, "burst": 10}}"#,
    );
    let put = admin(
        &fx,
        &scratch,
        &[
            "tenants",
            "put",
            ORG,
            "--file",
            settings.to_str().unwrap(),
            "--redaction-entity",
            "CREDIT_DEBIT_NUMBER",
        ],
    )
    .await
    .ok()
    .json();
    assert_eq!(put["retentionDays"], 60);
    assert_eq!(
        put["limits"]["requestsPerSecond"].as_f64(),
        Some(5.0),
        "{put}"
    );
    assert_eq!(put["limits"]["burst"], 10);
    assert_eq!(
        put["redaction"],
        json!({"entities": ["CREDIT_DEBIT_NUMBER"], "mode": "PII"})
    );
    assert_eq!(
        put["audiences"],
        json!(["https://scrt.salesforce.com"]),
        "kept"
    );

    // The API's refusals are printed as they came, exit 1.
    let invalid = admin(
        &fx,
        &scratch,
        &["tenants", "put", ORG, "--redaction-entity", "NAME"],
    )
    .await
    .failed(1);
    assert!(
        invalid.stderr.contains("redaction.entities[0]"),
        "{}",
        invalid.stderr
    );
    let unknown = admin(&fx, &scratch, &["tenants", "get", "00DE00000000999"])
        .await
        .failed(1);
    assert!(unknown.stderr.contains("NOT_FOUND"), "{}", unknown.stderr);
    assert!(unknown.stdout.is_empty());
}

#[tokio::test]
async fn a_registry_document_is_imported_and_importing_again_changes_nothing() {
    let fx = Fixture::new().await;
    let scratch = Scratch::new();
    let (public_key, certificate, material) = key_files(&scratch);
    let read = |path: &PathBuf| std::fs::read_to_string(path).unwrap();
    let (org_c, org_d) = ("00DI00000000003", "00DI00000000004");
    let registry = scratch.write(
        "trusted-keys.json",
        &json!({
            "audiences": ["https://scrt.salesforce.com"],
            "keys": [
                {"orgId": org_c, "subject": "cc", "publicKey": read(&public_key), "permissions": ["events:write"]},
                {"orgId": org_d, "subject": "console", "certificate": read(&certificate),
                 "permissions": ["intelligence:read", "events:write"], "allowTokenReuse": true},
            ]
        })
        .to_string(),
    );
    let categories = scratch.write(
        "categories.json",
        &json!({"categories": [{"orgId": org_c, "name": "Competitor", "keywords": ["Acme Telecom"], "alert": true}]}).to_string(),
    );
    let args = [
        "import",
        "--trusted-keys",
        registry.to_str().unwrap(),
        "--categories",
        categories.to_str().unwrap(),
    ];

    // A dry run needs no server and shows no material.
    let mut offline = command(&scratch.0);
    offline.env("TENANT_ADMIN_ENDPOINT", "http://127.0.0.1:9");
    let dry = run(offline, &[&args[..], &["--dry-run"][..]].concat())
        .await
        .ok();
    assert_no_material(&dry, &material);
    assert_eq!(dry.json()["requests"].as_array().unwrap().len(), 4);

    let first = admin(&fx, &scratch, &args).await.ok();
    assert_no_material(&first, &material);
    let first = first.json();
    assert_eq!(first["keysAdded"], 2, "{first}");
    let second = admin(&fx, &scratch, &args).await.ok().json();
    assert_eq!(second["keysAdded"], 0, "{second}");
    assert_eq!(second["keysAlreadyRegistered"], 2);
    assert_eq!(
        second["tenants"],
        json!(first["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let mut t = t.clone();
                for k in t["keys"].as_array_mut().unwrap() {
                    k["added"] = json!(false);
                }
                t
            })
            .collect::<Vec<_>>()),
        "the same ids"
    );

    let c = admin(&fx, &scratch, &["tenants", "get", org_c])
        .await
        .ok()
        .json();
    assert_eq!(c["audiences"], json!(["https://scrt.salesforce.com"]));
    assert_eq!(
        c["categories"],
        json!([{"name": "Competitor", "keywords": ["Acme Telecom"], "alert": true}])
    );
    assert_eq!(c["keys"].as_array().unwrap().len(), 1);
    let d = admin(&fx, &scratch, &["tenants", "get", org_d])
        .await
        .ok()
        .json();
    assert_eq!(d["keys"][0]["subject"], "console");
    assert_eq!(d["keys"][0]["allowTokenReuse"], true);
}

#[tokio::test]
async fn only_the_admin_token_opens_the_admin_api() {
    let fx = Fixture::new().await;
    let scratch = Scratch::new();
    let at_server = || {
        let mut command = command(&scratch.0);
        command.env("TENANT_ADMIN_ENDPOINT", &fx.base_url);
        command
    };

    // A wrong token: the API's 401, and the token never printed.
    let mut wrong = at_server();
    wrong.env("ADMIN_TOKEN", "not-the-admin-token-4711");
    let refused = run(wrong, &["tenants", "list"]).await.failed(1);
    assert!(
        refused.stderr.contains("401") && refused.stderr.contains("INVALID_SESSION_ID"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("4711") && refused.stdout.is_empty());

    // No token anywhere: the request is signed (SigV4), which the local server does not take.
    let mut signed = at_server();
    signed
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret-of-the-test")
        .env("AWS_REGION", "eu-west-1");
    let refused = run(signed, &["tenants", "list"]).await.failed(1);
    assert!(refused.stderr.contains("401"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("secret-of-the-test"));
    // Signing without credentials (none in the environment, no profile files, no instance
    // metadata) says so; without a region to sign for it is a usage error.
    let mut uncredentialed = at_server();
    uncredentialed.env("AWS_REGION", "eu-west-1");
    let unsigned = run(uncredentialed, &["tenants", "list"]).await.failed(1);
    assert!(
        unsigned.stderr.contains("no AWS credentials"),
        "{}",
        unsigned.stderr
    );
    let regionless = run(at_server(), &["tenants", "list"]).await.failed(2);
    assert!(
        regionless.stderr.contains("--region"),
        "{}",
        regionless.stderr
    );

    // The token from --admin-token-file, and from the file make run keeps.
    let file = scratch.write("token", &format!("{ADMIN_TOKEN}\n"));
    let from_file = run(
        at_server(),
        &[
            "tenants",
            "get",
            ORG_A,
            "--admin-token-file",
            file.to_str().unwrap(),
        ],
    )
    .await
    .ok();
    assert_eq!(from_file.json()["orgId"], ORG_A);
    scratch.write(".dev-keys/admin-token", ADMIN_TOKEN);
    let from_dev_keys = run(at_server(), &["tenants", "get", ORG_A]).await.ok();
    assert_eq!(from_dev_keys.json()["orgId"], ORG_A);
    assert!(!from_dev_keys.stdout.contains(ADMIN_TOKEN));
}

#[tokio::test]
async fn usage_errors_exit_2_before_any_request() {
    let scratch = Scratch::new();
    let no_endpoint = run(command(&scratch.0), &["tenants", "list"])
        .await
        .failed(2);
    assert!(
        no_endpoint.stderr.contains("TENANT_ADMIN_ENDPOINT"),
        "{}",
        no_endpoint.stderr
    );
    let bad_org = run(command(&scratch.0), &["tenants", "get", "not-an-org"])
        .await
        .failed(2);
    assert!(bad_org.stderr.contains("15 or 18"), "{}", bad_org.stderr);
    // Nothing listens on port 9: the confirmation is checked before any connection.
    let mut unconfirmed = command(&scratch.0);
    unconfirmed
        .env("TENANT_ADMIN_ENDPOINT", "http://127.0.0.1:9")
        .env("ADMIN_TOKEN", "t");
    let offboard = run(unconfirmed, &["tenants", "offboard", ORG])
        .await
        .failed(2);
    assert!(offboard.stderr.contains("--yes"), "{}", offboard.stderr);
    let help = run(command(&scratch.0), &["--help"]).await.ok();
    assert!(
        help.stdout.contains("SigV4") && help.stdout.contains("tenants"),
        "{}",
        help.stdout
    );
}

#[tokio::test]
async fn offboarding_answers_what_the_api_answers() {
    let fx = Fixture::new().await;
    let scratch = Scratch::new();
    admin(&fx, &scratch, &["tenants", "create", ORG]).await.ok();
    let offboard = admin(
        &fx,
        &scratch,
        &["tenants", "offboard", ORG, "--yes", "--wait"],
    )
    .await
    .ok();
    let answer = offboard.json();
    assert!(answer["erasureId"].is_string(), "{}", offboard.stdout);
    assert_eq!(answer["status"], "done", "{}", offboard.stdout);
    let tenant = admin(&fx, &scratch, &["tenants", "get", ORG]).await.ok();
    assert_eq!(tenant.json()["status"], "offboarded", "{}", tenant.stdout);
}
