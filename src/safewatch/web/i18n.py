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
    "your_timeline": {"ko": "진행 상황", "en": "What is happening"},
    "step.open": {"ko": "알림이 전달되었습니다", "en": "The alert went out"},
    "step.acknowledged": {
        "ko": "보안업체가 확인했습니다",
        "en": "The security company has seen it",
    },
    "step.dispatched": {"ko": "보안요원 출동", "en": "Guards dispatched"},
    "step.on_scene": {"ko": "보안요원 도착", "en": "Guards on scene"},
    "step.closed": {"ko": "상황 종료", "en": "Closed"},
    "police.requested": {"ko": "경찰에 출동 요청", "en": "Police requested"},
    "police.accepted": {"ko": "112 접수", "en": "112 has taken it"},
    "police.dispatched": {"ko": "경찰 출동", "en": "Police on the way"},
    "police.closed": {"ko": "경찰 조치 완료", "en": "Police finished"},
    "console": {"ko": "상황실", "en": "Console"},
    "queue": {"ko": "진행 중인 사건", "en": "Open incidents"},
    "queue_empty": {"ko": "진행 중인 사건이 없습니다.", "en": "No open incidents."},
    "choose": {"ko": "사건을 선택하세요.", "en": "Choose an incident."},
    "victim": {"ko": "보호대상자", "en": "Protected person"},
    "offender": {"ko": "가해자", "en": "Offender"},
    "location": {"ko": "위치", "en": "Location"},
    "timeline": {"ko": "기록", "en": "Timeline"},
    "claim": {"ko": "담당하기", "en": "Claim"},
    "unit": {"ko": "출동 팀", "en": "Guard unit"},
    "dispatch": {"ko": "보안요원 출동", "en": "Dispatch guards"},
    "arrive": {"ko": "현장 도착", "en": "Arrived"},
    "request_police": {"ko": "경찰 요청", "en": "Request police"},
    "outcome": {"ko": "결과", "en": "Outcome"},
    "resolved": {"ko": "해결", "en": "Resolved"},
    "false_alarm": {"ko": "오경보", "en": "False alarm"},
    "reason": {"ko": "사유", "en": "Reason"},
    "not_the_offender": {
        "ko": "가해자가 아님 (인식 오류)",
        "en": "Not the offender (wrong recognition)",
    },
    "resolve": {"ko": "종료", "en": "Close incident"},
    "police_accept": {"ko": "접수", "en": "Accept"},
    "police_dispatch": {"ko": "경찰 출동", "en": "Dispatch police"},
    "police_close": {"ko": "조치 완료", "en": "Close police request"},
    "note": {"ko": "메모", "en": "Note"},
    "action_failed": {"ko": "처리하지 못했습니다", "en": "Could not do that"},
    "kind.created": {"ko": "생성", "en": "opened"},
    "kind.joined": {"ko": "같은 상황 재감지", "en": "seen again"},
    "kind.upgraded": {"ko": "심각도 상향", "en": "upgraded"},
    "kind.notified": {"ko": "알림", "en": "notified"},
    "kind.police_requested": {"ko": "경찰 요청", "en": "police requested"},
    "kind.delivered": {"ko": "전달됨", "en": "delivered"},
    "kind.sent": {"ko": "발송됨", "en": "sent"},
    "kind.delivery_failed": {"ko": "전달 실패", "en": "delivery failed"},
    "kind.seen": {"ko": "화면 표시", "en": "seen on screen"},
    "kind.acknowledged": {"ko": "확인", "en": "acknowledged"},
    "kind.claimed": {"ko": "담당", "en": "claimed"},
    "kind.guards_dispatched": {"ko": "보안요원 출동", "en": "guards dispatched"},
    "kind.on_scene": {"ko": "현장 도착", "en": "on scene"},
    "kind.police_request": {"ko": "경찰 요청", "en": "police request"},
    "kind.police_accepted": {"ko": "112 접수", "en": "112 accepted"},
    "kind.police_dispatched": {"ko": "경찰 출동", "en": "police dispatched"},
    "kind.police_closed": {"ko": "경찰 조치 완료", "en": "police closed"},
    "kind.resolved": {"ko": "해결", "en": "resolved"},
    "kind.false_alarm": {"ko": "오경보", "en": "false alarm"},
    "kind.escalated": {"ko": "상위 전달", "en": "escalated"},
    "kind.deadline_missed": {"ko": "응답 시한 경과", "en": "deadline missed"},
    "kind.clip_added": {"ko": "영상 도착", "en": "clip added"},
    "kind.location": {"ko": "위치 갱신", "en": "location"},
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
