"""Protective measures: what each risk level requires, and each measure's lifecycle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from safewatch.cases.risk import RiskLevel


class MeasureKind(StrEnum):
    emergency_line_registration = "emergency_line_registration"  # phone registered with 112
    patrol_plan = "patrol_plan"
    smartwatch = "smartwatch"
    safe_accommodation = "safe_accommodation"
    relocation_support = "relocation_support"
    ai_cctv = "ai_cctv"
    security_first_response = "security_first_response"  # for anyone at risk, any level


class MeasureStatus(StrEnum):
    required = "required"
    in_place = "in_place"
    ended = "ended"


_NORMAL = (MeasureKind.emergency_line_registration, MeasureKind.patrol_plan)
_HIGH = (*_NORMAL, MeasureKind.smartwatch)
_VERY_HIGH = (
    *_HIGH,
    MeasureKind.safe_accommodation,
    MeasureKind.relocation_support,
    MeasureKind.ai_cctv,
)
LEVEL_MEASURES: dict[RiskLevel, frozenset[MeasureKind]] = {
    RiskLevel.normal: frozenset(_NORMAL),
    RiskLevel.high: frozenset(_HIGH),
    RiskLevel.very_high: frozenset(_VERY_HIGH),
}
# Measures a caseworker or officer may add at any level (or before any assessment).
OPTIONAL_MEASURES = frozenset({MeasureKind.security_first_response})

ALLOWED_TRANSITIONS = {
    (MeasureStatus.required, MeasureStatus.in_place),
    (MeasureStatus.required, MeasureStatus.ended),
    (MeasureStatus.in_place, MeasureStatus.ended),
}


class MeasureError(ValueError):
    """A measure change that cannot be made; the message says why."""


def required_for(level: RiskLevel | None) -> frozenset[MeasureKind]:
    return LEVEL_MEASURES[level] if level is not None else frozenset()


def check_transition(kind: MeasureKind, current: MeasureStatus, new: MeasureStatus) -> None:
    if (current, new) not in ALLOWED_TRANSITIONS:
        raise MeasureError(f"measure '{kind}' cannot go from '{current}' to '{new}'")


@dataclass(frozen=True)
class ActiveMeasure:
    kind: MeasureKind
    status: MeasureStatus


@dataclass(frozen=True)
class MeasurePlan:
    """What a level change means for the measures of a case."""

    to_require: frozenset[MeasureKind]  # new rows in 'required'
    to_cancel: frozenset[MeasureKind]  # 'required' rows no longer needed → ended
    no_longer_required: frozenset[MeasureKind]  # in place but beyond the level: staff decide
    missing: frozenset[MeasureKind]  # required by the level and not yet in place


def plan_measures(level: RiskLevel | None, active: Iterable[ActiveMeasure]) -> MeasurePlan:
    """Recompute measures for a (new) level against the measures a case has now.

    >>> plan = plan_measures(RiskLevel.high, [])
    >>> sorted(plan.missing)[:1]
    [<MeasureKind.emergency_line_registration: 'emergency_line_registration'>]
    """
    needed = required_for(level)
    current = {m.kind: m.status for m in active if m.status is not MeasureStatus.ended}
    to_require = frozenset(k for k in needed if k not in current)
    beyond = {k: s for k, s in current.items() if k not in needed and k not in OPTIONAL_MEASURES}
    to_cancel = frozenset(k for k, s in beyond.items() if s is MeasureStatus.required)
    no_longer = frozenset(k for k, s in beyond.items() if s is MeasureStatus.in_place)
    missing = frozenset(k for k in needed if current.get(k) is not MeasureStatus.in_place)
    return MeasurePlan(to_require, to_cancel, no_longer, missing)
