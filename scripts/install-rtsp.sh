#!/bin/sh
# GStreamer's RTSP server, run by Debian's Python, for the RTSP tests and `safewatch bench
# camera` (src/safewatch/demo/rtsp_server.py): real cameras' protocol, on this machine.
set -eu
if /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0'); \
from gi.repository import GstRtspServer, Gst; Gst.init(None); \
assert Gst.ElementFactory.find('rtph265pay') and Gst.ElementFactory.find('h265parse')" \
    2>/dev/null; then
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -o DPkg::Lock::Timeout=300 -y -qq python3 python3-gi \
    gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad >/dev/null
