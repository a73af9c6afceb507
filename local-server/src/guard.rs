//! What the local server checks on a connection's raw bytes before hyper parses them: hyper
//! quietly drops `Content-Length` when `Transfer-Encoding` is present, and answers a head it
//! cannot take (too large, a control byte in a header) with a bodiless `431`/`400`. Each
//! connection serves one request (no keep-alive), so its first head is the only one and the
//! scan needs no framing of bodies.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Largest request head (request line and headers) the local server reads; hyper's own buffer is
/// set a little larger, so a head past this is answered here, with a body, before hyper gives up.
pub const MAX_HEAD_BYTES: usize = 2 * 1024 * 1024;

/// What the scan of a connection's head found, for the request handler.
#[derive(Debug, Default)]
pub struct HeadFacts {
    /// Both `Transfer-Encoding` and `Content-Length`: the request-smuggling shape.
    both_framings: AtomicBool,
}

impl HeadFacts {
    pub fn both_framings(&self) -> bool {
        self.both_framings.load(Ordering::Relaxed)
    }
}

/// The answers given here when hyper would answer without a body.
const INVALID_SESSION: &str = r#"[{"message":"Session expired or invalid: malformed Authorization header","errorCode":"INVALID_SESSION_ID"}]"#;
const HEAD_TOO_LARGE: &str = r#"[{"message":"The request headers exceed 2 MiB","errorCode":"REQUEST_HEADER_FIELDS_TOO_LARGE"}]"#;

fn canned(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json;charset=UTF-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

enum State {
    /// Reading the head: bytes so far.
    Scanning(Vec<u8>),
    /// The head was read; everything passes through.
    Passing,
    /// Answering here: the rest of this answer to write, then the request is read and dropped
    /// (so that the client, still sending, is not reset before it reads the answer) until it
    /// closes or hyper's header timeout ends the connection.
    Refusing { answer: Vec<u8>, written: usize },
}

/// A connection whose first request head is scanned on its way to hyper.
pub struct Guarded<T> {
    inner: T,
    state: State,
    facts: Arc<HeadFacts>,
}

impl<T> Guarded<T> {
    pub fn new(inner: T) -> (Self, Arc<HeadFacts>) {
        let facts = Arc::new(HeadFacts::default());
        let guarded = Self {
            inner,
            state: State::Scanning(Vec::new()),
            facts: facts.clone(),
        };
        (guarded, facts)
    }

    /// Looks at newly read bytes; `Some(answer)` when the connection is to be answered here.
    fn scan(&mut self, new: &[u8]) -> Option<Vec<u8>> {
        let State::Scanning(head) = &mut self.state else {
            return None;
        };
        // Resume the search for the blank line just before the new bytes.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(new);
        let end = head_end(head, from);
        let Some(end) = end else {
            if head.len() > MAX_HEAD_BYTES {
                let lines = Lines::of(head);
                return Some(if lines.has("authorization") {
                    canned("401 Unauthorized", INVALID_SESSION)
                } else {
                    canned("431 Request Header Fields Too Large", HEAD_TOO_LARGE)
                });
            }
            return None;
        };
        let lines = Lines::of(&head[..end]);
        let refusal = lines
            .values("authorization")
            .any(|v| v.iter().any(|&b| !is_header_value_byte(b)))
            .then(|| canned("401 Unauthorized", INVALID_SESSION));
        if lines.has("transfer-encoding") && lines.has("content-length") {
            self.facts.both_framings.store(true, Ordering::Relaxed);
        }
        self.state = State::Passing;
        refusal
    }
}

/// Where the head ends: the first empty line, searched from `from`. httparse takes a bare LF as
/// a line end, so the scan does too (else a bare-LF head would slip past it).
fn head_end(head: &[u8], from: usize) -> Option<usize> {
    (from..head.len()).find(|&i| {
        head[i] == b'\n'
            && (head.get(i + 1) == Some(&b'\n')
                || (head.get(i + 1) == Some(&b'\r') && head.get(i + 2) == Some(&b'\n')))
    })
}

/// The bytes httparse accepts in a header value; anything else makes hyper answer a bare 400.
fn is_header_value_byte(b: u8) -> bool {
    matches!(b, b'\t' | b' '..=0x7e | 0x80..=0xff)
}

/// The header lines of a head (the request line skipped), split at CRLF.
struct Lines<'a>(Vec<&'a [u8]>);

