"""Guidance for the protected person, per risk level, in Korean (default) and English."""

from __future__ import annotations

from enum import StrEnum

from safewatch.cases.risk import RiskLevel


class Language(StrEnum):
    ko = "ko"
    en = "en"


_ALL: dict[Language, list[str]] = {
    Language.ko: [
        "위험을 느끼면 즉시 112에 신고하세요. 등록된 전화번호로 신고하면 경찰이 바로 보호 대상자임을 확인합니다.",
        "가해자의 연락이나 접근은 받지 말고, 날짜·시간·내용을 기록해 담당 경찰관에게 알려주세요.",
        "낯선 사람이 문을 열어 달라고 해도 확인 전에는 열지 마세요.",
    ],
    Language.en: [
        "If you feel in danger, call 112 at once. Your registered number tells the police who you are.",
        "Do not answer the offender's calls or approaches; note the date, time and what happened, and tell your officer.",
        "Do not open the door to anyone you have not verified.",
    ],
}
_BY_LEVEL: dict[RiskLevel, dict[Language, list[str]]] = {
    RiskLevel.normal: {
        Language.ko: [
            "맞춤형 순찰 시간에 경찰이 주변을 순찰합니다. 불안한 장소·시간을 담당 경찰관에게 알려주세요."
        ],
        Language.en: [
            "Police patrol your area at the agreed times. Tell your officer which places and times worry you."
        ],
    },
    RiskLevel.high: {
        Language.ko: [
            "스마트워치를 항상 착용하고 충전해 두세요. 긴급 버튼을 누르면 위치가 112로 전송됩니다.",
            "가급적 혼자 외출하지 말고, 다니는 길과 시간을 바꾸세요.",
        ],
        Language.en: [
            "Wear the smartwatch at all times and keep it charged. Its emergency button sends your location to 112.",
            "Avoid going out alone where you can, and vary your routes and times.",
        ],
    },
    RiskLevel.very_high: {
        Language.ko: [
            "임시숙소에 머무는 동안에는 집에 돌아가지 마세요. 필요한 물건은 경찰관과 함께 가져오세요.",
            "외출을 삼가고, 숙소 위치를 누구에게도 알리지 마세요.",
            "집의 AI CCTV가 가해자를 인식하면 휴대폰으로 긴급 알림과 영상이 옵니다. 알림을 받으면 안전한 곳에서 112에 신고하세요.",
        ],
        Language.en: [
            "Do not return home while you stay in the safe accommodation; fetch belongings only with an officer.",
            "Avoid going out, and tell no one where you are staying.",
            "If the AI CCTV at home recognises the offender, your phone gets an emergency alert with video. Get somewhere safe and call 112.",
        ],
    },
}


def guidance_for(level: RiskLevel | None, language: Language = Language.ko) -> list[str]:
    """The advice a person of this level sees, most specific first."""
    specific: list[str] = []
    if level is not None:
        for lower in RiskLevel:
            if lower.rank <= level.rank:
                specific = _BY_LEVEL[lower][language] + specific
    return specific + _ALL[language]
