"""The demo region: Jeju, with one agency of each kind, one user per role and a few cases.
Fictional throughout — the people, their addresses and phone numbers do not exist — but worded
as a real region's records would be, in Korean.

Built through the same use cases as the API, so the demo data obeys every rule (and is audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from safewatch.cases.measures import MeasureKind, MeasureStatus
from safewatch.cases.risk import CHECKLIST, RiskLevel
from safewatch.core.roles import AgencyKind, Role
from safewatch.core.security import verify_password
from safewatch.incidents.facts import SignalSource
from safewatch.incidents.location import Fix, FixSource
from safewatch.incidents.policy import Routing, RoutingPolicy
from safewatch.models import Agency, Case, Device, User
from safewatch.models.fund import ExpenseCategory
from safewatch.models.resources import DeviceKind
from safewatch.schemas.cases import (
    AssessmentIn,
    CaseCreate,
    HouseholdMemberIn,
    OffenderIn,
    ProtectedPersonIn,
    ProtectionOrderIn,
)
from safewatch.schemas.fund import DonationIn, ExpenditureIn
from safewatch.schemas.people import UserCreate
from safewatch.schemas.resources import DeviceCreate, PatrolPlanCreate, PatrolWindow, StayCreate
from safewatch.services import accounts, cases, devices, incidents, measures, proximity, support
from safewatch.services import fund as funds
from safewatch.services.context import Caller

DEMO_PASSWORD = "safewatch-demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role


# The usernames are what the demo's guide and its tests sign in with.
DEMO_USERS = (
    ("admin", "문재현", Role.admin, None),
    ("officer", "김도현", Role.officer, AgencyKind.police_station),
    ("caseworker", "이은정", Role.caseworker, AgencyKind.support_centre),
    ("security", "박성훈", Role.security_operator, AgencyKind.security_company),
    ("dispatcher", "최유진", Role.dispatcher, AgencyKind.emergency_centre),
    ("victim", "한민정", Role.protected_person, None),
)


def published_password_accounts(session: Session) -> list[str]:
    """The demo's accounts, still active, whose password is still the published one."""
    names = [u for u, *_ in DEMO_USERS]
    rows = session.execute(
        select(User.username, User.password_hash).where(
            User.username.in_(names), User.active.is_(True)
        )
    )
    return sorted(name for name, hashed in rows if verify_password(DEMO_PASSWORD, hashed)[0])


def is_seeded(session: Session) -> bool:
    return session.scalar(select(User.id).where(User.username == "admin")) is not None


def _answers(*yes: str) -> dict[str, bool]:
    return {q.key: q.key in yes for q in CHECKLIST}


