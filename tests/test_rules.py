"""The pure rules: checklist → suggested level, override rule, level → measures, lifecycle."""

from __future__ import annotations

import pytest

from safewatch.cases.guidance import Language, guidance_for
from safewatch.cases.measures import (
    ActiveMeasure,
    MeasureError,
    MeasureKind,
    MeasureStatus,
    check_transition,
    plan_measures,
)
from safewatch.cases.risk import AssessmentError, RiskLevel, check_decision, suggest_level
from tests.world import answers

K = MeasureKind
S = MeasureStatus


@pytest.mark.parametrize(
    ("yes", "score", "level"),
    [
        ((), 0, RiskLevel.normal),
        (("recent_separation", "substance_abuse"), 2, RiskLevel.normal),
        (("stalking", "prior_violence"), 4, RiskLevel.normal),
        (("stalking", "prior_violence", "substance_abuse"), 5, RiskLevel.high),
        (("weapon_access", "breach_of_order", "stalking"), 8, RiskLevel.high),
        (("weapon_access", "breach_of_order", "stalking", "escalation"), 10, RiskLevel.very_high),
        (("threats_to_kill",), 3, RiskLevel.very_high),  # critical alone
        (("strangulation",), 3, RiskLevel.very_high),
    ],
)
def test_checklist_suggests_level(yes: tuple[str, ...], score: int, level: RiskLevel) -> None:
    s = suggest_level(answers(*yes))
    assert (s.score, s.level) == (score, level)
    assert set(s.reasons) == set(yes)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"stalking": True}, "every question must be answered"),
        ({**answers(), "horoscope": True}, "unknown checklist questions: horoscope"),
    ],
)
def test_checklist_must_be_complete(given: dict[str, bool], message: str) -> None:
    with pytest.raises(AssessmentError, match=message):
        suggest_level(given)


@pytest.mark.parametrize(
    ("suggested", "decided", "reason", "ok"),
    [
        (RiskLevel.high, RiskLevel.high, None, True),
        (RiskLevel.high, RiskLevel.very_high, None, False),
        (RiskLevel.high, RiskLevel.very_high, "too short", False),
        (RiskLevel.high, RiskLevel.very_high, "offender was released from custody today", True),
        (RiskLevel.very_high, RiskLevel.normal, "   ", False),
    ],
)
def test_override_needs_written_reason(
    suggested: RiskLevel, decided: RiskLevel, reason: str | None, ok: bool
) -> None:
    if ok:
        check_decision(suggested, decided, reason)
    else:
        with pytest.raises(AssessmentError, match="write the reason"):
            check_decision(suggested, decided, reason)


NORMAL = {K.emergency_line_registration, K.patrol_plan}
HIGH = NORMAL | {K.smartwatch}
VERY_HIGH = HIGH | {K.safe_accommodation, K.relocation_support, K.ai_cctv}


@pytest.mark.parametrize(
    ("level", "required"),
    [
        (None, set()),
        (RiskLevel.normal, NORMAL),
        (RiskLevel.high, HIGH),
        (RiskLevel.very_high, VERY_HIGH),
    ],
)
def test_level_requires_measures(level: RiskLevel | None, required: set[MeasureKind]) -> None:
    plan = plan_measures(level, [])
    assert plan.to_require == required
    assert plan.missing == required
    assert not plan.to_cancel and not plan.no_longer_required


def test_lowering_level_cancels_required_and_lists_what_is_still_in_place() -> None:
    active = [
        ActiveMeasure(K.emergency_line_registration, S.in_place),
        ActiveMeasure(K.patrol_plan, S.required),
        ActiveMeasure(K.smartwatch, S.in_place),
        ActiveMeasure(K.safe_accommodation, S.required),
        ActiveMeasure(K.relocation_support, S.required),
        ActiveMeasure(K.ai_cctv, S.in_place),
        ActiveMeasure(K.security_first_response, S.in_place),
    ]
    plan = plan_measures(RiskLevel.normal, active)
    assert plan.to_require == set()
    assert plan.to_cancel == {K.safe_accommodation, K.relocation_support}
    assert plan.no_longer_required == {K.smartwatch, K.ai_cctv}
    assert plan.missing == {K.patrol_plan}  # first response is optional: never cancelled


def test_raising_level_adds_only_what_is_new() -> None:
    active = [
        ActiveMeasure(K.emergency_line_registration, S.in_place),
        ActiveMeasure(K.patrol_plan, S.in_place),
        ActiveMeasure(K.smartwatch, S.ended),
    ]
    plan = plan_measures(RiskLevel.high, active)
    assert plan.to_require == {K.smartwatch}  # an ended measure is required anew
    assert plan.missing == {K.smartwatch}


@pytest.mark.parametrize(
    ("current", "new", "ok"),
    [
        (S.required, S.in_place, True),
        (S.required, S.ended, True),
        (S.in_place, S.ended, True),
        (S.in_place, S.required, False),
        (S.ended, S.in_place, False),
        (S.ended, S.required, False),
        (S.required, S.required, False),
    ],
)
def test_measure_lifecycle(current: MeasureStatus, new: MeasureStatus, ok: bool) -> None:
    if ok:
        check_transition(K.smartwatch, current, new)
    else:
        with pytest.raises(MeasureError, match="cannot go from"):
            check_transition(K.smartwatch, current, new)


def test_guidance_grows_with_level_in_both_languages() -> None:
    for lang in Language:
        normal = guidance_for(RiskLevel.normal, lang)
        very_high = guidance_for(RiskLevel.very_high, lang)
        assert set(normal) < set(very_high)
    assert any("집에 돌아가지 마세요" in g for g in guidance_for(RiskLevel.very_high))
    assert any("Do not return home" in g for g in guidance_for(RiskLevel.very_high, Language.en))
    assert not any("Do not return home" in g for g in guidance_for(RiskLevel.high, Language.en))
