"""``safewatch eval video``: the track-level rule measured as a victim feels it.

Clips are analysed by the live pipeline with a watch list of people who are *not* in them
(and, if one is, named with ``present``). Every other name is a passer-by named as an
offender — the false alarm that terrifies a victim — counted per hour of video with the exact
95 % upper bound of that rate. Beside it, how close the passers-by came: the nearest shot of any
track to a listed person, against the threshold. For a person who is present: the time from
his face first reaching 80 px to his name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import supervision as sv

from safewatch.core.progress import Step
from safewatch.vision.analyze import analyze
from safewatch.vision.config import SiteConfig
from safewatch.vision.faces.decisions import LARGE_FACE_PX
from safewatch.vision.faces.rates import rate_upper_bound
from safewatch.vision.faces.stage import RecognitionStage

ANYWHERE = SiteConfig.model_validate(
    {"site": "eval", "cameras": [{"name": "eval", "source": "-", "zones": []}]}
)


@dataclass
class TrackSeen:
    clip: str
    shots: int = 0
    nearest: float = np.inf  # its closest shot to any listed person
    nearest_to: str = ""
    first_large_t: float | None = None  # first shot of a face at least 80 px
    named: str | None = None
    named_at: float | None = None


class _WatchingStage(RecognitionStage):
    """The live stage, keeping a summary of every face track it has seen."""

    seen: dict[int, TrackSeen]
    clip = ""

    def attach(self, frame_bgr: np.ndarray, dets: sv.Detections, t: float) -> sv.Detections:
        out = super().attach(frame_bgr, dets, t)
        for track in self._tracks:
            if track.last_t != t:
                continue  # not in this frame
            seen = self.seen.setdefault(track.id, TrackSeen(self.clip))
            x1, y1, x2, y2 = track.box
            if seen.first_large_t is None and min(x2 - x1, y2 - y1) >= LARGE_FACE_PX:
                seen.first_large_t = t  # the frame, not the next embedding (0.3 s apart)
            ident = track.identity
            if not ident.shots or ident.shots[-1].t != t:
                continue  # not embedded in this frame
            shot = ident.shots[-1]
            seen.shots += 1
            if shot.score < seen.nearest:
                seen.nearest, seen.nearest_to = shot.score, self.lists.matcher.names[shot.best]
            if ident.decision == "offender" and seen.named is None:
                seen.named = self.lists.matcher.names[ident.person or 0]
                seen.named_at = ident.decided_at
        return out


@dataclass
class VideoEvaluation:
    threshold: float
    seconds: float = 0.0
    clips: list[str] = field(default_factory=list)
    tracks: list[TrackSeen] = field(default_factory=list)

    def report(self, present: str | None = None) -> dict[str, object]:
        false_names = [t for t in self.tracks if t.named and t.named != present]
        hours = self.seconds / 3600
        # Unnamed tracks may be the present person turned away: counted as passers-by, the
        # headroom reported is the smaller, the safer side.
        strangers = [t for t in self.tracks if t.named is None or t.named != present]
        nearest = min(strangers, key=lambda t: t.nearest, default=None)
        result: dict[str, object] = {
            "clips": len(self.clips),
            "video_seconds": round(self.seconds, 1),
            "face_tracks": len(self.tracks),
            "shots": sum(t.shots for t in self.tracks),
            "threshold": self.threshold,
            "passers_by_named": [
                {"clip": t.clip, "as": t.named, "t": t.named_at} for t in false_names
            ],
            "passers_by_named_per_hour": round(len(false_names) / hours, 2) if hours else None,
            "per_hour_upper_95": round(rate_upper_bound(len(false_names), hours), 1)
            if hours
            else None,
            "nearest_passer_by_shot": None
            if nearest is None
            else {
                "clip": nearest.clip,
                "distance": round(float(nearest.nearest), 3),
                "to": nearest.nearest_to,
                "above_threshold_by": round(float(nearest.nearest) - self.threshold, 3),
            },
        }
        if present is not None:
            named = [t for t in self.tracks if t.named == present]
            result["present"] = {
                "name": present,
                "named_tracks": len(named),
                "seconds_after_80px_face": [
                    round(t.named_at - t.first_large_t, 2)
                    for t in named
                    if t.named_at is not None and t.first_large_t is not None
                ],
            }
        return result


def evaluate_video(
    clips: list[Path], stage: RecognitionStage, step: Step = lambda: None
) -> VideoEvaluation:
    watching = _WatchingStage(stage.lists.people, stage.threshold, stage.detector, stage.embedder)
    watching.seen = {}
    result = VideoEvaluation(stage.threshold)
    for clip in clips:
        watching.clip, watching.seen = clip.name, {}
        watching._tracks = []
        played = analyze(clip, ANYWHERE, face_stage=watching)
        result.seconds += played.play.duration
        result.clips.append(clip.name)
        result.tracks += [t for t in watching.seen.values() if t.shots]
        step()
    return result