def seed(session: Session) -> list[DemoLogin]:
    """Create the demo region in the caller's transaction. Refuses to run twice."""
    if is_seeded(session):
        raise RuntimeError("the demo region is already there")
    agencies = {
        kind: Agency(name=name, kind=kind, region="Jeju", phone=phone)
        for kind, name, phone in (
            (AgencyKind.police_station, "제주동부경찰서 여성청소년과", "064-750-1234"),
            (AgencyKind.support_centre, "제주해바라기피해자지원센터", "064-723-5678"),
            (AgencyKind.security_company, "한라에스엔씨 민간경호", "064-711-0000"),
            (AgencyKind.emergency_centre, "제주경찰청 112치안종합상황실", "112"),
        )
    }
    session.add_all(agencies.values())
    session.flush()
    users: dict[Role, User] = {}
    for username, full_name, role, kind in DEMO_USERS:
        users[role] = accounts.create_user(
            session,
            UserCreate(
                username=username,
                full_name=full_name,
                password=DEMO_PASSWORD,
                role=role,
                agency_id=agencies[kind].id if kind else None,
            ),
        )
    officer = Caller(accounts.actor_of(users[Role.officer]), "신변보호 사건 접수")
    caseworker = Caller(accounts.actor_of(users[Role.caseworker]), "피해자 지원 계획 수립")
    centre = agencies[AgencyKind.support_centre].id
    company = agencies[AgencyKind.security_company].id
    today = datetime.now(UTC).date()

    def open_case(
        name: str,
        phone: str,
        address: str,
        lat: float,
        lon: float,
        offender: str,
        desc: str,
        relation: str,
        household: list[HouseholdMemberIn],
        user: User | None = None,
    ) -> Case:
        return cases.create_case(
            session,
            officer,
            CaseCreate(
                protected_person=ProtectedPersonIn(
                    full_name=name,
                    phone=phone,
                    address=address,
                    latitude=lat,
                    longitude=lon,
                    household=household,
                ),
                support_centre_id=centre,
                security_company_id=company,
                protected_user_id=user.id if user else None,
                offender=OffenderIn(
                    full_name=offender,
                    description=desc,
                    relation_to_victim=relation,
                    order=ProtectionOrderIn(
                        kind="restraining order",
                        issued_by="제주지방법원 가정보호사건 담당 재판부",
                        starts_on=today - timedelta(days=7),
                        ends_on=today + timedelta(days=180),
                        keep_away_metres=100,
                    ),
                ),
            ),
            prefix="JJ",
        )

    very_high = open_case(
        "한민정",
        "010-2345-6789",
        "제주시 연동 7길 23-4, 2층",
        33.4890,
        126.4983,
        "오태석",
        "키 180cm, 짧은 검은 머리, 회색 후드티를 자주 입음. 흰색 승합차 운행",
        "former partner",
        [HouseholdMemberIn(full_name="한서윤", relation="daughter")],
        users[Role.protected_person],
    )
    high = open_case(
        "정수아",
        "010-3456-7890",
        "제주시 일도이동 광양9길 45-6, 301호",
        33.5097,
        126.5369,
        "서민호",
        "키 175cm, 안경 착용, 마른 체형",
        "former spouse",
        [HouseholdMemberIn(full_name="서지우", relation="son")],
    )
    normal = open_case(
        "윤하늘",
        "010-4567-8901",
        "서귀포시 중앙로 78번길 12",
        33.2496,
        126.5601,
        "강도윤",
        "키 170cm, 삭발, 오른팔에 문신",
        "former boyfriend",
        [HouseholdMemberIn(full_name="윤미경", relation="mother")],
    )
    for case, yes, level in (
        (
            very_high,
            ("threats_to_kill", "stalking", "knows_address", "breach_of_order"),
            RiskLevel.very_high,
        ),
        (high, ("stalking", "prior_violence", "victim_fears_for_life"), RiskLevel.high),
        (normal, ("recent_separation",), RiskLevel.normal),
    ):
        measures.assess(
            session, officer, case, AssessmentIn(answers=_answers(*yes), decided_level=level)
        )
    for case in (very_high, high, normal):
        measures.change_measure(
            session,
            officer,
            case,
            MeasureKind.emergency_line_registration,
            MeasureStatus.in_place,
            "112 긴급신고 대상자로 등록 (전화번호 사전 등록)",
        )
        support.create_patrol_plan(
            session,
            officer,
            case,
            PatrolPlanCreate(
                place=case.protected_person.address,
                windows=[
                    PatrolWindow(weekdays=[0, 1, 2, 3, 4], start="21:00", end="23:00"),
                    PatrolWindow(weekdays=[5, 6], start="19:00", end="23:30"),
                ],
            ),
        )
        measures.change_measure(
            session, officer, case, MeasureKind.patrol_plan, MeasureStatus.in_place, ""
        )
    stock: dict[DeviceKind, list[Device]] = {}
    for device_kind, count in (
        (DeviceKind.camera, 12),
        (DeviceKind.smartwatch, 10),
        (DeviceKind.bell, 6),
        (DeviceKind.offender_monitor, 2),
    ):
        stock[device_kind] = [
            devices.create_device(
                session,
                officer,
                DeviceCreate(
                    kind=device_kind,
                    serial=f"{device_kind.value[:3].upper()}-JJ-{i:04d}",
                    model={
                        DeviceKind.camera: "AI CCTV 실외형",
                        DeviceKind.smartwatch: "신변보호용 스마트워치",
                        DeviceKind.bell: "비상벨",
                        DeviceKind.offender_monitor: "위치추적 전자장치 (법무부 관제)",
                    }[device_kind],
                ),
            )
            for i in range(1, count + 1)
        ]
    for case, wanted in (
        (very_high, DeviceKind.camera),  # the garden
        (very_high, DeviceKind.camera),  # the front door
        (very_high, DeviceKind.smartwatch),
        (very_high, DeviceKind.offender_monitor),  # the court ordered one for her stalker
        (high, DeviceKind.smartwatch),
    ):
        device = next(d for d in stock[wanted] if d.case_id is None)
        devices.assign(
            session, officer, device, case, "신변보호 조치로 설치·지급", datetime.now(UTC)
        )
    for case, measure in (
        (very_high, MeasureKind.ai_cctv),
        (very_high, MeasureKind.smartwatch),
        (high, MeasureKind.smartwatch),
    ):
        measures.change_measure(session, officer, case, measure, MeasureStatus.in_place, "")
    support.open_stay(
        session,
        caseworker,
        very_high,
        StayCreate(
            place_name="제주 여성긴급피난처 (임시숙소)",
            address="비공개 (지원센터 보관)",
            check_in=today - timedelta(days=2),
            planned_check_out=today + timedelta(days=12),
        ),
    )
    measures.change_measure(
        session, caseworker, very_high, MeasureKind.safe_accommodation, MeasureStatus.in_place, ""
    )
    fund = funds.fund_of(session, caseworker, None)
    funds.donate(
        session,
        caseworker,
        fund,
        DonationIn(
            donor="제주사회복지공동모금회 지정기탁",
            amount_krw=100_000_000,
            on_date=today - timedelta(days=30),
        ),
    )
    funds.spend(
        session,
        caseworker,
        fund,
        ExpenditureIn(
            category=ExpenseCategory.safe_accommodation,
            amount_krw=1_400_000,
            on_date=today - timedelta(days=2),
            case_id=very_high.id,
            description="임시숙소 14박 (긴급피난처)",
        ),
    )
    return [DemoLogin(u, r) for u, _, r, _ in DEMO_USERS]


