"""Words of the protected person's app."""

from __future__ import annotations

from safewatch.web.words import Words

WORDS: Words = {
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
}
