"""A snapshot's caption gives the time in the region's zone, named, as the screens do."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from safewatch.vision.pictures import snapshot_caption


def test_the_caption_is_in_korean_time_with_its_zone() -> None:
    at = datetime(2026, 12, 6, 7, 0, 5, tzinfo=UTC)
    caption = snapshot_caption("home", "door", "intrusion", at, ZoneInfo("Asia/Seoul"))
    assert caption == "home/door intrusion 2026-12-06 16:00:05 KST"
    assert "Z" not in caption.split()[-1]
