"""Risk assessment: a weighted checklist suggests a level; the officer decides it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class RiskLevel(StrEnum):
    normal = "normal"
    high = "high"
    very_high = "very_high"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {RiskLevel.normal: 0, RiskLevel.high: 1, RiskLevel.very_high: 2}


@dataclass(frozen=True)
class Question:
    key: str
    weight: int
    text_ko: str
    text_en: str
    critical: bool = False  # a "yes" alone suggests very high


CHECKLIST: tuple[Question, ...] = (
    Question(
        "threats_to_kill",
        3,
        "살해 위협을 한 적이 있습니까?",
        "Has the offender threatened to kill?",
        True,
    ),
    Question(
        "strangulation",
        3,
        "목을 조른 적이 있습니까?",
        "Has the offender ever strangled or choked?",
        True,
    ),
    Question(
        "weapon_access",
        3,
        "흉기나 무기에 접근할 수 있습니까?",
        "Does the offender have access to weapons?",
    ),
    Question(
        "breach_of_order",
        3,
        "접근금지 등 명령을 위반했습니까?",
        "Has a protection order been breached?",
    ),
    Question(
        "stalking", 2, "스토킹·미행을 하고 있습니까?", "Is the offender stalking or following?"
    ),
    Question(
        "prior_violence", 2, "이전에 폭력을 행사한 적이 있습니까?", "Has there been prior violence?"
    ),
    Question(
        "escalation",
        2,
        "폭력의 빈도·강도가 커지고 있습니까?",
        "Is the violence getting worse or more frequent?",
    ),
    Question(
        "knows_address",
        2,
        "가해자가 현재 주소를 알고 있습니까?",
        "Does the offender know the current address?",
    ),
    Question(
        "victim_fears_for_life",
        2,
        "피해자가 생명의 위협을 느낍니까?",
        "Does the victim fear for their life?",
    ),
    Question(
        "threats_to_family",
        2,
        "가족·자녀를 위협했습니까?",
        "Has the offender threatened family or children?",
    ),
    Question(
        "recent_separation", 1, "최근 이별·별거했습니까?", "Has there been a recent separation?"
    ),
    Question(
        "substance_abuse",
        1,
        "음주·약물 문제가 있습니까?",
        "Does the offender abuse alcohol or drugs?",
    ),
)
QUESTIONS = {q.key: q for q in CHECKLIST}

HIGH_SCORE = 5
VERY_HIGH_SCORE = 10
# Days until a decided level must be looked at again.
REVIEW_DAYS = {RiskLevel.normal: 90, RiskLevel.high: 60, RiskLevel.very_high: 30}
MIN_OVERRIDE_REASON = 10


class AssessmentError(ValueError):
    """An assessment that cannot be accepted; the message is for the officer."""


@dataclass(frozen=True)
class Suggestion:
    score: int
    level: RiskLevel
    reasons: tuple[str, ...]


def suggest_level(answers: Mapping[str, bool]) -> Suggestion:
    """Score a complete checklist.

    >>> suggest_level({q.key: q.key == "stalking" for q in CHECKLIST}).level
    <RiskLevel.normal: 'normal'>
    """
    unknown = sorted(set(answers) - set(QUESTIONS))
    if unknown:
        raise AssessmentError(f"unknown checklist questions: {', '.join(unknown)}")
    missing = [q.key for q in CHECKLIST if q.key not in answers]
    if missing:
        raise AssessmentError(f"every question must be answered; missing: {', '.join(missing)}")
    yes = [q for q in CHECKLIST if answers[q.key]]
    score = sum(q.weight for q in yes)
    critical = [q.key for q in yes if q.critical]
    if critical or score >= VERY_HIGH_SCORE:
        level = RiskLevel.very_high
    elif score >= HIGH_SCORE:
        level = RiskLevel.high
    else:
        level = RiskLevel.normal
    return Suggestion(score, level, tuple(q.key for q in yes))


def check_decision(suggested: RiskLevel, decided: RiskLevel, override_reason: str | None) -> None:
    """The officer decides; a level other than the suggestion needs a written reason."""
    if decided is suggested:
        return
    if override_reason is None or len(override_reason.strip()) < MIN_OVERRIDE_REASON:
        raise AssessmentError(
            f"the decided level '{decided}' differs from the suggested '{suggested}': "
            f"write the reason for the decision (at least {MIN_OVERRIDE_REASON} characters)"
        )


def review_due(decided: RiskLevel, assessed_on: date) -> date:
    return assessed_on + timedelta(days=REVIEW_DAYS[decided])
