#!/usr/bin/env bash
# Sharing a home with the Python library: runs both tests of tests/python_concurrent.rs (the
# paced one, Python 200 ops 150 ms apart against 200 mixed commands with status; the
# write-heavy one, Python 400 ops 25 ms apart against 200 quick writes) RUNS times each
# (default 3), one at a time, against the current debug build, and prints each run's summary
# line: our commands failed by cause, what Python lost, what Python's in-memory save took of
# ours. A run whose assertions fail is reported (its temp directory is kept) and the others
# still run; the exit status is 1 if any failed.
#
#   scripts/bench-python-sharing.sh [RUNS]
#
# The "before" numbers (the binary of commit 9325417, before the store re-checked a file's
# stamp before its rename) were taken with this same test file, built against that binary. The
# tests find the binary through env!("CARGO_BIN_EXE_ipfs-kit-tui"), so the test was built in a
# worktree of the old commit with its own target directory; the "after" numbers the same way
# from a worktree of HEAD, so that nobody's build in the main tree changes the binary mid-run:
#
#   git worktree add /work/old 9325417
#   mkdir -p /work/old/tests/python_library /work/old/tests/support
#   cp tests/python_concurrent.rs /work/old/tests/
#   cp tests/support/home.rs /work/old/tests/support/
#   cp tests/python_library/library_writer.py /work/old/tests/python_library/
#   (cd /work/old && CARGO_TARGET_DIR=/work/old-target cargo test --test python_concurrent --no-run)
#   /work/old-target/debug/deps/python_concurrent-<hash> --include-ignored --nocapture \
#       --test-threads 1 --exact <test name>          # 3 times per test
#   git worktree remove --force /work/old
#
# (Copying the old binary over target/debug/ipfs-kit-tui under an already built test executable
# works too, but that file is a hard link to target/debug/deps/ipfs_kit_tui-<hash>, so `cp` onto
# it rewrites cargo's artifact as well, and any cargo build meanwhile puts the new binary back.)
# The old binary refuses Python's odd ids ('my backend 3', '_staging-1', 'café-2') and configs
# whose kind it does not know or that have none: those commands fail as "id/kind rejected", not
# because of the other writer.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-3}"
case "$runs" in
  '' | *[!0-9]* | 0) echo "usage: $0 [RUNS]  (RUNS a positive number, default 3)" >&2; exit 2 ;;
esac
command -v python3 >/dev/null 2>&1 || { echo "python3 is needed" >&2; exit 2; }

echo "==> cargo test --test python_concurrent --no-run" >&2
exe=$(cargo test --test python_concurrent --no-run --message-format=json |
  python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "python_concurrent" \
            and msg.get("executable"):
        print(msg["executable"])
')
[ -x "$exe" ] || { echo "no test executable (cargo test --test python_concurrent --no-run)" >&2; exit 2; }
bin="${CARGO_TARGET_DIR:-target}/debug/ipfs-kit-tui"
echo "==> $exe, against $bin ($("$bin" --version), sha256 $(sha256sum "$bin" | cut -c1-12))" >&2

status=0
for variant in paced write-heavy; do
  case "$variant" in
    paced) test=python_library_cli_and_engine_at_once_lose_nothing_of_python ;;
    write-heavy) test=python_library_saving_often_and_our_quick_writes_lose_nothing_of_python ;;
  esac
  for run in $(seq 1 "$runs"); do
    out=$(mktemp)
    if "$exe" --include-ignored --nocapture --test-threads 1 --exact "$test" >"$out" 2>&1; then
      verdict=passed
    else
      verdict=FAILED
      status=1
    fi
    echo "--- $variant run $run/$runs: $verdict"
    grep -E "^python_concurrent\[$variant\]: [0-9]+ commands run" "$out" || echo "(no summary line)"
    if [ "$verdict" = FAILED ]; then
      # The problems the test listed (each failed command with its stderr), shortened.
      sed -n '/problems (temp directory/,/^\(stack backtrace:\|note: run with\)/p' "$out" |
        grep -v '^\(stack backtrace:\|note: run with\)' | cut -c1-400 | head -40
    fi
    rm -f "$out"
  done
done
exit "$status"
