//! The local backend: the state bucket as a directory, leases as lock files.
