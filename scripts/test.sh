#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this). Installs the test services
# it needs when they are missing: rclone and python3 (apt; python3 runs the writer that behaves as
# the Python library does; prometheus with promtool), Garage (cargo install, ~12 minutes once),
# js-ipfs (npm), and Kubo, IPFS Cluster and the Versity S3 gateway (built with Go from the
# modules in scripts/servers/, into target/tools/). Tests that need them are #[ignore]d for plain
# `cargo test` and run here with --include-ignored; they fail, not skip, when a service is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# Go as its official tarball installs it, when it is not on PATH already.
[ -x /usr/local/go/bin/go ] && export PATH="$PATH:/usr/local/go/bin"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing_apt=()
command -v rclone >/dev/null 2>&1 || missing_apt+=(rclone)
command -v python3 >/dev/null 2>&1 || missing_apt+=(python3)
# Prometheus scrapes two exporters in tests/integration/prometheus.rs; promtool (same package)
# checks our exposition and the shipped alert rules.
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

# js-ipfs: an independent implementation of the Kubo RPC API, for tests/integration/jsipfs.rs.
# Project-local so that nothing global is needed; the marker is written only after a complete
# install, so an interrupted one is redone.
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

# Kubo, IPFS Cluster and the Versity S3 gateway, built from their own Go modules (pinned with
# checksums in scripts/servers/*/go.mod and go.sum) into target/tools/. Each marker is written
# only after a complete build, so an interrupted one is redone; a changed go.mod is built again.
build_go_server() { # name, package, output, [package, output]...
  local name=$1; shift
  local dir="scripts/servers/$name"
  local marker="target/tools/$name/.built-$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-16)"
  [ -f "$marker" ] && return 0
  command -v go >/dev/null 2>&1 || { echo "Go is needed to build $name (scripts/servers/$name)" >&2; exit 1; }
  echo "==> building $name with $(go env GOVERSION) (scripts/servers/$name; a few minutes once)"
  rm -rf "target/tools/$name"
  mkdir -p "target/tools/$name"
  local started=$SECONDS
  while [ $# -gt 0 ]; do
    (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -o "../../../target/tools/$name/$2" "$1")
    shift 2
  done
  echo "    $name built in $((SECONDS - started)) s"
  touch "$marker"
}
build_go_server kubo github.com/ipfs/kubo/cmd/ipfs ipfs
build_go_server ipfs-cluster \
  github.com/ipfs-cluster/ipfs-cluster/cmd/ipfs-cluster-service ipfs-cluster-service \
  github.com/ipfs-cluster/ipfs-cluster/cmd/ipfs-cluster-ctl ipfs-cluster-ctl
build_go_server versitygw github.com/versity/versitygw/cmd/versitygw versitygw

# A toolchain without rustfmt or clippy (a minimal rustup profile) says so in one line and the
# rest still runs; CI's toolchain has both.
if cargo fmt --version >/dev/null 2>&1; then
  echo "==> cargo fmt --check"
  cargo fmt --check
else
  echo "==> cargo fmt is not installed (rustup component add rustfmt): formatting NOT checked"
fi
if cargo clippy --version >/dev/null 2>&1; then
  echo "==> cargo clippy --all-targets -- -D warnings"
  cargo clippy --all-targets -- -D warnings
else
  echo "==> cargo clippy is not installed (rustup component add clippy): lints NOT checked"
fi
echo "==> cargo test (including the tests that need rclone, Garage, js-ipfs, Kubo, IPFS Cluster and Versity)"
cargo test --all-targets -- --include-ignored
