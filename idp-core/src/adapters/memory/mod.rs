//! In-memory adapters: real implementations of every port, kept in process memory.
