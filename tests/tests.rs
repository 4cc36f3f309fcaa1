//! The integration test binary: one crate so the build links once (as ripgrep does).

mod util;

mod upstream;

mod cli;
mod connect_proxy;
mod daemon;
mod engine;
mod proxy;
mod redact;
mod responses;
mod scan;
mod sdk;
mod snapshots;
mod upstream_selftest;
