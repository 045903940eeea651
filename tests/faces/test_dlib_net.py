"""dlib's descriptor network read from its own file and run by ONNX Runtime gives dlib's own
descriptors: compared with dlib's CPU network on aligned chips of a real face that ships
inside matplotlib (Grace Hopper, public domain) and its jittered copies, and of the shared
faces when they are here; mirrored and not, one at a time and in a batch. A file that is
not the documented network, or a damaged one, is refused, not run as something else."""

from __future__ import annotations

from pathlib import Path

import cv2
import dlib
import numpy as np
import onnx
import pytest
from matplotlib import cbook

from safewatch.vision.faces import dlib_net
from safewatch.vision.faces.detector import FaceDetector
from safewatch.vision.faces.embedder import FaceEmbedder, _model, jittered

FACES = Path(__file__).parents[2].parent / "shared" / "data" / "faces"
NETWORK = _model("dlib_face_recognition_resnet_model_v1.dat")


def _chip(detector: FaceDetector, embedder: FaceEmbedder, path: Path) -> np.ndarray | None:
    bgr = cv2.imread(str(path))
    faces = detector.detect(bgr) if bgr is not None else []
    return embedder.chip(np.ascontiguousarray(bgr[:, :, ::-1]), faces[0]) if faces else None


@pytest.fixture(scope="module")
def chips() -> list[np.ndarray]:
    detector, embedder = FaceDetector(), FaceEmbedder()
    hopper = _chip(
        detector, embedder, Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    )
    assert hopper is not None
    found = [hopper, *jittered(hopper, 6)]
    if FACES.is_dir():  # more people, when the shared data is here
        for person in sorted(FACES.iterdir())[:24]:
            if (chip := _chip(detector, embedder, sorted(person.glob("*.jpg"))[0])) is not None:
                found.append(chip)
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
    assert np.abs(expected).max() > 0.1  # real descriptors, not zeros
    # dlib's descriptors are ~0.1 in size and faces 0.6 apart: 1e-4 is far below any decision.
    assert np.abs(batch - expected).max() < 1e-4
    assert np.abs(one_by_one - expected).max() < 1e-4


def test_the_graph_built_is_a_valid_onnx_model() -> None:
    model = dlib_net.to_onnx(dlib_net.read(Path(NETWORK).read_bytes()))
    onnx.checker.check_model(onnx.load_from_string(model))


def _layer_at(data: bytes, name: bytes, nth: int) -> int:
    at = -1
    for _ in range(nth):
        at = data.index(bytes([1, len(name)]) + name, at + 1)
    return at


def test_a_convolution_with_another_stride_is_refused_as_dlib_refuses_it() -> None:
    """The second convolution's stride made 2 (dlib: "Wrong stride_y"); before, it was read
    and run as another network."""
    data = bytearray(Path(NETWORK).read_bytes())
    r = dlib_net._Reader(bytes(data))
    r.at = _layer_at(bytes(data), b"con_4", 2)
    r.text(), r.tensor(), r.integer(), r.integer(), r.integer()
    assert data[r.at : r.at + 4] == b"\x01\x01\x01\x01"  # stride y and x: 1 and 1
    data[r.at : r.at + 4] = b"\x01\x02\x01\x02"
    with pytest.raises(dlib_net.NotTheFaceNetwork, match="layer 4"):
        dlib_net.read(bytes(data))


def test_a_max_pooling_written_as_an_average_is_refused() -> None:
    data = Path(NETWORK).read_bytes().replace(b"\x01\x0amax_pool_2", b"\x01\x0aavg_pool_2", 1)
    with pytest.raises(dlib_net.NotTheFaceNetwork, match="layer 3"):
        dlib_net.read(data)


def test_a_layer_this_reader_does_not_know_is_refused_not_skipped() -> None:
    data = Path(NETWORK).read_bytes()
    at = _layer_at(data, b"con_4", 3)
    extra = b"\x01\x08dropout_" + b"\x01\x05\x01\x00"  # a version string and its fields
    with pytest.raises(dlib_net.NotTheFaceNetwork, match="does not know"):
        dlib_net.read(data[:at] + extra + data[at:])


def test_a_file_that_is_not_the_face_network_is_refused_with_a_reason() -> None:
    data = Path(NETWORK).read_bytes()
    with pytest.raises(dlib_net.NotTheFaceNetwork, match="input_rgb_image_sized"):
        dlib_net.read(data[-100_000:])
    with pytest.raises(dlib_net.NotTheFaceNetwork):
        dlib_net.read(data[:2_000_000])  # cut short
    landmarks = Path(_model("shape_predictor_5_face_landmarks.dat")).read_bytes()
    with pytest.raises(dlib_net.NotTheFaceNetwork):
        dlib_net.read(landmarks)
