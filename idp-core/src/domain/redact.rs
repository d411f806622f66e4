//! Keeping captured output small and free of secrets: the one place where secret values are
//! masked and the end of an output is cut.
//!
//! Every output idp keeps (an order's log and its excerpt, the error output of a failed
//! OpenTofu command or local app) goes through here:
//!
//! - [`Tail`] keeps the last bytes written, at most a fixed number, so a command that prints
//!   gigabytes costs no more memory than one that prints a line.
//! - [`mask`] replaces every secret value by [`MASK`]. [`Tail::text`] masks over the whole kept
//!   buffer at once, so a secret split across two writes is still masked, and a secret cut in two
//!   by the start of the tail has its visible end masked too.
//! - [`excerpt`] keeps the last lines and bytes of a text, cut at a character boundary; it is
//!   only ever applied to masked text, so a secret is never half-kept.
//! - [`error_tail`] and [`Tail::error_tail`] are the end of an error output as errors carry it:
//!   masked, at most [`MAX_TAIL_LINES`] lines and [`MAX_TAIL_BYTES`] bytes.

use std::collections::VecDeque;

/// What a masked value prints as.
pub const MASK: &str = "****";

/// The most bytes of a failed step's error output an error keeps.
pub const MAX_TAIL_BYTES: usize = 4096;

/// The most lines of a failed step's error output an error keeps.
pub const MAX_TAIL_LINES: usize = 40;

/// The last bytes written, at most a fixed number.
#[derive(Debug, Clone)]
pub struct Tail {
    cap: usize,
    buf: VecDeque<u8>,
    truncated: bool,
}

impl Tail {
    /// An empty tail keeping at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            buf: VecDeque::with_capacity(cap.min(64 * 1024)),
            truncated: false,
        }
    }

    /// Appends bytes, dropping the oldest beyond the cap.
    pub fn push(&mut self, bytes: &[u8]) {
        let keep = bytes
            .get(bytes.len().saturating_sub(self.cap)..)
            .unwrap_or_default();
        if keep.len() < bytes.len() {
            self.truncated = true;
        }
        self.buf.extend(keep);
        let excess = self.buf.len().saturating_sub(self.cap);
        if excess > 0 {
            self.truncated = true;
            self.buf.drain(..excess);
        }
    }

    /// Whether older output was dropped.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// How many bytes are kept.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The kept bytes as they were written, nothing masked: for output that is data (a JSON
    /// document), not for output that is shown or stored.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf.into()
    }

    /// The kept output as text with every secret value masked.
    pub fn text(&self, secrets: &[&str]) -> String {
        let bytes: Vec<u8> = self.buf.iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes);
        mask(&text, secrets, self.truncated)
    }

    /// The kept output as an error carries it: masked, then cut to [`MAX_TAIL_LINES`] lines and
    /// [`MAX_TAIL_BYTES`] bytes.
    pub fn error_tail(&self, secrets: &[&str]) -> String {
        excerpt(&self.text(secrets), MAX_TAIL_LINES, MAX_TAIL_BYTES)
    }
}

/// `text` with every non-empty secret value replaced by [`MASK`]. With `cut_at_start`, the text
/// is the end of a longer output, so the longest end of a secret that `text` starts with is
/// masked as well.
pub fn mask(text: &str, secrets: &[&str], cut_at_start: bool) -> String {
    let mut secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    // Longest first, so a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut text = text.to_owned();
    // Whole values first: a text that starts with a whole secret must not have only the
    // secret's last character taken for a cut end, which would leave the rest unmasked.
    for secret in &secrets {
        text = text.replace(secret, MASK);
    }
    if cut_at_start {
        for secret in &secrets {
            let cut = (1..secret.len())
                .filter(|&i| secret.is_char_boundary(i))
                .map(|i| secret.get(i..).unwrap_or_default())
                .find(|end| text.starts_with(end));
            if let Some(end) = cut {
                text = format!("{MASK}{}", text.get(end.len()..).unwrap_or_default());
            }
        }
    }
    text
}

