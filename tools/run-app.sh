#!/usr/bin/env bash
# run-app.sh: install dependencies, build, and run Easel from the build dir
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bash tools/run-app.sh [arguments for easel-studio]
#
# Runs uninstalled: the GSettings schema is compiled into _build/data, and
# the UI is compiled into the binary as a GResource, so nothing needs to be
# installed system-wide.
set -euo pipefail

cd "$(dirname "$0")/.."
build=${EASEL_BUILD_DIR:-_build}

bash tools/install-deps.sh

if [ -f "$build/build.ninja" ]; then
  meson setup --reconfigure "$build"
else
  meson setup "$build"
fi
ninja -C "$build"

app="$build/src/app/easel-studio"
if [ ! -x "$app" ]; then
  echo "run-app: $app was not built (is the gui option off?)" >&2
  exit 1
fi

export GSETTINGS_SCHEMA_DIR="$(pwd)/$build/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
exec "$app" "$@"
