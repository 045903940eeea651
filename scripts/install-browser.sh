#!/bin/sh
# Debian's Chromium for the browser tests (Playwright's own download is blocked here) and a
# Korean font so that screenshots show Korean, not empty boxes.
set -eu
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi nanum; then
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -o DPkg::Lock::Timeout=300 -y -qq chromium fonts-nanum >/dev/null
