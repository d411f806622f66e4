//! The health check of a local app: one plain HTTP/1.1 `GET` to 127.0.0.1, its status line read.

use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::ports::provisioner::ProvisionError;

/// One health-check request's time budget.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// The path must be an absolute URL path without whitespace or control characters, as it goes
/// into an HTTP request line.
pub(super) fn check_health_path(path: &str) -> Result<(), ProvisionError> {
    if path.starts_with('/') && !path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Ok(());
    }
    Err(ProvisionError::InvalidRequest {
        reason: format!(
            "health check path `{}` is invalid: start it with `/` and leave out spaces (e.g. `/health`)",
            path.escape_default()
        ),
    })
}

/// One `GET` to `127.0.0.1:port{path}`; the status code, or `None` if nothing answered in time.
pub(super) async fn probe(port: u16, path: &str) -> Option<u16> {
    let request = async {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await.ok()?;
        let head = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: idp-health-check\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.ok()?;
        let mut buf = Vec::with_capacity(256);
        let mut chunk = [0_u8; 256];
        while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 4096 {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(chunk.get(..n)?);
        }
        parse_status(&buf)
    };
    tokio::time::timeout(PROBE_TIMEOUT, request)
        .await
        .ok()
        .flatten()
}

/// The status code of an HTTP/1.x status line (`HTTP/1.1 200 OK`).
fn parse_status(response: &[u8]) -> Option<u16> {
    let line = response.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let code = parts.next()?;
    (code.len() == 3).then_some(())?;
    code.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_give_their_code() {
        assert_eq!(parse_status(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(
            parse_status(b"HTTP/1.0 503 Service Unavailable\r\n"),
            Some(503)
        );
        assert_eq!(parse_status(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(parse_status(b""), None);
    }

    proptest::proptest! {
        #[test]
        fn parsers_of_foreign_text_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = parse_status(&bytes);
        }
    }

    #[test]
    fn health_paths_must_be_plain_absolute_paths() {
        assert!(check_health_path("/health?full=1").is_ok());
        for bad in ["health", "/a b", "/x\r\nHost: evil", ""] {
            assert!(check_health_path(bad).is_err(), "{bad:?}");
        }
    }
}
