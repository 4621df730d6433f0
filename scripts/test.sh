#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this). Installs the test services
# it needs when they are missing: rclone (apt) and Garage (cargo install, ~12 minutes once).
# Tests that need them are #[ignore]d for plain `cargo test` and run here with --include-ignored;
# they fail, not skip, when a service is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing_apt=()
command -v rclone >/dev/null 2>&1 || missing_apt+=(rclone)
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

echo "==> cargo fmt --check"
cargo fmt --check
echo "==> cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings
echo "==> cargo test (including the tests that need rclone and Garage)"
cargo test --all-targets -- --include-ignored
