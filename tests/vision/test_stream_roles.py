"""Stream roles, as NVRs do (issue 21): a camera's sub stream is analysed, its main stream
gives the clips, the police originals (remuxed, never re-encoded) and the snapshots."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from pydantic import ValidationError

from safewatch.vision.analyze import AnalysisResult, analyze
from safewatch.vision.config import CameraConfig
from safewatch.vision.record import RecordStream
from tests.vision.conftest import transcode
from tests.vision.sites import WHOLE_VIEW

MAIN, SUB = (1280, 720), (640, 360)
PRE, POST = 2.0, 2.0


def _camera(**fields: object) -> CameraConfig:
    return CameraConfig.model_validate({"name": "front", **fields})


def test_a_camera_with_a_main_and_a_sub_stream_names_each_role() -> None:
    camera = _camera(
        inputs=[
            {"path": "rtsp://cam/sub", "roles": ["detect"]},
            {"path": "rtsp://cam/main", "roles": ["record"]},
        ]
    )
    assert camera.detect_source == "rtsp://cam/sub"
    assert camera.record_source == "rtsp://cam/main"
    one = _camera(inputs=[{"path": "rtsp://cam/main", "roles": ["detect", "record"]}])
    assert one.detect_source == "rtsp://cam/main" and one.record_source is None
    assert _camera(source="front.mp4").record_source is None


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({}, "either source"),
        ({"source": "a.mp4", "inputs": [{"path": "b", "roles": ["detect", "record"]}]}, "either"),
        ({"inputs": [{"path": "b", "roles": ["record"]}]}, "the detect role"),
        (
            {
                "inputs": [
                    {"path": "a", "roles": ["detect", "record"]},
                    {"path": "b", "roles": ["record"]},
                ]
            },
            "the record role",
        ),
        ({"inputs": [{"path": "b", "roles": ["watch"]}]}, "roles"),
    ],
)
def test_a_camera_whose_streams_do_not_add_up_is_refused(
    fields: dict[str, object], said: str
) -> None:
    with pytest.raises(ValidationError, match=said):
        _camera(**fields)


@pytest.fixture(scope="module")
def two_streams(vtest_avi: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """vtest's first 8 s as a camera sends them: a 1280×720 main and a 640×360 sub stream."""
    folder = tmp_path_factory.mktemp("streams")
    main = transcode(vtest_avi, folder / "main.mp4", seconds=8, size=MAIN)
    sub = transcode(vtest_avi, folder / "sub.mp4", seconds=8, size=SUB)
    return main, sub


