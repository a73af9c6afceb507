//! `tenant-admin`: parses the command line, runs it, prints the answer (stdout) or the error
//! (stderr) and exits 0, 1 (the API refused or failed) or 2 (usage).

use std::process::ExitCode;

use clap::Parser;
use tenant_admin::cli::Cli;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match tenant_admin::run(&cli).await {
        Ok(output) => {
            if let Some(note) = &output.note {
                eprintln!("tenant-admin: {note}");
            }
            if let Some(json) = &output.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(json).expect("a JSON value prints")
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{}", tenant_admin::describe_error(&error));
            ExitCode::from(error.exit_code())
        }
    }
}
