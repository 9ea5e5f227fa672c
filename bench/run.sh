#!/bin/sh
# run.sh: the streaming benchmark, Easel's core against the official openai SDK.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bench/run.sh [BUILD_DIR] (default _build-bench). Env: RUNS (default 9),
# BENCH_SIZES (MB of base64 per image, default 0.5,1,2,4,8).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/_build-bench}
runs=${RUNS:-9}
sizes=${BENCH_SIZES:-0.5,1,2,4,8}
out=$(mktemp -d)

[ -d "$build" ] || meson setup "$build" "$src" -Dgui=false -Dbuildtype=release >/dev/null
ninja -C "$build" bench/easel-stream-bench >/dev/null
[ -d "$here/node_modules/openai" ] || (cd "$here" && npm install --no-audit --no-fund >/dev/null)

BENCH_SIZES=$sizes node "$here/server.mjs" >"$out/server" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$out"' EXIT INT TERM
while ! grep -q PORT "$out/server" 2>/dev/null; do sleep 0.2; done
port=$(awk '/PORT/ { print $2 }' "$out/server")
set -- $(echo "$sizes" | tr , ' ')

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), node $(node --version), openai $(node -p "require('$here/node_modules/openai/package.json').version")"
echo "runs per size: $runs (median reported; one warm-up run each)"
"$build/bench/easel-stream-bench" raw "$port" "$runs" "$@" >>"$out/results"
"$build/bench/easel-stream-bench" client "$port" "$runs" "$@" >>"$out/results"
"$build/bench/easel-stream-bench" decode "$port" "$runs" "$@" >>"$out/results"
(cd "$here" && node sdk-bench.mjs "$port" "$runs" "$@") >>"$out/results"
node "$here/summarize.mjs" "$out/results"
