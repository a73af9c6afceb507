//! The local server under hostile connections: a body shorter than its `Content-Length` or a head
//! that never ends does not hold a connection forever, and a request carrying both
//! `Transfer-Encoding` and `Content-Length` (the request-smuggling shape) is refused with `400`.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use testkit::realtime::{events_path, SEED_KEY};
use testkit::Fixture;

/// Longer than the server's read timeouts, short enough for a test.
const DEADLINE: Duration = Duration::from_secs(15);

async fn connect(fx: &Fixture) -> TcpStream {
    let addr = fx.base_url.trim_start_matches("http://");
    TcpStream::connect(addr).await.expect("connects")
}

/// Everything the server sends until it closes the connection, within [`DEADLINE`].
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut out))
        .await
        .expect("the server closes the connection in time")
        .ok();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_times_out() {
    let fx = Fixture::new().await;
    let mut stream = connect(&fx).await;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"a\":",
        events_path(SEED_KEY)
    );
    stream.write_all(head.as_bytes()).await.expect("writes");
    let started = Instant::now();
    let answer = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");
    assert!(started.elapsed() < DEADLINE);
}

#[tokio::test]
async fn a_head_that_never_ends_is_closed() {
    let fx = Fixture::new().await;
    let mut stream = connect(&fx).await;
    stream
        .write_all(b"POST /telephony/v1/voiceCalls HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("writes");
    read_to_close(&mut stream).await;
}

#[tokio::test]
async fn transfer_encoding_with_content_length_is_400_in_either_order() {
    let fx = Fixture::new().await;
    let path = events_path(SEED_KEY);
    let heads = [
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
        "transfer-encoding: chunked\r\ncontent-length: 0\r\n",
    ];
    for framing in heads {
        let mut stream = connect(&fx).await;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{framing}\r\n2\r\n{{}}\r\n0\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("writes");
        let answer = read_to_close(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{framing:?}: {answer}");
        assert!(
            answer.contains("Transfer-Encoding"),
            "{framing:?}: {answer}"
        );
    }
    // Chunked alone is an ordinary request (refused here only for its missing token).
    let mut stream = connect(&fx).await;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("writes");
    let answer = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}