impl<'a> Lines<'a> {
    fn of(head: &'a [u8]) -> Self {
        Self(head.split(|&b| b == b'\n').skip(1).collect())
    }

    fn values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.0.iter().filter_map(move |line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let (found, value) = line.split_at(colon);
            found
                .trim_ascii()
                .eq_ignore_ascii_case(name.as_bytes())
                .then(|| value[1..].trim_ascii())
        })
    }

    fn has(&self, name: &str) -> bool {
        self.values(name).next().is_some()
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Refusing { answer, written } => {
                    while *written < answer.len() {
                        let n =
                            ready!(Pin::new(&mut this.inner).poll_write(cx, &answer[*written..]))?;
                        if n == 0 {
                            return Poll::Ready(Ok(()));
                        }
                        *written += n;
                    }
                    ready!(Pin::new(&mut this.inner).poll_flush(cx))?;
                    // Drain without handing anything to hyper; end when the client closes.
                    let mut sink = [0u8; 8192];
                    let mut discard = ReadBuf::new(&mut sink);
                    ready!(Pin::new(&mut this.inner).poll_read(cx, &mut discard))?;
                    if discard.filled().is_empty() {
                        return Poll::Ready(Ok(()));
                    }
                }
                State::Passing => return Pin::new(&mut this.inner).poll_read(cx, buf),
                State::Scanning(_) => {
                    let before = buf.filled().len();
                    ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
                    let filled = buf.filled();
                    let new = filled[before..].to_vec();
                    match this.scan(&new) {
                        None => return Poll::Ready(Ok(())),
                        Some(answer) => {
                            // Hyper must not see these bytes: it would answer on its own.
                            buf.set_filled(before);
                            this.state = State::Refusing { answer, written: 0 };
                        }
                    }
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(head: &[u8]) -> (Option<Vec<u8>>, bool) {
        let (mut guarded, facts) = Guarded::new(());
        let answer = guarded.scan(head);
        (answer, facts.both_framings())
    }

    #[test]
    fn both_framings_are_noticed_in_any_case_and_order() {
        let plain = b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(scan(plain), (None, false));
        let both = b"POST / HTTP/1.1\r\ncontent-length: 2\r\nTRANSFER-ENCODING : chunked\r\n\r\n";
        assert_eq!(scan(both), (None, true));
        // A header named in the body is not the head's.
        let in_body =
            b"POST / HTTP/1.1\r\nContent-Length: 30\r\n\r\nTransfer-Encoding: chunked\r\n";
        assert_eq!(scan(in_body), (None, false));
        let bare_lf = b"POST / HTTP/1.1\nContent-Length: 2\nTransfer-Encoding: chunked\n\n";
        assert_eq!(scan(bare_lf), (None, true));
    }

    #[test]
    fn a_control_byte_in_authorization_is_answered_here() {
        let (answer, _) = scan(b"GET / HTTP/1.1\r\nAuthorization: Bearer a\x01b\r\n\r\n");
        let answer = String::from_utf8(answer.expect("answered here")).unwrap();
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(answer.ends_with(INVALID_SESSION));
        assert_eq!(
            scan(b"GET / HTTP/1.1\r\nAuthorization: Bearer \xff\t\r\n\r\n").0,
            None
        );
    }

    #[test]
    fn a_head_past_the_limit_is_answered_here_with_a_body() {
        let mut head = b"GET / HTTP/1.1\r\nAuthorization: Bearer ".to_vec();
        head.resize(MAX_HEAD_BYTES + 1, b'a');
        let answer = String::from_utf8(scan(&head).0.expect("answered")).unwrap();
        assert!(answer.starts_with("HTTP/1.1 401") && answer.ends_with(INVALID_SESSION));
        let mut head = b"GET / HTTP/1.1\r\nCookie: ".to_vec();
        head.resize(MAX_HEAD_BYTES + 1, b'a');
        let answer = String::from_utf8(scan(&head).0.expect("answered")).unwrap();
        assert!(answer.starts_with("HTTP/1.1 431") && answer.ends_with(HEAD_TOO_LARGE));
    }
}
