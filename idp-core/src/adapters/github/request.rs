//! One GitHub REST request with idp's retry rules, over octocrab's HTTP client.
//!
//! octocrab's typed API hides the response headers, which carry what a client must respect:
//! `retry-after`, `x-ratelimit-remaining`/`x-ratelimit-reset`, `Link` (pagination) and `Date`
//! (the server's clock). So every call goes through octocrab's raw `_get`/`_post`/`_patch`
//! (its auth, base URL, timeouts and TLS) and this module reads the answer itself.

use std::time::Duration;

use chrono::{DateTime, Utc};
use octocrab::Octocrab;
use serde::Deserialize;

use crate::ports::ForgeError;

/// How requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first try (5xx, connection failures, rate limits).
    pub max_retries: u32,
    /// The first backoff after a 5xx or a connection failure; doubled on each retry.
    pub initial_backoff: Duration,
    /// The longest total time one call may spend waiting (backoffs and rate-limit waits); a
    /// rate limit that resets later than this fails at once with [`ForgeError::RateLimited`].
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            initial_backoff: Duration::from_millis(500),
            max_total_wait: Duration::from_secs(120),
        }
    }
}

/// The HTTP method of a request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) body: String,
    /// The `rel="next"` URL of the `Link` header.
    pub(crate) next: Option<String>,
    /// The server's `Date`.
    pub(crate) date: Option<DateTime<Utc>>,
}

impl Answer {
    pub(crate) fn json<T: for<'de> Deserialize<'de>>(&self) -> Result<T, ForgeError> {
        serde_json::from_str(&self.body).map_err(|source| ForgeError::Backend {
            backend: "github",
            source: Box::new(source),
        })
    }
}

/// GitHub's error body.
#[derive(Debug, Default, Deserialize)]
struct GitHubMessage {
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

impl GitHubMessage {
    fn parse(body: &str) -> Self {
        serde_json::from_str(body).unwrap_or_default()
    }

    /// The message plus each detail of `errors` (strings, or objects with a `message` or a
    /// `field`/`code`).
    fn text(&self) -> String {
        let mut text = self.message.clone();
        for error in &self.errors {
            let detail = match error {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Object(o) => o
                    .get("message")
                    .and_then(|m| m.as_str().map(str::to_owned))
                    .or_else(|| {
                        let field = o.get("field").and_then(|f| f.as_str())?;
                        let code = o.get("code").and_then(|c| c.as_str()).unwrap_or("invalid");
                        Some(format!("`{field}` {code}"))
                    }),
                _ => None,
            };
            if let Some(detail) = detail {
                text.push_str(if text.is_empty() { "" } else { ": " });
                text.push_str(&detail);
            }
        }
        if text.is_empty() {
            text.push_str("no message");
        }
        text
    }
}

/// What to do with a non-success answer.
enum Verdict {
    Retry(Duration),
    Fail(ForgeError),
}

fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The `rel="next"` target of a `Link` header.
pub(crate) fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"));
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_owned())
    })
}

/// How long a rate-limited answer asks to wait: `retry-after` seconds, else the time until
/// `x-ratelimit-reset` (by the server's `Date`) when `x-ratelimit-remaining` is 0, else a minute
/// for a secondary rate limit (GitHub's advice). `None` if the answer is not about rate limits.
fn rate_limit_wait(
    status: u16,
    headers: &http::HeaderMap,
    message: &str,
    date: Option<DateTime<Utc>>,
) -> Option<Duration> {
    if status != 403 && status != 429 {
        return None;
    }
    if let Some(seconds) = header(headers, "retry-after").and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_secs(seconds));
    }
    if header(headers, "x-ratelimit-remaining").map(str::trim) == Some("0") {
        let reset = header(headers, "x-ratelimit-reset").and_then(|v| v.trim().parse::<i64>().ok());
        let wait = match (reset, date) {
            (Some(reset), Some(now)) => u64::try_from(reset - now.timestamp()).unwrap_or(0).max(1),
            _ => 60,
        };
        return Some(Duration::from_secs(wait));
    }
    let lower = message.to_ascii_lowercase();
    (status == 429 || lower.contains("rate limit")).then_some(Duration::from_secs(60))
}

