//! Nothing: the package holds the criterion benchmarks (`apply.rs`), run with
//! `cargo bench -p mindelta-benches`.
