#!/usr/bin/env bash
# update-translations.sh: refresh po/POTFILES.in, po/easel.pot and the .po files
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: bash po/update-translations.sh [BUILD_DIR]    (default: _build-po)
#
# 1. Rewrites POTFILES.in from the data files plus every C source and .ui
#    file that has something marked for translation.
# 2. Regenerates the template with meson's easel-pot target (xgettext with
#    the GLib preset).
# 3. Merges it into every language in LINGUAS (msgmerge via easel-update-po)
#    and prints how much of each is translated. New strings show up as
#    untranslated, changed ones as "fuzzy": translate those by hand.
set -euo pipefail

cd "$(dirname "$0")/.."
build=${1:-_build-po}

{
  echo "# Files with translatable strings. Regenerate with po/update-translations.sh."
  echo "data/io.github.easelstudio.Easel.desktop.in"
  echo "data/io.github.easelstudio.Easel.metainfo.xml.in"
  echo "data/io.github.easelstudio.Easel.gschema.xml"
  grep -rlE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_|g_dngettext)[[:space:]]*\(' --include='*.c' src | LC_ALL=C sort
  if [ -d ui ]; then
    grep -rl 'translatable="yes"' --include='*.ui' ui | LC_ALL=C sort
  fi
} > po/POTFILES.in

if [ -d "$build" ]; then
  meson setup --reconfigure "$build" >/dev/null
else
  meson setup "$build" >/dev/null
fi

meson compile -C "$build" easel-pot
meson compile -C "$build" easel-update-po

for lang in $(grep -v '^#' po/LINGUAS); do
  printf '%s: ' "$lang"
  msgfmt --check --statistics -o /dev/null "po/$lang.po"
done
