#!/usr/bin/env bash
# The editor in a real window. Runs the standalone (dummy audio backend, demo pattern switched on
# through the host by the standalone's `--demo`) under Xvfb, takes two screenshots a second
# apart, and fails if no window of the editor's size exists, if the editor is blank (too few
# distinct colours), if nothing moves between the screenshots, or if the standalone died. Before
# the screenshots it clicks through the five strategy cards (xdotool), so the editor has
# switched strategies live and the screenshot shows all five in the counters and the cost plot.
#
# Usage: [RTCB_EDITOR_SIZE=640x440] gui/tests/window_check.sh [editor.png]
#   Writes the editor's screenshot to the path given (default: $CARGO_TARGET_DIR/window-check/
#   editor.png, CARGO_TARGET_DIR defaulting to target). RTCB_EDITOR_SIZE opens the editor at
#   another size than the default. Not part of `cargo test`: it needs a
#   display server and these Debian packages: xvfb xauth x11-utils xdotool imagemagick libgl1-mesa-dri
#   libglx-mesa0 (run time), and to build the standalone: pkg-config libasound2-dev
#   libjack-jackd2-dev libx11-dev libx11-xcb-dev libxcb1-dev libxcb-dri2-0-dev libxcb-icccm4-dev
#   libxcursor-dev libxkbcommon-dev libxkbcommon-x11-dev libxcb-xkb-dev libgl1-mesa-dev libgl-dev.
set -euo pipefail

# The editor opens at 840×560 (or at RTCB_EDITOR_SIZE, at least 640×440); anything at least
# this large is taken for it.
readonly MIN_WIDTH=600 MIN_HEIGHT=400
# An egui editor with text, a keyboard and a plot has hundreds of colours; a blank or
# half-initialised window has a handful.
readonly MIN_COLOURS=64
# Large enough that the pointer, which starts at the centre, is off the editor (no tooltip).
readonly SCREEN=1920x1200x24

fail() {
  echo "window check FAILED: $*" >&2
  exit 1
}

# Runs inside the X server started by xvfb-run (see the bottom of this file).
inside() {
  local bin=$1 out_dir=$2 screenshot=$3
  "$bin" --backend dummy --demo >"$out_dir/standalone.log" 2>&1 &
  local pid=$!
  # shellcheck disable=SC2064 # expand $pid now
  trap "kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true" EXIT

  # Debug builds with software OpenGL start slowly, more so on a loaded machine: wait up to three
  # minutes for the window.
  local geometry=""
  for _ in $(seq 360); do
    kill -0 "$pid" 2>/dev/null || { cat "$out_dir/standalone.log" >&2; fail "the standalone exited"; }
    # Child windows of the root as "WxH+X+Y  +absX+absY"; keep the first large enough one,
    # as WxH+absX+absY for cropping.
    geometry=$(xwininfo -root -tree | awk -v mw="$MIN_WIDTH" -v mh="$MIN_HEIGHT" '
      match($0, /[0-9]+x[0-9]+\+-?[0-9]+\+-?[0-9]+ +\+-?[0-9]+\+-?[0-9]+/) {
        split(substr($0, RSTART, RLENGTH), part, /[ x+]+/)
        if (part[1] >= mw && part[2] >= mh) { printf "%dx%d+%d+%d\n", part[1], part[2], part[5], part[6]; exit }
      }')
    [[ -n $geometry ]] && break
    sleep 0.5
  done
  [[ -n $geometry ]] || { xwininfo -root -tree >&2; fail "no window of at least ${MIN_WIDTH}×${MIN_HEIGHT}"; }
  echo "editor window: $geometry"

  # Let the demo pattern play, click each strategy card in turn (the cards share the width
  # under the title row), park the pointer off the editor, and take two screenshots a second
  # apart.
  sleep 3
  local width height left top card
  IFS='x+' read -r width height left top <<<"$geometry"
  for card in 0 1 2 3 4; do
    # 70 points down is inside the cards at every size (compact cards are shorter).
    xdotool mousemove "$((left + (2 * card + 1) * width / 10))" "$((top + 70))" click 1
    sleep 1.2
  done
  xdotool mousemove 1900 1180
  sleep 1
  import -window root "$out_dir/screen-1.png"
  sleep 1
  import -window root "$out_dir/screen-2.png"
  kill -0 "$pid" 2>/dev/null || { cat "$out_dir/standalone.log" >&2; fail "the standalone died while running"; }

  convert "$out_dir/screen-1.png" -crop "$geometry" +repage "$out_dir/editor-1.png"
  convert "$out_dir/screen-2.png" -crop "$geometry" +repage "$out_dir/editor-2.png"
  local colours changed
  colours=$(identify -format %k "$out_dir/editor-1.png")
  echo "distinct colours: $colours"
  ((colours >= MIN_COLOURS)) || fail "the editor looks blank: $colours distinct colours (< $MIN_COLOURS)"
  # compare exits 1 when the images differ; the count of differing pixels goes to stderr.
  changed=$(compare -metric AE "$out_dir/editor-1.png" "$out_dir/editor-2.png" null: 2>&1 || true)
  echo "pixels changed in one second: $changed"
  awk -v n="$changed" 'BEGIN { exit !(n + 0 > 0) }' || fail "nothing moved in one second (demo pattern not shown?)"
  cp "$out_dir/editor-2.png" "$screenshot"
  echo "window check passed; screenshot: $screenshot"
}

if [[ ${1:-} == --inside ]]; then
  shift
  inside "$@"
  exit 0
fi

self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
[[ $# -gt 0 ]] && screenshot=$(realpath -m "$1")
cd "$(dirname "$self")/../.."
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
out_dir="$target/window-check"
mkdir -p "$out_dir"
screenshot=${screenshot:-$out_dir/editor.png}
for tool in xvfb-run xwininfo xdotool import convert identify compare; do
  command -v "$tool" >/dev/null || fail "$tool is missing (see the packages at the top of $self)"
done
cargo build -p rtcb_plugin --features standalone --bin rtcb-standalone
xvfb-run -a -s "-screen 0 $SCREEN" "$self" --inside "$target/debug/rtcb-standalone" "$out_dir" "$screenshot"
