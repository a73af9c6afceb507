//! The command line (clap derive). Values are checked here where the contract fixes them (org
//! ids, page sizes, retention), so a typo is a usage error before any request is made.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "Administers the tenants of the voice-call intelligence service through its \
admin API (/admin/v1): tenants and their settings, their trusted keys, their Amazon Connect \
instances, and a one-time import of TRUSTED_KEYS / INSIGHT_CATEGORIES documents.";

const LONG_ABOUT_TAIL: &str = "\
Authentication: a deployed stack's admin routes use AWS_IAM authorization, and every request is \
signed with SigV4 (service execute-api) with your AWS credentials, found as the AWS CLI finds \
them (environment, AWS_PROFILE or --profile, web identity, container or instance role; SSO \
and credential_process profiles when built with --features sso). The \
region is --region, else the endpoint's host (…execute-api.REGION.amazonaws.com), else your \
AWS configuration's. A local server (make run) takes the admin token instead: --admin-token or \
ADMIN_TOKEN, or --admin-token-file; for a server on 127.0.0.1/localhost the file make run \
writes (.dev-keys/admin-token, or $DEV_KEYS_DIR/admin-token) is used when present. A token \
given or found means a bearer token; otherwise the request is signed.

Answers are printed as JSON on stdout. An error answer is printed on stderr and the exit \
status is 1; a usage error (arguments, input files) exits with 2. Neither the admin token nor \
any key material is ever printed.

Onboarding an org:
  export TENANT_ADMIN_ENDPOINT=https://abc123.execute-api.eu-west-1.amazonaws.com
  tenant-admin tenants create 00DXX0000000001 --audience https://scrt.salesforce.com
  tenant-admin keys add 00DXX0000000001 --subject scv4cc1 --certificate cc.crt --permission events:write
  tenant-admin keys add 00DXX0000000001 --subject insights --public-key insights.pem --permission intelligence:read
  tenant-admin connect map 00DXX0000000001 arn:aws:connect:eu-west-1:111122223333:instance/abcd-…";

#[derive(Debug, Parser)]
#[command(name = "tenant-admin", version, about = ABOUT, long_about = format!("{ABOUT}\n\n{LONG_ABOUT_TAIL}"))]
pub struct Cli {
    #[command(flatten)]
    pub connection: Connection,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the admin API is and how to authenticate to it; accepted before or after the command.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The admin API's URL: the stack's API URL output
    /// (https://{api}.execute-api.{region}.amazonaws.com), or http://127.0.0.1:PORT for make run.
    #[arg(
        long,
        env = "TENANT_ADMIN_ENDPOINT",
        global = true,
        value_name = "URL",
        help_heading = "Connection"
    )]
    pub endpoint: Option<String>,

    /// The local server's admin token, sent as a bearer token instead of signing. Prefer
    /// ADMIN_TOKEN or --admin-token-file: a command line is visible to other users.
    #[arg(
        long,
        env = "ADMIN_TOKEN",
        hide_env_values = true,
        global = true,
        value_name = "TOKEN",
        help_heading = "Connection"
    )]
    pub admin_token: Option<String>,

    /// A file holding the admin token [default for a local endpoint: .dev-keys/admin-token,
    /// when it exists].
    #[arg(long, global = true, value_name = "FILE", help_heading = "Connection")]
    pub admin_token_file: Option<PathBuf>,

    /// The AWS region to sign for [default: the endpoint's, else the AWS configuration's].
    #[arg(long, global = true, help_heading = "Connection")]
    pub region: Option<String>,

    /// The AWS profile whose credentials sign the requests [default: AWS_PROFILE, else
    /// default].
    #[arg(long, global = true, help_heading = "Connection")]
    pub profile: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, read, create, change, suspend, activate or offboard tenants.
    #[command(subcommand)]
    Tenants(TenantsCommand),
    /// Add, list or revoke a tenant's trusted keys (the keys its JWTs are signed with).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Map Amazon Connect instances to a tenant (their contact flows and Contact Lens data).
    #[command(subcommand)]
    Connect(ConnectCommand),
    /// Import a TRUSTED_KEYS registry document (and INSIGHT_CATEGORIES): each org's tenant is
    /// created or updated (audiences, categories) and its keys added. Running it again
    /// changes nothing: a key already registered is answered with its existing id.
    Import(ImportArgs),
}

