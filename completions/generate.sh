#!/bin/sh
# Regenerates the committed completion scripts from the clap definitions.
# A test (tests/cli.rs, completions_are_fresh) fails when they are stale.
set -eu
cd "$(dirname "$0")/.."
cargo build --quiet
bin=target/debug/pretense
"$bin" completions bash > completions/pretense.bash
"$bin" completions zsh > completions/_pretense
"$bin" completions fish > completions/pretense.fish
"$bin" completions powershell > completions/_pretense.ps1
"$bin" completions elvish > completions/pretense.elv
echo "completions regenerated"
