#!/usr/bin/env bash
# What the exporter costs: `ipfs-kit-tui metrics` watching N local backends (default 100, each a
# temporary directory with a few files), scraped every second by curl as Prometheus would
# (asking for OpenMetrics). After a warm-up (the first polls and inventories), it measures over
# SECS seconds (default 60): CPU as % of one core (utime+stime from /proc), RSS now and at peak,
# and the scrapes' time and size.
#
#   scripts/bench-exporter.sh                 # release build, 100 backends, 60 s, refresh 5 s
#   BACKENDS=300 SECS=30 REFRESH=1 scripts/bench-exporter.sh
#   BIN=target/debug/ipfs-kit-tui scripts/bench-exporter.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BACKENDS=${BACKENDS:-100}
SECS=${SECS:-60}
WARMUP=${WARMUP:-10}
REFRESH=${REFRESH:-5}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin ipfs-kit-tui
  BIN=target/release/ipfs-kit-tui
fi
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

WORK=$(mktemp -d)
EXPORTER=""
cleanup() {
  if [ -n "$EXPORTER" ]; then kill "$EXPORTER" 2>/dev/null || true; wait "$EXPORTER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

HOME_DIR=$WORK/home
mkdir -p "$WORK/data"
echo "==> $BACKENDS local backends in $WORK"
# The first command creates the home (with its own 'local' backend, removed here).
"$BIN" --home "$HOME_DIR" backend list >/dev/null 2>&1
"$BIN" --home "$HOME_DIR" backend remove local --yes >/dev/null
for i in $(seq 1 "$BACKENDS"); do
  dir=$WORK/data/b$i
  mkdir -p "$dir"
  for f in 1 2 3 4 5; do head -c $((f * 1000)) /dev/zero >"$dir/f$f"; done
  "$BIN" --home "$HOME_DIR" backend add "b$i" --type local --set "path=$dir" >/dev/null
done

"$BIN" --home "$HOME_DIR" metrics --listen 127.0.0.1:0 --refresh "$REFRESH" 2>"$WORK/stderr" &
EXPORTER=$!
for _ in $(seq 1 100); do
  grep -q '^serving ' "$WORK/stderr" 2>/dev/null && break
  sleep 0.1
done
URL=$(sed -n 's/^serving //p' "$WORK/stderr" | head -1)
[ -n "$URL" ] || { echo "the exporter did not start:" >&2; cat "$WORK/stderr" >&2; exit 1; }
echo "==> exporter pid $EXPORTER at $URL, polling every $REFRESH s; warm-up $WARMUP s"

ACCEPT='application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'
scrape() { curl -s -o /dev/null -H "Accept: $ACCEPT" -w '%{time_total} %{size_download}\n' "$URL"; }

# Scraped through the warm-up too: the steady state includes scrapes.
end=$((SECONDS + WARMUP))
while [ $SECONDS -lt $end ]; do scrape >/dev/null; sleep 1; done

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$EXPORTER/stat"; }
start_ticks=$(cpu_ticks)
start_ns=$(date +%s%N)
: >"$WORK/scrapes"
end=$((SECONDS + SECS))
while [ $SECONDS -lt $end ]; do scrape >>"$WORK/scrapes"; sleep 1; done
end_ticks=$(cpu_ticks)
end_ns=$(date +%s%N)

wall=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN {print (b - a) / 1e9}')
cpu=$(awk -v t=$((end_ticks - start_ticks)) -v hz="$ticks" -v w="$wall" 'BEGIN {printf "%.2f", 100 * t / hz / w}')
rss=$(awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$EXPORTER/status")
peak=$(awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$EXPORTER/status")
read -r count avg_ms max_ms bytes < <(awk '{n++; s += $1; if ($1 > m) m = $1; b = $2} END {printf "%d %.2f %.2f %d\n", n, 1000 * s / n, 1000 * m, b}' "$WORK/scrapes")
polls=$(curl -s "$URL" | awk '/^ipfs_kit_backend_poll_duration_seconds_count/ {s += $2} END {print s + 0}')

echo
echo "backends:        $BACKENDS (local), polled every $REFRESH s"
printf "measured over:   %.1f s, %d scrapes (1 per second)\n" "$wall" "$count"
echo "CPU:             $cpu % of one core"
echo "RSS:             $rss MiB (peak $peak MiB)"
echo "scrape:          $avg_ms ms average, $max_ms ms max, $bytes bytes (OpenMetrics)"
echo "polls so far:    $polls"
