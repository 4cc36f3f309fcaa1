#!/bin/sh
# Installs pretense from this checkout: builds the release binary, copies it to $PREFIX/bin
# (default ~/.local/bin) and installs completions for your shell. Safe to run again.
#
#   ./install.sh [--prefix DIR] [--shell bash|zsh|fish|none]
#
# PRETENSE_BINARY=path/to/pretense skips the build and installs that binary instead.
set -eu

prefix="${PREFIX:-$HOME/.local}"
shell_name="$(basename "${SHELL:-sh}")"
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --shell) shell_name="$2"; shift 2 ;;
    --shell=*) shell_name="${1#--shell=}"; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")"

if [ -n "${PRETENSE_BINARY:-}" ]; then
  bin="$PRETENSE_BINARY"
else
  if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: cargo was not found on PATH." >&2
    echo "  Install Rust with https://rustup.rs (then open a new shell) and run ./install.sh again." >&2
    exit 1
  fi
  echo "building pretense (release)…"
  cargo build --release --locked --quiet
  bin="target/release/pretense"
fi

mkdir -p "$prefix/bin"
# Copy to a temporary name and rename, so a running pretense is never overwritten in place.
cp "$bin" "$prefix/bin/.pretense.new"
chmod 0755 "$prefix/bin/.pretense.new"
mv -f "$prefix/bin/.pretense.new" "$prefix/bin/pretense"
echo "installed $prefix/bin/pretense ($("$prefix/bin/pretense" --version))"

data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
config_home="${XDG_CONFIG_HOME:-$HOME/.config}"
case "$shell_name" in
  bash) dir="$data_home/bash-completion/completions"; file="pretense" ;;
  zsh) dir="$data_home/zsh/site-functions"; file="_pretense" ;;
  fish) dir="$config_home/fish/completions"; file="pretense.fish" ;;
  none) dir="" ;;
  *) dir=""; echo "no completions installed: unknown shell '$shell_name' (use --shell bash|zsh|fish)" ;;
esac
if [ -n "$dir" ]; then
  mkdir -p "$dir"
  "$prefix/bin/pretense" completions "$shell_name" > "$dir/$file"
  echo "installed $shell_name completions at $dir/$file"
  if [ "$shell_name" = zsh ]; then
    echo "  zsh: make sure $dir is in your fpath (e.g. fpath=($dir \$fpath) before compinit in ~/.zshrc)"
  fi
fi

case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "note: $prefix/bin is not on your PATH; add it, e.g. export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
echo "done. Start the proxy with: pretense start"
