"""A site's recognition threshold, and how "not the offender" feedback tightens it.

The threshold starts at the calibrated value. When a person resolving an incident says the
named person was not the offender, the threshold moves below that false match's score, and the
change is recorded with its reason. It never loosens by itself, and the stranger's face is never
added to any model.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from safewatch.store.files import atomic_write
from safewatch.vision.faces.matching import DEFAULT_THRESHOLD

FEEDBACK_MARGIN = 0.5  # below the false match's score by this much


@dataclass
class ThresholdChange:
    at: str
    before: float
    after: float
    reason: str


@dataclass
class SiteThreshold:
    threshold: float = DEFAULT_THRESHOLD
    history: list[ThresholdChange] = field(default_factory=list)

    def not_the_offender(self, score: float, reason: str) -> ThresholdChange | None:
        """Feedback on a false ``offender_recognized`` whose track scored ``score``."""
        after = min(self.threshold, score - FEEDBACK_MARGIN)
        if after >= self.threshold:
            return None
        change = ThresholdChange(datetime.now(UTC).isoformat(), self.threshold, after, reason)
        self.threshold = after
        self.history.append(change)
        return change


def load(path: Path) -> SiteThreshold:
    if not path.is_file():
        return SiteThreshold()
    raw = json.loads(path.read_text())
    return SiteThreshold(raw["threshold"], [ThresholdChange(**c) for c in raw["history"]])


def save(path: Path, site: SiteThreshold) -> None:
    atomic_write(path, json.dumps(asdict(site), indent=2).encode())
