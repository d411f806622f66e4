//! Whether a file's bytes are text: the one check every file idp reads (`.idp/config.yml`, a job
//! file, the settings file) goes through before it is parsed, so a binary or non-UTF-8 file is
//! an invalid-input error at the exact line and column, never an I/O error.

/// Where and why bytes are not UTF-8 text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at line {line}, column {column}")]
pub struct NotText {
    /// 1-based line of the first offending byte.
    pub line: usize,
    /// 1-based column (in characters) of the first offending byte.
    pub column: usize,
    /// `is not UTF-8 text (byte 0xff)` or `is binary (a NUL byte)`.
    pub what: String,
}

impl NotText {
    /// How to fix it.
    pub const FIX: &'static str = "save the file as UTF-8 text (it may be a binary file or use another encoding such as UTF-16 or Latin-1)";
}

/// `bytes` as text, or where it stops being UTF-8 text. A NUL byte counts as binary. A leading
/// byte-order mark is kept (parsers skip it).
pub fn utf8(bytes: &[u8]) -> Result<&str, NotText> {
    let (valid, bad) = match std::str::from_utf8(bytes) {
        Ok(text) => match text.find('\0') {
            None => return Ok(text),
            Some(at) => (&text[..at], "is binary (a NUL byte)".to_owned()),
        },
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let byte = bytes.get(e.valid_up_to()).copied().unwrap_or_default();
            (valid, format!("is not UTF-8 text (byte 0x{byte:02x})"))
        }
    };
    let line = valid.matches('\n').count() + 1;
    let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Err(NotText {
        line,
        column,
        what: bad,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_passes_and_the_first_bad_byte_is_located() {
        assert_eq!(utf8(b"a: 1\n").unwrap(), "a: 1\n");
        let e = utf8(b"\xff\xfeA\x00").unwrap_err();
        assert_eq!((e.line, e.column), (1, 1));
        assert!(e.what.contains("0xff"), "{e}");
        let e = utf8("template: api\ncpü: \u{1}x\x00".as_bytes()).unwrap_err();
        assert_eq!((e.line, e.column), (2, 8));
        assert!(e.what.contains("binary"), "{e}");
        let e = utf8(b"ok\nname: caf\xe9\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 10));
    }
}