#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// List tenants, a page at a time (or every page with --all).
    List {
        /// Tenants per page, 1 to 1000 [server default: 100].
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1000))]
        limit: Option<u16>,
        /// Start after this cursor (the nextCursor of an earlier page).
        #[arg(long, conflicts_with = "all")]
        cursor: Option<String>,
        /// Follow nextCursor to the last page and print every tenant.
        #[arg(long)]
        all: bool,
    },
    /// Read one tenant (its keys by id and fingerprint, never their material).
    Get {
        /// The tenant's Salesforce org id (15 or 18 letters and digits).
        #[arg(value_parser = org_id, value_name = "ORG_ID")]
        org: String,
    },
    /// Create a tenant with the given settings; refused if it exists (use put to change one).
    Create {
        /// The tenant's Salesforce org id (15 or 18 letters and digits).
        #[arg(value_parser = org_id, value_name = "ORG_ID")]
        org: String,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Create a tenant or replace the given settings of one (settings not given are kept).
    Put {
        /// The tenant's Salesforce org id (15 or 18 letters and digits).
        #[arg(value_parser = org_id, value_name = "ORG_ID")]
        org: String,
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Suspend a tenant: its tokens are refused (401), its data kept.
    Suspend {
        /// The tenant's Salesforce org id (15 or 18 letters and digits).
        #[arg(value_parser = org_id, value_name = "ORG_ID")]
        org: String,
    },
    /// Make a suspended tenant active again.
    Activate {
        /// The tenant's Salesforce org id (15 or 18 letters and digits).
        #[arg(value_parser = org_id, value_name = "ORG_ID")]
        org: String,
    },
    /// Offboard a tenant: the tenant and all its data are erased, its keys stop working.
    Offboard {
        /// The tenant's Salesforce org id (15 or 18 letters and digits).
        #[arg(value_parser = org_id, value_name = "ORG_ID")]
        org: String,
        /// Confirm the erasure (required: it cannot be undone).
        #[arg(long)]
        yes: bool,
        /// Follow the erasure until it is done (its job starts a minute after the keys are
        /// removed; each poll moves it on).
        #[arg(long)]
        wait: bool,
    },
}

/// A tenant's settings: a JSON file, and flags that override its fields.
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// A JSON object of settings (status, audiences, categories, summaryPrompt, retentionDays,
    /// redaction, limits, connectInstances); the flags below override its fields.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// active, or suspended (its tokens refused, its data kept).
    #[arg(long, value_enum)]
    pub status: Option<Status>,

    /// An accepted JWT `aud` value (repeat for several; replaces the tenant's list).
    #[arg(long = "audience", value_name = "AUD")]
    pub audiences: Vec<String>,

    /// The keyword categories: a JSON list of {name, keywords, alert}, or an INSIGHT_CATEGORIES
    /// document ({"categories":[{orgId, …}]}: this org's entries are taken).
    #[arg(long, value_name = "FILE")]
    pub categories_file: Option<PathBuf>,

    /// The generative summary's prompt template, which must hold {transcript}.
    #[arg(long, value_name = "FILE")]
    pub summary_prompt_file: Option<PathBuf>,

    /// Days conversations are kept, 1 to 3650 (applies to what is written afterwards).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=3650))]
    pub retention_days: Option<u16>,

    /// An entity to redact: CREDIT_DEBIT_NUMBER, SSN, EMAIL or PHONE (repeat for several).
    #[arg(long = "redaction-entity", value_name = "ENTITY")]
    pub redaction_entities: Vec<String>,

    /// What redacted text becomes: [PII], or the entity's name [default: PII].
    #[arg(long, value_enum, requires = "redaction_entities")]
    pub redaction_mode: Option<RedactionMode>,

    /// Requests per second the tenant may make (telephony and actions together; a fraction
    /// such as 0.5 is one request every two seconds).
    #[arg(long, requires = "burst", value_parser = positive_rate)]
    pub requests_per_second: Option<f64>,

    /// Requests the tenant may make at once above its rate.
    #[arg(long, requires = "requests_per_second", value_parser = clap::value_parser!(u32).range(1..))]
    pub burst: Option<u32>,

    /// An Amazon Connect instance (ARN or id) of this org (repeat for several; replaces the
    /// tenant's list; connect map/unmap change one).
    #[arg(long = "connect-instance", value_name = "INSTANCE")]
    pub connect_instances: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Status {
    Active,
    Suspended,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RedactionMode {
    #[value(name = "PII")]
    Pii,
    #[value(name = "ENTITY_TYPE")]
    EntityType,
}

impl RedactionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RedactionMode::Pii => "PII",
            RedactionMode::EntityType => "ENTITY_TYPE",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Register a key a tenant's JWTs are signed with. The PEM is read from the file and sent;
    /// it is never printed. Adding a key that is registered already answers its existing id.
    Add {
        /// The tenant's Salesforce org id (15 or 18 letters and digits).
        #[arg(value_parser = org_id, value_name = "ORG_ID")]
        org: String,
        /// The JWT `sub` this key signs for (the connected app or call center).
        #[arg(long)]
        subject: String,
        #[command(flatten)]
        material: KeyMaterialArgs,
        /// What tokens of this key may do: events:write, intelligence:read (repeat for both).
        #[arg(long = "permission", required = true, value_name = "PERMISSION")]
        permissions: Vec<String>,
        /// Accept the same token (jti) more than once (a transcriber reusing one token).
        #[arg(long)]
        allow_token_reuse: bool,
    },
    /// List a tenant's keys (ids, subjects, permissions, fingerprints).
    List {
        /// The tenant's Salesforce org id (15 or 18 letters and digits).
        #[arg(value_parser = org_id, value_name = "ORG_ID")]
        org: String,
    },
    /// Revoke a key: tokens it signed are refused from then on.
    Revoke {
        /// The tenant's Salesforce org id (15 or 18 letters and digits).
        #[arg(value_parser = org_id, value_name = "ORG_ID")]
        org: String,
        /// The key's id, as `keys list` shows it.
        #[arg(value_parser = key_id)]
        key_id: String,
    },
}

/// The key's PEM file: a certificate or a public key, one of them.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct KeyMaterialArgs {
    /// An X.509 certificate (PEM), as Salesforce's connected app setup gives it.
    #[arg(long, value_name = "FILE")]
    pub certificate: Option<PathBuf>,
    /// A public key (PEM: SPKI or PKCS#1; RSA of 2048 bits or more, or P-256).
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ConnectCommand {
    /// Map an Amazon Connect instance (ARN or id) to a tenant.
    Map {
        /// The tenant's Salesforce org id (15 or 18 letters and digits).
        #[arg(value_parser = org_id, value_name = "ORG_ID")]
        org: String,
        /// The instance's ARN (arn:aws:connect:REGION:ACCOUNT:instance/ID) or id.
        #[arg(value_parser = non_empty)]
        instance: String,
    },
    /// Remove an Amazon Connect instance (ARN or id) from a tenant.
    Unmap {
        /// The tenant's Salesforce org id (15 or 18 letters and digits).
        #[arg(value_parser = org_id, value_name = "ORG_ID")]
        org: String,
        /// The instance's ARN (arn:aws:connect:REGION:ACCOUNT:instance/ID) or id.
        #[arg(value_parser = non_empty)]
        instance: String,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A TRUSTED_KEYS document: {"audiences":[…],"keys":[{orgId, subject, publicKey |
    /// certificate, permissions, allowTokenReuse}]}.
    #[arg(long, value_name = "FILE")]
    pub trusted_keys: PathBuf,
    /// An INSIGHT_CATEGORIES document: {"categories":[{orgId, name, keywords, alert}]}; each
    /// org named gets its categories replaced by these.
    #[arg(long, value_name = "FILE")]
    pub categories: Option<PathBuf>,
    /// Print the requests the import would make (without key material) and make none.
    #[arg(long)]
    pub dry_run: bool,
}

/// A Salesforce org id: 15 or 18 letters and digits.
pub fn org_id(text: &str) -> Result<String, String> {
    if matches!(text.len(), 15 | 18) && text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(text.to_owned())
    } else {
        Err("an org id is 15 or 18 letters and digits".into())
    }
}

/// A key id as the API shows it: one path segment.
pub fn key_id(text: &str) -> Result<String, String> {
    match text {
        "" | "." | ".." => Err("a key id as `keys list` shows it (e.g. key_0123abcd…)".into()),
        _ => Ok(text.to_owned()),
    }
}

fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err("a number of requests per second above 0".into()),
    }
}

fn non_empty(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(text.trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use clap::CommandFactory;

    const ORG: &str = "00D000000000001";

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("tenant-admin").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn connection_flags_go_before_or_after_the_command() {
        let before =
            parse(&["--endpoint", "http://127.0.0.1:3000", "tenants", "get", ORG]).unwrap();
        let after = parse(&["tenants", "get", ORG, "--endpoint", "http://127.0.0.1:3000"]).unwrap();
        for cli in [before, after] {
            assert_eq!(
                cli.connection.endpoint.as_deref(),
                Some("http://127.0.0.1:3000")
            );
            assert!(
                matches!(cli.command, Command::Tenants(TenantsCommand::Get { ref org }) if org == ORG)
            );
        }
    }

    #[test]
    fn org_ids_are_15_or_18_letters_and_digits() {
        assert!(parse(&["tenants", "get", "00D000000000001AAA"]).is_ok());
        for bad in ["00D00000000001", "00D00000000000/1", "../tenants/00D0", ""] {
            let error = parse(&["tenants", "get", bad]).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ValueValidation, "{bad}");
        }
    }

    #[test]
    fn list_takes_a_bounded_limit_and_all_or_a_cursor() {
        let cli = parse(&["tenants", "list", "--limit", "1000", "--all"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Tenants(TenantsCommand::List {
                limit: Some(1000),
                all: true,
                cursor: None
            })
        ));
        assert!(parse(&["tenants", "list", "--limit", "0"]).is_err());
        assert!(parse(&["tenants", "list", "--limit", "1001"]).is_err());
        assert_eq!(
            parse(&["tenants", "list", "--all", "--cursor", "x"])
                .unwrap_err()
                .kind(),
            ErrorKind::ArgumentConflict
        );
    }

    #[test]
    fn settings_flags_are_parsed_and_repeatable() {
        let cli = parse(&[
            "tenants",
            "put",
            ORG,
            "--retention-days",
            "30",
            "--audience",
            "a",
            "--audience",
            "b",
            "--status",
            "suspended",
            "--redaction-entity",
            "SSN",
            "--redaction-mode",
            "ENTITY_TYPE",
            "--requests-per-second",
            "5",
            "--burst",
            "10",
            "--connect-instance",
            "i-1",
        ])
        .unwrap();
        let Command::Tenants(TenantsCommand::Put { org, settings }) = cli.command else {
            panic!("a put")
        };
        assert_eq!(org, ORG);
        assert_eq!(settings.retention_days, Some(30));
        assert_eq!(settings.audiences, ["a", "b"]);
        assert_eq!(settings.status, Some(Status::Suspended));
        assert_eq!(settings.redaction_entities, ["SSN"]);
        assert_eq!(settings.redaction_mode, Some(RedactionMode::EntityType));
        assert_eq!(
            (settings.requests_per_second, settings.burst),
            (Some(5.0), Some(10))
        );
        assert_eq!(settings.connect_instances, ["i-1"]);
    }

    #[test]
    fn settings_flags_that_need_each_other_are_refused_alone() {
        for args in [
            &["tenants", "put", ORG, "--burst", "10"][..],
            &["tenants", "put", ORG, "--requests-per-second", "10"],
            &["tenants", "put", ORG, "--redaction-mode", "PII"],
            &["tenants", "put", ORG, "--retention-days", "4000"],
            &[
                "tenants",
                "put",
                ORG,
                "--requests-per-second",
                "0",
                "--burst",
                "1",
            ],
            &[
                "tenants",
                "put",
                ORG,
                "--requests-per-second",
                "NaN",
                "--burst",
                "1",
            ],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn keys_add_needs_one_pem_file_and_a_permission() {
        let ok = parse(&[
            "keys",
            "add",
            ORG,
            "--subject",
            "cc",
            "--public-key",
            "k.pem",
            "--permission",
            "events:write",
            "--permission",
            "intelligence:read",
            "--allow-token-reuse",
        ])
        .unwrap();
        let Command::Keys(KeysCommand::Add {
            subject,
            material,
            permissions,
            allow_token_reuse,
            ..
        }) = ok.command
        else {
            panic!("keys add")
        };
        assert_eq!(subject, "cc");
        assert_eq!(material.public_key, Some(PathBuf::from("k.pem")));
        assert_eq!(material.certificate, None);
        assert_eq!(permissions, ["events:write", "intelligence:read"]);
        assert!(allow_token_reuse);

        let both = parse(&[
            "keys",
            "add",
            ORG,
            "--subject",
            "cc",
            "--public-key",
            "k",
            "--certificate",
            "c",
            "--permission",
            "events:write",
        ]);
        assert_eq!(both.unwrap_err().kind(), ErrorKind::ArgumentConflict);
        let neither = parse(&[
            "keys",
            "add",
            ORG,
            "--subject",
            "cc",
            "--permission",
            "events:write",
        ]);
        assert_eq!(
            neither.unwrap_err().kind(),
            ErrorKind::MissingRequiredArgument
        );
        let no_permission = parse(&["keys", "add", ORG, "--subject", "cc", "--public-key", "k"]);
        assert_eq!(
            no_permission.unwrap_err().kind(),
            ErrorKind::MissingRequiredArgument
        );
    }

    #[test]
    fn key_ids_and_instances_are_one_non_empty_value() {
        assert!(parse(&["keys", "revoke", ORG, "key_0123"]).is_ok());
        assert!(parse(&["keys", "revoke", ORG, ".."]).is_err());
        assert!(parse(&["connect", "map", ORG, " "]).is_err());
        let cli = parse(&[
            "connect",
            "unmap",
            ORG,
            "arn:aws:connect:eu-west-1:1:instance/abc",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Connect(ConnectCommand::Unmap { .. })
        ));
    }

    #[test]
    fn import_needs_the_trusted_keys_document() {
        let cli = parse(&[
            "import",
            "--trusted-keys",
            "k.json",
            "--categories",
            "c.json",
            "--dry-run",
        ])
        .unwrap();
        let Command::Import(args) = cli.command else {
            panic!("import")
        };
        assert_eq!(args.trusted_keys, PathBuf::from("k.json"));
        assert_eq!(args.categories, Some(PathBuf::from("c.json")));
        assert!(args.dry_run);
        assert_eq!(
            parse(&["import"]).unwrap_err().kind(),
            ErrorKind::MissingRequiredArgument
        );
    }

    #[test]
    fn help_never_shows_the_admin_tokens_value() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("ADMIN_TOKEN"));
        assert!(help.contains("SigV4"));
        // hide_env_values: the variable is named, its value (set or not) never rendered.
        assert!(!help.contains("[env: ADMIN_TOKEN="), "{help}");
    }
}
