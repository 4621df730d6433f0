#!/usr/bin/env bash
# PNG screenshots of the console in a real terminal (xterm under Xvfb), driven by xdotool, into
# screenshots/: list.png (200x50, with the summary line), detail-24h.png (the full-screen detail
# with 24 h charts), alerts.png, theme.png (the high-contrast theme), and at 120x40 detail.png,
# down.png, add-form.png, help.png; edges.png and log.png (160x45: a directory whose tmpfs is
# full, the home's own tmpfs full, and the log view; mounting needs root); and fleet.png, the fleet view (200x50) over a real
# Prometheus scraping three exporters, one of them stopped; forecast.png and outage.png (160x45,
# issue 21): a directory on a tmpfs written at a steady 1 MiB/s, full screen with its forecast
# and the projection on its chart, and a directory taken away for 30 s and put back, full screen
# with its availability, incident and timeline. Installs what it needs with apt.
#
# `scripts/screenshots.sh time` takes only forecast.png and outage.png (about 3 minutes).
#
# The backends are real processes: two directories, and examples/fixture_backends.rs posing as an
# IPFS node, a Cluster, an S3 bucket with Garage's admin API, a Hugging Face repo, a Lotus node
# and an rclone remote; one IPFS node is down (nothing listens). The one thing not measured live
# is the 24 h of history behind detail-24h.png: the script writes a day of points for
# `media-disk` into its history file (cache/media-disk/history.ndjson) before the console
# starts, so that the charts have a day to draw; the last minutes are the console's own polls.
set -euo pipefail
cd "$(dirname "$0")/.."
only=${1:-all}
need=()
for tool in Xvfb:xvfb xterm:xterm xdotool:xdotool import:imagemagick; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
cargo build --release --quiet --bin ipfs-kit-tui --example fixture_backends
bin=$PWD/target/release/ipfs-kit-tui
work=$(mktemp -d)
home=$work/home
cleanup() {
  # The consoles first: one still flushing its stats would refill the home as it is removed.
  pkill -f -- "--home $home" 2>/dev/null || true
  pkill -f -- "--home $work/host-" 2>/dev/null || true
  pkill -f -- "--home $work/edges" 2>/dev/null || true
  pkill -f -- "--home $work/time" 2>/dev/null || true; sleep 0.5
  umount -l "$work/edges" "$work/full" "$work/time/uploads" 2>/dev/null || true
  kill "${xvfb:-}" "${fixture:-}" "${prom:-}" "${writer:-}" 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT

target/release/examples/fixture_backends --ports-file "$work/ports.json" --sizes small >/dev/null 2>&1 &
fixture=$!
for _ in $(seq 1 600); do [ -f "$work/ports.json" ] && break; sleep 0.1; done
port() { python3 -c "import json,sys; print(json.load(open('$work/ports.json'))['targets']['$1/small'])"; }
cred() { python3 -c "import json,sys; print(json.load(open('$work/ports.json'))['credentials']['$1'])"; }
url() { echo "http://127.0.0.1:$(port "$1")"; }

mkdir -p "$work/media" "$work/archive"
head -c 3000000 /dev/urandom > "$work/media/video.bin"
head -c 150000 /dev/urandom > "$work/media/poster.jpg"
head -c 40000 /dev/urandom > "$work/archive/2025.tar"
add() { "$bin" --home "$home" backend add "$@" >/dev/null; }
"$bin" --home "$home" backend list >/dev/null 2>&1
add media-disk --type local --set "path=$work/media"
add archive --type local --set "path=$work/archive"
add kubo-gateway --type ipfs --set "api_url=$(url ipfs)"
add kubo-main --type ipfs --set api_url=http://127.0.0.1:1 --set poll_interval=1
add cluster-eu --type ipfs_cluster --set "api_url=$(url ipfs_cluster)"
add garage-media --type s3 --set "endpoint=$(url s3)" --set region=garage --set "bucket=$(cred bucket)" \
  --set access_key=GKbench0123456789abcdef --set secret_key=bench-secret-not-checked --set path_style=true \
  --set "admin_url=$(url s3)" --set "admin_token=$(cred garage_admin_token)"
add hf-widget --type huggingface --set "repo_id=$(cred hf_repo)" --set repo_type=model \
  --set "endpoint=$(url huggingface)" --set "token=$(cred hf_token)"
add lotus --type filecoin --set "api_url=$(url filecoin)/rpc/v1" --set wallet=f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za
add gdrive --type rclone --set "rc_url=$(url rclone)" --set remote=bench:

# A day of history for media-disk, one point a minute, in step with what it really reports:
# its filesystem's used bytes (as df counts them) and its files; response times around 0.2 ms
# with a slow hour, a failed poll now and then, the poster uploaded at -6 h, and a gap where
# the console was not running.
python3 - "$home/cache/media-disk/history.ndjson" "$work/media" <<'PY'
import math, os, random, sys, time
path, media = sys.argv[1], sys.argv[2]
vfs = os.statvfs(media)
used_now = (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
os.makedirs(os.path.dirname(path), exist_ok=True)
now = int(time.time())
random.seed(11)
with open(path, "w") as f:
    for i in range(24 * 60, 0, -1):
        at = now - i * 60
        if 14 * 60 < i < 15 * 60:
            continue  # the console was not running
        if i % 97 == 0:
            f.write(f"[{at},null,null]\n")
            continue
        ms = 0.2 + 0.08 * math.sin(i / 50) + random.random() * 0.05 + (1.5 if 300 < i < 360 else 0)
        used = used_now - (400_000_000 if i >= 360 else 0) - i * 40_000
        files = 1 if i >= 360 else 2
        f.write(f"[{at},{ms:.3f},{used},{files}]\n")
PY
export DISPLAY=:77
Xvfb :77 -screen 0 2000x1100x24 >/dev/null 2>&1 & xvfb=$!
sleep 1
term() { # term COLSxROWS TITLE ARGS...
  local geometry=$1 title=$2; shift 2
  xterm -geometry "$geometry+0+0" -fa Monospace -fs 10 -bg black -fg grey90 -title "$title" \
    -xrm "XTerm*allowSendEvents: true" \
    -e env TERM=xterm-256color COLORTERM=truecolor XDG_CONFIG_HOME="$work/xdg" "$bin" --home "$home" "$@" &
  sleep 2
  win=$(xdotool search --name "$title" | head -1)
}
shot() { sleep "$2"; import -window "$win" "screenshots/$1.png"; echo "screenshots/$1.png"; }
key() { xdotool key --window "$win" "$@"; }
# `q` ends the console: its window may be gone before the key's release is sent (xdotool then
# fails with BadWindow), which is no failure of the shot.
quit() { xdotool key --window "$win" q 2>/dev/null || true; sleep 1; }

if [ "$only" = all ]; then
term 200x50 ipfs-kit-tui-wide --refresh 2
# Let a few polls and the first inventories land.
sleep 10
key j; shot list 1
# media-disk, full screen, its charts over 24 h.
key G; key Return; key bracketright; shot detail-24h 2
key Escape; sleep 0.3; key A; shot alerts 1
key Escape; sleep 0.3; quit

term 120x40 ipfs-kit-tui --refresh 2
sleep 6
key g; key j; key j; shot detail 1
key g; key j; key j; key j; key j; key j; key j; shot down 1
key question; shot help 1
key Escape; sleep 0.3
key a; sleep 0.5; key Return; sleep 0.5
xdotool type --window "$win" --delay 40 "scratch"; key Tab
xdotool type --window "$win" --delay 40 "relative/path"
shot add-form 1
key Escape; sleep 0.3; quit

mkdir -p "$work/xdg/ipfs-kit-tui"
printf 'theme = "high-contrast"\n[sort]\ncolumn = "health"\n' > "$work/xdg/ipfs-kit-tui/config.toml"
term 160x45 ipfs-kit-tui-theme --refresh 2
sleep 6
key j; shot theme 1
quit

# The edges: a directory on a 32 MiB tmpfs that fills up, and the home itself on a 16 MiB tmpfs
# that fills up too; a backend that is down. The console says each where it is looked for.
mkdir -p "$work/edges" "$work/full"
mount -t tmpfs -o size=16m tmpfs "$work/edges"
mount -t tmpfs -o size=32m tmpfs "$work/full"
edges_home=$work/edges/home
"$bin" --home "$edges_home" backend add scratch --type local --set "path=$work/full" >/dev/null
"$bin" --home "$edges_home" backend add media-disk --type local --set "path=$work/media" >/dev/null
"$bin" --home "$edges_home" backend add gone --type local --set path=/nonexistent/ipfs-kit-tui >/dev/null
saved_home=$home; home=$edges_home
term 160x45 ipfs-kit-tui-edges --refresh 2
sleep 6
dd if=/dev/zero of="$work/full/fill" bs=1M count=64 2>/dev/null || true
sleep 5
dd if=/dev/zero of="$work/edges/ballast" bs=1M count=64 2>/dev/null || true
sleep 8
key G; key k; shot edges 1
key L; shot log 1
key Escape; sleep 0.3; quit
home=$saved_home

# The fleet view: three hosts' exporters (this home, and two more with their own directories),
# a real Prometheus scraping them every 2 s; the third exporter is stopped before the shot.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
targets=()
for host in a b c; do
  port=$(free_port)
  if [ "$host" = a ]; then h=$home; else
    h=$work/host-$host; mkdir -p "$work/data-$host"
    head -c $((RANDOM * 40)) /dev/urandom > "$work/data-$host/blob.bin"
    "$bin" --home "$h" backend add "scratch-$host" --type local --set "path=$work/data-$host" >/dev/null
  fi
  "$bin" --home "$h" metrics --listen "127.0.0.1:$port" --refresh 2 2>/dev/null &
  eval "exporter_$host=\$!"
  targets+=("'127.0.0.1:$port'")
done
prom_port=$(free_port)
printf 'global:\n  scrape_interval: 2s\nscrape_configs:\n  - job_name: ipfs_kit\n    static_configs:\n      - targets: [%s]\n' \
  "$(IFS=,; echo "${targets[*]}")" > "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
  --web.listen-address="127.0.0.1:$prom_port" >/dev/null 2>&1 & prom=$!
sleep 40
kill "$exporter_c"
term 200x50 ipfs-kit-tui-fleet --fleet "http://127.0.0.1:$prom_port" --refresh 2
sleep 8
key j; key j; shot fleet 1
quit
kill "$exporter_a" "$exporter_b" 2>/dev/null || true
fi

# Time on the operator's side: a filling directory and an outage, in a home of their own.
time_home=$work/time/home
mkdir -p "$work/time/uploads" "$work/time/nas"
mount -t tmpfs -o size=256m tmpfs "$work/time/uploads"
head -c 20000000 /dev/urandom > "$work/time/nas/photos.tar"
"$bin" --home "$time_home" backend add uploads --type local --set "path=$work/time/uploads" \
  --set poll_interval=2 >/dev/null
"$bin" --home "$time_home" backend add nas --type local --set "path=$work/time/nas" \
  --set poll_interval=1 >/dev/null
saved_home=$home; home=$time_home
term 160x45 ipfs-kit-tui-time --refresh 2
# 1 MiB a second into the 256 MiB tmpfs, paced by the clock, for as long as it takes.
python3 - "$work/time/uploads/ingest.bin" <<'PY' &
import sys, time
start, chunk = time.time(), b"\0" * 262144
with open(sys.argv[1], "wb", buffering=0) as f:
    for i in range(4 * 250):
        time.sleep(max(0.0, start + i * 0.25 - time.time()))
        try:
            f.write(chunk)
        except OSError:
            break
PY
writer=$!
sleep 5
mv "$work/time/nas" "$work/time/nas.away"
sleep 30
mv "$work/time/nas.away" "$work/time/nas"
# A minute and a half of growth: the forecast trusts a line over 60 s that reaches the limit
# within ten times its span.
sleep 60
# By id: local (the home's own filesystem, added on the first run), nas, uploads.
key G; key Return; key bracketleft; shot forecast 2
key Escape; sleep 0.3; key g; key j; key Return; shot outage 2
key Escape; sleep 0.3; quit
kill "$writer" 2>/dev/null || true
pkill -f -- "--home $time_home" 2>/dev/null || true; sleep 0.5
umount -l "$work/time/uploads" 2>/dev/null || true
home=$saved_home
