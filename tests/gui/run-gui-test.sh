#!/bin/sh
# run-gui-test.sh TEST [ARGS…]: runs a UI test the way GNOME CI does, under
# Xvfb with a private D-Bus session and an unlocked keyring, in a throwaway
# $HOME. Skips (77) when Xvfb or D-Bus are missing.
# EASEL_XVFB_DISPLAY=N uses display :N instead of the first free one.
set -eu

if ! command -v xvfb-run >/dev/null 2>&1 || ! command -v dbus-run-session >/dev/null 2>&1; then
  echo "xvfb-run or dbus-run-session missing: skipping" >&2
  exit 77
fi

HOME=$(mktemp -d)
XDG_DATA_HOME="$HOME/.local/share"
XDG_CONFIG_HOME="$HOME/.config"
XDG_CACHE_HOME="$HOME/.cache"
export HOME XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME
export GTK_A11Y=none NO_AT_BRIDGE=1
unset GSK_RENDERER
# The document portal may leave a FUSE mount in .cache/doc: never fail on cleanup.
trap 'rm -rf "$HOME" 2>/dev/null || true' EXIT

display_arg="-a"
[ -n "${EASEL_XVFB_DISPLAY:-}" ] && display_arg="-n $EASEL_XVFB_DISPLAY"
# $display_arg is two words when set: unquoted on purpose.
xvfb-run $display_arg -s "-screen 0 1280x1024x24 -nolisten tcp" \
  dbus-run-session -- sh -ec '
    if command -v gnome-keyring-daemon >/dev/null 2>&1; then
      printf ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || true
      gdbus wait --session --timeout 10 org.freedesktop.secrets >/dev/null 2>&1 || true
    fi
    exec "$@"' sh "$@"
