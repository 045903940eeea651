"""dlib's descriptor network read from its own file and run by ONNX Runtime gives dlib's own
descriptors: compared with dlib's CPU network on aligned chips of real faces (../shared/data,
skipped when absent), mirrored and not, one at a time and in a batch."""

from __future__ import annotations

from pathlib import Path

import cv2
import dlib
import numpy as np
import onnx
import pytest

from safewatch.vision.faces import dlib_net
from safewatch.vision.faces.detector import FaceDetector
from safewatch.vision.faces.embedder import FaceEmbedder, _model

FACES = Path(__file__).parents[2].parent / "shared" / "data" / "faces"
NETWORK = _model("dlib_face_recognition_resnet_model_v1.dat")


@pytest.fixture(scope="module")
def chips() -> list[np.ndarray]:
    if not FACES.is_dir():
        pytest.skip(f"real faces are not here ({FACES} absent)")
    detector, embedder = FaceDetector(), FaceEmbedder()
    found = []
    for person in sorted(FACES.iterdir())[:24]:
        bgr = cv2.imread(str(sorted(person.glob("*.jpg"))[0]))
        faces = detector.detect(bgr) if bgr is not None else []
        if faces:
            found.append(embedder.chip(np.ascontiguousarray(bgr[:, :, ::-1]), faces[0]))
    assert len(found) >= 20
    return found + [np.ascontiguousarray(c[:, ::-1]) for c in found[:4]]


def test_the_onnx_network_gives_dlibs_own_descriptors_on_real_faces(
    chips: list[np.ndarray],
) -> None:
    ours = FaceEmbedder().net
    theirs = dlib.face_recognition_model_v1(NETWORK)
    expected = np.array(theirs.compute_face_descriptor(chips), dtype=np.float32)
    batch = ours.descriptors(chips)
    one_by_one = np.concatenate([ours.descriptors([c]) for c in chips])
    assert batch.shape == (len(chips), 128)
    # dlib's descriptors are ~0.1 in size and faces 0.6 apart: 1e-4 is far below any decision.
    assert np.abs(batch - expected).max() < 1e-4
    assert np.abs(one_by_one - expected).max() < 1e-4


def test_the_graph_built_is_a_valid_onnx_model() -> None:
    onnx.checker.check_model(
        onnx.load_from_string(dlib_net.to_onnx(dlib_net.read(Path(NETWORK).read_bytes())))
    )


def test_a_file_that_is_not_the_face_network_is_refused_with_a_reason(tmp_path: Path) -> None:
    data = Path(NETWORK).read_bytes()
    with pytest.raises(dlib_net.NotTheFaceNetwork, match="input_rgb_image_sized"):
        dlib_net.read(data[-100_000:])
    landmarks = Path(_model("shape_predictor_5_face_landmarks.dat")).read_bytes()
    with pytest.raises(dlib_net.NotTheFaceNetwork):
        dlib_net.to_onnx(dlib_net.read(landmarks[:64] + data[:2_000_000]))