__all__ = ["DEMO_PASSWORD", "DemoLogin", "is_seeded", "seed"]


# The demo region's map: a box around its homes, at the zooms a console shows an incident.
MAP_BOX = (33.23, 126.47, 33.53, 126.58)
MAP_ZOOMS = range(10, 16)


def live_incidents(session: Session, now: datetime) -> None:
    """What a person sees open on `make run` besides the camera's events: an SOS from the
    high-risk case's smartwatch whose first fix is a cell tower's (~850 m, the Seoul 2021
    case), so the console says the position is uncertain and where else it was sent."""
    case = session.scalar(select(Case).where(Case.risk_level == RiskLevel.high))
    watch = (
        session.scalar(
            select(Device).where(Device.case_id == case.id, Device.kind == DeviceKind.smartwatch)
        )
        if case is not None
        else None
    )
    routing = Routing(RoutingPolicy(), frozenset({"in_app"}))
    _offender_nearby(session, routing, now)
    if case is None or watch is None:
        return
    coarse = Fix(33.5151, 126.5297, 850.0, FixSource.cell, now)
    incidents.open_sos(
        session, routing, case, now, SignalSource.watch, f"watch {watch.serial}", coarse, 64,
        device=watch,
    )  # fmt: skip


def _offender_nearby(session: Session, routing: Routing, now: datetime) -> None:
    """The very-high case's offender, whose court-ordered monitor reports him ~1.2 km north
    of her home: a proximity incident (issue 23, point 4)."""
    monitor = session.scalar(
        select(Device).where(
            Device.kind == DeviceKind.offender_monitor, Device.case_id.is_not(None)
        )
    )
    case = session.get(Case, monitor.case_id) if monitor and monitor.case_id else None
    if monitor is None or case is None or case.protected_person.latitude is None:
        return
    home = case.protected_person
    assert home.latitude is not None and home.longitude is not None
    him = Fix(home.latitude + 0.011, home.longitude + 0.002, 12.0, FixSource.gps, now)
    proximity.monitor_position(session, routing, monitor, him, now, 2000, timedelta(minutes=15))
