#!/usr/bin/env bash
# What watching costs each backend: for every kind at a small and a 100x larger size, runs
# `ipfs-kit-tui status --json` 6 times against the fixture backends (examples/fixture_backends.rs,
# the tests' own fixture answers; a directory of files for `local`) and prints a Markdown table of requests, response bytes, server work and our CPU,
# per round and per hour at the default settings (scripts/bench_backend_cost.py).
#
#   scripts/bench-backend-cost.sh [--out FILE] [--rounds N] [--kinds a,b] [--sizes small,large]
#   scripts/bench-backend-cost.sh --real [--rounds N] [--sizes 100,10000]
#
# --real measures the real servers instead (Kubo, IPFS Cluster, Versity as scripts/test.sh builds
# them into target/tools/), behind a counting proxy (scripts/bench_real_servers.py).
#
# IPFS_KIT_TUI_BIN=path uses that binary instead of building the release one. Loopback only;
# the fixture is stopped on exit. The `local` directories are kept (and reused) under
# ${TMPDIR:-/tmp}/ipfs-kit-tui-bench-local unless --local-root says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${IPFS_KIT_TUI_BIN:-}"
if [ -z "$bin" ]; then
  echo "==> cargo build --release" >&2
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/ipfs-kit-tui"
fi
[ -x "$bin" ] || { echo "no executable binary at $bin" >&2; exit 2; }

if [ "${1:-}" = "--real" ]; then
  shift
  exec python3 scripts/bench_real_servers.py --bin "$bin" "$@"
fi

echo "==> cargo build --release --example fixture_backends" >&2
cargo build --release --quiet --example fixture_backends
fixture_bin="${CARGO_TARGET_DIR:-target}/release/examples/fixture_backends"

work="$(mktemp -d "${TMPDIR:-/tmp}/ikt-bench-fixture.XXXXXX")"
fixture=""
driver=""
cleanup() {
  for pid in $driver $fixture; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$fixture_bin" --ports-file "$work/ports.json" &
fixture=$!
# The ports file appears once every server listens; give up after 120 s.
for _ in $(seq 1 1200); do
  [ -f "$work/ports.json" ] && break
  kill -0 "$fixture" 2>/dev/null || { echo "the fixture exited early" >&2; exit 1; }
  sleep 0.1
done
[ -f "$work/ports.json" ] || { echo "the fixture was not ready after 120 s" >&2; exit 1; }

# In the background, so that a signal reaches the trap at once rather than after the driver.
python3 scripts/bench_backend_cost.py --bin "$bin" --ports-file "$work/ports.json" "$@" &
driver=$!
rc=0
wait "$driver" || rc=$?
driver=""
exit "$rc"
