"""Words on every screen: signing in, incident types, states, levels, measures."""

from __future__ import annotations

from safewatch.words import Words

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
    "device.offender_monitor": {
        "ko": "가해자 위치추적 전자장치",
        "en": "Offender's electronic monitor",
    },
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
    "type.unidentified_person": {
        "ko": "얼굴을 확인할 수 없는 사람 (마스크 등)",
        "en": "Someone whose face cannot be seen (a mask?)",
    },
    "type.sos": {"ko": "긴급 신고", "en": "SOS"},
    "type.camera_offline": {"ko": "카메라 연결 끊김", "en": "Camera offline"},
    "type.camera_tampered": {"ko": "카메라 가림/훼손", "en": "Camera covered or moved"},
    "type.watch_silent": {"ko": "스마트워치 응답 없음", "en": "Smartwatch silent"},
    "type.proximity": {"ko": "가해자 접근 (전자장치)", "en": "Offender nearby (monitor)"},
    "type.manual": {"ko": "경찰 알림", "en": "Police notice"},
    # An incident in a line (sw.describe), from its facts.
    "describe.in_zone": {"ko": "{zone}에서 {what}", "en": "{what} in {zone}"},
    "describe.by_camera": {"ko": "{what} ({camera} 카메라)", "en": "{what} ({camera} camera)"},
    "describe.sos.phone": {"ko": "휴대폰 긴급 신고", "en": "SOS from the phone"},
    "describe.sos.watch": {"ko": "스마트워치 긴급 신고", "en": "SOS from the smartwatch"},
    "describe.sos.bell": {"ko": "비상벨 긴급 신고", "en": "SOS from the emergency bell"},
    "describe.duress": {
        "ko": "긴급 PIN으로 앱을 열었음 (소리 없는 신고: 전화하지 마세요)",
        "en": "opened the app with the emergency PIN (silent SOS: do not call her)",
    },
    "describe.at": {"ko": "위치 {latitude}, {longitude}", "en": "at {latitude}, {longitude}"},
    "describe.no_location": {"ko": "위치 정보 없음", "en": "no location"},
    "describe.proximity": {
        "ko": "가해자 위치추적 장치가 {place}에서 {distance} 거리에 있음",
        "en": "the offender's monitor is {distance} from {place}",
    },
    "describe.offender_at": {
        "ko": "가해자 위치 {latitude}, {longitude}",
        "en": "offender at {latitude}, {longitude}",
    },
    "map.offender": {"ko": "가해자 (전자장치 위치)", "en": "offender (his monitor)"},
    "dist.m": {"ko": "{m}미터", "en": "{m} m"},
    "dist.km": {"ko": "{km}킬로미터", "en": "{km} km"},
    # A position and what it is worth (issue 23): the consoles say why one is doubted.
    "loc.radius": {"ko": "±{radius}미터 ({source})", "en": "±{radius} m ({source})"},
    "loc.uncertain": {"ko": "위치 불확실", "en": "location uncertain"},
    "loc.coarse": {"ko": "{source} 기준 ±{radius}미터", "en": "±{radius} m from {source}"},
    "loc.coarse_unknown": {
        "ko": "정확도를 알 수 없음 (구형 기기)",
        "en": "accuracy not given (an old device)",
    },
    "loc.stale": {"ko": "{seconds}초 전 위치", "en": "fixed {seconds} s ago"},
    "loc.none": {"ko": "기기 위치 없음", "en": "no position from the device"},
    "loc.also": {"ko": "{places}(으)로도 출동 요청", "en": "also sent to {places}"},
    "loc.place.home": {"ko": "등록된 집 주소", "en": "the home address"},
    "loc.place.safe_stay": {"ko": "이용 중인 보호시설", "en": "the safe accommodation"},
    "loc.place.last_fix": {
        "ko": "보호대상자의 마지막 확인 위치",
        "en": "the protected person's last known position",
    },
    "loc.source.gps": {"ko": "GPS", "en": "GPS"},
    "loc.source.wifi": {"ko": "Wi-Fi", "en": "Wi-Fi"},
    "loc.source.cell": {"ko": "기지국", "en": "cell"},
    "loc.source.fixed_address": {"ko": "등록 주소", "en": "the registered address"},
    "loc.source.unknown": {"ko": "출처 미상", "en": "an unknown source"},
    "describe.watch_silent": {
        "ko": "스마트워치 {serial} {minutes}분째 응답 없음",
        "en": "smartwatch {serial} silent for {minutes} min",
    },
    "describe.camera_silent": {
        "ko": "카메라 {serial} 약 {minutes}분째 신호 없음",
        "en": "camera {serial} silent for about {minutes} min",
    },
    "describe.battery": {"ko": "배터리 {battery}%", "en": "battery {battery}%"},
    # Who wrote a timeline line, and for whom (sw.entryText).
    "actor.system": {"ko": "시스템", "en": "system"},
    "actor.camera": {"ko": "{camera} 카메라", "en": "camera {camera}"},
    "actor.device": {"ko": "기기 {serial}", "en": "device {serial}"},
    "role.admin": {"ko": "관리자", "en": "administrator"},
    "role.officer": {"ko": "경찰관", "en": "officer"},
    "role.caseworker": {"ko": "상담원", "en": "caseworker"},
    "role.security_operator": {"ko": "보안 관제요원", "en": "security operator"},
    "role.dispatcher": {"ko": "112 접수요원", "en": "112 dispatcher"},
    "role.protected_person": {"ko": "보호대상자", "en": "protected person"},
    "recipient.victim": {"ko": "보호대상자", "en": "protected person"},
    "recipient.security": {"ko": "민간경호", "en": "security company"},
    "recipient.police": {"ko": "경찰(112)", "en": "police (112)"},
    "recipient.officer": {"ko": "담당 경찰관", "en": "case officer"},
    "channel.in_app": {"ko": "앱", "en": "app"},
    "channel.web_push": {"ko": "푸시 알림", "en": "push notification"},
    "channel.sms": {"ko": "문자", "en": "text message"},
    "channel.webhook": {"ko": "112 시스템 연계", "en": "112 system link"},
    # Why (a timeline line's detail, from its facts).
    "reason.requested_by": {"ko": "{role} 요청", "en": "requested by the {role}"},
    "reason.deadline_missed": {
        "ko": "{group}이(가) {by}까지 확인하지 않음",
        "en": "{group} did not acknowledge by {by}",
    },
    "reason.clip_added": {"ko": "{camera} 카메라 영상", "en": "video from camera {camera}"},
    "reason.camera_back": {
        "ko": "카메라 {serial} 약 {minutes}분 만에 다시 연결",
        "en": "camera {serial} heard again after about {minutes} min",
    },
    "reason.shown_on_connect": {
        "ko": "앱 화면이 연결되자 표시됨",
        "en": "shown when a screen connected",
    },
    "reason.screens_reached": {"ko": "화면 {count}개에 전달", "en": "reached {count} screen(s)"},
    "reason.no_screen": {"ko": "열려 있는 앱 화면 없음", "en": "no screen open"},
    "reason.no_account": {"ko": "받을 계정 없음", "en": "no account to reach"},
    "reason.push_accepted": {
        "ko": "휴대폰 {count}대로 보냄 (푸시 서비스 접수)",
        "en": "sent to {count} phone(s) (push service took it)",
    },
    "reason.no_push_phone": {
        "ko": "알림을 켠 휴대폰 없음",
        "en": "no phone has turned notifications on",
    },
    "reason.push_turned_off": {
        "ko": "모든 휴대폰에서 알림이 꺼짐",
        "en": "every phone has turned notifications off",
    },
    "reason.push_failed": {"ko": "푸시 서비스 오류", "en": "push service error"},
    "reason.police_system_accepted": {"ko": "112 시스템 접수", "en": "112 system took it"},
    "reason.police_system_unreachable": {
        "ko": "112 시스템에 연결할 수 없음",
        "en": "112 system not reachable",
    },
    "reason.police_system_refused": {
        "ko": "112 시스템이 받지 않음 (응답 {code})",
        "en": "112 system refused it (answer {code})",
    },
    # The file outbox is for development: every screen that shows such a text says so.
    "reason.sms_accepted": {
        "ko": "개발용 문자 폴더에만 기록됨 (휴대폰으로 가지 않음)",
        "en": "written to the development SMS folder only (no phone receives it)",
    },
    "reason.sms_gateway_accepted": {
        "ko": "문자 게이트웨이 접수 (휴대폰 수신 확인 대기 중)",
        "en": "taken by the SMS gateway (waiting for the phone's receipt)",
    },
    "reason.sms_gateway_unreachable": {
        "ko": "문자 게이트웨이에 연결할 수 없음",
        "en": "SMS gateway not reachable",
    },
    "reason.sms_gateway_refused": {
        "ko": "문자 게이트웨이가 받지 않음 (응답 {code})",
        "en": "SMS gateway refused it (answer {code})",
    },
    "reason.sms_not_korean_number": {
        "ko": "국내 휴대폰 번호가 아님",
        "en": "not a Korean phone number",
    },
    "reason.sms_reached_phone": {
        "ko": "문자가 휴대폰에 도착함 (통신사 확인)",
        "en": "the text reached the phone (carrier's receipt)",
    },
    "reason.sms_undelivered": {
        "ko": "문자가 휴대폰에 도착하지 못함 (결과 코드 {code})",
        "en": "the text never reached the phone (result code {code})",
    },
    "reason.no_phone_number": {"ko": "전화번호 없음", "en": "no phone number"},
    "reason.channel_missing": {
        "ko": "이 서버에 설정되지 않은 발송 수단",
        "en": "channel not set up on this hub",
    },
    "reason.channel_error": {"ko": "발송 오류", "en": "sending error"},
    "reason.police_reached_nobody": {
        "ko": "112 상황실 화면과 112 시스템 어디에도 전달되지 않음",
        "en": "no 112 screen or 112 system took the police request",
    },
    "reason.police_not_in_time": {
        "ko": "112가 제시간에 접수하지 않음",
        "en": "112 did not accept the police request in time",
    },
    "reason.duty_phone_texted": {
        "ko": "당직 전화 {phone}로 문자 발송",
        "en": "texted to the duty phone {phone}",
    },
    "reason.no_duty_phone": {
        "ko": "당직 전화가 설정되지 않음: 112에 직접 전화하세요",
        "en": "no duty phone is set: call 112",
    },
    "reason.attempt": {"ko": "{attempt}번째 시도", "en": "attempt {attempt}"},
    "camera.undelivered": {
        "ko": "전달되지 못한 항목 {count}건 (카메라 점검 필요)",
        "en": "{count} item(s) could not be delivered (check the camera)",
    },
    # What leaves the hub for a phone (alerts/wording.py): texts and lock-screen notices.
    "sms.alert": {
        "ko": "[세이프워치] {what} ({reference}). 앱에서 확인하세요. 위급하면 112.",
        "en": "[Safewatch] {what} — {reference}. Open the app; 112.",
    },
    "sms.police_request": {
        "ko": "[세이프워치] 112 상황실이 아직 접수하지 않은 경찰 출동 요청: {what} ({reference}). "
        "{name}, {address}, {phone}. 112 상황실 화면에서 접수하세요.",
        "en": "[Safewatch] POLICE REQUEST not taken on the 112 console: {what} — {reference}. "
        "{name}, {address}, {phone}. Accept it on the 112 console.",
    },
    "push.urgent": {"ko": "긴급: 지금 앱을 열어 주세요", "en": "Urgent: open the app now"},
    "push.attention": {
        "ko": "확인이 필요한 알림이 있습니다. 앱을 열어 주세요",
        "en": "Open the app: something needs you",
    },
    # Relationships and protection orders typed on a case (sw.relation, sw.orderKind).
    "relation.former partner": {"ko": "전 연인", "en": "former partner"},
    "relation.partner": {"ko": "연인", "en": "partner"},
    "relation.spouse": {"ko": "배우자", "en": "spouse"},
    "relation.former spouse": {"ko": "전 배우자", "en": "former spouse"},
    "relation.husband": {"ko": "남편", "en": "husband"},
    "relation.former husband": {"ko": "전 남편", "en": "former husband"},
    "relation.wife": {"ko": "아내", "en": "wife"},
    "relation.boyfriend": {"ko": "남자친구", "en": "boyfriend"},
    "relation.former boyfriend": {"ko": "전 남자친구", "en": "former boyfriend"},
    "relation.daughter": {"ko": "딸", "en": "daughter"},
    "relation.son": {"ko": "아들", "en": "son"},
    "relation.child": {"ko": "자녀", "en": "child"},
    "relation.mother": {"ko": "어머니", "en": "mother"},
    "relation.father": {"ko": "아버지", "en": "father"},
    "relation.parent": {"ko": "부모", "en": "parent"},
    "relation.sibling": {"ko": "형제자매", "en": "sibling"},
    "relation.relative": {"ko": "친척", "en": "relative"},
    "relation.acquaintance": {"ko": "지인", "en": "acquaintance"},
    "relation.colleague": {"ko": "직장 동료", "en": "colleague"},
    "relation.stranger": {"ko": "모르는 사람", "en": "stranger"},
    "order.restraining order": {"ko": "접근금지명령", "en": "restraining order"},
    "order.temporary restraining order": {
        "ko": "임시 접근금지명령",
        "en": "temporary restraining order",
    },
    "order.protection order": {"ko": "피해자보호명령", "en": "protection order"},
    "order.emergency measure": {"ko": "긴급임시조치", "en": "emergency measure"},
    "order.provisional measure": {"ko": "임시조치", "en": "provisional measure"},
    "order.stalking warning": {"ko": "스토킹 경고", "en": "stalking warning"},
}
