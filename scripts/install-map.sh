#!/bin/sh
# Leaflet, the consoles' map, from the npm registry into the hub's own static files (served by
# the hub itself: no CDN at run time). Pinned; the files are not kept in git.
set -eu
VERSION=1.9.4
DEST="$(dirname "$0")/../src/safewatch/web/static/vendor/leaflet"
if [ -f "$DEST/leaflet.js" ] && grep -q "$VERSION" "$DEST/VERSION" 2>/dev/null; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then  # Debian's npm, as the browser script does
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -o DPkg::Lock::Timeout=300 -y -qq npm >/dev/null
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "leaflet@$VERSION" >/dev/null && tar -xzf "leaflet-$VERSION.tgz")
rm -rf "$DEST"
mkdir -p "$DEST/images"
cp "$TMP/package/dist/leaflet.js" "$TMP/package/dist/leaflet.css" "$TMP/package/LICENSE" "$DEST/"
cp "$TMP/package/dist/images/"*.png "$DEST/images/"
echo "$VERSION" > "$DEST/VERSION"
