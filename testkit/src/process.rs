//! Child processes that die with the test process, and the moto server they mostly are.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A child process killed when this value drops, or when the test process dies.
pub struct Guarded {
    child: Child,
    pub port: u16,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
}

impl Guarded {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts the command `make(port)` builds on a free port; if it exits before listening (another
/// process took the port between the check and the bind), tries again on another port.
pub fn start_on_free_port(make: impl Fn(u16) -> Command, what: &str) -> Guarded {
    const ATTEMPTS: usize = 3;
    for attempt in 1..=ATTEMPTS {
        let port = free_port();
        match try_start(make(port), port, what) {
            Ok(guarded) => return guarded,
            Err(status) if attempt < ATTEMPTS => {
                eprintln!("{what} exited with {status} before listening on {port}; retrying")
            }
            Err(status) => panic!("{what} exited with {status} before listening on port {port}"),
        }
    }
    unreachable!("the last attempt returns or panics")
}

/// Starts `command` (which must listen on `port`) and waits until the port accepts connections;
/// `Err` when it exits first.
fn try_start(
    mut command: Command,
    port: u16,
    what: &str,
) -> Result<Guarded, std::process::ExitStatus> {
    // SAFETY: prctl is async-signal-safe; it asks the kernel to kill the child with its parent.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let log_path = std::env::temp_dir().join(format!("testkit-{what}-{port}.log"));
    let log = std::fs::File::create(&log_path).expect("a log file in the temp dir");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what} ({command:?}): {e}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(status);
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on port {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Guarded {
        child,
        port,
        log: log_path,
    })
}

pub(crate) fn tool(env: &str, default: PathBuf) -> PathBuf {
    let path = std::env::var_os(env).map(PathBuf::from).unwrap_or(default);
    assert!(
        path.exists(),
        "{} not found (set {env}); run `make test`, which installs it via scripts/tools.sh",
        path.display()
    );
    path
}

pub fn moto_server_bin() -> PathBuf {
    tool(
        "MOTO_SERVER",
        crate::workspace_root().join(".venv-moto/bin/moto_server"),
    )
}

pub fn rie_bin() -> PathBuf {
    let arch = if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "x86_64"
    };
    let default = crate::workspace_root()
        .join(".venv/lib/python3.11/site-packages/samcli/local/rapid")
        .join(format!("aws-lambda-rie-{arch}"));
    tool("AWS_LAMBDA_RIE", default)
}

/// A moto server of one's own, e.g. to stop it under a running service.
/// moto_server through `scripts/moto_serializable.py`, which gives its DynamoDB writes the
/// isolation DynamoDB has (moto's threaded server otherwise lets two concurrent conditional
/// writes both pass).
pub fn start_moto() -> Guarded {
    let server = moto_server_bin();
    let python = server.with_file_name("python");
    let wrapper = crate::workspace_root().join("scripts/moto_serializable.py");
    start_on_free_port(
        |port| {
            let mut command = Command::new(&python);
            command.arg(&wrapper);
            command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            command
        },
        "moto",
    )
}

/// The moto server every test of this process shares. Started from a thread that lives as long
/// as the process, because the kernel's parent-death signal follows the spawning thread.
pub fn shared_moto() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let moto = start_moto();
            tx.send(moto.url()).expect("the test thread waits");
            loop {
                std::thread::park();
            }
        });
        rx.recv().expect("moto server started")
    })
}
