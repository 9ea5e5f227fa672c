#!/bin/sh
# run-studio.sh [BUILD_DIR] [-- bench-studio options]: builds bench-studio and
# runs it under Xvfb with a private D-Bus session, a throwaway $HOME and the
# memory GSettings backend, the way the UI tests run. See "Studio" in README.md.
#
#   bench/run-studio.sh _build --turns 10          # stalls per partial
#   bench/run-studio.sh _build --turns 50          # RSS every 10 turns
#   GSK_RENDERER=cairo bench/run-studio.sh _build --turns 50
#
# EASEL_XVFB_DISPLAY=N runs Xvfb on display :N instead of the first free one
# (engineers sharing a machine each keep to their own numbers).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-"$here/../_build"}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
build=$(cd "$build" && pwd)

ninja -C "$build" bench/bench-studio data/gschemas.compiled >/dev/null

HOME=$(mktemp -d)
XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache"
export HOME XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME
export GTK_A11Y=none NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory NO_PROXY=127.0.0.1,localhost
export GSETTINGS_SCHEMA_DIR="$build/data"
# An empty GSK_RENDERER is an error; a set one is passed through.
[ -z "${GSK_RENDERER:-}" ] && unset GSK_RENDERER
trap 'rm -rf "$HOME" 2>/dev/null || true' EXIT

display_arg="-a"
[ -n "${EASEL_XVFB_DISPLAY:-}" ] && display_arg="-n $EASEL_XVFB_DISPLAY"
# $display_arg is two words when set: unquoted on purpose.
xvfb-run $display_arg -s "-screen 0 1280x1024x24 -nolisten tcp" \
  dbus-run-session -- "$build/bench/bench-studio" "$@"
