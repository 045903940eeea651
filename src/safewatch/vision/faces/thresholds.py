"""A site's recognition threshold, and how "not the offender" feedback tightens it.

The threshold starts at the calibrated value. When a person resolving an incident says the
named person was not the offender, the threshold moves below that false match's score, and the
change is recorded with its reason. It never loosens by itself, and the stranger's face is never
added to any model. A threshold recorded under another scoring (before issue 20, cohort
z-scores) is kept in the history and not applied: its numbers measure something else.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from safewatch.store.files import atomic_write
from safewatch.vision.faces.matching import DEFAULT_THRESHOLD, SCORING

log = logging.getLogger(__name__)
FEEDBACK_MARGIN = 0.02  # below the false match's distance by this much
FORMER_SCORING = "cohort-z"  # what a file without a scoring was written in


def scoring_of(score: float) -> str:
    """The scoring a recognition's score was made in: a cohort z-score of a named offender is
    always below 0, where no distance is."""
    return SCORING if score >= 0 else FORMER_SCORING


@dataclass
class ThresholdChange:
    at: str
    before: float
    after: float
    reason: str
    scoring: str = FORMER_SCORING


@dataclass
class SiteThreshold:
    threshold: float = DEFAULT_THRESHOLD
    history: list[ThresholdChange] = field(default_factory=list)
    scoring: str = SCORING

    def not_the_offender(self, score: float, reason: str) -> ThresholdChange | None:
        """Feedback on a false ``offender_recognized`` whose track scored ``score``. A score
        below 0 is a cohort z-score from before issue 20: no distance is, and it says nothing
        about today's threshold."""
        if scoring_of(score) != SCORING:
            log.warning("not the offender: score %.2f is of the former scoring, ignored", score)
            return None
        after = min(self.threshold, score - FEEDBACK_MARGIN)
        if after >= self.threshold:
            return None
        at = datetime.now(UTC).isoformat()
        change = ThresholdChange(at, self.threshold, after, reason, SCORING)
        self.threshold = after
        self.history.append(change)
        return change


def load(path: Path) -> SiteThreshold:
    if not path.is_file():
        return SiteThreshold()
    raw = json.loads(path.read_text())
    history = [ThresholdChange(**c) for c in raw["history"]]
    scoring = raw.get("scoring", FORMER_SCORING)
    if scoring != SCORING:
        log.warning(
            "%s: its threshold %.2f was set for the %s scoring; the calibrated %.2f applies "
            "(the feedback history is kept)",
            path,
            raw["threshold"],
            scoring,
            DEFAULT_THRESHOLD,
        )
        return SiteThreshold(DEFAULT_THRESHOLD, history)
    return SiteThreshold(raw["threshold"], history)


def save(path: Path, site: SiteThreshold) -> None:
    atomic_write(path, json.dumps(asdict(site), indent=2).encode())