@pytest.fixture(scope="module")
def by_roles(
    two_streams: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> AnalysisResult:
    main, sub = two_streams
    out = tmp_path_factory.mktemp("roles")
    camera = WHOLE_VIEW.cameras[0].model_copy(
        update={"pre_roll_seconds": PRE, "post_roll_seconds": POST}
    )
    site = WHOLE_VIEW.model_copy(update={"cameras": [camera]})
    return analyze(
        sub,
        site,
        clip_dir=out / "clips",
        snapshots_dir=out / "snaps",
        record_source=str(main),
    )


def _size(path: str | Path) -> tuple[int, int]:
    with av.open(str(path)) as c:
        ctx = c.streams.video[0].codec_context
        return ctx.width, ctx.height


def _frames(path: str | Path) -> list[float]:
    with av.open(str(path)) as c:
        return [float(f.time) for f in c.decode(video=0) if f.time is not None]


def test_the_sub_stream_is_analysed_and_the_main_stream_gives_clips_and_snapshots(
    by_roles: AnalysisResult,
) -> None:
    intrusions = [e for e in by_roles.sink.events if e.type == "intrusion"]
    assert intrusions, by_roles.lines()
    assert by_roles.sink.clip_errors == {}
    middle = [e for e in intrusions if PRE <= e.video_t <= 8 - POST]
    assert middle, "the test needs an event with its whole pre- and post-roll in the video"
    for event in intrusions:  # the last too, cut short when both streams end
        shown, original = by_roles.sink.clips[event.id], by_roles.sink.originals[event.id]
        assert shown is not None
        assert _size(original) == MAIN
        assert _size(shown) == MAIN  # 1280×720: within clip_max_side
    # Every clip shown was cut from one blurred encode of the main stream.
    assert by_roles.shown is not None and by_roles.shown.fell_back == 0
    assert by_roles.shown.cut == len([e for e in by_roles.sink.events if e.clip_end_t])
    snapshots = by_roles.sink.snapshots_dir
    assert snapshots is not None
    import cv2

    picture = cv2.imread(str(snapshots / f"{middle[0].id}.original.jpg"))
    assert picture is not None and picture.shape[:2] == (MAIN[1], MAIN[0])


def test_the_clip_shown_is_cut_exactly_around_the_trigger_and_the_original_keeps_its_gop(
    by_roles: AnalysisResult,
) -> None:
    """10 frames a second: the clip shown holds the trigger's 2 s before and 2 s after, no
    more; the original starts at the keyframe before (GOP 2 s) and is the main stream's
    packets as they came."""
    for event in [e for e in by_roles.sink.events if PRE <= e.video_t <= 8 - POST]:
        shown = _frames(by_roles.sink.clips[event.id] or "")
        assert len(shown) in (40, 41), (event.video_t, len(shown))
        original = _frames(by_roles.sink.originals[event.id])
        assert len(original) >= len(shown)


def test_the_original_is_the_main_streams_packets_as_they_came(
    by_roles: AnalysisResult, two_streams: tuple[Path, Path]
) -> None:
    with av.open(str(two_streams[0])) as c:
        main = [bytes(p) for p in c.demux(video=0) if p.size]
    for event in by_roles.sink.events:
        with av.open(by_roles.sink.originals[event.id]) as c:
            kept = [bytes(p) for p in c.demux(video=0) if p.size]
        first = main.index(kept[0])
        assert kept == main[first : first + len(kept)]


def _recorded(main: Path, until: float) -> RecordStream:
    """The main stream's record ring up to ``until`` s, as it came: the stream's 0 at 1000 s
    on the wall clock."""
    from safewatch.vision.source import open_video

    record = RecordStream(30)
    container = open_video(str(main))
    record.open(container)
    for packet in container.demux(video=0):
        if packet.pts is not None and packet.size:
            t = float(packet.pts * packet.time_base)
            if t <= until:
                record.push(t, packet, 1000.0 + t)
    return record


def test_sightings_are_not_moved_onto_the_main_stream_without_the_sub_streams_size(
    two_streams: tuple[Path, Path],
) -> None:
    """After new zones (or at a camera's flush) the pipeline had no picture size: the people
    it saw went onto the main stream's clip at the sub stream's clock and scale, so the
    offender's box to keep clear lay elsewhere (over a bystander, say). Such a clip comes
    from the sub stream, whose sightings fit it."""
    import uuid

    from safewatch.vision.clip_jobs import PendingClip

    record = _recorded(two_streams[0], until=8.0)
    clip = PendingClip(uuid.uuid4(), 1002.0, 1004.0)
    with record.lock:
        assert record.clip(clip, float("inf"), [], 0.0, None) is None
        assert record.clip(clip, float("inf"), [], 0.0, SUB) is not None
    record.close()


def test_a_snapshot_is_the_main_streams_frame_at_the_trigger_or_none(
    two_streams: tuple[Path, Path],
) -> None:
    """The trigger's boxes are drawn on the snapshot and the offender's face is kept clear
    where his box is: a main-stream frame from up to a second before (the stream lagging)
    put them on a scene that had moved on. Too old a frame: the sub stream's picture."""
    record = _recorded(two_streams[0], until=3.0)
    record.live = False  # the stream went: nothing more will come
    picture = record.picture_at(1002.95)
    assert picture is not None and picture.shape[:2] == (MAIN[1], MAIN[0])
    assert record.picture_at(1003.5) is None
    record.close()
