"""Words on the screens, Korean first (the default) and English. Dates and times are formatted
by the browser for the page's language (``Intl.DateTimeFormat``)."""

from __future__ import annotations

from typing import Literal

Lang = Literal["ko", "en"]
LANGS: tuple[Lang, ...] = ("ko", "en")

MESSAGES: dict[str, dict[Lang, str]] = {
    "title": {"ko": "세이프워치", "en": "Safewatch"},
    "sign_in": {"ko": "로그인", "en": "Sign in"},
    "username": {"ko": "아이디", "en": "Username"},
    "password": {"ko": "비밀번호", "en": "Password"},
    "bad_login": {
        "ko": "아이디 또는 비밀번호가 맞지 않습니다.",
        "en": "Wrong username or password.",
    },
    "sign_out": {"ko": "로그아웃", "en": "Sign out"},
    "quick_exit": {"ko": "빠른 나가기", "en": "Quick exit"},
    "all_quiet": {"ko": "현재 알림이 없습니다.", "en": "No alerts right now."},
    "alert_heading": {"ko": "긴급 알림", "en": "Emergency alert"},
    "clip_coming": {"ko": "영상을 받는 중…", "en": "The video is on its way…"},
    "ack": {"ko": "확인했어요 / 안전해요", "en": "I've seen it / I'm safe"},
    "acked": {
        "ko": "확인 완료. 보안요원과 경찰에게 전달됩니다.",
        "en": "Thank you. Guards and police are informed.",
    },
    "sos_hold": {"ko": "길게 눌러 긴급 신고 (SOS)", "en": "Hold for SOS"},
    "sos_sent": {
        "ko": "신고 완료. 도움이 오고 있습니다. 112에 연결합니다…",
        "en": "SOS sent. Help is on its way. Calling 112…",
    },
    "sos_failed": {
        "ko": "신고를 보내지 못했습니다. 바로 112에 전화하세요.",
        "en": "The SOS could not be sent. Call 112 now.",
    },
    "call_112": {"ko": "112 전화", "en": "Call 112"},
    "guidance": {"ko": "안전 수칙", "en": "Staying safe"},
    "measures": {"ko": "보호 조치", "en": "Your protection measures"},
    "notifications": {"ko": "잠금 화면 알림 켜기", "en": "Turn on lock-screen alerts"},
    "notifications_on": {"ko": "알림이 켜졌습니다.", "en": "Alerts are on."},
    "offline": {"ko": "연결이 끊겼습니다. 다시 연결 중…", "en": "Connection lost. Reconnecting…"},
    "type.offender_recognized": {"ko": "가해자 얼굴 인식", "en": "Offender recognised"},
    "type.intrusion": {"ko": "경계 구역 침입", "en": "Someone entered the boundary"},
    "type.loitering": {"ko": "집 주변 배회", "en": "Someone is loitering nearby"},
    "type.stranger": {"ko": "낯선 사람", "en": "A stranger is at the door"},
    "type.sos": {"ko": "긴급 신고", "en": "SOS"},
    "type.camera_offline": {"ko": "카메라 연결 끊김", "en": "Camera offline"},
    "type.camera_tampered": {"ko": "카메라 가림/훼손", "en": "Camera covered or moved"},
    "type.watch_silent": {"ko": "스마트워치 응답 없음", "en": "Smartwatch silent"},
    "type.manual": {"ko": "경찰 알림", "en": "Police notice"},
}


def texts(lang: Lang) -> dict[str, str]:
    return {key: by_lang[lang] for key, by_lang in MESSAGES.items()}


def pick(requested: str | None, fallback: str | None) -> Lang:
    for candidate in (requested, fallback):
        if candidate in LANGS:
            return candidate
    return "ko"
