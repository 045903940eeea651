"""Words on every screen: signing in, incident types, states, levels, measures."""

from __future__ import annotations

from safewatch.web.words import Words

WORDS: Words = {
    "title": {"ko": "세이프워치", "en": "Safewatch"},
    "sign_in": {"ko": "로그인", "en": "Sign in"},
    "username": {"ko": "아이디", "en": "Username"},
    "password": {"ko": "비밀번호", "en": "Password"},
    "bad_login": {
        "ko": "아이디 또는 비밀번호가 맞지 않습니다.",
        "en": "Wrong username or password.",
    },
    "locked": {
        "ko": "로그인 실패가 너무 많아 잠시 잠겼습니다. "
        "잠시 후 다시 시도하거나 관리자에게 문의하세요.",
        "en": "Too many failed sign-ins: signing in is locked for a while. Wait, or ask an "
        "administrator to unlock it.",
    },
    "sign_out": {"ko": "로그아웃", "en": "Sign out"},
    "police.requested": {"ko": "경찰에 출동 요청", "en": "Police requested"},
    "police.accepted": {"ko": "112 접수", "en": "112 has taken it"},
    "police.dispatched": {"ko": "경찰 출동", "en": "Police on the way"},
    "police.closed": {"ko": "경찰 조치 완료", "en": "Police finished"},
    "level.normal": {"ko": "일반", "en": "Normal"},
    "level.high": {"ko": "높음", "en": "High"},
    "level.very_high": {"ko": "매우 높음", "en": "Very high"},
    "level.none": {"ko": "미평가", "en": "Not assessed"},
    "security.credential_stuffing": {
        "ko": "{address}에서 로그인 실패가 너무 많습니다 (계정 대입 공격 의심). "
        "이 주소의 로그인을 잠시 막았습니다.",
        "en": "Too many failed sign-ins from {address} (credential stuffing suspected). "
        "Sign-ins from that address are refused for a while.",
    },
    "security.events_refused": {
        "ko": "카메라 이벤트 {count}건이 거부되어 전달되지 않았습니다: {reasons}. 감사 기록을 "
        "확인하세요 (event_refused).",
        "en": "{count} camera event(s) were refused and not delivered: {reasons}. See the "
        "audit trail (event_refused).",
    },
    "measure.emergency_line_registration": {
        "ko": "112 긴급번호 등록",
        "en": "Phone registered with 112",
    },
    "measure.patrol_plan": {"ko": "맞춤형 순찰", "en": "Tailored patrols"},
    "measure.smartwatch": {"ko": "스마트워치 지급", "en": "Smartwatch"},
    "measure.safe_accommodation": {
        "ko": "임시 숙소 (10일 이상)",
        "en": "Safe accommodation (10+ days)",
    },
    "measure.relocation_support": {"ko": "이주 지원", "en": "Relocation support"},
    "measure.ai_cctv": {"ko": "AI CCTV 설치", "en": "AI CCTV"},
    "measure.security_first_response": {"ko": "민간경호 긴급출동", "en": "Security first response"},
    "status.required": {"ko": "필요", "en": "required"},
    "status.in_place": {"ko": "이행 중", "en": "in place"},
    "status.ended": {"ko": "종료", "en": "ended"},
    "device.camera": {"ko": "AI CCTV", "en": "AI camera"},
    "device.smartwatch": {"ko": "스마트워치", "en": "Smartwatch"},
    "device.bell": {"ko": "비상벨", "en": "Emergency bell"},
    "state.ok": {"ko": "정상", "en": "ok"},
    "state.late": {"ko": "지연", "en": "late"},
    "state.offline": {"ko": "끊김", "en": "offline"},
    "state.never seen": {"ko": "연결 기록 없음", "en": "never seen"},
    "state.starting": {"ko": "시작 중", "en": "starting"},
    "state.degraded": {"ko": "이상 있음", "en": "degraded"},
    "state.restarting": {"ko": "재시작 중", "en": "restarting"},
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
