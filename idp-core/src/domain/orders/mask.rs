//! Keeping captured output small and free of secrets.
//!
//! An order's output is kept as a byte tail of bounded size ([`Tail`]), so a command that
//! prints gigabytes costs no more memory than one that prints a line. Secret values are masked
//! when the tail is read ([`Tail::text`]), over the whole buffer at once, so a secret split
//! across two writes is still masked; a secret cut in two by the start of the tail is masked
//! too (its visible end is replaced).

use crate::ports::provisioner::MASK;

/// The last bytes written, at most a fixed number.
#[derive(Debug, Clone)]
pub struct Tail {
    cap: usize,
    buf: std::collections::VecDeque<u8>,
    truncated: bool,
}

impl Tail {
    /// An empty tail keeping at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            buf: std::collections::VecDeque::with_capacity(cap.min(64 * 1024)),
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

    /// The kept output as text with every secret value masked.
    pub fn text(&self, secrets: &[&str]) -> String {
        let bytes: Vec<u8> = self.buf.iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes);
        mask(&text, secrets, self.truncated)
    }
}

/// `text` with every non-empty secret value replaced by `****`. With `cut_at_start`, the text is
/// the end of a longer output, so the longest end of a secret that `text` starts with is masked
/// as well.
pub fn mask(text: &str, secrets: &[&str], cut_at_start: bool) -> String {
    let mut secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    // Longest first, so a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut text = text.to_owned();
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
    for secret in &secrets {
        text = text.replace(secret, MASK);
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
        assert_eq!(excerpt("a\nb\nc", 2, 100), "b\nc");
        assert_eq!(excerpt("abcdef", 5, 3), "def");
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
    }
}
