//! The integration test binary: one crate so the build links once (as ripgrep does).

mod util;

mod cli;
mod scan;
