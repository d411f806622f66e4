//! Configuration errors: file, line, column, key, offending value and the fix.
