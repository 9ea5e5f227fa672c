#!/usr/bin/env bash
# run-tests.sh: install dependencies, build, and run the whole test suite
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bash tools/run-tests.sh [extra meson test arguments]
#
# Tests run under Xvfb with a private session bus and an unlocked
# gnome-keyring, with a throw-away HOME, so nothing touches the user's
# keyring, settings or library.
#
# EASEL_XVFB_DISPLAY=N runs the outer Xvfb on :N and each UI test's own
# Xvfb on :N+1, instead of the first free displays.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
build=${EASEL_BUILD_DIR:-_build}

bash tools/install-deps.sh

# Stoplight Prism for the contract test. The spec stays in ../shared; only
# the pinned package files are copied here so npm ci can install them.
prism_src="$root/../shared/openai-spec/prism"
prism_dir="$root/_build-prism"
if [ -f "$prism_src/package.json" ] && [ -f "$prism_src/package-lock.json" ]; then
  mkdir -p "$prism_dir"
  if ! cmp -s "$prism_src/package-lock.json" "$prism_dir/package-lock.json" ||
     [ ! -x "$prism_dir/node_modules/.bin/prism" ]; then
    cp "$prism_src/package.json" "$prism_src/package-lock.json" "$prism_dir/"
    (cd "$prism_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  export EASEL_PRISM="$prism_dir/node_modules/.bin/prism"
else
  echo "run-tests: $prism_src not found; the contract test will be skipped"
fi

if [ -f "$build/build.ninja" ]; then
  meson setup --reconfigure "$build"
else
  meson setup "$build"
fi
ninja -C "$build"

# Quote the extra arguments for the inner shell.
extra=""
for a in "$@"; do
  extra+=" $(printf '%q' "$a")"
done

HOME=$(mktemp -d -t easel-test-home-XXXXXX)
export HOME GTK_A11Y=none GSETTINGS_BACKEND=memory
# An empty GSK_RENDERER is a fatal warning in g_test programs.
unset GSK_RENDERER
trap 'rm -rf "$HOME"' EXIT

display_args=(-a)
if [ -n "${EASEL_XVFB_DISPLAY:-}" ]; then
  display_args=(-n "$EASEL_XVFB_DISPLAY")
  # tests/gui/run-gui-test.sh starts one more Xvfb per test.
  export EASEL_XVFB_DISPLAY=$((EASEL_XVFB_DISPLAY + 1))
fi

xvfb-run "${display_args[@]}" -s "-screen 0 1280x1024x24 -nolisten tcp" dbus-run-session -- bash -euc '
  # The password must be non-empty, or there is no login collection.
  printf ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  gdbus wait --session --timeout 10 org.freedesktop.secrets
  meson test -C "'"$build"'" --print-errorlogs'"$extra"
