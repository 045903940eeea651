#!/usr/bin/env bash
# Camera-worker figures for docs/performance.md, on real video:
#   - vtest.avi (Debian opencv-doc) as shipped (768x576, 10 fps, MS-MPEG4),
#   - the same scenes as a home camera's stream: H.264 1280x720, 15 fps, GOP 2 s, 1 Mbps,
#   - a quiet 720p15 stream (an empty yard: the first frame held for a minute).
# Usage: benchmarks/camera.sh [OUT_DIR]   (needs make test's set-up: .venv and var/testdata)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-var/bench}
mkdir -p "$out"
scripts/fetch-test-video.sh var/testdata/vtest.avi
.venv/bin/python benchmarks/make_videos.py var/testdata/vtest.avi "$out"
for video in var/testdata/vtest.avi "$out/vtest_720p15.mp4" "$out/quiet_720p15.mp4"; do
  echo "== $video"
  .venv/bin/safewatch bench camera "$video" --json | tee "$out/$(basename "$video").json"
done