/// The last `lines` lines of `text`, at most `bytes` bytes (cut at a character boundary).
pub fn excerpt(text: &str, lines: usize, bytes: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let kept = all
        .get(all.len().saturating_sub(lines)..)
        .unwrap_or_default()
        .join("\n");
    if kept.len() <= bytes {
        return kept;
    }
    let mut start = kept.len() - bytes;
    while !kept.is_char_boundary(start) {
        start += 1;
    }
    kept.get(start..).unwrap_or_default().to_owned()
}

/// The end of a whole error output as an error carries it: lossily decoded, masked, then cut to
/// [`MAX_TAIL_LINES`] lines and [`MAX_TAIL_BYTES`] bytes.
pub fn error_tail(output: &[u8], secrets: &[&str]) -> String {
    let text = mask(&String::from_utf8_lossy(output), secrets, false);
    excerpt(&text, MAX_TAIL_LINES, MAX_TAIL_BYTES)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_tail_keeps_the_last_bytes_and_masks_secrets() {
        let mut tail = Tail::new(16);
        tail.push(b"hello hunter");
        tail.push(b"2 world and more");
        assert!(tail.truncated());
        assert_eq!(tail.text(&["hunter2"]), "**** world and more");
        // A tail that starts with a whole secret ending in its own first character.
        let mut tail = Tail::new(8);
        tail.push(b"xR0AAARaa");
        assert_eq!(tail.text(&["R0AAAR"]), "****aa");
        assert_eq!(excerpt("a\nb\nc", 2, 100), "b\nc");
        assert_eq!(excerpt("abcdef", 5, 3), "def");
    }

    #[test]
    fn error_tails_keep_the_last_lines_and_bytes() {
        let many: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let tail = error_tail(many.as_bytes(), &[]);
        assert_eq!(tail.lines().count(), MAX_TAIL_LINES);
        assert!(tail.ends_with("line 99"));
        let long = "é".repeat(MAX_TAIL_BYTES);
        assert!(error_tail(long.as_bytes(), &[]).len() <= MAX_TAIL_BYTES);
        let mut kept = Tail::new(64 * 1024);
        kept.push(many.as_bytes());
        assert_eq!(kept.error_tail(&[]), tail);
    }

    proptest! {
        #[test]
        fn no_secret_and_no_end_of_a_secret_survives_any_cut(
            before in "[a-z \n]{0,200}",
            after in "[a-z \n]{0,200}",
            secret in "[A-Z0-9]{4,24}",
            cap in 1usize..300,
            split in 0usize..24,
        ) {
            let mut tail = Tail::new(cap);
            let split = split.min(secret.len());
            tail.push(before.as_bytes());
            tail.push(secret.get(..split).unwrap_or_default().as_bytes());
            tail.push(secret.get(split..).unwrap_or_default().as_bytes());
            tail.push(after.as_bytes());
            let text = tail.text(&[&secret]);
            prop_assert!(!text.contains(&secret));
            // What is left of the secret never exceeds 3 characters of it (shorter than any value).
            for len in 4..=secret.len() {
                for start in 0..=secret.len() - len {
                    prop_assert!(!text.contains(&secret[start..start + len]), "{text:?} holds part of the secret");
                }
            }
        }

        #[test]
        fn error_tails_are_capped_and_never_hold_a_secret(
            output in proptest::collection::vec(any::<u8>(), 0..20_000),
            secret in "[A-Za-z0-9:/-]{3,40}",
            at in 0_usize..20_000,
        ) {
            let mut output = output;
            let at = at.min(output.len());
            output.splice(at..at, secret.bytes());
            let tail = error_tail(&output, &[&secret]);
            prop_assert!(tail.len() <= MAX_TAIL_BYTES);
            prop_assert!(tail.lines().count() <= MAX_TAIL_LINES);
            prop_assert!(!tail.contains(&secret));
        }
    }
}
