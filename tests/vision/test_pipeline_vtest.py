"""The whole pipeline on real video: vtest.avi, a fixed camera over a path and a lawn."""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path

import av
import pytest
import yaml

from safewatch.vision.analyze import AnalysisResult, analyze
from safewatch.vision.config import SiteConfig, load_site

LAWN = Path(__file__).parent.parent / "data" / "vtest_lawn.yaml"
# When each person of the truth (see the site file) is on the lawn, in seconds.
ENTRIES = {"A": (50.5, 53.0), "B": (53.5, 56.5), "C": (75.0, 78.0)}


def _site(**zone_changes: object) -> SiteConfig:
    raw = yaml.safe_load(LAWN.read_text())
    raw["cameras"][0]["zones"][0].update(zone_changes)
    return SiteConfig.model_validate(raw)


@pytest.fixture(scope="module")
def lawn_run(vtest: Path, tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    out = tmp_path_factory.mktemp("lawn")
    return analyze(vtest, load_site(LAWN), clip_dir=out / "clips", snapshots_dir=out / "snaps")


def test_every_person_walking_onto_the_lawn_raises_one_intrusion(lawn_run: AnalysisResult) -> None:
    lines = lawn_run.lines()
    assert [line["type"] for line in lines] == ["intrusion"] * 3, lines
    for line, (who, (start, end)) in zip(lines, ENTRIES.items(), strict=True):
        assert start <= line["t"] <= end, (who, line)
        assert line["zone"] == "lawn"
    assert len({line["track"] for line in lines}) == 3  # three different people


def test_the_clip_is_a_browser_playable_mp4_around_the_trigger(lawn_run: AnalysisResult) -> None:
    first = lawn_run.lines()[0]
    clip = Path(first["clip"])
    data = clip.read_bytes()
    assert data[4:8] == b"ftyp"
    assert data.find(b"moov") < data.find(b"mdat")  # faststart: playable while downloading
    with av.open(str(clip)) as c:
        stream = c.streams.video[0]
        assert stream.codec_context.name == "h264"
        duration = float(c.duration or 0) / 1e6
        frames = sum(1 for _ in c.decode(stream))
    # 10 s before and after, from the keyframe before the start (GOP 2 s).
    assert 20.0 <= duration <= 22.5
    assert frames >= 195


def test_snapshot_shows_the_trigger(lawn_run: AnalysisResult) -> None:
    assert lawn_run.sink.snapshots_dir is not None
    snaps = sorted(
        p for p in lawn_run.sink.snapshots_dir.glob("*.jpg") if ".original" not in p.suffixes
    )
    assert len(snaps) == 3
    # People are in view: their heads are blurred in what is shown, and the original is kept.
    assert all(p.with_suffix(".original.jpg").is_file() for p in snaps)
    import cv2

    img = cv2.imread(str(snaps[0]))
    assert img is not None and img.shape[:2] == (576, 768)
    # The trigger person's box is drawn in red somewhere in the frame.
    red = (img[:, :, 2] > 200) & (img[:, :, 1] < 80) & (img[:, :, 0] < 80)
    assert red.sum() > 50


def test_a_disarmed_zone_raises_nothing(vtest: Path) -> None:
    # Armed only for one minute a day, at 04:00 — never during the analysis.
    site = _site(armed=[{"start": "04:00", "end": "04:01"}])
    assert site.cameras[0].zones[0].armed[0].start == time(4, 0)
    assert analyze(vtest, site).lines() == []


def test_a_mask_over_the_lawn_silences_it(vtest: Path) -> None:
    raw = yaml.safe_load(LAWN.read_text())
    lawn = raw["cameras"][0]["zones"][0]
    raw["cameras"][0]["zones"].append({"name": "hide", "kind": "mask", "polygon": lawn["polygon"]})
    assert analyze(vtest, SiteConfig.model_validate(raw)).lines() == []


def test_loitering_is_the_one_person_who_stays(vtest: Path) -> None:
    # B crosses the lawn in about 19 s; A is on it about 9 s, C about 4 s.
    lines = analyze(vtest, _site(kind="perimeter", loiter_seconds=12)).lines()
    assert [line["type"] for line in lines] == ["loitering"]
    assert LOITERER[0] <= lines[0]["t"] <= LOITERER[1]


# B steps on beside A at ~51 s, hidden behind him: her clock starts when she is first seen.
LOITERER = (62.5, 69.0)


def with_a_stay_zone() -> SiteConfig:
    """The lawn as a boundary and, the same ground, a perimeter where 12 s is loitering."""
    raw = yaml.safe_load(LAWN.read_text())
    lawn = raw["cameras"][0]["zones"][0]
    stay = {"name": "stay", "kind": "perimeter", "polygon": lawn["polygon"], "loiter_seconds": 12}
    raw["cameras"][0]["zones"].append(stay)
    return SiteConfig.model_validate(raw)


def counted(lines: list[dict[str, object]]) -> tuple[list[float], list[float]]:
    """The intrusions' and the loiterings' times."""
    times = {kind: [float(str(x["t"])) for x in lines if x["type"] == kind] for kind in TYPES}
    return times["intrusion"], times["loitering"]


TYPES = ("intrusion", "loitering")


def test_the_people_are_counted_the_same_whichever_frames_are_analysed(
    vtest_sub_odd_frames: Path,
) -> None:
    """5 of the camera's 10 frames a second are analysed: the odd ones when the stream
    starts a frame later (a live camera joined at any moment); here at a sub stream's size.
    A walker hidden behind another for 2 s came back as two new people, each raising an
    intrusion of its own: five, not three (ByteTrack revived his old track, which had been
    handed on; and he walks faster than a lost person was looked for)."""
    intrusions, loiterings = counted(analyze(vtest_sub_odd_frames, with_a_stay_zone()).lines())
    assert len(intrusions) == 3, intrusions
    for t, (who, (start, end)) in zip(intrusions, ENTRIES.items(), strict=True):
        assert start <= t <= end, (who, t)
    assert len(loiterings) == 1 and LOITERER[0] <= loiterings[0] <= LOITERER[1], loiterings


def test_the_original_mpeg4_file_gives_the_same_events(vtest_avi: Path, tmp_path: Path) -> None:
    """The camera's own old codec: decoded directly, clips transcoded to H.264 for browsers."""
    result = analyze(vtest_avi, load_site(LAWN), clip_dir=tmp_path / "clips")
    lines = result.lines()
    assert len(lines) == 3
    with av.open(lines[0]["clip"]) as c:
        assert c.streams.video[0].codec_context.name == "h264"


LONG = pytest.mark.skipif(not os.environ.get("SAFEWATCH_LONG"), reason="make test-long")


# The default is 5; 10 (30 s of analysis) runs in make test-long.
@pytest.mark.parametrize("analyse_fps", [2.5, pytest.param(10.0, marks=LONG)])
def test_other_analysis_rates_still_count_each_person(vtest: Path, analyse_fps: float) -> None:
    raw = yaml.safe_load(LAWN.read_text())
    raw["cameras"][0]["analyse_fps"] = analyse_fps
    lines = analyze(vtest, SiteConfig.model_validate(raw)).lines()
    assert len(lines) == 3, lines


SPLITS = pytest.mark.xfail(
    strict=True,
    reason="known (issue 21): at 10 fps on the 640×360 sub stream the tracker splits walkers "
    "into new people: 4–5 intrusions (5 before session 12's linker fixes too)",
)


@LONG
@pytest.mark.parametrize("skip", [0, 1])
@pytest.mark.parametrize(
    ("size", "fps"),
    [
        (None, 2.5),
        (None, 5.0),
        (None, 10.0),
        ((640, 360), 2.5),
        ((640, 360), 5.0),
        pytest.param((640, 360), 10.0, marks=SPLITS),
    ],
)
def test_the_lawn_is_counted_alike_at_every_rate_frame_phase_and_size(
    vtest_avi: Path,
    tmp_path_factory: pytest.TempPathFactory,
    fps: float,
    skip: int,
    size: tuple[int, int] | None,
) -> None:
    """The tracker's view of a crowd depends on which frames it is given: the lawn's count
    is checked on both phases of the analysed frames, at three rates and two sizes
    (session 12 found one phase giving five intrusions instead of three)."""
    from tests.vision.conftest import from_frame

    name = f"lawn_{skip}_{size[0] if size else 768}.mp4"
    video = tmp_path_factory.getbasetemp() / name
    if not video.exists():
        from_frame(vtest_avi, video, skip, size)
    site = with_a_stay_zone()
    camera = site.cameras[0].model_copy(update={"analyse_fps": fps})
    lines = analyze(video, site.model_copy(update={"cameras": [camera]})).lines()
    intrusions, loiterings = counted(lines)
    assert len(intrusions) == 3 and len(loiterings) == 1, lines