fn classify(
    status: u16,
    headers: &http::HeaderMap,
    body: &str,
    date: Option<DateTime<Utc>>,
    what: &str,
    backoff: Duration,
) -> Verdict {
    let message = GitHubMessage::parse(body);
    if let Some(wait) = rate_limit_wait(status, headers, &message.message, date) {
        return Verdict::Retry(wait);
    }
    match status {
        401 | 403 => Verdict::Fail(ForgeError::Unauthorized {
            message: message.text(),
        }),
        404 | 410 => Verdict::Fail(ForgeError::NotFound {
            what: what.to_owned(),
        }),
        // 409 is GitHub's "conflict" (e.g. a repository being created); 400/422 are refusals.
        400 | 409 | 422 => Verdict::Fail(ForgeError::Unprocessable {
            message: message.text(),
        }),
        500..=599 => Verdict::Retry(backoff),
        _ => Verdict::Fail(ForgeError::Backend {
            backend: "github",
            source: format!("HTTP {status}: {}", message.text()).into(),
        }),
    }
}

/// Sends one request, retrying 5xx answers, connection failures and rate limits as `policy`
/// allows. `what` names the resource for a 404 ("pull request #3 in `o/r`").
pub(crate) async fn send(
    client: &Octocrab,
    policy: &RetryPolicy,
    method: Method,
    url: &str,
    body: Option<&serde_json::Value>,
    what: &str,
) -> Result<Answer, ForgeError> {
    let mut waited = Duration::ZERO;
    let mut backoff = policy.initial_backoff;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let sent = match method {
            Method::Get => client._get(url).await,
            Method::Post => client._post(url, body).await,
            Method::Patch => client._patch(url, body).await,
        };
        let (wait, error) = match sent {
            Err(error) => (
                backoff,
                ForgeError::Unavailable {
                    backend: "github",
                    retryable: true,
                    source: Box::new(error),
                },
            ),
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let date = header(&headers, "date")
                    .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
                    .map(|d| d.with_timezone(&Utc));
                let next = header(&headers, "link").and_then(next_link);
                let text = client.body_to_string(response).await.map_err(|source| {
                    ForgeError::Unavailable {
                        backend: "github",
                        retryable: true,
                        source: Box::new(source),
                    }
                })?;
                if (200..300).contains(&status) {
                    return Ok(Answer {
                        body: text,
                        next,
                        date,
                    });
                }
                match classify(status, &headers, &text, date, what, backoff) {
                    Verdict::Fail(error) => return Err(error),
                    Verdict::Retry(wait) => {
                        let error = if matches!(status, 403 | 429) {
                            ForgeError::RateLimited {
                                retry_after: Some(wait),
                            }
                        } else {
                            ForgeError::Unavailable {
                                backend: "github",
                                retryable: true,
                                source: format!(
                                    "HTTP {status}: {}",
                                    GitHubMessage::parse(&text).text()
                                )
                                .into(),
                            }
                        };
                        (wait, error)
                    }
                }
            }
        };
        if attempt > policy.max_retries || waited + wait > policy.max_total_wait {
            return Err(error);
        }
        tracing::debug!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            "retrying a GitHub request"
        );
        tokio::time::sleep(wait).await;
        waited += wait;
        backoff = backoff.saturating_mul(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_read_from_a_link_header() {
        let link = r#"<https://api.github.com/repositories/1/issues/3/comments?page=2>; rel="next", <https://api.github.com/repositories/1/issues/3/comments?page=3>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/1/issues/3/comments?page=2")
        );
        let last = r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#;
        assert_eq!(next_link(last), None);
    }

    #[test]
    fn githubs_message_includes_the_details_of_errors() {
        let body = r#"{"message":"Validation Failed","errors":[{"resource":"Issue","field":"body","code":"too_long"}],"documentation_url":"x"}"#;
        assert_eq!(
            GitHubMessage::parse(body).text(),
            "Validation Failed: `body` too_long"
        );
        assert_eq!(GitHubMessage::parse("not json").text(), "no message");
    }
}
