"""Words of the protected person's app."""

from __future__ import annotations

from safewatch.words import Words

WORDS: Words = {
    "quick_exit": {"ko": "빠른 나가기", "en": "Quick exit"},
    "all_quiet": {"ko": "현재 알림이 없습니다.", "en": "No alerts right now."},
    "alert_heading": {"ko": "긴급 알림", "en": "Emergency alert"},
    "clip_coming": {"ko": "영상을 받는 중…", "en": "The video is on its way…"},
    "ack": {"ko": "확인했어요 / 안전해요", "en": "I've seen it / I'm safe"},
    "ack_all": {
        "ko": "알림 {n}건 모두 확인했어요 / 안전해요",
        "en": "I've seen these {n} alerts / I'm safe",
    },
    # Only what has happened: the answer is recorded; what others did is in the steps above.
    "acked": {
        "ko": "{time}에 확인하셨습니다. 진행 상황은 위에 표시됩니다.",
        "en": "You answered at {time}. What is happening is shown above.",
    },
    "ack_failed": {
        "ko": "확인을 보내지 못했습니다. 다시 눌러 주세요.",
        "en": "Your answer could not be sent. Press again.",
    },
    "open_count": {"ko": "진행 중인 알림 {n}건", "en": "{n} open alerts"},
    "other_alerts": {"ko": "다른 진행 중인 알림", "en": "Other open alerts"},
    "answered": {"ko": "확인함", "en": "answered"},
    "not_answered": {"ko": "확인 안 함", "en": "not answered"},
    "closed_note": {
        "ko": "{time}의 알림({type})이 종료되었습니다.",
        "en": "The alert of {time} ({type}) is closed.",
    },
    "snapshot_alt": {"ko": "알림 순간의 사진", "en": "Picture at the moment of the alert"},
    "sos_hold": {"ko": "길게 눌러 긴급 신고 (SOS)", "en": "Hold for SOS"},
    "sos_sent": {
        "ko": "신고 완료. 도움이 오고 있습니다.",
        "en": "SOS sent. Help is on its way.",
    },
    "sos_failed": {
        "ko": "신고를 보내지 못했습니다. 바로 112에 전화하세요.",
        "en": "The SOS could not be sent. Call 112 now.",
    },
    "lock_title": {"ko": "잠금", "en": "Locked"},
    "lock_pin": {"ko": "PIN 번호", "en": "PIN"},
    "unlock": {"ko": "열기", "en": "Unlock"},
    "lock_wrong": {"ko": "PIN 번호가 맞지 않습니다.", "en": "That PIN is not right."},
    "sos_feedback": {
        "ko": "긴급 버튼을 누르면 (시계와 앱)",
        "en": "When I press SOS (watch and app)",
    },
    "sos_feedback.silent": {
        "ko": "아무 소리도 표시도 없음 (기본)",
        "en": "nothing anyone could see or hear (default)",
    },
    "sos_feedback.vibrate": {"ko": "짧은 진동 한 번", "en": "one short vibration"},
    "lock_settings": {"ko": "앱 잠금", "en": "App lock"},
    "lock_duress_help": {
        "ko": "위협을 받는 상황에서 긴급 PIN으로 열면 앱은 평소처럼 열리고, 보안업체와 112에 "
        "소리 없이 신고됩니다.",
        "en": "Opened with the emergency PIN, the app opens as usual and the security company "
        "and 112 are told, silently.",
    },
    "lock_set_pin": {"ko": "PIN 번호 (숫자 4–8자리)", "en": "PIN (4–8 digits)"},
    "lock_set_duress": {"ko": "긴급 PIN 번호 (선택)", "en": "Emergency PIN (optional)"},
    "lock_save": {"ko": "저장", "en": "Save"},
    "lock_saved": {"ko": "저장했습니다.", "en": "Saved."},
    "lock_not_saved": {
        "ko": "저장하지 못했습니다: 숫자 4–8자리, 두 PIN은 서로 달라야 합니다.",
        "en": "Not saved: 4–8 digits, and the two PINs must differ.",
    },
    "call_112": {"ko": "112 전화", "en": "Call 112"},
    "guidance": {"ko": "안전 수칙", "en": "Staying safe"},
    "measures": {"ko": "보호 조치", "en": "Your protection measures"},
    "notifications": {"ko": "잠금 화면 알림 켜기", "en": "Turn on lock-screen alerts"},
    "notifications_on": {"ko": "알림이 켜졌습니다.", "en": "Alerts are on."},
    "offline": {"ko": "연결이 끊겼습니다. 다시 연결 중…", "en": "Connection lost. Reconnecting…"},
    "your_timeline": {"ko": "진행 상황", "en": "What is happening"},
    "step.open": {"ko": "알림이 전달되었습니다", "en": "The alert went out"},
    "step.claimed": {
        "ko": "보안업체 상황요원이 맡았습니다",
        "en": "A security operator has taken it on",
    },
    "step.dispatched": {"ko": "보안요원 출동", "en": "Guards dispatched"},
    "step.on_scene": {"ko": "보안요원 도착", "en": "Guards on scene"},
    "step.police_waiting": {
        "ko": "경찰에 출동 요청함 — 112가 아직 접수하지 않았습니다",
        "en": "Police requested — 112 has not taken it yet",
    },
    "step.police_duty_phone_texted": {
        "ko": "112 화면에 닿지 않아 경찰 당직 전화로 문자를 보냈습니다 — 아직 접수되지 않았습니다. "
        "가능하면 112에 직접 전화하세요",
        "en": "112's screens did not take it; the police duty phone was texted — not taken yet. "
        "Call 112 yourself if you can",
    },
    "step.police_not_reached": {
        "ko": "경찰에 아직 연결되지 않았습니다 — 가능하면 112에 직접 전화하세요",
        "en": "Police not reached yet — call 112 yourself if you can",
    },
    # A device of hers as she should understand it (its condition at the hub).
    "mine.ok": {"ko": "정상 작동", "en": "working"},
    "mine.never seen": {
        "ko": "아직 연결된 적 없음 — 믿지 마시고 담당 경찰관과 함께 확인하세요",
        "en": "never connected yet — do not rely on it; check it with your officer",
    },
    "mine.offline": {
        "ko": "지금 연결되지 않음 — 도움이 필요하면 휴대폰으로 112에 전화하세요",
        "en": "not connected now — if you need help, call 112 from your phone",
    },
    "mine.late": {
        "ko": "연결이 늦어지고 있음 — 담당자에게 알렸습니다",
        "en": "late to report — staff can see it",
    },
    "mine.problem": {
        "ko": "문제가 있음 — 담당자에게 알렸습니다",
        "en": "has a problem — staff can see it",
    },
    "watch_not_working": {
        "ko": "스마트워치가 연결되어 있지 않습니다. 확인될 때까지는 이 휴대폰의 긴급 신고 버튼이나 "
        "112 전화를 쓰세요.",
        "en": "Your smartwatch is not connected. Until it is checked, use this phone's SOS "
        "button or call 112.",
    },
}
