#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this). Installs the test services
# it needs when they are missing: rclone and python3 (apt; python3 runs the writer that behaves as
# the Python library does; prometheus with promtool), Garage (cargo install, ~12 minutes once) and js-ipfs (npm).
# Tests that need them are #[ignore]d for plain `cargo test` and run here with --include-ignored;
# they fail, not skip, when a service is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing_apt=()
command -v rclone >/dev/null 2>&1 || missing_apt+=(rclone)
command -v python3 >/dev/null 2>&1 || missing_apt+=(python3)
# Prometheus scrapes two exporters in tests/prometheus.rs; promtool (same package) checks our
# exposition and the shipped alert rules.
{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing_apt+=(prometheus)
if [ ${#missing_apt[@]} -gt 0 ]; then
  echo "==> installing ${missing_apt[*]} (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing_apt[@]}"
fi

GARAGE_VERSION=2.5.0
if ! command -v garage >/dev/null 2>&1; then
  echo "==> installing garage $GARAGE_VERSION (cargo install --locked; about 12 minutes on 2 cores)"
  cargo install garage --locked --version "$GARAGE_VERSION"
fi

# js-ipfs: an independent implementation of the Kubo RPC API, for tests/jsipfs.rs. Project-local
# so that nothing global is needed; the marker is written only after a complete install, so an
# interrupted one is redone.
JSIPFS_VERSION=0.66.1
JSIPFS_DIR=target/tools/jsipfs
if [ ! -f "$JSIPFS_DIR/.installed-$JSIPFS_VERSION" ]; then
  command -v npm >/dev/null 2>&1 || { echo "npm is needed to install js-ipfs" >&2; exit 1; }
  echo "==> installing js-ipfs (npm ipfs@$JSIPFS_VERSION into $JSIPFS_DIR; about 3 minutes)"
  rm -rf "$JSIPFS_DIR"
  mkdir -p "$JSIPFS_DIR"
  # Its own package.json, so that npm does not look for a project further up.
  echo '{"private": true}' >"$JSIPFS_DIR/package.json"
  (cd "$JSIPFS_DIR" && npm install --no-audit --no-fund --save-exact "ipfs@$JSIPFS_VERSION")
  touch "$JSIPFS_DIR/.installed-$JSIPFS_VERSION"
fi

echo "==> cargo fmt --check"
cargo fmt --check
echo "==> cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings
echo "==> cargo test (including the tests that need rclone, Garage and js-ipfs)"
cargo test --all-targets -- --include-ignored
