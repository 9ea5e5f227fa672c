#!/usr/bin/env bash
# install-deps.sh: install what Easel needs to build, test and run on Debian 12
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Idempotent: when every package is already installed it does nothing and
# needs no network. Runs as root, or through sudo when that exists.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

packages=(
  # build
  build-essential meson ninja-build pkg-config gettext
  libglib2.0-dev libglib2.0-bin
  libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev libjson-glib-dev libsecret-1-dev
  libgdk-pixbuf-2.0-dev libsqlite3-dev
  # data file validation
  appstream desktop-file-utils flatpak-builder
  # headless tests: X server, session bus, unlocked keyring
  xvfb xauth x11-utils xdotool dbus-daemon dbus-x11 gnome-keyring libsecret-tools
  at-spi2-core libgl1-mesa-dri webp-pixbuf-loader
  # fuzzing, image checks in tests
  clang libclang-rt-14-dev imagemagick libimage-exiftool-perl
)

# The Prism contract test needs Node.js; keep a Node that is already there
# (it may come from elsewhere than Debian and clash with Debian's npm).
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo --preserve-env=DEBIAN_FRONTEND)
else
  echo "install-deps: missing packages and neither root nor sudo: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
