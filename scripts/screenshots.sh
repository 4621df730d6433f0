#!/usr/bin/env bash
# PNG screenshots of the console in a real terminal (xterm under Xvfb), driven by xdotool:
# screenshots/list.png, detail.png, down.png, alerts.png, add-form.png, help.png. Installs what it needs with apt.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for tool in Xvfb:xvfb xterm:xterm xdotool:xdotool import:imagemagick; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
cargo build --release --quiet
bin=$PWD/target/release/ipfs-kit-tui
work=$(mktemp -d)
home=$work/home
cleanup() { kill "${xvfb:-}" "${fixture:-}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# A home with real figures: two directories, an rclone remote (fixture), one that is down.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ok=$(free_port); hang=$(free_port)
python3 scripts/fixture_rclone.py "$ok" "$hang" & fixture=$!
mkdir -p "$work/media" "$work/archive"
head -c 3000000 /dev/urandom > "$work/media/video.bin"
head -c 150000 /dev/urandom > "$work/media/poster.jpg"
head -c 40000 /dev/urandom > "$work/archive/2025.tar"
"$bin" --home "$home" backend list >/dev/null 2>&1
"$bin" --home "$home" backend add media-disk --type local --set "path=$work/media" >/dev/null
"$bin" --home "$home" backend add archive --type local --set "path=$work/archive" >/dev/null
"$bin" --home "$home" backend add gdrive --type rclone --set "rc_url=http://127.0.0.1:$ok" --set remote=gdrive: >/dev/null
"$bin" --home "$home" backend add kubo-main --type ipfs --set api_url=http://127.0.0.1:1 --set poll_interval=1 >/dev/null

export DISPLAY=:77
Xvfb :77 -screen 0 1400x900x24 >/dev/null 2>&1 & xvfb=$!
sleep 1
xterm -geometry 120x40+0+0 -fa Monospace -fs 10 -bg black -fg grey90 -title ipfs-kit-tui \
  -xrm "XTerm*allowSendEvents: true" \
  -e env TERM=xterm-256color COLORTERM=truecolor "$bin" --home "$home" --refresh 2 &
sleep 2
win=$(xdotool search --name ipfs-kit-tui | head -1)
shot() { sleep "$2"; import -window "$win" "screenshots/$1.png"; echo "screenshots/$1.png"; }
key() { xdotool key --window "$win" "$@"; }
# Let a few polls land so the sparklines and the down backend show.
sleep 8
key j; shot list 1
# The detail of a directory: its files as counted by the inventory, with their age.
key G; key Return; shot detail 1
# The down node: its last-known figures dimmed, the down alert marked and counted.
key Escape; sleep 0.3; key g; key j; key j; shot down 1
key A; shot alerts 1
key Escape; sleep 0.3; key g; key j
key question; shot help 1
key Escape; sleep 0.3
key a; sleep 0.5; key Return; sleep 0.5
xdotool type --window "$win" --delay 40 "scratch"; key Tab
xdotool type --window "$win" --delay 40 "relative/path"
shot add-form 1
key Escape; sleep 0.3; key q
