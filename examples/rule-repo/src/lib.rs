//! A rule repository's test crate: it holds no code. `cargo test` runs the promtool unit tests
//! in `tests/*_test.yml` and the snapshot tests in `tests/rules.rs` over the rules in `rules/`.
