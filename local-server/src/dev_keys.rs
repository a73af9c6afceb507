//! A development key pair and trusted-key registry, generated into a git-ignored folder on first
//! use, so that `make run` works on a fresh machine without any secret in git.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::json;
use shared::auth::keygen::{generate_rsa_keypair, sign_rs256};

pub const DEV_ORG: &str = "00D000000000DEV";
pub const DEV_SUBJECT: &str = "dev-call-center";

pub struct DevKeys {
    pub dir: PathBuf,
    pub registry_file: PathBuf,
    private_pem: String,
}

impl DevKeys {
    /// Loads the pair from `dir`, generating it first if it is not there.
    pub fn load_or_create(dir: &Path) -> io::Result<Self> {
        let private_file = dir.join("private-key.pem");
        let registry_file = dir.join("trusted-keys.json");
        if !private_file.exists() || !registry_file.exists() {
            fs::create_dir_all(dir)?;
            let pair = generate_rsa_keypair();
            write_private(&private_file, &pair.private_pkcs8_pem)?;
            fs::write(dir.join("public-key.pem"), &pair.public_spki_pem)?;
            let registry = json!({
                "audiences": ["https://scrt.salesforce.com"],
                "keys": [{
                    "orgId": DEV_ORG,
                    "subject": DEV_SUBJECT,
                    "publicKey": pair.public_spki_pem,
                    "permissions": ["events:write", "intelligence:read"],
                }],
            });
            fs::write(&registry_file, serde_json::to_vec_pretty(&registry)?)?;
        }
        Ok(Self {
            dir: dir.to_owned(),
            private_pem: fs::read_to_string(&private_file)?,
            registry_file,
        })
    }

    /// A token for the dev org, valid for 23 hours, without `jti` so it can be reused.
    pub fn token(&self, now: u64) -> String {
        let claims =
            json!({ "iss": DEV_ORG, "sub": DEV_SUBJECT, "iat": now, "exp": now + 23 * 3600 });
        sign_rs256(&self.private_pem, &claims).expect("the generated dev key signs")
    }
}

fn write_private(path: &Path, pem: &str) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        file.write_all(pem.as_bytes())
    }
    #[cfg(not(unix))]
    fs::write(path, pem)
}

/// The local admin token (CONTRACT §7): `ADMIN_TOKEN` when set, else the one kept in
/// `dir/admin-token`, generated (32 random bytes, hex) on first use.
pub fn admin_token(dir: &Path) -> io::Result<String> {
    if let Ok(token) = std::env::var("ADMIN_TOKEN") {
        if !token.trim().is_empty() {
            return Ok(token.trim().to_owned());
        }
    }
    let file = dir.join("admin-token");
    if let Ok(token) = fs::read_to_string(&file) {
        if !token.trim().is_empty() {
            return Ok(token.trim().to_owned());
        }
    }
    fs::create_dir_all(dir)?;
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&file, &token)?;
    Ok(token)
}
