#!/usr/bin/env bash
# Puts Debian's real surveillance video (vtest.avi, from the opencv-doc package) at $1.
# Uses the installed package when present, else downloads the .deb and unpacks that one file.
set -euo pipefail
target=${1:-var/testdata/vtest.avi}
installed=/usr/share/doc/opencv-doc/examples/data/vtest.avi
[ -s "$target" ] && exit 0
mkdir -p "$(dirname "$target")"
if [ -s "$installed" ]; then cp "$installed" "$target"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download opencv-doc >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get download opencv-doc >/dev/null 2>&1
fi
dpkg -x opencv-doc_*.deb x
cd - >/dev/null
cp "$work/x/usr/share/doc/opencv-doc/examples/data/vtest.avi" "$target"
