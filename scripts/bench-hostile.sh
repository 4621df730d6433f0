#!/usr/bin/env bash
# What a hostile backend costs the engine's memory: runs the release binary's engine headless
# (`metrics --listen 127.0.0.1:0 --refresh 1`) twice side by side, once over N backends that
# behave and once over the same N where one of each kind answers hostile (oversized bodies with
# and without Content-Length, endless chunked streams, a line that never ends, a slow drip, an
# endless error body: examples/fixture_backends.rs --hostile), and prints their RSS medians and the
# difference (scripts/bench_hostile.py).
#
#   scripts/bench-hostile.sh [--secs 180] [--warmup 30] [--copies 2] [--hostile-kinds ipfs,s3+garage,...]
#
# IPFS_KIT_TUI_BIN=path uses that binary instead of building the release one. Loopback only;
# the fixture is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${IPFS_KIT_TUI_BIN:-}"
if [ -z "$bin" ]; then
  echo "==> cargo build --release" >&2
  cargo build --release --quiet
  bin="${CARGO_TARGET_DIR:-target}/release/ipfs-kit-tui"
fi
[ -x "$bin" ] || { echo "no executable binary at $bin" >&2; exit 2; }

echo "==> cargo build --release --example fixture_backends" >&2
cargo build --release --quiet --example fixture_backends
fixture_bin="${CARGO_TARGET_DIR:-target}/release/examples/fixture_backends"

work="$(mktemp -d "${TMPDIR:-/tmp}/ikt-bench-hostile.XXXXXX")"
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

"$fixture_bin" --hostile --ports-file "$work/ports.json" &
fixture=$!
for _ in $(seq 1 300); do
  [ -f "$work/ports.json" ] && break
  kill -0 "$fixture" 2>/dev/null || { echo "the fixture exited early" >&2; exit 1; }
  sleep 0.1
done
[ -f "$work/ports.json" ] || { echo "the fixture was not ready after 30 s" >&2; exit 1; }

# In the background, so that a signal reaches the trap at once rather than after the driver.
python3 scripts/bench_hostile.py --bin "$bin" --ports-file "$work/ports.json" "$@" &
driver=$!
rc=0
wait "$driver" || rc=$?
driver=""
exit "$rc"
