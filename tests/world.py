"""A small two-station region for tests: each party twice (A and B), one user per role each.

Users get a cached password hash and ready tokens, so tests do not pay for argon2 each time
(login itself is tested in test_auth.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from safewatch.cases.risk import CHECKLIST
from safewatch.core import security
from safewatch.core.roles import AgencyKind, Role
from safewatch.models import Agency, LoginToken, User
from safewatch.schemas.cases import CaseCreate, OffenderIn, ProtectedPersonIn, ProtectionOrderIn
from safewatch.services import accounts, cases
from safewatch.services.context import Caller

PASSWORD = "correct-horse-battery"


@lru_cache
def password_hash() -> str:
    return security.hash_password(PASSWORD)


def answers(*yes: str) -> dict[str, bool]:
    return {q.key: q.key in yes for q in CHECKLIST}


USERS: dict[str, tuple[Role, str | None]] = {
    "admin": (Role.admin, None),
    "officer_a": (Role.officer, "station_a"),
    "officer_b": (Role.officer, "station_b"),
    "caseworker_a": (Role.caseworker, "centre_a"),
    "caseworker_b": (Role.caseworker, "centre_b"),
    "security_a": (Role.security_operator, "company_a"),
    "security_b": (Role.security_operator, "company_b"),
    "dispatcher": (Role.dispatcher, "emergency"),
    "victim_a": (Role.protected_person, None),
    "victim_b": (Role.protected_person, None),
}
AGENCIES = {
    "station_a": AgencyKind.police_station,
    "station_b": AgencyKind.police_station,
    "centre_a": AgencyKind.support_centre,
    "centre_b": AgencyKind.support_centre,
    "company_a": AgencyKind.security_company,
    "company_b": AgencyKind.security_company,
    "emergency": AgencyKind.emergency_centre,
}


@dataclass
class World:
    client: TestClient
    factory: sessionmaker[Session]
    agencies: dict[str, uuid.UUID] = field(default_factory=dict)
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    cases: dict[str, uuid.UUID] = field(default_factory=dict)

    @classmethod
    def build(cls, factory: sessionmaker[Session], client: TestClient) -> World:
        w = cls(client, factory)
        with factory() as s, s.begin():
            for key, kind in AGENCIES.items():
                a = Agency(name=f"{key} agency", kind=kind, region="Test", phone="064-000-0000")
                s.add(a)
                s.flush()
                w.agencies[key] = a.id
            for key, (role, agency) in USERS.items():
                u = User(
                    username=key,
                    full_name=key.replace("_", " ").title(),
                    password_hash=password_hash(),
                    role=role,
                    agency_id=w.agencies[agency] if agency else None,
                )
                s.add(u)
                s.flush()
                w.users[key] = u.id
                secret = security.new_secret(security.USER_TOKEN_PREFIX)
                s.add(
                    LoginToken(
                        token_hash=security.secret_digest(secret),
                        user_id=u.id,
                        expires_at=datetime.now(UTC) + timedelta(hours=1),
                    )
                )
                w.tokens[key] = secret
            for side in ("a", "b"):
                w.cases[side] = w.open_case(s, side).id
        return w

    def open_case(self, s: Session, side: str, link_user: bool = True) -> Any:
        officer = s.get(User, self.users[f"officer_{side}"])
        assert officer is not None
        return cases.create_case(
            s,
            Caller(accounts.actor_of(officer)),
            CaseCreate(
                protected_person=ProtectedPersonIn(
                    full_name=f"Person {side.upper()}",
                    phone=f"010-1111-000{ord(side) - 96}",
                    address=f"{side.upper()} street 1, Jeju",
                    latitude=33.5,
                    longitude=126.5,
                ),
                support_centre_id=self.agencies[f"centre_{side}"],
                security_company_id=self.agencies[f"company_{side}"],
                protected_user_id=self.users[f"victim_{side}"] if link_user else None,
                offender=OffenderIn(
                    full_name=f"Offender {side.upper()}",
                    description="tall",
                    order=ProtectionOrderIn(
                        kind="restraining order",
                        issued_by="Jeju District Court",
                        starts_on=date.today() - timedelta(days=1),
                        ends_on=date.today() + timedelta(days=90),
                    ),
                ),
            ),
            prefix="TT",
        )

    def device(self, kind: str, serial: str, side: str = "a") -> str:
        """A device of ``kind`` issued to side's case; returns its credential."""
        officer = f"officer_{side}"
        dev = self.post(officer, "/api/v1/devices", {"kind": kind, "serial": serial}).json()
        r = self.post(
            officer, f"/api/v1/devices/{dev['id']}/assign", {"case_id": str(self.cases[side])}
        )
        assert r.status_code == 201, r.text
        secret: str = self.post(officer, f"/api/v1/devices/{dev['id']}/credential").json()["secret"]
        return secret

    def h(self, user: str, reason: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        if reason:
            headers["X-Safewatch-Reason"] = reason
        return headers

    def get(self, user: str, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.h(user), **kw)

    def post(self, user: str, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(url, headers=self.h(user), json=json, **kw)

    def patch(self, user: str, url: str, json: Any = None) -> Any:
        return self.client.patch(url, headers=self.h(user), json=json)

    def assess(self, user: str, side: str, level: str, *yes: str, reason: str | None = None) -> Any:
        body: dict[str, Any] = {"answers": answers(*yes), "decided_level": level}
        if reason:
            body["override_reason"] = reason
        return self.post(user, f"/api/v1/cases/{self.cases[side]}/assessments", body)

    def stay(self, side: str, place: str, nights: int) -> None:
        """A safe-accommodation stay for side's case, starting today (as its caseworker)."""
        body = {
            "place_name": place,
            "address": "1 Shelter-ro, Jeju",
            "check_in": str(date.today()),
            "planned_check_out": str(date.today() + timedelta(days=nights)),
        }
        r = self.post(f"caseworker_{side}", f"/api/v1/cases/{self.cases[side]}/stays", body)
        assert r.status_code == 201, r.text
