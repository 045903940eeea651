"""Video fuzzing: mutated inputs (truncated, bit-flipped, damaged headers, shuffled, empty,
the wrong codec, forged huge dimensions) through ``safewatch analyze``. Every one is analysed
or refused with a message; none crashes, kills the process or hangs.

``make test`` tries 35 inputs (five of each kind); ``make test-long`` 1,000
(SAFEWATCH_FUZZ_INPUTS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.vision.fuzz import MUTATIONS, fuzz

pytestmark = pytest.mark.video


def test_mutated_videos_are_analysed_or_refused_never_a_crash_or_a_hang(tmp_path: Path) -> None:
    inputs = int(os.environ.get("SAFEWATCH_FUZZ_INPUTS", "35"))
    report = fuzz(tmp_path, inputs)
    counts = report.count()
    print(f"\nvideo fuzzing: {inputs} inputs: {dict(counts)}")  # docs/reliability.md
    assert report.bad() == []
    # Both answers happen: damage the decoder skips, and files it cannot use at all.
    assert counts["analysed"] > 0 and counts["refused"] > 0
    refused = [o.detail for o in report.outcomes if o.kind == "refused"]
    assert all(detail for detail in refused)
    assert any("larger than a camera sends" in d for d in refused)  # the forged dimensions
    assert {o.name.split("-", 1)[1].rsplit(".", 1)[0] for o in report.outcomes} == set(MUTATIONS)


def test_an_mp4_cut_anywhere_is_analysed_or_refused(tmp_path: Path) -> None:
    """Found by the 1,000-input run: a header cut where the codec is named no more."""
    from safewatch.vision.analyze import analyze
    from safewatch.vision.source import SourceError
    from tests.vision.fuzz import make_seeds
    from tests.vision.sites import WHOLE_VIEW

    data = make_seeds(tmp_path / "seeds")[0].read_bytes()
    outcomes = set()
    for cut in range(0, len(data), max(1, len(data) // 60)):
        video = tmp_path / "cut.mp4"
        video.write_bytes(data[:cut])
        try:
            analyze(video, WHOLE_VIEW)
            outcomes.add("analysed")
        except SourceError as exc:
            assert str(exc)
            outcomes.add("cannot be decoded" if "cannot be decoded" in str(exc) else "refused")
    assert "cannot be decoded" in outcomes and "refused" in outcomes
