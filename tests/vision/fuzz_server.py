"""Imported by the video fuzz's fork server only (tests/vision/fuzz.py): the analysis, what
``safewatch analyze`` imports as it runs, and its models loaded once there, so that each forked
child starts as a warm camera worker would."""

import importlib

from safewatch.vision.detectors.ssd import _shared_session
from safewatch.vision.faces.detector import FaceDetector
from safewatch.vision.privacy import BLUR_SCORE

for module in (
    "safewatch.cli",  # the command the children run
    "safewatch.core.progress",
    "safewatch.vision.analyze",
    "safewatch.vision.commands",
    "safewatch.vision.faces.lists",
    "safewatch.vision.source",
    "safewatch.vision.worker",
):
    importlib.import_module(module)
_shared_session()
FaceDetector(score_threshold=BLUR_SCORE)
