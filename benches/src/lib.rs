//! Benchmarks of idp; see `benches/`.
